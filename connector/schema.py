"""The state store's schema: its tables and the migrations that reach the newest version.

The loader side of ``connector.state``: ``SCHEMA_VERSION`` names the newest schema,
``_MIGRATIONS`` the step to each version, and ``migrate`` runs the missing steps when a store
is opened. A store newer than this LeadSync is refused rather than guessed at.

Tables, keyed by ``connection`` (the name of a marketing/CRM pair, so several can share one store):
- ``cursors``: per system, how far its changes were read (see ``connector.models.Cursor``);
- ``links``: one row per lead known to LeadSync, with its key and its id in each system;
- ``ledger``: per lead and system, the mapped field values last read from or written to that
  system (one JSON object), so an unchanged field is never written again and our own writes
  are recognised when read back;
- ``runs``: every job run with its summary;
- ``parked``: records a system refused, with the vendor's code and message, retryable;
- ``definitions``: the lead definitions adopted, in order (schema version 2);
- ``sla_clocks``: each handed-off lead's SLA clock; ``audit``: every stamp, breach,
  reassignment and recycle with its policy and reason; ``job_state``: small named values a
  job keeps between runs, such as the round-robin position (schema version 3);
- ``effects``: each SLA effect done (a task, a notification, a reassignment, a recycle), by its
  action's deterministic key, with what it made, so a repeated sweep never does it again
  (schema version 4).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Connection

from leadsync.connector.errors import ConfigError

SCHEMA_VERSION = 4

metadata = MetaData()

schema_version = Table("leadsync_schema", metadata, Column("version", Integer, nullable=False))

cursors = Table(
    "cursors", metadata,
    Column("connection", String(100), primary_key=True),
    Column("system", String(100), primary_key=True),
    Column("cursor", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

links = Table(
    "links", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("connection", String(100), nullable=False),
    Column("key", String(64), nullable=False),
    Column("marketing_id", String(64)),
    Column("crm_id", String(64)),
    Column("email", String(320)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("connection", "key", name="uq_links_key"),
    UniqueConstraint("connection", "marketing_id", name="uq_links_marketing"),
    UniqueConstraint("connection", "crm_id", name="uq_links_crm"),
)

ledger = Table(
    "ledger", metadata,
    Column("connection", String(100), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("system", String(100), primary_key=True),
    Column("fields", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("connection", String(100), nullable=False),
    Column("job", String(50), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
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
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("connection", "system", "key", name="uq_parked_record"),
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
    Column("adopted_at", DateTime(timezone=True), nullable=False),
)

clocks = Table(
    "sla_clocks", metadata,
    Column("connection", String(100), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("crm_id", String(64), nullable=False),
    Column("owner_id", String(64)),
    Column("status", String(20), nullable=False),
    Column("handoff_at", DateTime(timezone=True), nullable=False),
    Column("open", Integer, nullable=False),  # 1 while the clock runs
    Column("clock", JSON, nullable=False),  # connector.sla.Clock as JSON
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("connection", String(100), nullable=False),
    Column("key", String(64), nullable=False),
    Column("email", String(320)),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("event", String(40), nullable=False),
    Column("policy", String(80)),
    Column("reason", Text),
    Column("details", JSON),
)

settings_table = Table(
    "job_state", metadata,
    Column("connection", String(100), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("value", JSON),
)

effects = Table(
    "effects", metadata,
    Column("connection", String(100), primary_key=True),
    Column("key", String(255), primary_key=True),  # the action's key (sweep_actions.action_key)
    Column("kind", String(20), nullable=False),  # task, notification, reassignment, recycle
    Column("target", String(64)),  # what it made or changed: the task's id, the lead's id
    Column("details", JSON),  # what it set: a reassignment's rep, a recycle's stamp and count
    Column("done_at", DateTime(timezone=True), nullable=False),
)


def _add_effects(conn: Connection) -> None:
    effects.create(conn, checkfirst=True)


_MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: lambda conn: metadata.create_all(conn, tables=[cursors, links, ledger, runs, parked]),
    2: lambda conn: definitions.create(conn, checkfirst=True),
    3: lambda conn: metadata.create_all(conn, tables=[clocks, audit, settings_table]),
    4: _add_effects,
}


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
