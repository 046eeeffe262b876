"""The sync's confirmed writes in the audit trail (``connector.write_audit``, ``Commit``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from leadsync.connector.commit import Commit, SideSummary
from leadsync.connector.models import Record, Side, WriteOp, WriteResult
from leadsync.connector.plan import Pair, Plan, PlannedWrite
from leadsync.connector.state import StateStore
from leadsync.connector.write_audit import confirmed, intended, recovered

NAMES: dict[Side, str] = {"marketing": "hubspot", "crm": "salesforce"}
FIELDS: dict[Side, list[str]] = {"marketing": ["email", "jobtitle"], "crm": ["Email", "Title"]}
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def explain(pair: Pair | None, write: PlannedWrite, name: str) -> tuple[str, str]:
    return "two_way", f"changed in hubspot ({name})"


@pytest.fixture
def store(state_url: str) -> StateStore:  # SQLite and PostgreSQL
    return StateStore(state_url)


def pair_of(key: str, title: str = "CTO") -> tuple[Pair, PlannedWrite]:
    contact = Record("hubspot", f"hs-{key}", {"email": f"{key}@x.example", "jobtitle": title}, T0)
    lead = Record("salesforce", f"00Q-{key}", {"Email": f"{key}@x.example", "Title": "VP"}, T0)
    pair = Pair(key, {"marketing": contact, "crm": lead}, changed={"marketing"},
                marketing_email=f"{key}@x.example", crm_email=f"{key}@x.example")
    write = PlannedWrite("crm", WriteOp(key, {"Title": title}, lead.id), contact, False, lead,
                         agreed={"crm": {"Title": title}, "marketing": {"jobtitle": title}})
    return pair, write


def test_an_update_is_audited_with_before_after_rule_winner_and_why() -> None:
    pair, write = pair_of("ada")
    [event] = confirmed(intended("crm", [write], {"ada": pair}, NAMES, explain, 7), [write],
                        [WriteResult("ada", True, "00Q-ada")], T0)
    assert (event["key"], event["email"], event["event"], event["at"]) == (
        "ada", "ada@x.example", "sync_write", T0)
    assert event["reason"] == "1 field written in salesforce: Title"
    assert event["details"] == {
        "system": "salesforce", "record_id": "00Q-ada", "from": "hubspot",
        "source_id": "hs-ada", "run_id": 7, "carried_back": False,
        "fields": [{"field": "Title", "before": "VP", "after": "CTO", "rule": "two_way",
                    "winner": "hubspot", "why": "changed in hubspot (Title)"}]}


def test_a_verdict_stamp_is_won_by_leadsync_and_a_create_has_no_before() -> None:
    pair, _ = pair_of("ada")
    contact = pair.records["marketing"]
    assert contact is not None
    stamp = PlannedWrite("crm", WriteOp("ada", {"LeadSync_Grade__c": "A"}), contact, True)
    [event] = confirmed(intended("crm", [stamp], {"ada": pair}, NAMES,
                                 lambda *_: ("lead definition", "the verdict"), 7),
                        [stamp], [WriteResult("ada", True, "00Q9", created=True)], T0)
    assert event["event"] == "sync_create" and event["details"]["record_id"] == "00Q9"
    assert event["details"]["fields"] == [{"field": "LeadSync_Grade__c", "after": "A",
                                           "rule": "lead definition", "winner": "leadsync"}]


def test_only_confirmed_writes_make_events() -> None:
    (p1, w1), (p2, w2) = pair_of("ada"), pair_of("bob")
    events = intended("crm", [w1, w2], {"ada": p1, "bob": p2}, NAMES, explain, 7)
    done = confirmed(events, [w1, w2], [WriteResult("ada", False, code="X"),
                                        WriteResult("bob", True, "00Q-bob")], T0)
    assert [e["key"] for e in done] == ["bob"]


def test_a_write_left_uncommitted_is_recovered_only_for_values_found_delivered() -> None:
    pair, write = pair_of("ada")
    [event] = intended("crm", [write], {"ada": pair}, NAMES, explain, 7)
    assert recovered(event, {"Title": "VP"}, "00Q-ada", T0) is None  # never delivered
    found = recovered(event, {"Title": "CTO"}, "00Q-ada", T0)
    assert found is not None and found["event"] == "sync_write"
    assert [f["after"] for f in found["details"]["fields"]] == ["CTO"]
    assert "stopped before its commit" in found["details"]["note"]


def audited(store: StateStore) -> list[dict[str, Any]]:
    return [e for e in store.events("default") if e["event"].startswith("sync_")]


def test_a_committed_batch_records_its_events_and_drops_what_was_kept_before_sending(
        store: StateStore) -> None:
    (p1, w1), (p2, w2) = pair_of("ada"), pair_of("bob")
    pairs = {"ada": p1, "bob": p2}
    commit = Commit(store, "default", NAMES, FIELDS.__getitem__, 7, explain=explain)
    commit.sending("crm", [w1, w2], pairs)
    assert len(store.sent_writes("default")) == 1
    batch = [w1, w2]
    commit.sending("crm", batch, pairs)
    commit.batch("crm", batch, [WriteResult("ada", True, "00Q-ada"),
                                WriteResult("bob", False, code="X", message="no")],
                 SideSummary(), pairs)
    assert [e["key"] for e in audited(store)] == ["ada"]
    assert len(store.sent_writes("default")) == 1  # the first, never committed, is left


def test_the_next_pass_audits_a_left_write_once_and_forgets_it(store: StateStore) -> None:
    pair, write = pair_of("ada")
    first = Commit(store, "default", NAMES, FIELDS.__getitem__, 7, explain=explain)
    first.sending("crm", [write], {"ada": pair})  # sent, then the process died
    delivered = Plan(agreed={"ada": {"crm": {"Title": "CTO"}, "marketing": {"jobtitle": "CTO"}}})
    for run_id in (8, 9):  # the next pass finds it delivered; the one after, nothing left
        Commit(store, "default", NAMES, FIELDS.__getitem__, run_id).settle([pair], delivered)
    [event] = audited(store)
    assert (event["event"], event["details"]["run_id"]) == ("sync_write", 7)
    assert store.sent_writes("default") == {}
