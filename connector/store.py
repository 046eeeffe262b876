"""The state store's port: what the engine and the jobs ask of the place LeadSync remembers.

``SyncState`` is what one sync pass needs (cursors, links, the ledger, parked records, runs,
and a transaction that commits several of them together); ``Store`` adds what the jobs keep
(adopted definitions, SLA clocks, the audit trail, small job values). ``connector.state`` is
the SQL version (SQLite or PostgreSQL); a PostgreSQL-leased or Redis-shared one implements the
same methods.

A write method takes ``conn``: the transaction ``transaction()`` handed out, so that what is
written with it commits at once or not at all; without it the write commits by itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from leadsync.connector.deadletter import Entry
from leadsync.connector.lock import Holder
from leadsync.connector.models import Cursor, FieldValue

Tx = Any  # a transaction handed out by ``transaction()``, opaque to callers


@dataclass(frozen=True, slots=True)
class Link:
    """A lead known to LeadSync: its key, its id on each side, its normalised email."""

    key: str
    marketing_id: str | None
    crm_id: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class ParkedRecord:
    """A record a system refused, kept with the vendor's code and message to be retried."""

    id: int
    system: str
    key: str
    record_id: str | None
    code: str
    message: str
    fields: tuple[str, ...]
    payload: dict[str, Any]
    attempts: int
    status: str  # parked, delivered or discarded (``connector.deadletter``)
    email: str | None = None
    target_id: str | None = None  # the record's id in the system that refused it, if known
    first_at: datetime | None = None
    last_at: datetime | None = None
    retry_at: datetime | None = None
    fingerprint: str = ""

    def entry(self) -> Entry:
        """What the dead-letter policy needs of it."""
        return Entry(self.status, self.attempts, self.last_at or datetime.min.replace(tzinfo=UTC),
                     self.retry_at, self.fingerprint)


@dataclass(frozen=True, slots=True)
class Effect:
    """An effect done once, by its action's key: a task made, a notification delivered, a lead
    reassigned or recycled; ``target`` the id it made or changed, ``details`` what it set."""

    key: str
    kind: str
    target: str | None
    details: dict[str, Any]


Ledger = dict[str, dict[tuple[str, str], FieldValue]]  # key -> (system, field) -> last value


class SyncState(Protocol):
    """What a sync pass reads and commits, per connection."""

    def cursor(self, connection: str, system: str) -> Cursor | None: ...

    def save_cursor(self, connection: str, system: str, cursor: Cursor,
                    conn: Tx = None) -> None: ...

    def links_by_id(self, connection: str, role: str, ids: Iterable[str]) -> dict[str, Link]:
        """Links whose ``role`` id ("marketing" or "crm") is among ``ids``, by that id."""
        ...

    def links_by_email(self, connection: str, emails: Iterable[str]) -> dict[str, Link]: ...

    def save_links(self, connection: str, items: Sequence[Link], conn: Tx = None) -> None: ...

    def ledger(self, connection: str, keys: Iterable[str]) -> Ledger: ...

    def record_values(self, connection: str, system: str,
                      values: Mapping[str, Mapping[str, FieldValue]],
                      conn: Tx = None) -> None: ...

    def fingerprints(self, connection: str, system: str, ids: Iterable[str]
                     ) -> dict[str, str]:
        """The fingerprints remembered for these record ids (``connector.echo``), by id."""
        ...

    def save_fingerprints(self, connection: str, system: str, prints: Mapping[str, str],
                          conn: Tx = None) -> None: ...

    def park(self, connection: str, run_id: int | None, system: str, key: str,
             record_id: str | None, code: str, message: str, fields: Sequence[str],
             payload: Mapping[str, Any], conn: Tx = None, *, email: str | None = None,
             target_id: str | None = None, fingerprint: str = "") -> None: ...

    def unpark(self, connection: str, system: str, keys: Iterable[str],
               conn: Tx = None) -> None: ...

    def parked(self, connection: str, system: str | None = None) -> list[ParkedRecord]: ...

    def start_run(self, connection: str, job: str) -> int: ...

    def finish_run(self, run_id: int, status: str, summary: Mapping[str, Any]) -> None: ...

    def record_events(self, connection: str, events: Sequence[dict[str, Any]],
                      conn: Tx = None) -> None:
        """Append audit events (the sync's confirmed writes, the SLA's stamps and breaches)."""
        ...

    # audit events of batches sent, until their commit (``connector.state_sent``)
    def sent_writes(self, connection: str) -> dict[str, list[dict[str, Any]]]: ...

    def put_sent(self, connection: str, token: str, events: Sequence[dict[str, Any]],
                 conn: Tx = None) -> None: ...

    def drop_sent(self, connection: str, tokens: Iterable[str], conn: Tx = None) -> None: ...

    def transaction(self) -> AbstractContextManager[Tx]: ...

    def close(self) -> None: ...


