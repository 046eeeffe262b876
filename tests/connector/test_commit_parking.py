"""Committing a refusal: parked with the email and both ids, never recorded as agreed."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadsync.connector.commit import Commit, SideSummary
from leadsync.connector.models import Record, WriteOp, WriteResult
from leadsync.connector.plan import Pair, Plan, PlannedWrite, Refusal
from leadsync.connector.state import StateStore
from leadsync.connector.store import Link
from tests.connector.test_commit import FIELDS, NAMES, T0


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(f"sqlite:///{tmp_path / 'state.db'}")


def linked_pair() -> tuple[Pair, Record, Record]:
    contact = Record("hubspot", "hs1", {"email": "Ada@Example.com", "lastname": "L" * 81}, T0)
    lead = Record("salesforce", "00Q1", {"Email": "ada@example.com", "LastName": "Lovelace"}, T0)
    pair = Pair("k1", {"marketing": contact, "crm": lead}, changed={"marketing"},
                link=Link("k1", "hs1", "00Q1", "ada@example.com"),
                marketing_email="ada@example.com", crm_email="ada@example.com")
    return pair, contact, lead


def test_a_refused_update_is_parked_with_the_email_and_both_ids_and_no_value_is_agreed(
        store: StateStore) -> None:
    pair, contact, lead = linked_pair()
    write = PlannedWrite("crm", WriteOp("k1", {"LastName": "L" * 81}, target_id="00Q1"),
                         contact, create=False, current=lead, counterpart_id="hs1")
    refused = WriteResult("k1", False, code="STRING_TOO_LONG",
                          message="Last Name: data value too large: " + "L" * 100_000,
                          fields=("LastName",))
    Commit(store, "default", NAMES, FIELDS.__getitem__, 7).batch(
        "crm", [write], [refused], SideSummary(), {"k1": pair})
    [parked] = store.parked("default")
    assert (parked.email, parked.record_id, parked.target_id) == ("ada@example.com", "hs1",
                                                                  "00Q1")
    assert len(parked.message) < 400 and parked.fingerprint
    assert store.ledger("default", ["k1"]) == {}


def test_a_value_the_plan_refused_is_parked_with_the_email_and_the_linked_target(
        store: StateStore) -> None:
    pair, contact, _ = linked_pair()
    planned = Plan(refusals=[Refusal("crm", "k1", contact, "Email", "not an email")])
    Commit(store, "default", NAMES, FIELDS.__getitem__, 7).refusals(
        planned, {"marketing": SideSummary(), "crm": SideSummary()}, [pair])
    [parked] = store.parked("default", "salesforce")
    assert (parked.email, parked.record_id, parked.target_id, parked.code) == (
        "ada@example.com", "hs1", "00Q1", "INVALID_VALUE")
    assert store.ledger("default", ["k1"]) == {}


def test_a_parked_pair_that_now_needs_no_write_leaves_the_queue_as_delivered(
        store: StateStore) -> None:
    pair, _, _ = linked_pair()  # refused once; since then both sides came to agree
    store.park("default", 7, "salesforce", "k1", "hs1", "STRING_TOO_LONG", "too long",
               ["LastName"], {}, email="ada@example.com", target_id="00Q1")
    store.park("default", 7, "hubspot", "other", "00Q9", "INVALID", "bad", [], {})

    Commit(store, "default", NAMES, FIELDS.__getitem__, 8).settle([pair], Plan())

    assert [p.key for p in store.parked("default")] == ["other"]  # k1 left; "other" did not
