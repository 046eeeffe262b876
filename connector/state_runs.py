"""The state store's runs: one row per job run, with its outcome and summary (``jobs.runs``).

A run is written as ``running`` when it starts and finished with its outcome and summary when
it ends; the job's lock (``run_locks``), while held, names the run it started, so that a lock
taken over from a killed run marks that run ``interrupted`` (``StateStore``'s ``RunLocks``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine, RowMapping

from leadsync.connector.schema import run_locks, runs


class RunRows:
    """The ``runs`` table: start, finish and read runs."""

    engine: Engine

    def start_run(self, connection: str, job: str) -> int:
        """Record a run as started; the job's lock, when held, names it from now on."""
        with self.engine.begin() as conn:
            result = conn.execute(insert(runs).values(
                connection=connection, job=job, started_at=datetime.now(UTC),
                status="running"))
            key = result.inserted_primary_key
            assert key is not None  # an INSERT of one row always has one
            conn.execute(update(run_locks).where(
                run_locks.c.job == job, run_locks.c.connection == connection).values(
                    run_id=int(key[0])))
            return int(key[0])

    def finish_run(self, run_id: int, status: str, summary: Mapping[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(
                finished_at=datetime.now(UTC), status=status, summary=dict(summary)))

    def runs(self, connection: str, limit: int = 20, job: str | None = None
             ) -> list[dict[str, Any]]:
        """The latest runs, newest first; of ``job`` only, when given."""
        query = select(runs).where(runs.c.connection == connection)
        if job is not None:
            query = query.where(runs.c.job == job)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(runs.c.id.desc()).limit(limit)).mappings()
            return [_run(row) for row in rows]

    def last_runs(self, connection: str) -> dict[str, dict[str, Any]]:
        """The latest run of each job on ``connection``, by job."""
        latest = (select(func.max(runs.c.id)).where(runs.c.connection == connection)
                  .group_by(runs.c.job))
        with self.engine.connect() as conn:
            rows = conn.execute(select(runs).where(runs.c.id.in_(latest))).mappings()
            return {row["job"]: _run(row) for row in rows}


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; everything stored is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _run(row: RowMapping) -> dict[str, Any]:
    return {**row, "started_at": _aware(row["started_at"]),
            "finished_at": _aware(row["finished_at"])}
