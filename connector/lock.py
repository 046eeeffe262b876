"""One run at a time: a lock per job and connection, kept in the state store.

A run takes the lock before it reads or writes anything and gives it back when it ends. While
it runs, a heartbeat moves the lock's expiry forward (every third of ``expiry``); a run killed
without giving the lock back stops the heartbeat, and once the lock expires the next run takes
it over (and the store marks the killed run ``interrupted``). A holder on this same machine
whose process is gone (killed with SIGKILL, the machine's OOM killer) is taken over at once,
without waiting for the expiry; a holder elsewhere is trusted until its lock expires. A second
run while the lock is held raises ``LockHeld`` naming the holder: host, process id, run token,
since when.

The store takes the lock in one transaction (an insert that does nothing when a row exists, else
an update of an expired row), so two processes on SQLite or PostgreSQL cannot both win.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Protocol

import structlog

from leadsync.connector.errors import LockHeld
from leadsync.connector.heartbeat import Heartbeat

log = structlog.get_logger("leadsync.lock")

EXPIRY = timedelta(seconds=120)  # ``[state] lock_expiry_seconds``


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a lock, and until when it stands without a heartbeat."""

    token: str  # this run's own id
    host: str
    pid: int
    acquired_at: datetime
    heartbeat_at: datetime
    expires_at: datetime
    run_id: int | None = None  # the run it started (``runs``), once it has

    def describe(self) -> str:
        run = f"run {self.run_id}" if self.run_id is not None else f"run {self.token[:12]}"
        return (f"held by pid {self.pid} on {self.host}, {run}, since "
                f"{self.acquired_at:%Y-%m-%d %H:%M:%S} UTC, expires "
                f"{self.expires_at:%Y-%m-%d %H:%M:%S} UTC unless renewed")


class LockStore(Protocol):
    def acquire_lock(self, job: str, connection: str, holder: Holder) -> Holder | None: ...

    def renew_lock(self, job: str, connection: str, token: str, now: datetime,
                   expires_at: datetime) -> bool: ...

    def take_over_lock(self, job: str, connection: str, stale_token: str,
                       holder: Holder) -> bool: ...

    def release_lock(self, job: str, connection: str, token: str) -> None: ...


def gone(holder: Holder) -> bool:
    """The holder ran on this machine and its process no longer exists."""
    if holder.host != socket.gethostname():
        return False
    try:
        os.kill(holder.pid, 0)  # signal 0: is there such a process? (sends nothing)
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user
        return False
    return False


def me(now: datetime, expiry: timedelta) -> Holder:
    """A holder for this process, fresh."""
    return Holder(uuid.uuid4().hex, socket.gethostname(), os.getpid(), now, now, now + expiry)


class RunLock:
    """``with RunLock(store, "sync", connection):`` runs the block holding the lock."""

    def __init__(self, store: LockStore, job: str, connection: str,
                 expiry: timedelta = EXPIRY,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store, self.job, self.connection = store, job, connection
        self.expiry, self.clock = expiry, clock
        self.holder: Holder | None = None
        self.heartbeat: Heartbeat | None = None  # renews the lock while the block runs

    def __enter__(self) -> RunLock:
        mine = me(self.clock(), self.expiry)
        current = self.store.acquire_lock(self.job, self.connection, mine)
        if current is not None and gone(current) and self.store.take_over_lock(
                self.job, self.connection, current.token, mine):
            log.warning("run lock taken over from a process that is gone", job=self.job,
                        connection=self.connection, pid=current.pid, host=current.host)
            current = None
        if current is not None:
            raise LockHeld(self.job, self.connection, current.describe())
        self.holder = mine
        self.heartbeat = Heartbeat(self.beat, self.expiry, "run lock", job=self.job,
                                   connection=self.connection)
        self.heartbeat.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.holder is not None:
            self.store.release_lock(self.job, self.connection, self.holder.token)
            self.holder = None

    def beat(self) -> bool:
        """Move the expiry forward; False when the lock is no longer ours."""
        assert self.holder is not None
        now = self.clock()
        held = self.store.renew_lock(self.job, self.connection, self.holder.token, now,
                                     now + self.expiry)
        if held:
            self.holder = replace(self.holder, heartbeat_at=now, expires_at=now + self.expiry)
        return held
