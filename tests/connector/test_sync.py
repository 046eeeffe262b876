"""The sync pass on in-memory systems: matching, planning, parking, cursors, idempotence."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import pytest

from leadsync.connector.errors import TransientError
from leadsync.connector.mapping import FieldMapping, load_mapping
from leadsync.connector.models import Cursor, FieldValue, Record
from leadsync.connector.state import StateStore
from leadsync.connector.sync import SyncEngine
from tests.connector.fakes import Clock, FakeSystem

MAPPING = """version = 1
[objects]
marketing = "contacts"
crm = "Lead"
[match]
marketing = "email"
crm = "Email"
[[fields]]
marketing = "email"
crm = "Email"
transform = "email"
[[fields]]
marketing = "lastname"
crm = "LastName"
transform = "trim"
[[fields]]
marketing = "company"
crm = "Company"
default_to_crm = "[not provided]"
[[fields]]
marketing = "hs_lead_status"
crm = "Status"
direction = "to_marketing"
[fields.to_marketing]
"Open" = "NEW"
"Working" = "IN_PROGRESS"
[[fields]]
marketing = "lifecyclestage"
crm = "Status"
direction = "to_crm"
only_on_create = true
unmapped = "skip"
[fields.to_crm]
lead = "Open"
"""


@pytest.fixture
def mapping(tmp_path: Path) -> FieldMapping:
    path = tmp_path / "mapping.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return load_mapping(path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hub(clock: Clock) -> FakeSystem:
    return FakeSystem("hubspot", clock, key_field="leadsync_id", id_field="hs_object_id")


def require_last_name(fields: dict[str, FieldValue]) -> tuple[str, str, list[str]] | None:
    if not fields.get("LastName"):
        return ("REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]", ["LastName"])
    return None


@pytest.fixture
def crm(clock: Clock) -> FakeSystem:
    return FakeSystem("salesforce", clock, key_field="LeadSync_Id__c", id_field="Id",
                      validator=require_last_name)


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(f"sqlite:///{tmp_path / 'state.db'}")


def engine(hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
           clock: Clock, batch_size: int = 2) -> SyncEngine:
    return SyncEngine(hub, crm, mapping, store, batch_size=batch_size, clock=clock)


def test_new_contact_is_created_as_a_lead_and_a_rerun_writes_nothing(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    contact = hub.add(email="Ada@Example.com", lastname=" Lovelace ", company="",
                      lifecyclestage="lead")
    clock.tick()
    result = engine(hub, crm, mapping, store, clock).run()

    [(lead_id, lead)] = crm.records.items()
    assert lead == {"Email": "ada@example.com", "LastName": "Lovelace",
                    "Company": "[not provided]", "Status": "Open",
                    "LeadSync_Id__c": lead["LeadSync_Id__c"]}
    assert result.sides["salesforce"].created == 1
    link = store.links_by_id("default", "marketing", [contact])[contact]
    assert link.crm_id == lead_id and link.email == "ada@example.com"

    # Salesforce's Status now flows back to HubSpot's lead status (to_marketing).
    clock.tick()
    engine(hub, crm, mapping, store, clock).run()
    assert hub.records[contact]["hs_lead_status"] == "NEW"

    writes = hub.write_calls + crm.write_calls
    clock.tick()
    again = engine(hub, crm, mapping, store, clock).run()
    assert hub.write_calls + crm.write_calls == writes
    assert again.sides["salesforce"].created == again.sides["salesforce"].updated == 0


def test_a_lead_created_in_the_crm_appears_in_marketing(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    crm.add(Email="grace@navy.example", LastName="Hopper", Company="Navy", Status="Working")
    clock.tick()
    engine(hub, crm, mapping, store, clock).run()
    [contact] = hub.records.values()
    assert contact["email"] == "grace@navy.example"
    assert contact["hs_lead_status"] == "IN_PROGRESS"
    assert "lifecyclestage" not in contact  # that rule flows only to the CRM


def test_records_on_both_sides_are_matched_by_email_not_duplicated(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    hub.add(email="ada@example.com", lastname="Lovelace", company="Analytical")
    crm.add(Email="ADA@example.com", LastName="Lovelace", Company="Analytical", Status="Open")
    clock.tick()
    engine(hub, crm, mapping, store, clock).run()
    assert len(hub.records) == 1 and len(crm.records) == 1
    assert store.count_links("default") == 1


def test_updates_flow_both_ways_as_directions_say(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    contact = hub.add(email="ada@example.com", lastname="Lovelace", company="A",
                      lifecyclestage="lead")
    clock.tick()
    sync = engine(hub, crm, mapping, store, clock)
    sync.run()
    [lead_id] = crm.records
    hub.edit(contact, company="Analytical Engines", lifecyclestage="marketingqualifiedlead")
    crm.edit(lead_id, Status="Working")
    clock.tick()
    sync.run()
    assert crm.records[lead_id]["Company"] == "Analytical Engines"
    assert crm.records[lead_id]["Status"] == "Working"  # lifecycle only sets it on create
    assert hub.records[contact]["hs_lead_status"] == "IN_PROGRESS"


def test_when_both_sides_change_a_field_the_later_change_wins(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    contact = hub.add(email="ada@example.com", lastname="Lovelace", company="A")
    clock.tick()
    sync = engine(hub, crm, mapping, store, clock)
    sync.run()
    [lead_id] = crm.records
    hub.edit(contact, company="From HubSpot")
    crm.edit(lead_id, Company="From Salesforce")  # later
    clock.tick()
    sync.run()
    assert hub.records[contact]["company"] == "From Salesforce"
    assert crm.records[lead_id]["Company"] == "From Salesforce"


def test_a_refused_record_is_parked_the_run_goes_on_and_a_retry_delivers_it(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    hub.add(email="good@example.com", lastname="Good", company="G")
    bad = hub.add(email="bad@example.com", lastname="", company="B")
    clock.tick()
    sync = engine(hub, crm, mapping, store, clock)
    result = sync.run()
    assert result.sides["salesforce"].created == 1 and result.sides["salesforce"].failed == 1
    [parked] = store.parked("default")
    assert (parked.system, parked.record_id, parked.code, parked.fields) == (
        "salesforce", bad, "REQUIRED_FIELD_MISSING", ("LastName",))
    assert store.cursor("default", "hubspot") is not None  # the cursor moved on

    crm.validator = None  # the admin relaxes the rule; the contact itself is unchanged
    clock.tick()
    retry = sync.run()
    assert retry.sides["salesforce"].created == 1
    assert store.parked("default") == []
    assert len(crm.records) == 2


def test_a_value_no_transform_accepts_is_parked_naming_the_field(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    crm.add(Email="not-an-email", LastName="X", Company="Y", Status="Open")
    clock.tick()
    result = engine(hub, crm, mapping, store, clock).run()
    [parked] = store.parked("default")
    assert parked.system == "hubspot" and parked.fields == ("Email",)
    assert "not an email address" in parked.message
    assert result.sides["hubspot"].failed == 1 and hub.records == {}


def test_dry_run_plans_but_writes_nothing_and_keeps_the_cursors(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    hub.add(email="ada@example.com", lastname="Lovelace", company="A")
    clock.tick()
    result = engine(hub, crm, mapping, store, clock).run(dry_run=True)
    assert [w.side for w in result.plan.writes] == ["crm"]
    assert crm.records == {} and crm.write_calls == 0
    assert store.cursor("default", "hubspot") is None and store.runs("default") == []


def test_a_crash_mid_run_resumes_without_duplicates(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    for i in range(5):
        hub.add(email=f"p{i}@example.com", lastname=f"P{i}", company="C")
    clock.tick()
    original_write = crm.write
    calls = {"n": 0}

    def flaky_write(ops):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise TransientError("connection reset")
        return original_write(ops)

    crm.write = flaky_write  # type: ignore[method-assign]
    crashed = engine(hub, crm, mapping, store, clock)
    with pytest.raises(TransientError):
        crashed.run()
    assert len(crm.records) == 2
    assert store.cursor("default", "hubspot") is None  # not advanced past unconfirmed work
    assert crashed.last is not None and crashed.last.status == "failed"
    assert crashed.last.as_dict()["salesforce"]["created"] == 2  # what it did until then

    crm.write = original_write  # type: ignore[method-assign]
    clock.tick()
    engine(hub, crm, mapping, store, clock).run()
    emails = sorted(r["Email"] for r in crm.records.values())
    assert emails == [f"p{i}@example.com" for i in range(5)]


def test_our_own_writes_read_back_are_not_echoed(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    hub.add(email="ada@example.com", lastname="Lovelace", company="A")
    clock.tick()
    sync = engine(hub, crm, mapping, store, clock)
    sync.run()
    sync.run()  # reads back the lead it created and the status it wrote to HubSpot
    before = (hub.write_calls, crm.write_calls)
    clock.tick()
    result = sync.run()
    assert (hub.write_calls, crm.write_calls) == before
    assert result.plan.writes == []


def test_summary_counts_reads_and_calls(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    for i in range(4):
        hub.add(email=f"p{i}@example.com", lastname=f"P{i}", company="C")
    clock.tick()
    result = engine(hub, crm, mapping, store, clock).run()
    assert result.sides["hubspot"].read == 4
    assert result.sides["salesforce"].created == 4
    # users, two batches of 2, then one read-back of the leads created; no lookups
    assert result.sides["salesforce"].calls == 4
    assert result.as_dict()["salesforce"]["created"] == 4
    assert store.runs("default") == []  # the job records runs (jobs.runs), not the engine


def test_a_read_only_target_is_not_written(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    contact = hub.add(email="ada@example.com", lastname="Lovelace", company="A")
    clock.tick()
    sync = engine(hub, crm, mapping, store, clock)
    sync.run()
    [lead_id] = crm.records
    crm.read_only.add(lead_id)  # converted in the CRM
    hub.edit(contact, company="B")
    clock.tick()
    result = sync.run()
    assert crm.records[lead_id]["Company"] == "A"
    assert result.sides["salesforce"].failed == 0


def test_a_run_with_no_changes_asks_for_no_users(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    clock.tick()
    result = engine(hub, crm, mapping, store, clock).run()
    assert result.sides["hubspot"].calls == 0 and result.sides["salesforce"].calls == 0


class CountingSystem(FakeSystem):
    """A fake system that counts the times its changes are read."""

    reads = 0

    def read_changes(self, since: Cursor | None, until: datetime,
                     fields: Sequence[str]) -> Iterator[list[Record]]:
        self.reads += 1
        return super().read_changes(since, until, fields)


def test_a_pass_reads_each_sides_changes_once(
        mapping: FieldMapping, store: StateStore, clock: Clock) -> None:
    hub = CountingSystem("hubspot", clock, key_field="leadsync_id", id_field="hs_object_id")
    crm = CountingSystem("salesforce", clock, key_field="LeadSync_Id__c", id_field="Id",
                         validator=require_last_name)
    contact = hub.add(email="ada@example.com", lastname="Lovelace", company="A")
    hub.add(email="bad@example.com", lastname="", company="B")  # refused: parked
    crm.add(Email="grace@navy.example", LastName="Hopper", Company="Navy", Status="Open")
    clock.tick()
    sync = engine(hub, crm, mapping, store, clock)
    sync.run()
    assert (hub.reads, crm.reads) == (1, 1)
    hub.edit(contact, company="B")  # a linked record changes; its counterpart did not
    clock.tick()
    sync.run()
    assert (hub.reads, crm.reads) == (2, 2)


def test_a_pass_in_pages_of_one_lead_does_what_a_pass_in_one_page_does(
        mapping: FieldMapping, tmp_path: Path) -> None:
    outcomes = []
    for page_size in (1, 10_000):
        clock = Clock()
        hub = FakeSystem("hubspot", clock, key_field="leadsync_id", id_field="hs_object_id")
        crm = FakeSystem("salesforce", clock, key_field="LeadSync_Id__c", id_field="Id",
                         validator=require_last_name)
        for i in range(4):
            hub.add(email=f"p{i}@example.com", lastname=f"P{i}" if i else "", company="C")
        crm.add(Email="p3@example.com", LastName="P3", Company="Old", Status="Working")
        clock.tick()
        store = StateStore(f"sqlite:///{tmp_path / f'state-{page_size}.db'}")
        result = SyncEngine(hub, crm, mapping, store, batch_size=2, clock=clock,
                            page_size=page_size).run()
        counts = {name: {k: v for k, v in vars(side).items() if k != "calls"}
                  for name, side in result.sides.items()}
        outcomes.append((hub.records, crm.records, counts, store.count_links("default"),
                         [p.record_id for p in store.parked("default")]))
    paged, whole = outcomes
    assert paged == whole


# Own writes read back: recognised by fingerprint (connector.echo), no counterpart fetched

def first_sync(hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
               clock: Clock, leads: int = 6) -> SyncEngine:
    for i in range(leads):
        hub.add(email=f"p{i}@example.com", lastname=f"P{i}", company="C")
    clock.tick()
    sync = SyncEngine(hub, crm, mapping, store, batch_size=2, clock=clock)
    sync.run()
    clock.tick()
    return sync


def test_the_pass_after_a_first_sync_reads_its_own_writes_but_fetches_and_writes_nothing(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    sync = first_sync(hub, crm, mapping, store, clock)
    calls = (hub.calls, crm.calls)
    result = sync.run()
    read_pages = (hub.calls - calls[0], crm.calls - calls[1])
    assert result.sides["salesforce"].read == 6  # its own creates, read back...
    assert result.sides["salesforce"].unchanged == 6  # ...and recognised as such
    assert result.plan.writes == []
    # only the change reads: no lookup of a counterpart, no write
    assert read_pages == (-(-result.sides["hubspot"].read // hub.page_size),
                          -(-6 // crm.page_size))


def test_an_edit_made_after_leadsyncs_write_is_not_taken_for_an_echo(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    sync = first_sync(hub, crm, mapping, store, clock)
    lead = next(iter(crm.records))
    crm.edit(lead, LastName="Renamed")
    clock.tick()
    sync.run()
    contact = next(r for r, f in hub.records.items()
                   if f.get("email") == crm.records[lead]["Email"])
    assert hub.records[contact]["lastname"] == "Renamed"


def test_a_record_whose_write_was_refused_is_not_remembered_as_written(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock) -> None:
    """The refused lead keeps its edit pending: the next pass sees the contact as changed."""
    contact = hub.add(email="ada@example.com", lastname="", company="C")  # refused: no name
    clock.tick()
    sync = SyncEngine(hub, crm, mapping, store, batch_size=2, clock=clock)
    sync.run()
    assert crm.records == {} and len(store.parked("default")) == 1
    assert store.fingerprints("default", "hubspot", [contact]) == {}


def test_a_changed_mapping_takes_no_record_for_an_echo(
        hub: FakeSystem, crm: FakeSystem, mapping: FieldMapping, store: StateStore,
        clock: Clock, tmp_path: Path) -> None:
    """A value map changed between passes: the records LeadSync wrote last pass are matched
    and planned again under the new rules, not dropped as its own writes."""
    sync = first_sync(hub, crm, mapping, store, clock)
    path = tmp_path / "changed.toml"
    path.write_text(MAPPING.replace('"Open" = "NEW"', '"Open" = "OPEN"'), encoding="utf-8")
    changed = SyncEngine(hub, crm, load_mapping(path), store, batch_size=2, clock=clock)
    assert changed.print_seed != sync.print_seed
    result = changed.run()
    assert result.sides["salesforce"].read == 6
    assert changed._matcher is not None and changed._matcher.echoes == {"marketing": 0, "crm": 0}
    again = SyncEngine(hub, crm, mapping, store, batch_size=2, clock=clock)
    assert again.print_seed == sync.print_seed  # the same mapping, the same seed
