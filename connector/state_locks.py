"""The state store's run locks, in SQL (``StateStore`` has these; see ``connector.lock``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from leadsync.connector.lock import Holder
from leadsync.connector.schema import insert_unless_present, run_locks, runs


class RunLocks:
    """The ``run_locks`` table: one row per job and connection while a run holds it."""

    engine: Engine

    def acquire_lock(self, job: str, connection: str, holder: Holder) -> Holder | None:
        """Take the lock in one transaction: insert it, or take over an expired one; None
        when taken, else the holder that keeps it. Taking it marks the job's runs still
        ``running`` (killed ones) ``interrupted``."""
        row = {"job": job, "connection": connection, "token": holder.token,
               "host": holder.host, "pid": holder.pid, "run_id": None,
               "acquired_at": holder.acquired_at,
               "heartbeat_at": holder.heartbeat_at, "expires_at": holder.expires_at}
        where = (run_locks.c.job == job, run_locks.c.connection == connection)
        with self.engine.begin() as conn:
            inserted = insert_unless_present(conn, run_locks).values(**row).returning(
                run_locks.c.token)
            taken = conn.execute(inserted).first() is not None  # rowcount: -1 on psycopg
            if not taken:
                taken = conn.execute(update(run_locks).where(
                    *where, run_locks.c.expires_at < holder.acquired_at).values(
                        **row)).rowcount == 1
            if not taken:
                current = conn.execute(select(run_locks).where(*where)).first()
                assert current is not None  # the insert found it
                return Holder(current.token, current.host, current.pid,
                              _aware(current.acquired_at), _aware(current.heartbeat_at),
                              _aware(current.expires_at), current.run_id)
            conn.execute(update(runs).where(
                runs.c.connection == connection, runs.c.job == job,
                runs.c.status == "running").values(status="interrupted",
                                                   finished_at=holder.acquired_at))
        return None

    def take_over_lock(self, job: str, connection: str, stale_token: str,
                       holder: Holder) -> bool:
        """Replace the lock ``stale_token`` holds (a process known to be gone) with
        ``holder``'s, in one statement: of two runs that try, one wins. Marks the job's runs
        still ``running`` ``interrupted``, as a takeover after expiry does."""
        where = (run_locks.c.job == job, run_locks.c.connection == connection)
        with self.engine.begin() as conn:
            taken = conn.execute(update(run_locks).where(
                *where, run_locks.c.token == stale_token).values(
                    token=holder.token, host=holder.host, pid=holder.pid, run_id=None,
                    acquired_at=holder.acquired_at, heartbeat_at=holder.heartbeat_at,
                    expires_at=holder.expires_at)).rowcount == 1
            if taken:
                conn.execute(update(runs).where(
                    runs.c.connection == connection, runs.c.job == job,
                    runs.c.status == "running").values(status="interrupted",
                                                       finished_at=holder.acquired_at))
        return taken

    def renew_lock(self, job: str, connection: str, token: str, now: datetime,
                   expires_at: datetime) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(update(run_locks).where(
                run_locks.c.job == job, run_locks.c.connection == connection,
                run_locks.c.token == token).values(heartbeat_at=now,
                                                   expires_at=expires_at)).rowcount == 1

    def release_lock(self, job: str, connection: str, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(run_locks).where(
                run_locks.c.job == job, run_locks.c.connection == connection,
                run_locks.c.token == token))


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
