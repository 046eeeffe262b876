"""The ledger of agreed values: a pass stopped anywhere loses no edit, in either direction."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from leadsync.connector.errors import ReserveReached, TransientError
from leadsync.connector.mapping import FieldMapping, load_mapping
from leadsync.connector.models import WriteOp, WriteResult
from leadsync.connector.state import StateStore
from leadsync.connector.sync import SyncEngine
from tests.connector.fakes import Clock, FakeSystem
from tests.connector.test_sync import MAPPING


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


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(f"sqlite:///{tmp_path / 'state.db'}")


class StoppingSystem(FakeSystem):
    """A fake system whose writes stop (a kill, a spent daily limit) while ``stopped`` is set."""

    stopped: Exception | None = None

    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        if self.stopped is not None:
            raise self.stopped
        return super().write(ops)


def converged(hub: FakeSystem, crm: StoppingSystem, mapping: FieldMapping, store: StateStore,
              clock: Clock) -> tuple[SyncEngine, str, str]:
    contact = hub.add(email="ada@example.com", lastname="Lovelace", company="Analytical")
    clock.tick()
    sync = SyncEngine(hub, crm, mapping, store, batch_size=2, clock=clock)
    sync.run()
    clock.tick()
    sync.run()
    [lead] = crm.records
    return sync, contact, lead


@pytest.mark.parametrize("stop", [TransientError("connection reset"),
                                  ReserveReached("salesforce", 80, 100, 0.2)],
                         ids=["killed", "daily-limit"])
def test_a_pass_stopped_between_the_two_sides_writes_delivers_both_edits_on_the_next_pass(
        hub: FakeSystem, mapping: FieldMapping, store: StateStore, clock: Clock,
        stop: Exception) -> None:
    crm = StoppingSystem("salesforce", clock, key_field="LeadSync_Id__c", id_field="Id")
    sync, contact, lead = converged(hub, crm, mapping, store, clock)
    hub.edit(contact, company="Analytical Engines")  # bound for Salesforce
    crm.edit(lead, LastName="King")  # bound for HubSpot
    clock.tick()
    crm.stopped = stop
    with pytest.raises(type(stop)):
        sync.run()  # HubSpot's writes went through, Salesforce's did not
    assert hub.records[contact]["lastname"] == "King"
    assert crm.records[lead]["Company"] == "Analytical"

    crm.stopped = None
    clock.tick()
    sync.run()
    assert crm.records[lead]["Company"] == "Analytical Engines"
    assert hub.records[contact]["lastname"] == "King"
    clock.tick()
    writes = hub.write_calls + crm.write_calls
    sync.run()
    assert hub.write_calls + crm.write_calls == writes  # and then it is idle


def test_a_ledger_an_older_leadsync_left_mid_pass_still_delivers_the_edit_it_recorded_as_done(
        hub: FakeSystem, mapping: FieldMapping, store: StateStore, clock: Clock) -> None:
    crm = StoppingSystem("salesforce", clock, key_field="LeadSync_Id__c", id_field="Id")
    sync, contact, lead = converged(hub, crm, mapping, store, clock)
    key = str(crm.records[lead]["LeadSync_Id__c"])
    hub.edit(contact, company="Analytical Engines")
    # What the old commit stored after its HubSpot writes: HubSpot's whole field set, the
    # undelivered edit included, beside Salesforce's values as read.
    store.record_values("default", "hubspot", {key: dict(hub.records[contact])})
    store.record_values("default", "salesforce", {key: dict(crm.records[lead])})
    clock.tick()
    sync.run()
    assert crm.records[lead]["Company"] == "Analytical Engines"


def test_old_ledgers_of_whole_field_sets_read_as_agreed_values_and_stay_idle(
        hub: FakeSystem, mapping: FieldMapping, store: StateStore, clock: Clock) -> None:
    crm = StoppingSystem("salesforce", clock, key_field="LeadSync_Id__c", id_field="Id")
    sync, contact, lead = converged(hub, crm, mapping, store, clock)
    key = str(crm.records[lead]["LeadSync_Id__c"])
    store.record_values("default", "hubspot", {key: dict(hub.records[contact])})
    store.record_values("default", "salesforce", {key: dict(crm.records[lead])})
    hub.edit(contact, lastname="Byron")
    clock.tick()
    writes = hub.write_calls + crm.write_calls
    sync.run()
    assert crm.records[lead]["LastName"] == "Byron"
    assert hub.write_calls + crm.write_calls == writes + 1  # that edit, and nothing else


def test_a_lost_state_store_relinks_by_leadsyncs_key_even_after_an_email_change(
        hub: FakeSystem, mapping: FieldMapping, store: StateStore, clock: Clock,
        tmp_path: Path) -> None:
    crm = StoppingSystem("salesforce", clock, key_field="LeadSync_Id__c", id_field="Id")
    _, contact, lead = converged(hub, crm, mapping, store, clock)
    hub.edit(contact, email="ada.lovelace@example.com")
    clock.tick()
    lost = StateStore(f"sqlite:///{tmp_path / 'new-state.db'}")
    SyncEngine(hub, crm, mapping, lost, batch_size=2, clock=clock).run()
    assert list(hub.records) == [contact] and list(crm.records) == [lead]
    assert crm.records[lead]["Email"] == "ada.lovelace@example.com"
    link = lost.links_by_id("default", "crm", [lead])[lead]
    assert link.marketing_id == contact and link.key == crm.records[lead]["LeadSync_Id__c"]


def test_values_seen_alike_are_agreed_before_the_writes_so_a_stopped_first_sync_keeps_them(
        hub: FakeSystem, mapping: FieldMapping, store: StateStore, clock: Clock) -> None:
    crm = StoppingSystem("salesforce", clock, key_field="LeadSync_Id__c", id_field="Id")
    contact = hub.add(email="ada@example.com", lastname="Lovelace", company="Analytical")
    lead = crm.add(Email="ada@example.com", LastName="Lovelace", Company="Analytical",
                   Status="Open")
    hub.edit(contact, lastname="Byron")  # a write to Salesforce, stopped
    clock.tick()
    sync = SyncEngine(hub, crm, mapping, store, batch_size=2, clock=clock)
    crm.stopped = TransientError("connection reset")
    with pytest.raises(TransientError):
        sync.run()
    crm.stopped = None
    hub.edit(contact, company="Analytical Engines")
    crm.edit(lead, Status="Working")  # Salesforce's record is now the later-modified one
    clock.tick()
    sync.run()
    assert crm.records[lead]["Company"] == "Analytical Engines"  # an edit, not a first contact
