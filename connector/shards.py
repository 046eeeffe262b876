"""Shards: one connection's sync pass, or SLA sweep, split so that workers take it in parallel.

A sharded sync pass is planned once: its end instant ``until`` (never past the moment it was
planned, as a plain pass never reads past its start) and its number of shards N make a
``ShardedPass``. Shard i of N then runs the ordinary pass, reading the same changes from the same
cursors up to ``until`` and matching them the same way, but keeps only the pairs it owns, so two
shards never write the same lead and nothing is written twice:

- a pair is owned by shard ``owner(pair.key, N)``: a stable hash (BLAKE2b, not Python's
  ``hash()``, which differs between processes) of its key, modulo N;
- the key is the one its link has or will have: the stored link's when the lead was linked by an
  earlier pass, else LeadSync's key on a record (its key field), else the key derived from the
  record it was first seen on (``plan.derived_key``). A pair's first confirmed write stores its
  link under that very key, so a shard that matches the lead after another shard linked it sees
  the same key and the same owner. (An email, for instance, would not do: the same lead would
  be owned by its email before it is linked and by its key after, and two shards running side
  by side would both take it.)

Ownership is decided after the links, keys and emails have paired the records, before the live
lookups of counterparts: a shard looks up, judges, plans and writes only its own pairs, but every
shard repeats the reads of the changes. What that costs depends on the side that is read
(``bench/sync_shards.py``, a first sync of 10,000 people, two shards): Salesforce gives 2,000
leads a read call, so from Salesforce the reads (a dry run's calls) are 9 of the plain pass's
109 calls and two shards make 123; HubSpot's list endpoint gives 100 contacts a call, as many
as a batch write takes, so from HubSpot the reads are 104 of 259 calls and two shards make
378, 107 of the 119 more on HubSpot. Sharding spreads the writes and the work between them;
against one HubSpot budget it does not make a HubSpot-heavy first sync take fewer calls.

A shard commits its links, ledger, fingerprints and parked records per confirmed batch, as a
plain pass does, but it does not move the connection's cursors: it records where its reads
ended (``ShardDone``, in the store's job state, one row per shard number). When every shard of
the pass has done so, the finishing step moves each cursor to the point every shard's reads
reached: the earliest of the shards' cursors. Not the latest: a shard reads when it starts, and
a record changed after one shard read can still carry a stamp before ``until`` when the
vendor's clock lags ours; a shard reading later goes past that stamp, and a cursor moved that
far would skip a change its owner never saw. The earliest costs the next pass a few records
read again, which it recognises as already synced. A shard that died or failed leaves the
cursors where they were.

Running a shard again (it died, failed, or even completed) is safe. The second attempt reads up
to its own start, not ``until``: the first attempt's writes moved the records it wrote past
``until``, and an attempt that stopped there would see one side of a half-written pair as
unchanged and not carry its values (a plain pass run again after a kill reads both as
changes). What it already wrote is recognised (fingerprints, the ledger) and not written
again, and its further reach does not carry the cursors past the other shards'.

An SLA sweep shard takes the leads whose CRM id hashes to it (``owner(crm_id, N)``), with
their clocks, and commits its own clocks, events and effects (``jobs.sla_shards``).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadsync.connector.errors import LeadSyncError
from leadsync.connector.models import SIDES, Cursor, Side
from leadsync.connector.store import Store

__all__ = ["PassOver", "ShardDone", "ShardedPass", "SyncShard", "owner", "reached_by_all"]


class PassOver(LeadSyncError):
    """A shard or finishing step named a pass that is no longer the connection's current one
    (finished, or replaced by a newer pass after it was abandoned); nothing was done."""


def owner(key: str, shards: int) -> int:
    """The shard, 0 to ``shards`` - 1, that owns ``key``: the same in every process."""
    if shards < 1:
        raise ValueError(f"a pass has at least one shard, not {shards}")
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


@dataclass(frozen=True, slots=True)
class ShardedPass:
    """One pass of a job (``sync`` or ``sla``) on a connection, split into ``shards``.

    ``until`` is the pass's instant: the end of a sync's reads, the ``now`` of a sweep. The
    spec travels to the workers as JSON (``as_json``), e.g. in a Celery task's arguments.
    """

    id: str
    job: str
    connection: str
    until: datetime
    shards: int
    full: bool = False  # a sync that reads every record (a new lead definition)

    @classmethod
    def new(cls, job: str, connection: str, until: datetime, shards: int,
            full: bool = False) -> ShardedPass:
        if shards < 1:
            raise ValueError(f"a pass has at least one shard, not {shards}")
        return cls(uuid.uuid4().hex, job, connection, until, shards, full)

    def shard_job(self, index: int) -> str:
        """The run lock and the runs table's name of shard ``index``: ``sync:shard-0-of-2``."""
        self.check(index)
        return f"{self.job}:shard-{index}-of-{self.shards}"

    def check(self, index: int) -> None:
        if not 0 <= index < self.shards:
            raise ValueError(f"pass {self.id} has shards 0 to {self.shards - 1}, not {index}")

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "job": self.job, "connection": self.connection,
                "until": self.until.isoformat(), "shards": self.shards, "full": self.full}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShardedPass:
        return cls(str(data["id"]), str(data["job"]), str(data["connection"]),
                   datetime.fromisoformat(str(data["until"])), int(data["shards"]),
                   bool(data.get("full", False)))