class Store(SyncState, Protocol):
    """Everything the jobs keep besides a pass's state."""

    def link(self, connection: str, key: str) -> Link | None: ...

    def count_links(self, connection: str) -> int: ...

    def runs(self, connection: str, limit: int = 20, job: str | None = None
             ) -> list[dict[str, Any]]:
        """The latest runs, newest first; of ``job`` only, when given."""
        ...

    def last_runs(self, connection: str) -> dict[str, dict[str, Any]]:
        """The latest run of each job, by job."""
        ...

    def adopt_definition(self, connection: str, version: str, fingerprint: str, name: str,
                         agreed_by: Sequence[str], agreed_on: str | None) -> bool: ...

    def definition_history(self, connection: str) -> list[dict[str, Any]]: ...

    def clocks(self, connection: str, open_only: bool = True,
               keys: Sequence[str] | None = None) -> dict[str, dict[str, Any]]: ...

    def save_clocks(self, connection: str, items: Sequence[dict[str, Any]],
                    conn: Tx = None) -> None: ...

    def events(self, connection: str, key: str | None = None, email: str | None = None
               ) -> list[dict[str, Any]]: ...

    def job_value(self, connection: str, name: str, default: Any = None) -> Any: ...

    def set_job_value(self, connection: str, name: str, value: Any, conn: Tx = None) -> None: ...

    # the dead-letter queue (``connector.deadletter``) and run locks (``connector.lock``)
    def dead_letters(self, connection: str, system: str | None = None,
                     statuses: Sequence[str] = ("parked", "discarded")
                     ) -> list[ParkedRecord]: ...

    def dead_letter(self, connection: str, parked_id: int) -> ParkedRecord | None: ...

    def parked_counts(self, connection: str) -> dict[tuple[str, str], int]:
        """How many records are still parked, by (system, vendor code)."""
        ...

    def retry_parked(self, connection: str, ids: Sequence[int] | None = None,
                     at: datetime | None = None) -> int: ...

    def discard_parked(self, connection: str, parked_id: int) -> bool: ...

    def acquire_lock(self, job: str, connection: str, holder: Holder) -> Holder | None:
        """Take the lock for ``holder`` (None), or the holder that keeps it."""
        ...

    def renew_lock(self, job: str, connection: str, token: str, now: datetime,
                   expires_at: datetime) -> bool: ...

    def take_over_lock(self, job: str, connection: str, stale_token: str,
                       holder: Holder) -> bool:
        """Take the lock from a holder known to be gone; False when someone was faster."""
        ...

    def release_lock(self, job: str, connection: str, token: str) -> None: ...

    def effects(self, connection: str, keys: Iterable[str]) -> dict[str, Effect]:
        """The effects among ``keys`` recorded as done, by key."""
        ...

    def record_effect(self, connection: str, effect: Effect, conn: Tx = None) -> None:
        """Record an effect as done; recording one already recorded changes nothing."""
        ...

    # journeys (``connector.state_facts``): the facts reports read, recorded as they happen
    def record_verdicts(self, connection: str, rows: Sequence[Mapping[str, Any]],
                        conn: Tx = None) -> None:
        """Merge the sync's verdicts into the leads' journeys."""
        ...

    def record_sweep_facts(self, connection: str, rows: Sequence[Mapping[str, Any]],
                           conn: Tx = None) -> None:
        """Merge the SLA sweep's facts into the leads' journeys."""
        ...

    def archive_clock(self, connection: str, key: str, stored: dict[str, Any],
                      conn: Tx = None) -> None:
        """Keep a clock a new one is about to replace (``clock_history``)."""
        ...
