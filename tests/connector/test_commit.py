"""Committing: refusals parked, pairs that needed no write settled, cursors advanced."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadsync.connector.commit import Commit, SideSummary
from leadsync.connector.models import SIDES, Cursor, Record, Side, WriteOp, WriteResult
from leadsync.connector.plan import Pair, Plan, PlannedWrite, Refusal
from leadsync.connector.state import StateStore

NAMES: dict[Side, str] = {"marketing": "hubspot", "crm": "salesforce"}
FIELDS: dict[Side, list[str]] = {"marketing": ["email", "lastname"], "crm": ["Email", "LastName"]}
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(f"sqlite:///{tmp_path / 'state.db'}")


def commit(store: StateStore, run_id: int | None = 7) -> Commit:
    return Commit(store, "default", NAMES, FIELDS.__getitem__, run_id)


def contact(record_id: str = "hs1", email: str = "Ada@Example.com") -> Record:
    return Record("hubspot", record_id, {"email": email, "lastname": "Lovelace"}, T0)


def test_a_refused_write_is_parked_with_the_vendors_code_and_counted_as_failed(
        store: StateStore) -> None:
    source = contact()
    write = PlannedWrite("crm", WriteOp("k1", {"LastName": ""}), source, create=True)
    summary = SideSummary()
    refused = WriteResult("k1", False, code="REQUIRED_FIELD_MISSING", message="LastName",
                          fields=("LastName",))
    commit(store).batch("crm", [write], [refused], summary, {})
    [parked] = store.parked("default", "salesforce")
    assert (parked.key, parked.record_id, parked.code, parked.fields) == (
        "k1", "hs1", "REQUIRED_FIELD_MISSING", ("LastName",))
    assert summary.failed == 1 and store.count_links("default") == 0


def test_a_confirmed_create_links_the_pair_under_the_email_matching_normalised(
        store: StateStore) -> None:
    source = contact()
    pair = Pair("k1", {"marketing": source, "crm": None}, changed={"marketing"},
                marketing_email="ada@example.com")
    write = PlannedWrite("crm", WriteOp("k1", {"LastName": "Lovelace"}), source, create=True,
                         counterpart_id="hs1",
                         agreed={"crm": {"LastName": "Lovelace"},
                                 "marketing": {"lastname": "Lovelace"}})
    summary = SideSummary()
    commit(store).batch("crm", [write], [WriteResult("k1", True, "00Q1", created=True)],
                        summary, {"k1": pair})
    link = store.link("default", "k1")
    assert link is not None
    assert (link.marketing_id, link.crm_id, link.email) == ("hs1", "00Q1", "ada@example.com")
    assert summary.created == 1
    assert store.ledger("default", ["k1"])["k1"] == {
        ("hubspot", "lastname"): "Lovelace", ("salesforce", "LastName"): "Lovelace"}


def test_a_crm_update_planned_before_its_contact_existed_keeps_the_contact_linked(
        store: StateStore) -> None:
    # A lead of Salesforce alone: one pass creates its HubSpot contact (marketing goes first)
    # and stamps the lead, a write planned when no contact existed (no counterpart id). The
    # second batch must not take the contact's id back off the link.
    lead = Record("salesforce", "00Q1", {"Email": "ada@example.com", "LastName": "Lovelace"},
                  T0)
    pair = Pair("k1", {"marketing": None, "crm": lead}, changed={"crm"},
                crm_email="ada@example.com")
    create = PlannedWrite("marketing", WriteOp("k1", {"lastname": "Lovelace"}), lead,
                          create=True, counterpart_id="00Q1")
    stamp = PlannedWrite("crm", WriteOp("k1", {"LastName": "Lovelace"}, "00Q1"), lead, False,
                         lead)
    committing = commit(store)
    committing.batch("marketing", [create], [WriteResult("k1", True, "hs9", created=True)],
                     SideSummary(), {"k1": pair})
    committing.batch("crm", [stamp], [WriteResult("k1", True, "00Q1")], SideSummary(),
                     {"k1": pair})
    link = store.link("default", "k1")
    assert link is not None and (link.marketing_id, link.crm_id) == ("hs9", "00Q1")


def test_a_confirmed_write_records_as_agreed_only_what_it_carried(store: StateStore) -> None:
    store.record_values("default", "hubspot", {"k1": {"lastname": "Lovelace", "email": "a@x"}})
    store.record_values("default", "salesforce", {"k1": {"LastName": "Lovelace", "Email": "a@x"}})
    source = Record("hubspot", "hs1", {"email": "b@x", "lastname": "King"}, T0)
    current = Record("salesforce", "00Q1", {"Email": "a@x", "LastName": "Lovelace"}, T0)
    write = PlannedWrite("crm", WriteOp("k1", {"LastName": "King"}, "00Q1"), source, False,
                         current, counterpart_id="hs1",
                         agreed={"crm": {"LastName": "King"}, "marketing": {"lastname": "King"}})
    commit(store).batch("crm", [write], [WriteResult("k1", True, "00Q1")], SideSummary(),
                        {"k1": Pair("k1", {"marketing": source, "crm": current})})
    # the email HubSpot holds is still on its way: the ledger keeps the one both agreed on
    assert store.ledger("default", ["k1"])["k1"] == {
        ("hubspot", "lastname"): "King", ("hubspot", "email"): "a@x",
        ("salesforce", "LastName"): "King", ("salesforce", "Email"): "a@x"}


def test_the_plans_own_refusals_are_parked_as_invalid_values(store: StateStore) -> None:
    summaries = {side: SideSummary() for side in SIDES}
    planned = Plan(refusals=[Refusal("marketing", "k1", contact(), "Email", "not an email")])
    commit(store).refusals(planned, summaries)
    [parked] = store.parked("default", "hubspot")
    assert parked.code == "INVALID_VALUE" and parked.message == "Email: not an email"
    assert summaries["marketing"].failed == 1


def test_a_pair_that_needed_no_write_is_settled_and_one_with_a_write_is_left_alone(
        store: StateStore) -> None:
    quiet = Pair("k1", {"marketing": contact(), "crm": None}, changed={"marketing"},
                 marketing_email="ada@example.com")
    busy = Pair("k2", {"marketing": contact("hs2", "b@example.com"), "crm": None})
    planned = Plan(writes=[PlannedWrite("crm", WriteOp("k2", {}), contact("hs2"), True)])
    commit(store).settle([quiet, busy], planned)
    assert store.links_by_email("default", ["ada@example.com"])["ada@example.com"].key == "k1"
    assert store.link("default", "k2") is None


def test_only_the_sides_with_a_cursor_have_it_saved(store: StateStore) -> None:
    commit(store).cursors({"marketing": Cursor(T0), "crm": None})
    assert store.cursor("default", "hubspot") == Cursor(T0)
    assert store.cursor("default", "salesforce") is None
