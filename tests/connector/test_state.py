"""The state store keeps cursors, links, ledger, runs and parked records (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from leadsync.connector.errors import ConfigError
from leadsync.connector.models import Cursor
from leadsync.connector.state import SCHEMA_VERSION, Link, StateStore, new_key, schema_version

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def test_schema_is_created_at_open_and_reopening_keeps_data(state_url: str) -> None:
    store = StateStore(state_url)
    assert store.version == SCHEMA_VERSION
    store.save_cursor("default", "hubspot", Cursor(T0, frozenset({"1", "2"})))
    store.close()

    reopened = StateStore(state_url)
    assert reopened.version == SCHEMA_VERSION
    assert reopened.cursor("default", "hubspot") == Cursor(T0, frozenset({"1", "2"}))


def test_a_store_newer_than_this_leadsync_is_refused(state_url: str) -> None:
    store = StateStore(state_url)
    with store.engine.begin() as conn:
        conn.execute(insert(schema_version).values(version=SCHEMA_VERSION + 1))
    with pytest.raises(ConfigError, match="newer than this LeadSync"):
        StateStore(state_url)


def test_cursor_is_absent_until_saved_then_overwritten(state_url: str) -> None:
    store = StateStore(state_url)
    assert store.cursor("default", "salesforce") is None
    store.save_cursor("default", "salesforce", Cursor(T0))
    later = Cursor(T0.replace(hour=10), frozenset({"00Q1"}))
    store.save_cursor("default", "salesforce", later)
    assert store.cursor("default", "salesforce") == later
    assert store.cursor("other", "salesforce") is None


def test_links_are_found_by_either_id_and_by_email_and_updated_by_key(state_url: str) -> None:
    store = StateStore(state_url)
    key = new_key()
    store.save_links("default", [Link(key, "101", None, "ada@example.com")])
    store.save_links("default", [Link(key, "101", "00Q1", "ada@example.com")])

    assert store.links_by_id("default", "marketing", ["101"])["101"].crm_id == "00Q1"
    assert store.links_by_id("default", "crm", ["00Q1", "nope"])["00Q1"].key == key
    assert store.links_by_email("default", ["ada@example.com"])["ada@example.com"].key == key
    assert store.count_links("default") == 1
    assert store.count_links("other") == 0


def test_ledger_remembers_the_agreed_value_per_system_and_field_merging_new_ones_in(
        state_url: str) -> None:
    store = StateStore(state_url)
    store.record_values("default", "salesforce", {"k1": {"Email": "a@x.com", "Phone": "1"}})
    store.record_values("default", "salesforce", {"k1": {"Email": "b@x.com", "Title": None}})
    store.record_values("default", "hubspot", {"k1": {"email": "b@x.com", "score": 12}})

    assert store.ledger("default", ["k1", "k2"]) == {"k1": {
        ("salesforce", "Email"): "b@x.com", ("salesforce", "Phone"): "1",
        ("salesforce", "Title"): None,
        ("hubspot", "email"): "b@x.com", ("hubspot", "score"): 12,
    }}


def test_a_value_holding_a_nul_character_is_remembered_and_merged_like_any_other(
        state_url: str) -> None:
    store = StateStore(state_url)
    store.record_values("default", "hubspot", {"k1": {"company": "A\x00B", "city": "Oslo"},
                                                "k2": {"company": "C"}})
    store.record_values("default", "hubspot", {"k1": {"city": "Bergen\x00"},
                                                "k2": {"city": "Rome"}})

    assert store.ledger("default", ["k1", "k2"]) == {
        "k1": {("hubspot", "company"): "A\x00B", ("hubspot", "city"): "Bergen\x00"},
        "k2": {("hubspot", "company"): "C", ("hubspot", "city"): "Rome"}}


def test_runs_are_recorded_with_their_summary(state_url: str) -> None:
    store = StateStore(state_url)
    run_id = store.start_run("default", "sync")
    store.finish_run(run_id, "ok", {"salesforce": {"created": 3}})
    [run] = store.runs("default")
    assert run["id"] == run_id and run["status"] == "ok" and run["job"] == "sync"
    assert run["summary"] == {"salesforce": {"created": 3}}
    assert run["finished_at"] >= run["started_at"]


def test_a_refused_record_is_parked_counted_on_retry_and_unparked_when_delivered(
        state_url: str) -> None:
    store = StateStore(state_url)
    args = ("default", 1, "salesforce", "k1", None, "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [LastName]", ["LastName"], {"Email": "a@x.com"})
    store.park(*args)
    store.park(*args)
    [item] = store.parked("default")
    assert (item.key, item.code, item.fields, item.attempts) == (
        "k1", "REQUIRED_FIELD_MISSING", ("LastName",), 2)
    assert item.payload == {"Email": "a@x.com"}

    store.unpark("default", "salesforce", ["k1"])
    assert store.parked("default") == []


def test_a_bad_url_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"^state\.url: "):
        StateStore("nosuchdb://x")


def test_an_unreachable_database_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"^state\.url: cannot open"):
        StateStore("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")


def test_adopted_definitions_are_kept_in_order_and_an_unchanged_one_is_not_adopted_twice(
        state_url: str) -> None:
    store = StateStore(state_url)
    assert store.adopt_definition("default", "2026.11-1", "aaaa", "Inbound", ["Tom", "Cyndi"],
                                  "2026-11-02")
    assert not store.adopt_definition("default", "2026.11-1", "aaaa", "Inbound", [], None)
    assert store.adopt_definition("default", "2026.12-1", "bbbb", "Inbound", ["Tom"], None)
    history = store.definition_history("default")
    assert [(h["version"], h["agreed_by"]) for h in history] == [
        ("2026.11-1", ["Tom", "Cyndi"]), ("2026.12-1", ["Tom"])]
    assert store.definition_history("other") == []


def test_a_version_1_store_is_migrated_to_the_current_schema(tmp_path) -> None:
    from sqlalchemy import create_engine

    from leadsync.connector.schema import _MIGRATIONS

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        schema_version.create(conn)
        _MIGRATIONS[1](conn)
        conn.execute(insert(schema_version).values(version=1))
    engine.dispose()
    store = StateStore(url)
    assert store.version == SCHEMA_VERSION == 8
    store.save_fingerprints("default", "hubspot", {"1": "f1"})
    assert store.fingerprints("default", "hubspot", ["1", "2"]) == {"1": "f1"}
    assert store.adopt_definition("default", "v1", "f", "n", [], None)


def test_clocks_audit_events_and_job_values_are_kept(state_url: str) -> None:
    store = StateStore(state_url)
    clock = {"key": "k1", "crm_id": "00Q1", "owner_id": "0051", "status": "pending",
             "handoff_at": T0, "open": True, "clock": {"calls": 0}}
    store.save_clocks("default", [clock])
    store.save_clocks("default", [{**clock, "status": "met", "clock": {"calls": 4}}])
    store.save_clocks("default", [{**clock, "key": "k2", "open": False}])
    assert store.clocks("default") == {"k1": {"crm_id": "00Q1", "owner_id": "0051",
                                              "status": "met", "clock": {"calls": 4},
                                              "handoff_at": T0}}
    assert set(store.clocks("default", open_only=False)) == {"k1", "k2"}

    store.record_events("default", [
        {"key": "k1", "email": "ada@x.example", "at": T0, "event": "handoff",
         "policy": "standard", "reason": "MQL (A, 85)", "details": {"owner": "0051"}},
        {"key": "k1", "email": "ada@x.example", "at": T0, "event": "breach",
         "policy": "standard", "reason": "first touch"}])
    events = store.events("default", email="ada@x.example")
    assert [e["event"] for e in events] == ["handoff", "breach"]
    assert events[0]["details"] == {"owner": "0051"} and events[0]["at"] == T0

    assert store.job_value("default", "round_robin", 0) == 0
    store.set_job_value("default", "round_robin", 3)
    store.set_job_value("default", "round_robin", 4)
    assert store.job_value("default", "round_robin") == 4


def test_the_sql_store_implements_the_store_port(state_url: str) -> None:
    from leadsync.connector.store import Store, SyncState

    store: Store = StateStore(state_url)
    pass_state: SyncState = store
    assert pass_state.cursor("default", "hubspot") is None


def test_an_effect_is_recorded_once_and_read_back_by_key(state_url: str) -> None:
    from leadsync.connector.store import Effect

    store = StateStore(state_url)
    first = Effect("k/1:first_touch:task", "task", "00T1", {"found": False})
    store.record_effect("default", first)
    store.record_effect("default", Effect("k/1:first_touch:task", "task", "00T2", {}))
    store.record_effect("other", Effect("k/1:first_touch:task", "task", "00T3", {}))

    assert store.effects("default", ["k/1:first_touch:task", "k/2:recycle"]) == {
        "k/1:first_touch:task": first}
    assert store.effects("other", ["k/1:first_touch:task"])["k/1:first_touch:task"].target == \
        "00T3"


def test_a_version_5_store_gains_the_seen_table_and_the_email_index(tmp_path) -> None:
    from sqlalchemy import create_engine, inspect, text

    from leadsync.connector.schema import _MIGRATIONS

    url = f"sqlite:///{tmp_path / 'v5.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        schema_version.create(conn)
        for version in range(1, 6):
            _MIGRATIONS[version](conn)
            conn.execute(insert(schema_version).values(version=version))
        conn.execute(text("DROP INDEX ix_links_email"))  # as a version 5 store had it
    assert "ix_links_email" not in {i["name"] for i in inspect(engine).get_indexes("links")}
    engine.dispose()
    store = StateStore(url)
    assert store.version == SCHEMA_VERSION
    assert "ix_links_email" in {i["name"] for i in inspect(store.engine).get_indexes("links")}
    assert store.fingerprints("default", "hubspot", ["1"]) == {}


def test_a_version_7_store_gains_the_audit_indexes_and_a_lead_s_events_are_found_by_them(
        state_url: str) -> None:
    from sqlalchemy import create_engine, inspect, text

    from leadsync.connector.schema import _MIGRATIONS

    engine = create_engine(state_url)
    with engine.begin() as conn:
        schema_version.create(conn)
        for version in range(1, 8):
            _MIGRATIONS[version](conn)
            conn.execute(insert(schema_version).values(version=version))
        for name in ("ix_audit_key", "ix_audit_email"):  # as a version 7 store had it
            conn.execute(text(f"DROP INDEX {name}"))
    assert not inspect(engine).get_indexes("audit")
    engine.dispose()

    store = StateStore(state_url)
    assert store.version == SCHEMA_VERSION
    indexes = {i["name"]: i["column_names"] for i in inspect(store.engine).get_indexes("audit")}
    assert indexes == {"ix_audit_key": ["connection", "key"],
                       "ix_audit_email": ["connection", "email"]}
    store.record_events("default", [{"key": "k1", "email": "ada@x.example", "at": T0,
                                     "event": "handoff"}])
    assert [e["key"] for e in store.events("default", email="ada@x.example")] == ["k1"]
