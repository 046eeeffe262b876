"""Committing confirmed batches from a thread of its own, while the next calls go out.

Delivery hands each confirmed batch (``connector.commit.Confirmed``) to a ``CommitThread``;
its thread commits, in the order they were handed over, every batch waiting at that moment in
one transaction (``Commit.batches``). The sending thread no longer waits for the state store
(PostgreSQL's answers, SQLite's commits) between two answers: on PostgreSQL, that wait was
half of a first sync's time. At most ``backlog`` batches wait uncommitted (``put`` blocks
beyond), so a process killed at any point has at most that many batches, plus the calls in
flight, confirmed by a system and not remembered: the next pass sends them again, which
changes nothing (every write is an upsert by LeadSync's key or an update by id), and their
audit events, kept before they were sent, are recorded once (``Commit.settle``).

A commit that fails stops the thread's commits: the failure is raised to the sending thread
by its next ``put`` and by ``close``.
"""

from __future__ import annotations

import threading
from types import TracebackType

import structlog

from leadsync.connector.commit import Commit, Confirmed

log = structlog.get_logger("leadsync.deliver")


class CommitThread:
    """Commits handed-over batches in order, those waiting together; see the module."""

    def __init__(self, commit: Commit, backlog: int, name: str = "leadsync-commit") -> None:
        self.commit, self.backlog = commit, max(1, backlog)
        self._waiting: list[Confirmed] = []
        self._closing = False
        self._failure: BaseException | None = None
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, item: Confirmed) -> None:
        """Hand over a confirmed batch; waits while ``backlog`` batches wait already."""
        with self._changed:
            while len(self._waiting) >= self.backlog and self._failure is None:
                self._changed.wait()
            if self._failure is not None:
                raise self._failure
            self._waiting.append(item)
            self._changed.notify_all()

    def close(self, raise_failure: bool = True) -> None:
        """Wait until every batch handed over is committed, and end the thread; a commit's
        failure is raised (``raise_failure``), else only logged (another error is on its
        way up, and the batches it stopped are sent again by the next pass)."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._thread.join()
        if self._failure is not None:
            if raise_failure:
                raise self._failure
            log.warning("commit failed too", error=str(self._failure))

    def __enter__(self) -> CommitThread:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close(raise_failure=error is None)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._waiting and not self._closing:
                    self._changed.wait()
                if not self._waiting or self._failure is not None:
                    return
                items, self._waiting = self._waiting, []
                self._changed.notify_all()  # room again for ``put``
            try:
                self.commit.batches(items)
            except BaseException as exc:  # handed to the sending thread
                with self._changed:
                    self._failure = exc
                    self._changed.notify_all()
                return
