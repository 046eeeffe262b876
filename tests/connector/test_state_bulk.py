"""Writes of many rows at once land as one statement per row would have written them
(PostgreSQL sends them as one document; SQLite keeps ``executemany``): on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from leadsync.connector.state import Link, StateStore

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
AWKWARD = ['quote " and \\ backslash', "comma, {brace} (paren)", "é ü 漢字 🙂", "", "null",
           "tab\tnewline\n", "\\u0000 typed, not a NUL"]


def test_values_that_need_escaping_come_back_as_they_went_in(state_url: str) -> None:
    store = StateStore(state_url)
    events = [{"key": f"k{i}", "email": f"{i}@x.example", "at": T0 + timedelta(seconds=i),
               "event": "handoff", "policy": "standard", "reason": value,
               "details": {"value": value, "list": [value, None, 2.5], "none": None}}
              for i, value in enumerate(AWKWARD)]
    store.record_events("default", events)
    store.record_values("default", "hubspot", {
        f"k{i}": {"firstname": value, "empty": None} for i, value in enumerate(AWKWARD)})

    kept = store.events("default")
    assert [(e["key"], e["reason"], e["details"], e["at"]) for e in kept] == [
        (e["key"], e["reason"], e["details"], e["at"]) for e in events]
    assert store.ledger("default", [f"k{i}" for i in range(len(AWKWARD))]) == {
        f"k{i}": {("hubspot", "firstname"): value, ("hubspot", "empty"): None}
        for i, value in enumerate(AWKWARD)}


def test_a_nul_character_in_a_batch_is_kept_with_the_rest_of_it(state_url: str) -> None:
    store = StateStore(state_url)
    store.record_events("default", [
        {"key": "k1", "at": T0, "event": "handoff", "details": {"note": "a\x00b"}},
        {"key": "k2", "at": T0, "event": "handoff", "details": {"note": "plain"}}])
    assert [e["details"]["note"] for e in store.events("default")] == ["a\x00b", "plain"]


def test_a_key_given_twice_in_one_batch_keeps_its_last_row(state_url: str) -> None:
    store = StateStore(state_url)
    clock = {"key": "k1", "crm_id": "00Q1", "owner_id": None, "status": "pending",
             "handoff_at": T0, "open": True, "clock": {"calls": 0}}
    store.save_clocks("default", [clock, {**clock, "status": "met", "clock": {"calls": 2}},
                                  {**clock, "key": "k2", "open": False}])
    assert store.clocks("default", open_only=False) == {
        "k1": {"crm_id": "00Q1", "owner_id": None, "status": "met", "clock": {"calls": 2},
               "handoff_at": T0},
        "k2": {"crm_id": "00Q1", "owner_id": None, "status": "pending",
               "clock": {"calls": 0}, "handoff_at": T0}}


def test_a_json_value_of_none_is_json_null_not_a_missing_value(state_url: str) -> None:
    """As SQLAlchemy's JSON type stores it: a NOT NULL column given None must not refuse."""
    store = StateStore(state_url)
    store.set_job_value("default", "round_robin", None)
    with store.engine.connect() as conn:
        stored = conn.execute(text(
            "SELECT value IS NULL FROM job_state WHERE name = 'round_robin'")).scalar()
    assert stored in (False, 0)
    assert store.job_value("default", "round_robin", "absent") is None


def test_many_rows_over_several_statements_are_all_written_and_updated(state_url: str) -> None:
    store = StateStore(state_url)
    links = [Link(key=f"k{i}", marketing_id=f"m{i}", crm_id=None, email=f"{i}@x.example")
             for i in range(1_234)]
    store.save_links("default", links)
    store.save_links("default", [Link(key=link.key, marketing_id=link.marketing_id,
                                      crm_id=f"00Q{i}", email=link.email)
                                 for i, link in enumerate(links) if i % 2])
    store.save_fingerprints("default", "hubspot", {f"m{i}": f"f{i}" for i in range(1_234)})

    found = store.links_by_id("default", "marketing", [f"m{i}" for i in range(1_234)])
    assert len(found) == 1_234
    assert all(found[f"m{i}"].crm_id == (f"00Q{i}" if i % 2 else None) for i in range(1_234))
    assert store.count_links("default") == 1_234
    assert store.fingerprints("default", "hubspot", ["m0", "m1233", "m9999"]) == {
        "m0": "f0", "m1233": "f1233"}


