"""The reconcile job: compare both systems in full and repair drift as the mapping says.

An incremental sync reads what changed since its cursors; a value changed behind LeadSync's
back (a data load that kept old modification times, a restored backup) is never among those
changes. Reconcile runs the sync engine's full pass (every record of both systems, paired by
links, LeadSync's key, then email) with a watcher that reports each write it makes and leaves
alone the leads it cannot repair (``connector.repairs``). It writes the same records as the
sync, so it holds the connection's *sync* lock while it writes, and it records a run of its own
(job ``reconcile``). A dry run takes no lock, records no run and makes no write call: it
reports what it would repair.

A reconcile killed midway leaves what it confirmed committed, batch by batch, as a sync does;
the next one (or the next sync) finds the rest still different and repairs it.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadsync.connector.config import Config
from leadsync.connector.repairs import Repairs
from leadsync.connector.store import Store
from leadsync.connector.sync import Progress, SyncResult
from leadsync.jobs.locking import locked
from leadsync.jobs.runs import recorded
from leadsync.jobs.sync import adopt, prepare, retry_dead_letters_on_new_config

JOB = "reconcile"


@dataclass
class Reconciled:
    """A reconcile's outcome: the pass (counts per system, run id) and its report."""

    sync: SyncResult
    report: Repairs

    @property
    def refused(self) -> int:
        return self.report.counts["refused"]

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.sync.run_id, "dry_run": self.sync.dry_run,
                "status": self.sync.status, **self.report.as_dict(),
                "systems": self.sync.as_dict()}


def run_reconcile(config: Config, dry_run: bool = False, now: datetime | None = None,
                  progress: Progress | None = None) -> Reconciled:
    """One full pass that repairs drift and reports it; ``now`` stands in for the clock."""
    dry_run = dry_run or config.sync.dry_run
    with nullcontext() if dry_run else locked(config, "sync"):
        if not dry_run:
            _close_killed(config)
        with recorded(config, JOB, record=not dry_run) as run:
            engine = prepare(config)
            run.watch(engine.systems.values(), from_start=True)
            if now is not None:
                engine.clock = lambda: now
            report = Repairs(engine.mapping, engine.names, engine.notes, dry_run)
            run.report(lambda: {**(engine.last.as_dict() if engine.last else {}),
                                **report.summary()})
            try:
                if not dry_run:
                    retry_dead_letters_on_new_config(engine, config)
                    adopt(engine)
                result = engine.run(dry_run=dry_run, progress=progress, full=True,
                                    run_id=run.id, watch=report, job=JOB)
                report.shared(engine.duplicates)
                return Reconciled(result, report)
            finally:
                engine.store.close()


def _close_killed(config: Config) -> None:
    from leadsync.connector.state import StateStore

    store = StateStore(config.state.url)
    try:
        close_killed_runs(store, config.sync.connection)
    finally:
        store.close()


def close_killed_runs(store: Store, connection: str) -> None:
    """Mark ``interrupted`` the reconcile runs still ``running``: called holding the sync lock,
    which every reconcile that writes holds, so none of them is running any more (killed).
    Taking the lock marks only the sync's own runs so."""
    for run in store.runs(connection, limit=100):
        if run["job"] == JOB and run["status"] == "running":
            store.finish_run(run["id"], "interrupted", run["summary"] or {})
