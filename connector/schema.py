"""The state store's schema: its tables and the migrations that reach the newest version.

The loader side of ``connector.state``: ``SCHEMA_VERSION`` names the newest schema,
``_MIGRATIONS`` the step to each version, and ``migrate`` runs the missing steps when a store
is opened. A store newer than this LeadSync is refused rather than guessed at.

Tables, keyed by ``connection`` (the name of a marketing/CRM pair, so several can share one store):
- ``cursors``: per system, how far its changes were read (see ``connector.models.Cursor``);
- ``links``: one row per lead known to LeadSync, with its key and its id in each system;
- ``ledger``: per lead and system, the mapped field values both systems were last known to
  agree on, as that system holds them (one JSON object; a value is added only once the write
  carrying it is confirmed, or both sides are seen to hold it), so an edit still on its way is
  never taken for a delivered one. Ledgers of earlier versions (the values last read or
  written) read as such: where the two sides' values do not match through the mapping, the
  field counts as never agreed;
- ``runs``: every job run with its summary;
- ``parked``: records a system refused, with the vendor's code and message, retryable;
- ``definitions``: the lead definitions adopted, in order (schema version 2);
- ``sla_clocks``: each handed-off lead's SLA clock; ``audit``: every stamp, breach,
  reassignment and recycle with its policy and reason; ``job_state``: small named values a
  job keeps between runs, such as the round-robin position (schema version 3);
- ``parked`` rows also keep the email, the target's id, a fingerprint of what was sent, the
  last refusal and a retry asked for (``connector.deadletter``); ``run_locks``: one row per job
  and connection while a run holds it (``connector.lock``) (schema version 4).
- ``effects``: each SLA effect done (a task, a notification, a reassignment, a recycle), by its
  action's deterministic key, with what it made, so a repeated sweep never does it again
  (schema version 5).
- ``seen``: per system and record id, the fingerprint of the record as LeadSync last saw or
  wrote it (``connector.echo``), so its own writes read back are recognised; ``links`` are
  indexed by email, which matching asks for a page at a time (schema version 6).
- ``journeys``: one row per lead with the facts reports are made of (``connector.journey``);
  ``clock_history``: each SLA clock a lead's new clock replaced, so none is lost to the reports
  (schema version 7).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeDecorator

from leadsync.connector.errors import ConfigError

SCHEMA_VERSION = 8


class Instant(TypeDecorator[datetime]):
    """A moment, kept in UTC. SQLite keeps a datetime's wall time without its zone, so an
    aware value in another zone is turned to UTC first (10:30 in Paris would read back as
    10:30 UTC); PostgreSQL keeps the moment either way."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value


metadata = MetaData()

schema_version = Table("leadsync_schema", metadata, Column("version", Integer, nullable=False))

cursors = Table(
    "cursors", metadata,
    Column("connection", String(100), primary_key=True),
    Column("system", String(100), primary_key=True),
    Column("cursor", JSON, nullable=False),
    Column("updated_at", Instant(), nullable=False),
)

links = Table(
    "links", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("connection", String(100), nullable=False),
    Column("key", String(64), nullable=False),
    Column("marketing_id", String(64)),
    Column("crm_id", String(64)),
    Column("email", String(320)),
    Column("created_at", Instant(), nullable=False),
    Column("updated_at", Instant(), nullable=False),
    UniqueConstraint("connection", "key", name="uq_links_key"),
    UniqueConstraint("connection", "marketing_id", name="uq_links_marketing"),
    UniqueConstraint("connection", "crm_id", name="uq_links_crm"),
    Index("ix_links_email", "connection", "email"),  # matching by email (schema version 6)
)

