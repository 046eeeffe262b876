"""Sharded sync passes as plain functions a Celery task, a thread or a process can call.

::

    spec = plan_sync_shards(config, 4)          # once: fixes the pass's instant, takes its lock
    run_sync_shard(config, spec, i)             # for i in 0..3, anywhere, in any order
    finish_sync_shards(config, spec)            # after them: moves the cursors, gives the lock

What a shard keeps and why the cursors wait for the last one is ``connector.shards``; the pass's
lock, which keeps a plain ``leadsync sync`` from running beside it, is ``connector.lease``. Each
shard also holds a run lock of its own (``sync:shard-1-of-4``), so that a shard started twice
(a task retried while the first attempt still runs) runs once. ``ShardedPass.as_json`` is
what a task carries; ``ShardedPass.from_json`` gives it back.

Running a shard again, after it died or failed or even after it completed, is safe: it re-reads
its changes, and what it wrote is recognised and not written again. Running a finished pass's
shard raises ``PassOver`` and does nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

from leadsync.connector import lease
from leadsync.connector.config import Config
from leadsync.connector.deadletter import DeadLetterPolicy
from leadsync.connector.models import SIDES, Side
from leadsync.connector.shards import (
    ShardedPass,
    SyncShard,
    check_current,
    current_pass,
    done,
    later,
    pass_name,
    reached_by_all,
    started,
)
from leadsync.connector.state import StateStore
from leadsync.connector.sync import SyncResult
from leadsync.jobs.locking import locked
from leadsync.jobs.runs import recorded
from leadsync.jobs.sync import adopt, prepare, retry_dead_letters_on_new_config

log = structlog.get_logger("leadsync.shards")

SYNC = "sync"
MAX_SHARD_PAGE = 16_000  # pairs a shard matches at a time, whatever the number of shards


def expiry(config: Config) -> timedelta:
    return timedelta(seconds=config.state.lock_expiry_seconds)


def plan_sync_shards(config: Config, shards: int, now: datetime | None = None,
                     connection: str | None = None) -> ShardedPass:
    """Plan one sharded pass of the config's connection: its instant (``now``, default the
    clock), its shards, and whether it reads every record (a new lead definition, or a pass
    that was to read every record and never finished). Takes the connection's sync lock for
    the pass (``LockHeld`` when a sync runs) and records the pass as the connection's
    current one. ``connection`` picks one of the config's connections (default ``[sync]
    connection``); the pass carries its name, and its shards find it in the same config."""
    config = config.for_connection(connection or config.sync.connection)
    connection = config.sync.connection
    until = now or datetime.now(UTC)
    spec = ShardedPass.new(SYNC, connection, until, shards)
    store = StateStore(config.state.url)
    try:
        lease.take(store, SYNC, connection, spec.id, expiry(config))
        try:
            engine = prepare(config)
            try:
                retry_dead_letters_on_new_config(engine, config)
                previous = current_pass(store, connection, SYNC) or {}
                unfinished_full = bool(previous.get("full")) and not previous.get("finished")
                full = adopt(engine) or unfinished_full
            finally:
                engine.store.close()
            spec = ShardedPass(spec.id, SYNC, connection, until, shards, full)
            store.set_job_value(connection, pass_name(SYNC), {**spec.as_json(),
                                                              "finished": False})
        except BaseException:
            lease.give_back(store, SYNC, connection, spec.id)
            raise
    finally:
        store.close()
    log.info("sharded sync planned", connection=connection, pass_id=spec.id, shards=shards,
             until=until.isoformat(), full=spec.full)
    return spec


def run_sync_shard(config: Config, spec: ShardedPass, index: int) -> SyncResult:
    """Run shard ``index`` of ``spec``: the pass's reads (up to the pass's instant; a second
    attempt's, up to its own start), its own pairs' writes, committed per confirmed batch; its
    completion recorded, the cursors left to ``finish_sync_shards``."""
    spec.check(index)
    config = config.for_connection(spec.connection)
    store = StateStore(config.state.url)
    try:
        check_current(store, spec)
        with lease.Lease(store, SYNC, spec.connection, spec.id, expiry(config)), \
                locked(config, spec.shard_job(index)), \
                recorded(config, spec.shard_job(index)) as run:
            until = datetime.now(UTC) if started(store, spec, index) else spec.until
            engine = prepare(config)
            run.watch(engine.systems.values(), from_start=True)
            run.report(lambda: engine.last.as_dict() if engine.last is not None else {})
            try:
                engine.clock = lambda: until
                engine.dead_letters = DeadLetterPolicy(max_attempts=config.sync.max_attempts)
                # a shard keeps about one pair in ``shards`` of each page it matches: pages as
                # many times larger keep its write batches full (a part-filled batch a page
                # was 6% more HubSpot calls in a pass of two shards)
                engine.page_size = min(engine.page_size * spec.shards, MAX_SHARD_PAGE)
                shard = engine.shard = SyncShard(spec, index, engine.store)
                result = engine.run(full=spec.full, run_id=run.id)
            finally:
                engine.store.close()
    finally:
        store.close()
    log.info("sync shard finished", connection=spec.connection, pass_id=spec.id, shard=index,
             shards=spec.shards, kept=shard.kept, left_to_others=shard.left)
    return result


def finish_sync_shards(config: Config, spec: ShardedPass) -> list[int]:
    """When every shard of ``spec`` is complete: move both cursors to the point every shard's
    reads reached, mark the pass finished and give its lock back, and return []. Otherwise move
    nothing and return the shards still to run (run them, then call this again)."""
    config = config.for_connection(spec.connection)
    store = StateStore(config.state.url)
    try:
        check_current(store, spec)
        with lease.Lease(store, SYNC, spec.connection, spec.id, expiry(config)):
            complete = done(store, spec)
            missing = [i for i in range(spec.shards) if i not in complete]
            if missing:
                log.info("sharded sync not finished", connection=spec.connection,
                         pass_id=spec.id, missing=missing)
                return missing
            names: dict[Side, str] = {"marketing": config.marketing[0], "crm": config.crm[0]}
            with store.transaction() as conn:
                for side in SIDES:
                    reached = reached_by_all(shard.cursors.get(side)
                                             for shard in complete.values())
                    cursor = later(store.cursor(spec.connection, names[side]), reached)
                    if cursor is not None:
                        store.save_cursor(spec.connection, names[side], cursor, conn)
                store.set_job_value(spec.connection, pass_name(SYNC),
                                    {**spec.as_json(), "finished": True}, conn)
        lease.give_back(store, SYNC, spec.connection, spec.id)
    finally:
        store.close()
    log.info("sharded sync finished", connection=spec.connection, pass_id=spec.id,
             shards=spec.shards)
    return []
