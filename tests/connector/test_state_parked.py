"""The dead-letter queue in the state store: what a parked row keeps (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from leadsync.connector.deadletter import DeadLetterPolicy, state
from leadsync.connector.state import SCHEMA_VERSION, StateStore


def park(store: StateStore, key: str = "k1", message: str = "Last Name: data value too large",
         fingerprint: str = "f1") -> None:
    store.park("default", 3, "salesforce", key, "hs1", "STRING_TOO_LONG", message,
               ["LastName"], {"fields": {"LastName": "L" * 5000}}, email="ada@example.com",
               target_id="00Q1", fingerprint=fingerprint)


def test_a_parked_record_keeps_system_code_field_email_both_ids_times_and_attempts(
        state_url: str) -> None:
    store = StateStore(state_url)
    before = datetime.now(UTC)
    park(store)
    [item] = store.parked("default")
    assert (item.system, item.code, item.fields, item.email, item.record_id,
            item.target_id, item.attempts) == (
        "salesforce", "STRING_TOO_LONG", ("LastName",), "ada@example.com", "hs1", "00Q1", 1)
    assert item.first_at is not None and item.last_at is not None
    assert before - timedelta(seconds=1) <= item.first_at <= item.last_at


def test_a_100k_message_and_value_are_stored_cut(state_url: str) -> None:
    store = StateStore(state_url)
    park(store, message="Description: " + "x" * 100_000)
    [item] = store.parked("default")
    assert len(item.message) < 400 and "more characters cut" in item.message
    assert len(item.payload["fields"]["LastName"]) < 1100


def test_the_same_input_refused_again_counts_attempts_and_a_changed_one_starts_again(
        state_url: str) -> None:
    store = StateStore(state_url)
    for _ in range(3):
        park(store)
    assert store.parked("default")[0].attempts == 3
    park(store, fingerprint="f2")
    assert store.parked("default")[0].attempts == 1


def test_retry_makes_a_record_needing_action_due_and_discard_drops_it(state_url: str) -> None:
    store = StateStore(state_url)
    for _ in range(5):
        park(store)
    [item] = store.parked("default")
    policy, now = DeadLetterPolicy(max_attempts=5), datetime.now(UTC)
    assert state(item.entry(), now, policy) == "needs action"

    assert store.retry_parked("default", [item.id]) == 1
    [item] = store.parked("default")
    assert state(item.entry(), datetime.now(UTC), policy) == "due"

    assert store.discard_parked("default", item.id)
    assert store.parked("default") == []
    [dropped] = store.dead_letters("default")
    assert dropped.status == "discarded"
    park(store)  # refused again with the same input: stays discarded
    assert store.parked("default") == []
    park(store, fingerprint="f2")  # its source changed: in the queue again
    assert store.parked("default")[0].attempts == 1


def test_a_delivered_record_leaves_the_queue_and_a_retry_of_all_skips_it(
        state_url: str) -> None:
    store = StateStore(state_url)
    park(store, key="k1")
    park(store, key="k2")
    store.unpark("default", "salesforce", ["k1"])
    assert [p.key for p in store.parked("default")] == ["k2"]
    assert store.retry_parked("default") == 1
    assert store.dead_letter("default", 999) is None


def test_unparking_thousands_of_keys_delivers_the_parked_among_them_and_no_other(
        state_url: str) -> None:
    """A committed page unparks every key it delivered: over one statement's worth (5,000
    on PostgreSQL, 500 on SQLite), keys that need quoting in an array among them."""
    store = StateStore(state_url)
    odd = ['a,"b"', "{brace}", "back\\slash", "NULL"]
    for key in ["k10", "k4999", "k5000", "k6000", *odd, "other"]:
        park(store, key=key)
    keys = [f"k{n}" for n in range(6_001)] + odd
    store.unpark("default", "salesforce", keys)
    assert [p.key for p in store.parked("default")] == ["other"]
    store.unpark("default", "hubspot", ["other"])  # another system's key: not this row
    assert [p.key for p in store.parked("default")] == ["other"]


def test_a_version_3_parked_table_gains_the_dead_letter_columns_and_keeps_its_rows(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v3.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:  # the parked table as schema versions 1 to 3 made it
        conn.execute(text("CREATE TABLE leadsync_schema (version INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO leadsync_schema VALUES (1), (2), (3)"))
        conn.execute(text(
            "CREATE TABLE parked (id INTEGER PRIMARY KEY AUTOINCREMENT, connection VARCHAR(100)"
            " NOT NULL, run_id INTEGER, system VARCHAR(100) NOT NULL, key VARCHAR(64) NOT NULL,"
            " record_id VARCHAR(64), code VARCHAR(100) NOT NULL, message TEXT NOT NULL, fields "
            "JSON, payload JSON, attempts INTEGER NOT NULL, status VARCHAR(20) NOT NULL, "
            "created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, "
            "CONSTRAINT uq_parked_record UNIQUE (connection, system, key))"))
        conn.execute(text(
            "INSERT INTO parked (connection, system, key, record_id, code, message, fields, "
            "payload, attempts, status, created_at, updated_at) VALUES ('default', "
            "'salesforce', 'k1', 'hs1', 'X', 'old', '[]', '{}', 1, 'parked', "
            "'2026-11-02 09:00:00', '2026-11-02 09:00:00')"))
    engine.dispose()
    store = StateStore(url)
    assert store.version == SCHEMA_VERSION
    [old] = store.parked("default")
    assert (old.key, old.email, old.attempts) == ("k1", None, 1)
    park(store, key="k1", fingerprint="")
    assert store.parked("default")[0].email == "ada@example.com"