ledger = Table(
    "ledger", metadata,
    Column("connection", String(100), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("system", String(100), primary_key=True),
    Column("fields", JSON, nullable=False),
    Column("updated_at", Instant(), nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("connection", String(100), nullable=False),
    Column("job", String(50), nullable=False),
    Column("started_at", Instant(), nullable=False),
    Column("finished_at", Instant()),
    Column("status", String(20), nullable=False),
    Column("summary", JSON),
)

parked = Table(
    "parked", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("connection", String(100), nullable=False),
    Column("run_id", Integer),
    Column("system", String(100), nullable=False),
    Column("key", String(64), nullable=False),
    Column("record_id", String(64)),
    Column("code", String(100), nullable=False),
    Column("message", Text, nullable=False),
    Column("fields", JSON),
    Column("payload", JSON),
    Column("attempts", Integer, nullable=False, default=1),
    Column("status", String(20), nullable=False, default="parked"),
    Column("created_at", Instant(), nullable=False),  # first refused
    Column("updated_at", Instant(), nullable=False),
    Column("email", String(320)),  # schema version 4
    Column("target_id", String(64)),
    Column("fingerprint", String(64)),
    Column("last_at", Instant()),  # last refused
    Column("retry_at", Instant()),  # ``leadsync errors retry``
    UniqueConstraint("connection", "system", "key", name="uq_parked_record"),
)

run_locks = Table(
    "run_locks", metadata,
    Column("job", String(50), primary_key=True),
    Column("connection", String(100), primary_key=True),
    Column("token", String(64), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("run_id", Integer),  # the run it started, once started (``runs``)
    Column("acquired_at", Instant(), nullable=False),
    Column("heartbeat_at", Instant(), nullable=False),
    Column("expires_at", Instant(), nullable=False),
)

definitions = Table(
    "definitions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("connection", String(100), nullable=False),
    Column("version", String(40), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("name", String(255), nullable=False),
    Column("agreed_by", JSON),
    Column("agreed_on", String(10)),
    Column("adopted_at", Instant(), nullable=False),
)

clocks = Table(
    "sla_clocks", metadata,
    Column("connection", String(100), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("crm_id", String(64), nullable=False),
    Column("owner_id", String(64)),
    Column("status", String(20), nullable=False),
    Column("handoff_at", Instant(), nullable=False),
    Column("open", Integer, nullable=False),  # 1 while the clock runs
    Column("clock", JSON, nullable=False),  # connector.sla.Clock as JSON
    Column("updated_at", Instant(), nullable=False),
)

audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("connection", String(100), nullable=False),
    Column("key", String(64), nullable=False),
    Column("email", String(320)),
    Column("at", Instant(), nullable=False),
    Column("event", String(40), nullable=False),
    Column("policy", String(80)),
    Column("reason", Text),
    Column("details", JSON),
    # a lead's story by key or email (``leadsync sla audit``; schema version 8)
    Index("ix_audit_key", "connection", "key"),
    Index("ix_audit_email", "connection", "email"),
)

settings_table = Table(
    "job_state", metadata,
    Column("connection", String(100), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("value", JSON),
)

_PARKED_V4 = ("email", "target_id", "fingerprint", "last_at", "retry_at")


def _dead_letters_and_locks(conn: Connection) -> None:
    """Version 4: the dead-letter columns of ``parked`` (those missing) and ``run_locks``."""
    present = {column["name"] for column in inspect(conn).get_columns("parked")}
    for name in _PARKED_V4:
        if name not in present:
            kind = parked.c[name].type.compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE parked ADD COLUMN {name} {kind}"))
    run_locks.create(conn, checkfirst=True)


effects = Table(
    "effects", metadata,
    Column("connection", String(100), primary_key=True),
    Column("key", String(255), primary_key=True),  # the action's key (sweep_actions.action_key)
    Column("kind", String(20), nullable=False),  # task, notification, reassignment, recycle
    Column("target", String(64)),  # what it made or changed: the task's id, the lead's id
    Column("details", JSON),  # what it set: a reassignment's rep, a recycle's stamp and count
    Column("done_at", Instant(), nullable=False),
)


def _add_effects(conn: Connection) -> None:
    effects.create(conn, checkfirst=True)


seen = Table(
    "seen", metadata,
    Column("connection", String(100), primary_key=True),
    Column("system", String(100), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    Column("fingerprint", String(32), nullable=False),
)


def _seen_and_email_index(conn: Connection) -> None:
    seen.create(conn, checkfirst=True)
    if inspect(conn).has_table(links.name):
        for index in links.indexes:
            index.create(conn, checkfirst=True)


def _audit_indexes(conn: Connection) -> None:
    """The audit trail grows by an event per write: a lead's events found by index."""
    if inspect(conn).has_table(audit.name):
        for index in audit.indexes:
            index.create(conn, checkfirst=True)


journeys = Table(
    "journeys", metadata,
    Column("connection", String(100), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("email", String(320)),
    Column("name", String(255)),
    Column("source", String(255)),
    Column("campaign", String(255)),
    Column("first_judged_at", Instant()),
    Column("version", String(40)),
    Column("qualified", Integer, nullable=False, default=0),
    Column("hot", Integer, nullable=False, default=0),
    Column("excluded", Integer, nullable=False, default=0),
    Column("grade", String(2)),
    Column("score", Integer),
    Column("matched", JSON),
    Column("mql_at", Instant()),
    Column("returned_at", Instant()),
    Column("crm_id", String(64)),
    Column("owner_id", String(64)),
    Column("handed_off_at", Instant()),
    Column("accepted_at", Instant()),
    Column("first_touch_at", Instant()),
    Column("converted_at", Instant()),
    Column("disqualified_at", Instant()),
    Column("recycled_at", Instant()),
    Column("recycle_reason", Text),
    Column("recycle_count", Integer, nullable=False, default=0),
    Column("updated_at", Instant()),
)

clock_history = Table(
    "clock_history", metadata,
    Column("connection", String(100), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("cycle", Integer, primary_key=True),
    Column("crm_id", String(64), nullable=False),
    Column("owner_id", String(64)),
    Column("status", String(20), nullable=False),
    Column("clock", JSON, nullable=False),
    Column("closed_at", Instant(), nullable=False),
)

_MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: lambda conn: metadata.create_all(conn, tables=[cursors, links, ledger, runs, parked]),
    2: lambda conn: definitions.create(conn, checkfirst=True),
    3: lambda conn: metadata.create_all(conn, tables=[clocks, audit, settings_table]),
    4: _dead_letters_and_locks,
    5: _add_effects,
    6: _seen_and_email_index,
    7: lambda conn: metadata.create_all(conn, tables=[journeys, clock_history]),
    8: _audit_indexes,
}


def insert_unless_present(conn: Connection, table: Table) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` into ``table``, in the store's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert
        return postgresql_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert
    return sqlite_insert(table).on_conflict_do_nothing()


def migrate(conn: Connection) -> None:
    """Bring the store behind ``conn`` to ``SCHEMA_VERSION``, one recorded step at a time."""
    schema_version.create(conn, checkfirst=True)
    current = conn.execute(select(func.max(schema_version.c.version))).scalar() or 0
    if current > SCHEMA_VERSION:
        raise ConfigError(
            f"the state store has schema version {current}, newer than this LeadSync "
            f"({SCHEMA_VERSION}); upgrade LeadSync", "state.url")
    for version in range(current + 1, SCHEMA_VERSION + 1):
        _MIGRATIONS[version](conn)
        conn.execute(insert(schema_version).values(version=version))