def test_lookups_find_values_that_need_quoting_in_an_array(state_url: str) -> None:
    """PostgreSQL looks many values up as one array parameter: braces, commas, quotes,
    backslashes, spaces and the word NULL must reach it as themselves."""
    store = StateStore(state_url)
    awkward = ['a,b@x.example', '{brace}@x.example', '"quoted"@x.example', 'back\\slash@x',
               'two words@x.example', 'NULL', 'null', 'é@漢字.example']
    store.save_links("default", [Link(key=f"k{i}", marketing_id=value, crm_id=None,
                                      email=value) for i, value in enumerate(awkward)])
    store.save_fingerprints("default", "hubspot", {value: f"f{i}"
                                                   for i, value in enumerate(awkward)})

    assert sorted(store.links_by_email("default", [*awkward, "absent"])) == sorted(awkward)
    assert sorted(store.links_by_id("default", "marketing", awkward)) == sorted(awkward)
    assert store.fingerprints("default", "hubspot", awkward) == {
        value: f"f{i}" for i, value in enumerate(awkward)}


def test_a_lookup_of_more_values_than_one_statement_takes_finds_them_all(
        state_url: str) -> None:
    store = StateStore(state_url)
    prints = {f"id{i}": f"f{i}" for i in range(5_123)}
    store.save_fingerprints("default", "salesforce", prints)
    assert store.fingerprints("default", "salesforce", [*prints, "absent"]) == prints
    store.record_values("default", "salesforce", {f"k{i}": {"Email": f"{i}@x"}
                                                  for i in range(5_050)})
    ledger = store.ledger("default", [f"k{i}" for i in range(5_050)])
    assert len(ledger) == 5_050 and ledger["k5049"] == {("salesforce", "Email"): "5049@x"}


def test_what_the_fast_encoder_refuses_is_still_kept(state_url: str) -> None:
    """An integer past 64 bits goes through the standard library's JSON."""
    store = StateStore(state_url)
    store.record_events("default", [
        {"key": "k1", "at": T0, "event": "handoff", "details": {"big": 2**70}}])
    store.record_values("default", "hubspot", {"k1": {"score": 2**70, "n": 1.5}})

    [event] = store.events("default")
    assert event["details"] == {"big": 2**70} and event["at"] == T0
    assert store.ledger("default", ["k1"]) == {"k1": {("hubspot", "score"): 2**70,
                                                      ("hubspot", "n"): 1.5}}


def test_an_upserted_value_holding_a_nul_character_is_kept_and_updated(
        state_url: str) -> None:
    store = StateStore(state_url)
    store.set_job_value("default", "note", {"text": "a\x00b"})
    store.set_job_value("default", "note", {"text": "c\x00d"})
    assert store.job_value("default", "note") == {"text": "c\x00d"}


def test_an_instant_given_in_another_zone_is_the_same_instant_read_back(
        state_url: str) -> None:
    """SQLite keeps a wall time without its zone: the store turns instants to UTC first."""
    from zoneinfo import ZoneInfo

    store = StateStore(state_url)
    paris = datetime(2026, 11, 2, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))
    store.record_events("default", [{"key": "k1", "at": paris, "event": "handoff"}])
    store.save_clocks("default", [{"key": "k1", "crm_id": "00Q1", "status": "pending",
                                   "handoff_at": paris, "open": True, "clock": {}}])

    assert store.events("default")[0]["at"] == paris == T0.replace(hour=9)
    assert store.clocks("default")["k1"]["handoff_at"] == paris
