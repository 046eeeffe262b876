"""Matching: changed records paired by stored link, then by normalised email, in pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadsync.connector import match as match_module
from leadsync.connector.match import Matcher
from leadsync.connector.models import Record, Side
from leadsync.connector.state import StateStore
from leadsync.connector.store import Link
from tests.connector.fakes import Clock, FakeSystem

MATCH_FIELDS: dict[Side, str] = {"marketing": "email", "crm": "Email"}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hub(clock: Clock) -> FakeSystem:
    return FakeSystem("hubspot", clock, key_field="leadsync_id", id_field="hs_object_id")


@pytest.fixture
def crm(clock: Clock) -> FakeSystem:
    return FakeSystem("salesforce", clock, key_field="LeadSync_Id__c", id_field="Id")


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(f"sqlite:///{tmp_path / 'state.db'}")


def matcher(hub: FakeSystem, crm: FakeSystem, store: StateStore, page_size: int = 100
            ) -> Matcher:
    systems = {"marketing": hub, "crm": crm}
    return Matcher(store, "default", systems, lambda side: [MATCH_FIELDS[side]], MATCH_FIELDS,
                   page_size)


def record(system: FakeSystem, record_id: str) -> Record:
    return system._record(record_id)


def test_a_stored_link_pairs_a_changed_record_with_its_unchanged_counterpart_read_by_id(
        hub: FakeSystem, crm: FakeSystem, store: StateStore) -> None:
    contact = hub.add(email="ada@example.com")
    lead = crm.add(Email="ada@example.com")
    store.save_links("default", [Link("k1", contact, lead, "ada@example.com")])
    [[pair]] = matcher(hub, crm, store).pairs(
        {"marketing": [[record(hub, contact)]], "crm": []}, {"marketing": False, "crm": False})
    assert pair.key == "k1" and pair.changed == {"marketing"}
    assert pair.records["crm"] is not None and pair.records["crm"].id == lead
    assert (pair.email("marketing"), pair.email("crm")) == ("ada@example.com",) * 2


def test_records_read_on_both_sides_are_paired_by_normalised_email_without_a_lookup(
        hub: FakeSystem, crm: FakeSystem, store: StateStore) -> None:
    contact = hub.add(email=" Ada@Example.com ")
    lead = crm.add(Email="ada@example.COM")
    [[pair]] = matcher(hub, crm, store).pairs(
        {"marketing": [[record(hub, contact)]], "crm": [[record(crm, lead)]]},
        {"marketing": False, "crm": False})
    assert pair.changed == {"marketing", "crm"}
    assert hub.calls == crm.calls == 0


def test_an_unpaired_record_is_looked_up_live_on_the_other_side_by_email(
        hub: FakeSystem, crm: FakeSystem, store: StateStore) -> None:
    contact = hub.add(email="ada@example.com")
    lead = crm.add(Email="ADA@example.com")
    [[pair]] = matcher(hub, crm, store).pairs(
        {"marketing": [[record(hub, contact)]], "crm": []}, {"marketing": False, "crm": False})
    assert pair.records["crm"] is not None and pair.records["crm"].id == lead
    assert pair.changed == {"marketing"} and crm.calls == 1


def test_no_lookup_is_made_on_a_side_read_whole(
        hub: FakeSystem, crm: FakeSystem, store: StateStore) -> None:
    contact = hub.add(email="ada@example.com")
    [[pair]] = matcher(hub, crm, store).pairs(
        {"marketing": [[record(hub, contact)]], "crm": []}, {"marketing": False, "crm": True})
    assert pair.records["crm"] is None and crm.calls == 0


def test_a_record_given_twice_is_paired_once_at_its_latest_version(
        hub: FakeSystem, crm: FakeSystem, store: StateStore) -> None:
    contact = hub.add(email="ada@example.com")
    old = record(hub, contact)
    hub.edit(contact, email="ada@example.com", lastname="Lovelace")
    [[pair]] = matcher(hub, crm, store).pairs(
        {"marketing": [[old], [record(hub, contact)]], "crm": []},
        {"marketing": False, "crm": True})
    assert pair.records["marketing"] == record(hub, contact)


def test_each_records_email_is_normalised_once(
        hub: FakeSystem, crm: FakeSystem, store: StateStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []

    def counting(value: object) -> str | None:
        seen.append(value)
        return str(value).strip().lower() if isinstance(value, str) else None

    monkeypatch.setattr(match_module, "normalize_email", counting)
    contacts = [hub.add(email=f"P{i}@example.com") for i in range(3)]
    crm.add(Email="p0@example.com")  # found by the live lookup
    pages = matcher(hub, crm, store).pairs(
        {"marketing": [[record(hub, c) for c in contacts]], "crm": []},
        {"marketing": False, "crm": False})
    assert len([pair for page in pages for pair in page]) == 3
    assert len(seen) == 4  # three contacts and the lead the lookup found


def test_pairs_are_given_in_pages_of_the_page_size(
        hub: FakeSystem, crm: FakeSystem, store: StateStore) -> None:
    contacts = [record(hub, hub.add(email=f"p{i}@example.com")) for i in range(5)]
    pages = list(matcher(hub, crm, store, page_size=2).pairs(
        {"marketing": [contacts], "crm": []}, {"marketing": False, "crm": True}))
    assert [len(page) for page in pages] == [2, 2, 1]


def test_an_archived_record_never_synced_is_not_matched_by_email_to_a_live_one(
        hub: FakeSystem, crm: FakeSystem, store: StateStore) -> None:
    gone = Record("hubspot", "hs-old", {"email": "ada@example.com"}, record(hub, hub.add(
        email="x@example.com")).modified_at, deleted=True)  # archived, no link, no key
    lead = crm.add(Email="ada@example.com")
    pages = matcher(hub, crm, store).pairs(
        {"marketing": [[gone]], "crm": [[record(crm, lead)]]}, {"marketing": True, "crm": True})
    pairs = [pair for page in pages for pair in page]
    assert all(pair.records["marketing"] is None or not pair.records["marketing"].deleted
               for pair in pairs)  # the live lead is not paired with the archived contact


def test_records_read_on_both_sides_pair_by_email_across_pages(
        hub: FakeSystem, crm: FakeSystem, store: StateStore) -> None:
    """Matching streams: one side is held on disk while the other goes by a page at a time,
    so a record on the last page of one side still meets its counterpart read first."""
    contacts = [record(hub, hub.add(email=f"p{i}@example.com")) for i in range(6)]
    leads = [record(crm, crm.add(Email=f"P{i}@Example.com")) for i in reversed(range(6))]
    pages = list(matcher(hub, crm, store, page_size=2).pairs(
        {"marketing": [contacts[:3], contacts[3:]], "crm": [leads[:4], leads[4:]]},
        {"marketing": True, "crm": True}))
    pairs = [pair for page in pages for pair in page]
    assert len(pairs) == 6 and all(len(page) <= 4 for page in pages)
    for pair in pairs:
        held = pair.records["marketing"], pair.records["crm"]
        assert all(held) and pair.changed == {"marketing", "crm"}
        assert pair.email("marketing") == pair.email("crm")


def test_a_lost_state_store_relinks_by_key_across_pages(
        hub: FakeSystem, crm: FakeSystem, store: StateStore) -> None:
    contacts = [record(hub, hub.add(email=f"p{i}@example.com", leadsync_id=f"k{i}"))
                for i in range(4)]
    leads = [record(crm, crm.add(Email=f"other{i}@example.com", LeadSync_Id__c=f"k{i}"))
             for i in range(4)]
    pages = list(matcher(hub, crm, store, page_size=1).pairs(
        {"marketing": [contacts], "crm": [list(reversed(leads))]},
        {"marketing": True, "crm": True}))
    pairs = sorted((pair for page in pages for pair in page), key=lambda p: p.key)
    assert [pair.key for pair in pairs] == ["k0", "k1", "k2", "k3"]
    assert all(pair.records["marketing"] and pair.records["crm"] for pair in pairs)


def test_records_of_the_held_side_that_share_an_email_are_judged_in_one_page(
        hub: FakeSystem, crm: FakeSystem, store: StateStore) -> None:
    """Leftovers of the held side come with every other leftover of their email, so the
    duplicate rule picks its winner among all of them, not among a page's."""
    leads = [record(crm, crm.add(Email=f"p{i}@example.com")) for i in range(3)]
    leads.append(record(crm, crm.add(Email="p0@example.com")))
    contacts = [record(hub, hub.add(email=f"q{i}@example.com")) for i in range(5)]
    pairing = matcher(hub, crm, store, page_size=1)
    pages = list(pairing.pairs(
        {"marketing": [contacts], "crm": [leads]}, {"marketing": True, "crm": True}))
    with_leads = [[pair for pair in page if pair.records["crm"]] for page in pages]
    with_leads = [page for page in with_leads if page]
    assert [len(page) for page in with_leads] == [1, 1, 1]  # one lead per email
    assert with_leads[0][0].email("crm") == "p0@example.com"
    assert len(pairing.duplicates.warnings()) == 1  # the second p0 lead, named


def test_the_held_side_is_the_one_whose_first_page_is_smaller(
        hub: FakeSystem, crm: FakeSystem, store: StateStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    held: list[int] = []
    original = match_module.Spool.add

    def counting(self: match_module.Spool, entries):  # type: ignore[no-untyped-def]
        entries = list(entries)
        held.extend(1 for _ in entries)
        return original(self, entries)

    monkeypatch.setattr(match_module.Spool, "add", counting)
    contacts = [record(hub, hub.add(email=f"p{i}@example.com")) for i in range(5)]
    lead = record(crm, crm.add(Email="q@example.com"))
    list(matcher(hub, crm, store).pairs({"marketing": [contacts], "crm": [[lead]]},
                                        {"marketing": True, "crm": True}))
    assert len(held) == 1  # the one lead was held, the five contacts streamed
