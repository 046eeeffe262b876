"""The state store keeps PostgreSQL's statistics fresh while a first sync grows its tables, so
the planner knows the rows a lookup of a page's keys finds (planned with an empty table's
statistics, it read every row of the connection through the index, for each lookup)."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import select, text

from leadsync.connector.schema import ledger
from leadsync.connector.state import StateStore
from leadsync.connector.state_stats import FIRST
from leadsync.connector.store import Link


def _reltuples(store: StateStore, table: str) -> float:
    with store.engine.connect() as conn:
        return float(conn.execute(text("SELECT reltuples FROM pg_class "
                                       "WHERE oid = to_regclass(:t)"), {"t": table}).scalar())


def _plan(store: StateStore, keys: list[str]) -> str:
    query = select(ledger.c.key, ledger.c.fields).where(
        ledger.c.connection == "default", ledger.c.system == "hubspot", ledger.c.key.in_(keys))
    compiled = query.compile(store.engine, compile_kwargs={"literal_binds": True})
    with store.engine.connect() as conn:
        return "\n".join(row[0] for row in conn.execute(text(f"EXPLAIN {compiled}")))


def _write(store: StateStore, keys: list[str]) -> None:
    """What a sync's commits write, a batch of 100 at a time."""
    for start in range(0, len(keys), 100):
        batch = keys[start:start + 100]
        with store.transaction() as conn:
            store.record_values("default", "hubspot",
                                {key: {"email": f"{key}@example.com"} for key in batch}, conn)
            store.save_links("default", [Link(key, f"h{key}", f"s{key}", None)
                                         for key in batch], conn)


def test_a_table_grown_by_a_bulk_load_is_analyzed_and_its_lookups_use_the_index(
        postgres_url: str) -> None:
    store = StateStore(postgres_url)
    try:
        keys = [uuid.uuid4().hex for _ in range(10 * FIRST)]
        _write(store, keys[:FIRST - 100])
        assert _reltuples(store, "ledger") <= 0  # not analyzed yet: PostgreSQL knows nothing
        _write(store, keys[FIRST - 100:])
        # analyzed at 1,000 rows written, then each time as many more were written (2,000,
        # 4,000, 8,000): PostgreSQL's estimate follows the table as it grows
        assert _reltuples(store, "ledger") >= 8 * FIRST
        assert _reltuples(store, "links") >= 8 * FIRST
        # the planner now knows what a lookup of 100 keys finds (with an empty table's
        # statistics it guessed 1 row, and read the whole connection through the index)
        assert " rows=100 " in _plan(store, keys[:100]).splitlines()[0]
    finally:
        store.close()


def test_a_pass_that_writes_little_analyzes_nothing(postgres_url: str) -> None:
    store = StateStore(postgres_url)
    try:
        _write(store, [uuid.uuid4().hex for _ in range(FIRST - 1)])
        assert _reltuples(store, "ledger") <= 0
    finally:
        store.close()


def test_sqlite_is_left_to_plan_by_its_indexes(tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        _write(store, [uuid.uuid4().hex for _ in range(FIRST + 100)])
        with store.engine.connect() as conn:
            analyzed = conn.execute(text(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar()
        assert analyzed == 0
    finally:
        store.close()


def test_a_user_that_may_not_analyze_gets_one_warning_and_the_writes_go_on(
        postgres_url: str) -> None:
    from sqlalchemy.engine import make_url
    from structlog.testing import capture_logs

    owner = StateStore(postgres_url)  # the tables made by their owner
    role = f"leadsync_writer_{uuid.uuid4().hex[:8]}"
    schema = postgres_url.rsplit("search_path%3D", 1)[1]
    with owner.engine.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"'))
    writer = StateStore(make_url(postgres_url).set(username=role).render_as_string(False))
    try:
        with capture_logs() as logs:
            keys = [uuid.uuid4().hex for _ in range(3 * FIRST)]
            _write(writer, keys)
        warned = [e for e in logs if "statistics" in e["event"]]
        assert len(warned) == 1 and warned[0]["table"] in ("ledger", "links"), logs
        assert "does not own" in warned[0]["error"]
        assert len(writer.ledger("default", keys)) == 3 * FIRST  # every write went through
    finally:
        writer.close()
        with owner.engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        owner.close()
