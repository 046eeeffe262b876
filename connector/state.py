"""The state store: cursors, links, the sync ledger, runs and parked records, in SQL.

SQLAlchemy 2 Core over a SQLite file by default, PostgreSQL by URL. ``StateStore`` implements
the port in ``connector.store`` (what the engine and the jobs ask of a store); the tables and
the migrations run at open time live in ``connector.schema``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Table,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from leadsync.connector.errors import ConfigError
from leadsync.connector.models import Cursor
from leadsync.connector.schema import (
    SCHEMA_VERSION,
    audit,
    clocks,
    cursors,
    definitions,
    effects,
    insert_unless_present,
    links,
    migrate,
    schema_version,
    settings_table,
)
from leadsync.connector.state_bulk import among, bulk_insert, bulk_upsert, chunks, lookup_size
from leadsync.connector.state_facts import JourneyFacts
from leadsync.connector.state_ledger import LedgerRows
from leadsync.connector.state_locks import RunLocks
from leadsync.connector.state_parked import ParkedRows
from leadsync.connector.state_runs import RunRows
from leadsync.connector.state_seen import SeenRecords
from leadsync.connector.state_sent import SentWrites
from leadsync.connector.state_stats import TableStatistics
from leadsync.connector.store import Effect, Link, ParkedRecord

__all__ = ["SCHEMA_VERSION", "Link", "ParkedRecord", "StateStore", "links", "new_key",
           "schema_version"]


_MIGRATION_LOCK = 0x1EAD5  # the PostgreSQL advisory lock a migration holds


def new_key() -> str:
    """A fresh LeadSync key: the external id every write is an upsert by."""
    return uuid.uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; everything we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


OPEN_ATTEMPTS = 40  # tries at opening a store another process is creating, 35 s in all


def _sqlite_pragmas(connection: Any, _: Any) -> None:
    """Write-ahead logging, synced at checkpoints: a commit survives a killed process (the
    operating system holds it) without waiting for the disk each time; a power cut may lose
    the last commits, never the file's consistency. Readers do not wait for a writer."""
    if getattr(connection, "in_transaction", False):  # a connection handed over mid-way
        return
    cursor = connection.cursor()
    try:
        if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "memory":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class StateStore(ParkedRows, RunLocks, RunRows, SeenRecords, JourneyFacts, SentWrites,
                 LedgerRows, TableStatistics):
    """Where LeadSync remembers what it has seen and done, for one or more connections.

    The dead-letter queue (``parked``) is ``ParkedRows``'s, the run locks ``RunLocks``'s, the
    runs ``RunRows``'s, the fingerprints of records seen ``SeenRecords``'s, the values both
    sides agreed on ``LedgerRows``'s; the statistics
    PostgreSQL plans by are kept fresh by ``TableStatistics``."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        try:
            self.engine = engine or create_engine(url, future=True, pool_pre_ping=True)
        except (ArgumentError, ImportError) as exc:
            raise ConfigError(f"cannot use state store URL: {exc}", "state.url") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._start_statistics()
        try:
            self._open()
        except OperationalError as exc:
            raise ConfigError(f"cannot open the state store: {exc.orig}", "state.url") from exc
        except DatabaseError as exc:  # a file that is not SQLite, or a damaged one
            raise ConfigError(_damaged(self.engine, exc), "state.url") from exc

    def _check_file(self) -> None:
        """A SQLite file is checked whole (pages, indexes) before a run trusts it."""
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.connect() as conn:
            problems = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise ConfigError(_damaged(self.engine, "; ".join(problems[:3])), "state.url")

    def _open(self) -> None:
        """Check and migrate the store once, even when several processes open a new store at
        the same moment: PostgreSQL serialises them on an advisory lock; SQLite says it is
        locked (a busy wait cannot help a reader that must become the writer), and the whole
        step is tried again, for half a minute at most, as long as a migration can take on a
        busy machine."""
        for attempt in range(1, OPEN_ATTEMPTS + 1):
            try:
                self._check_file()
                with self.engine.begin() as conn:
                    if self.engine.dialect.name == "postgresql":
                        conn.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
                    migrate(conn)
                return
            except OperationalError as exc:
                # locked: another process migrates; already exists: it created a table
                # between this one's check and its create
                busy = "locked" in str(exc.orig) or "already exists" in str(exc.orig)
                if not busy or attempt == OPEN_ATTEMPTS:
                    raise
                time.sleep(min(0.1 * attempt, 1.0))

    @property
    def version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(schema_version.c.version))).scalar() or 0)

    # cursors
    def cursor(self, connection: str, system: str) -> Cursor | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(cursors.c.cursor).where(
                cursors.c.connection == connection, cursors.c.system == system)).first()
        return Cursor.from_json(row[0]) if row else None

    def save_cursor(self, connection: str, system: str, cursor: Cursor,
                    conn: Connection | None = None) -> None:
        with self._tx(conn) as tx:
            done = tx.execute(update(cursors).where(
                cursors.c.connection == connection, cursors.c.system == system,
            ).values(cursor=cursor.to_json(), updated_at=_now())).rowcount
            if not done:
                tx.execute(insert(cursors).values(connection=connection, system=system,
                                                  cursor=cursor.to_json(), updated_at=_now()))

    # links
    def links_by_id(self, connection: str, role: str, ids: Iterable[str]) -> dict[str, Link]:
        """Links whose ``role`` id ("marketing" or "crm") is among ``ids``, by that id."""
        column = links.c.marketing_id if role == "marketing" else links.c.crm_id
        found: dict[str, Link] = {}
        dialect = self.engine.dialect
        with self.engine.connect() as conn:
            for chunk in chunks(list(ids), lookup_size(dialect)):
                rows = conn.execute(select(links).where(
                    links.c.connection == connection, among(column, chunk, dialect))).mappings()
                for row in rows:
                    found[row[column.name]] = _link(row)
        return found

    def links_by_email(self, connection: str, emails: Iterable[str]) -> dict[str, Link]:
        found: dict[str, Link] = {}
        dialect = self.engine.dialect
        with self.engine.connect() as conn:
            for chunk in chunks(list(emails), lookup_size(dialect)):
                rows = conn.execute(select(links).where(
                    links.c.connection == connection,
                    among(links.c.email, chunk, dialect))).mappings()
                found.update({row["email"]: _link(row) for row in rows})
        return found

    def link(self, connection: str, key: str) -> Link | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(links).where(
                links.c.connection == connection, links.c.key == key)).mappings().first()
        return _link(row) if row else None

    def save_links(self, connection: str, items: Sequence[Link],
                   conn: Connection | None = None) -> None:
        """Insert or update links by key, in one statement per chunk."""
        if not items:
            return
        now = _now()
        rows = [{"connection": connection, "key": link.key, "marketing_id": link.marketing_id,
                 "crm_id": link.crm_id, "email": link.email, "created_at": now,
                 "updated_at": now} for link in {link.key: link for link in items}.values()]
        with self._tx(conn) as tx:
            for chunk in chunks(rows, 500):
                self._upsert(tx, links, chunk, ["connection", "key"],
                             ["marketing_id", "crm_id", "email", "updated_at"])

    def count_links(self, connection: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(links).where(
                links.c.connection == connection)).scalar() or 0)

    def _upsert(self, tx: Connection, table: Table, rows: list[dict[str, Any]],
                keys: list[str], changing: list[str]) -> None:
        """INSERT ... ON CONFLICT DO UPDATE, in the dialect of the store."""
        self._grew(table, len(rows))
        if self.engine.dialect.name == "postgresql":
            bulk_upsert(tx, table, rows, keys, changing)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert
            lite = sqlite_insert(table)
            tx.execute(lite.on_conflict_do_update(
                index_elements=keys, set_={name: lite.excluded[name] for name in changing}), rows)

    # lead definitions
    def adopt_definition(self, connection: str, version: str, fingerprint: str, name: str,
                         agreed_by: Sequence[str], agreed_on: str | None) -> bool:
        """Record a definition as in force; False if it already was (same content)."""
        history = self.definition_history(connection)
        if history and history[-1]["fingerprint"] == fingerprint:
            return False
        with self.engine.begin() as conn:
            conn.execute(insert(definitions).values(
                connection=connection, version=version, fingerprint=fingerprint, name=name,
                agreed_by=list(agreed_by), agreed_on=agreed_on, adopted_at=_now()))
        return True

    def definition_history(self, connection: str) -> list[dict[str, Any]]:
        """Every definition adopted for ``connection``, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(definitions).where(
                definitions.c.connection == connection).order_by(definitions.c.id)).mappings()
            return [{**row, "adopted_at": _aware(row["adopted_at"])} for row in rows]

    # SLA clocks
    def clocks(self, connection: str, open_only: bool = True,
               keys: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
        """Clocks by lead key: ``{"crm_id", "owner_id", "status", "clock"}``; with ``keys``,
        those leads' only."""
        query = select(clocks).where(clocks.c.connection == connection)
        if open_only:
            query = query.where(clocks.c.open == 1)
        if keys is not None:
            query = query.where(clocks.c.key.in_(list(keys)))
        with self.engine.connect() as conn:
            return {row.key: {"crm_id": row.crm_id, "owner_id": row.owner_id,
                              "status": row.status, "clock": row.clock,
                              "handoff_at": _aware(row.handoff_at)}
                    for row in conn.execute(query)}

    def save_clocks(self, connection: str, items: Sequence[dict[str, Any]],
                    conn: Connection | None = None) -> None:
        """Insert or update clocks: dicts with key, crm_id, owner_id, status, handoff_at,
        open (bool) and clock (JSON)."""
        now = _now()
        rows = [{"connection": connection, "key": i["key"], "crm_id": i["crm_id"],
                 "owner_id": i.get("owner_id"), "status": i["status"],
                 "handoff_at": i["handoff_at"], "open": 1 if i["open"] else 0,
                 "clock": i["clock"], "updated_at": now} for i in items]
        with self._tx(conn) as tx:
            for chunk in chunks(rows, 500):
                self._upsert(tx, clocks, chunk, ["connection", "key"],
                             ["crm_id", "owner_id", "status", "open", "clock", "updated_at"])

    # audit
    def record_events(self, connection: str, events: Sequence[dict[str, Any]],
                      conn: Connection | None = None) -> None:
        """Append audit events: dicts with key, email, at, event, policy, reason, details."""
        if not events:
            return
        rows = [{"connection": connection, "key": e["key"], "email": e.get("email"),
                 "at": e["at"], "event": e["event"], "policy": e.get("policy"),
                 "reason": e.get("reason"), "details": e.get("details") or {}} for e in events]
        with self._tx(conn) as tx:
            if self.engine.dialect.name == "postgresql":
                for chunk in chunks(rows, 500):
                    bulk_insert(tx, audit, chunk)
            else:
                tx.execute(insert(audit), rows)

    def events(self, connection: str, key: str | None = None, email: str | None = None
               ) -> list[dict[str, Any]]:
        query = select(audit).where(audit.c.connection == connection)
        if key is not None:
            query = query.where(audit.c.key == key)
        if email is not None:
            query = query.where(audit.c.email == email)
        with self.engine.connect() as conn:
            return [{**row, "at": _aware(row["at"])}
                    for row in conn.execute(query.order_by(audit.c.id)).mappings()]

    # small job state
    def job_value(self, connection: str, name: str, default: Any = None) -> Any:
        with self.engine.connect() as conn:
            row = conn.execute(select(settings_table.c.value).where(
                settings_table.c.connection == connection,
                settings_table.c.name == name)).first()
        return row[0] if row else default

    def set_job_value(self, connection: str, name: str, value: Any,
                      conn: Connection | None = None) -> None:
        with self._tx(conn) as tx:
            self._upsert(tx, settings_table, [{"connection": connection, "name": name,
                                               "value": value}], ["connection", "name"],
                         ["value"])

    # effects done once (SLA tasks, notifications, reassignments, recycles)
    def effects(self, connection: str, keys: Iterable[str]) -> dict[str, Effect]:
        found: dict[str, Effect] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(list(dict.fromkeys(keys)), 500):
                for row in conn.execute(select(effects).where(
                        effects.c.connection == connection, effects.c.key.in_(chunk))):
                    found[row.key] = Effect(row.key, row.kind, row.target, row.details or {})
        return found

    def record_effect(self, connection: str, effect: Effect,
                      conn: Connection | None = None) -> None:
        row = {"connection": connection, "key": effect.key, "kind": effect.kind,
               "target": effect.target, "details": dict(effect.details), "done_at": _now()}
        with self._tx(conn) as tx:
            tx.execute(insert_unless_present(tx, effects), row)

    def transaction(self) -> Any:
        """One transaction for several writes (``with store.transaction() as conn``)."""
        return self._begin()

    def _tx(self, conn: Connection | None) -> Any:
        """A transaction: ``conn``'s when the caller has one open, else a new one."""
        return nullcontext(conn) if conn is not None else self._begin()

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn
        self._refresh_statistics()  # committed: the tables it grew may be analyzed


    def close(self) -> None:
        self.engine.dispose()


def _damaged(engine: Engine, why: object) -> str:
    orig = getattr(why, "orig", why)
    where = engine.url.database or engine.url.render_as_string(hide_password=True)
    return (f"the state store {where} is not a readable SQLite database ({orig}): restore it "
            f"from a backup, or move it away and point state.url at a new file")


def _link(row: RowMapping) -> Link:
    return Link(key=row["key"], marketing_id=row["marketing_id"], crm_id=row["crm_id"],
                email=row["email"])
