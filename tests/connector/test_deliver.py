"""Delivery: a page's planned writes, leading ones first, in batches each committed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from leadsync.connector.commit import Commit, SideSummary
from leadsync.connector.deliver import Deliver
from leadsync.connector.mapping import FieldMapping, load_mapping
from leadsync.connector.models import SIDES, FieldValue, Record, Side, WriteOp, WriteResult
from leadsync.connector.plan import Pair, Plan, plan
from leadsync.connector.state import StateStore
from leadsync.connector.transforms import TransformContext
from tests.connector.fakes import Clock, FakeSystem
from tests.connector.test_sync import MAPPING, require_last_name

CONTEXTS: dict[Side, TransformContext] = {side: TransformContext() for side in SIDES}
NAMES: dict[Side, str] = {"marketing": "hubspot", "crm": "salesforce"}


@pytest.fixture
def mapping(tmp_path: Path) -> FieldMapping:
    path = tmp_path / "mapping.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return load_mapping(path)


class LoggedSystem(FakeSystem):
    """A fake system that notes each write call's keys, in order, in a shared list."""

    def __init__(self, sent: list[tuple[str, list[str]]], name: str, clock: Clock,
                 key_field: str, id_field: str) -> None:
        super().__init__(name, clock, key_field=key_field, id_field=id_field)
        self.sent = sent

    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        self.sent.append((self.name, [op.key for op in ops]))
        return super().write(ops)


class Systems:
    def __init__(self, tmp_path: Path, batch_size: int = 200) -> None:
        clock = Clock()
        self.sent: list[tuple[str, list[str]]] = []
        self.hub = LoggedSystem(self.sent, "hubspot", clock, "leadsync_id", "hs_object_id")
        self.crm = LoggedSystem(self.sent, "salesforce", clock, "LeadSync_Id__c", "Id")
        self.store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
        self.summaries = {side: SideSummary() for side in SIDES}
        self.progress: list[tuple[str, int, int]] = []
        commit = Commit(self.store, "default", NAMES, lambda side: [], None)
        systems: dict[Side, FakeSystem] = {"marketing": self.hub, "crm": self.crm}
        self.deliver = Deliver(systems, NAMES, batch_size, commit,
                               lambda *step: self.progress.append(step))

    def contacts(self, count: int, **fields: str) -> list[Pair]:
        return [Pair(f"k{i}", {"marketing": self.hub._record(self.hub.add(
            email=f"p{i}@example.com", lastname=f"P{i}", lifecyclestage="lead", **fields)),
            "crm": None}, changed={"marketing"}) for i in range(count)]

    def run(self, pairs: list[Pair], mapping: FieldMapping) -> Plan:
        planned = plan(pairs, mapping, CONTEXTS, NAMES)
        self.deliver.deliver(planned, pairs, self.summaries)
        return planned


def test_leading_writes_go_first_and_the_values_they_carry_back_after_them(
        tmp_path: Path, mapping: FieldMapping) -> None:
    systems = Systems(tmp_path)
    pairs = systems.contacts(2)
    systems.run(pairs, mapping)
    assert systems.sent == [("salesforce", ["k0", "k1"]), ("hubspot", ["k0", "k1"])]
    assert all(f["hs_lead_status"] == "NEW" for f in systems.hub.records.values())
    assert systems.summaries["crm"].created == 2 and systems.summaries["marketing"].updated == 2


def test_a_value_carried_back_is_not_sent_when_the_write_it_follows_was_refused(
        tmp_path: Path, mapping: FieldMapping) -> None:
    systems = Systems(tmp_path)
    systems.crm.validator = require_last_name
    pairs = systems.contacts(1)
    pairs += [Pair("bad", {"marketing": systems.hub._record(systems.hub.add(
        email="bad@example.com", lastname="", lifecyclestage="lead")), "crm": None},
        changed={"marketing"})]
    systems.run(pairs, mapping)
    assert systems.sent == [("salesforce", ["k0", "bad"]), ("hubspot", ["k0"])]
    assert systems.summaries["crm"].failed == 1
    [parked] = systems.store.parked("default")
    assert parked.key == "bad" and parked.code == "REQUIRED_FIELD_MISSING"


def test_writes_go_in_batches_each_committed_and_reported_as_it_is_confirmed(
        tmp_path: Path, mapping: FieldMapping) -> None:
    systems = Systems(tmp_path, batch_size=2)
    systems.run(systems.contacts(3), mapping)
    assert systems.sent[:2] == [("salesforce", ["k0", "k1"]), ("salesforce", ["k2"])]
    assert systems.progress[:2] == [("writing to salesforce", 2, 3),
                                  ("writing to salesforce", 3, 3)]
    assert systems.store.count_links("default") == 3


class AnsweringSystem(LoggedSystem):
    """A fake system whose write answers hold each created record, as HubSpot's do."""

    lookups = 0

    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        results = super().write(ops)
        return [WriteResult(r.key, r.ok, r.id, r.created, record=self._record(r.id))
                if r.ok and r.created and r.id else r for r in results]

    def lookup(self, field: str, values: Sequence[FieldValue], fields: Sequence[str]
               ) -> list[Record]:
        self.lookups += 1
        return super().lookup(field, values, fields)


def test_records_a_write_answered_with_are_not_read_back(
        tmp_path: Path, mapping: FieldMapping) -> None:
    from leadsync.connector.sync import SyncEngine

    clock = Clock()
    sent: list[tuple[str, list[str]]] = []
    hub = LoggedSystem(sent, "hubspot", clock, "leadsync_id", "hs_object_id")
    crm = AnsweringSystem(sent, "salesforce", clock, "LeadSync_Id__c", "Id")
    for i in range(3):
        hub.add(email=f"p{i}@example.com", lastname=f"P{i}", lifecyclestage="lead")
    clock.tick()
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    SyncEngine(hub, crm, mapping, store, batch_size=2, clock=clock).run()
    assert len(crm.records) == 3 and crm.lookups == 0  # no read-back
    # what the answer held still went back in the same pass: the lead status
    assert all(f["hs_lead_status"] == "NEW" for f in hub.records.values())