# What the store keeps, in job state (``Store.job_value``): the connection's current pass of
# each job, and one row per shard number saying which pass it last completed.
def pass_name(job: str) -> str:
    return f"{job}_pass"


def shard_name(job: str, index: int) -> str:
    return f"{job}_shard:{index}"


@dataclass(frozen=True, slots=True)
class ShardDone:
    """Where shard ``index`` of pass ``pass_id`` stands: started (an attempt began), and once
    complete, its cursors where its reads ended, by side (None: a side never read)."""

    pass_id: str
    index: int
    cursors: Mapping[Side, Cursor | None]
    run_id: int | None = None
    complete: bool = True

    def as_json(self) -> dict[str, Any]:
        return {"pass": self.pass_id, "index": self.index, "run_id": self.run_id,
                "complete": self.complete,
                "cursors": {side: c.to_json() if c is not None else None
                            for side, c in self.cursors.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShardDone:
        cursors = data.get("cursors") or {}
        return cls(str(data["pass"]), int(data["index"]),
                   {side: Cursor.from_json(cursors[side]) if cursors.get(side) else None
                    for side in SIDES if side in cursors}, data.get("run_id"),
                   bool(data.get("complete", True)))


def current_pass(store: Store, connection: str, job: str) -> dict[str, Any] | None:
    """The connection's current (or last) pass of ``job`` as stored: its spec and
    ``finished``."""
    value = store.job_value(connection, pass_name(job))
    return dict(value) if isinstance(value, Mapping) else None


def check_current(store: Store, spec: ShardedPass) -> None:
    """Raise ``PassOver`` unless ``spec`` is the connection's pass in progress."""
    stored = current_pass(store, spec.connection, spec.job)
    if stored is None or stored.get("id") != spec.id:
        raise PassOver(f"{spec.job} pass {spec.id} on connection {spec.connection!r} is not "
                       f"the current one (a newer pass replaced it); nothing was done")
    if stored.get("finished"):
        raise PassOver(f"{spec.job} pass {spec.id} on connection {spec.connection!r} is "
                       f"already finished; nothing was done")


def recorded(store: Store, spec: ShardedPass, index: int) -> ShardDone | None:
    """What shard ``index`` of ``spec`` recorded: None when no attempt of it began."""
    value = store.job_value(spec.connection, shard_name(spec.job, index))
    if isinstance(value, Mapping) and value.get("pass") == spec.id:
        return ShardDone.from_json(value)
    return None


def done(store: Store, spec: ShardedPass) -> dict[int, ShardDone]:
    """The shards of ``spec`` recorded as complete, by number."""
    return {index: shard for index in range(spec.shards)
            if (shard := recorded(store, spec, index)) is not None and shard.complete}


def started(store: Store, spec: ShardedPass, index: int) -> bool:
    """Record that an attempt of shard ``index`` begins; True when one began before (this is
    a re-run: of a shard that died, failed, or even completed)."""
    before = recorded(store, spec, index) is not None
    if not before:
        record_done(store, spec, ShardDone(spec.id, index, {}, complete=False))
    return before


def record_done(store: Store, spec: ShardedPass, shard: ShardDone) -> None:
    store.set_job_value(spec.connection, shard_name(spec.job, shard.index), shard.as_json())


def reached_by_all(cursors: Iterable[Cursor | None]) -> Cursor | None:
    """The cursor every shard's reads reached: the earliest of the shards' cursors, with the
    records each shard at that instant saw there. None when a shard has none (a side never
    read, where it found nothing): the cursor stays."""
    given = list(cursors)
    if not given or any(c is None for c in given):
        return None
    known = [c for c in given if c is not None]
    earliest = min(c.modified_at for c in known)
    at = [c.seen_at_boundary for c in known if c.modified_at == earliest]
    return Cursor(earliest, frozenset.intersection(*at))


def later(stored: Cursor | None, reached: Cursor | None) -> Cursor | None:
    """The cursor to save: ``reached``, unless the stored one is already past it (a cursor
    never moves back); None when there is nothing to save."""
    if reached is None:
        return None
    if stored is not None and stored.modified_at > reached.modified_at:
        return None
    return reached


class SyncShard:
    """What makes a ``SyncEngine`` pass one shard of a sharded pass: the pairs it keeps, the
    name its run is recorded under, and where its cursors go instead of the store's."""

    def __init__(self, spec: ShardedPass, index: int, store: Store) -> None:
        spec.check(index)
        self.spec, self.index, self.store = spec, index, store
        self.job = spec.shard_job(index)
        self.run_id: int | None = None
        self.kept = 0  # pairs this shard owned and handled
        self.left = 0  # pairs other shards own

    def owns(self, key: str) -> bool:
        mine = owner(key, self.spec.shards) == self.index
        if mine:
            self.kept += 1
        else:
            self.left += 1
        return mine

    def reached(self, cursors: Mapping[Side, Cursor | None]) -> None:
        """Every batch of the shard is confirmed: record that it is complete, with where its
        reads ended; the pass's finishing step moves the cursors."""
        record_done(self.store, self.spec,
                    ShardDone(self.spec.id, self.index, dict(cursors), self.run_id))
