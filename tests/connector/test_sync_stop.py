"""A pass asked to stop (the scheduler got SIGTERM) ends between two write batches: what was
confirmed is committed, nothing more is sent, the cursors stay, the run is recorded "stopped",
and the next pass finishes the work with nothing lost or written twice."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from leadsync.connector.errors import Stopped
from leadsync.connector.mapping import FieldMapping, load_mapping
from leadsync.connector.state import StateStore
from leadsync.connector.sync import SyncEngine
from tests.connector.fakes import Clock, FakeSystem
from tests.connector.test_deliver_parallel import GUARD, Systems
from tests.connector.test_sync import MAPPING

PEOPLE = 7


@pytest.fixture
def mapping(tmp_path: Path) -> FieldMapping:
    path = tmp_path / "mapping.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return load_mapping(path)


def test_delivery_one_at_a_time_sends_no_batch_after_the_stop(
        tmp_path: Path, mapping: FieldMapping) -> None:
    systems = Systems(tmp_path, parallel=1)
    stop = threading.Event()
    systems.deliver.stop = stop.is_set
    systems.crm.hook = lambda keys: stop.set() if keys == ["k1"] else None

    with pytest.raises(Stopped):
        systems.run(systems.contacts(5), mapping)

    assert systems.events.keys("send", "salesforce") == ["k0", "k1"]
    assert systems.events.keys("commit", "salesforce") == ["k0", "k1"]  # k1 was in hand
    assert systems.linked() == {"k0", "k1"}


def test_delivery_in_parallel_commits_the_calls_in_flight_then_stops(
        tmp_path: Path, mapping: FieldMapping) -> None:
    systems = Systems(tmp_path, parallel=3)
    stop = threading.Event()
    systems.deliver.stop = stop.is_set
    # the stop comes once three calls are in flight, before any answers
    together = threading.Barrier(3, action=stop.set, timeout=GUARD)
    systems.crm.hook = lambda keys: together.wait() if keys in (["k0"], ["k1"], ["k2"]) \
        else None

    with pytest.raises(Stopped):
        systems.run(systems.contacts(12), mapping)

    sent = systems.events.keys("send", "salesforce")
    assert sorted(sent) == ["k0", "k1", "k2"]  # those in flight, and nothing after
    assert sorted(systems.events.keys("commit", "salesforce")) == sorted(sent)
    assert systems.linked() == set(sent)


def test_a_stopped_pass_keeps_its_cursors_and_the_next_pass_finishes_it(
        tmp_path: Path, mapping: FieldMapping) -> None:
    clock = Clock()
    hub = FakeSystem("hubspot", clock, key_field="leadsync_id", id_field="hs_object_id")
    crm = FakeSystem("salesforce", clock, key_field="LeadSync_Id__c", id_field="Id")
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    for i in range(PEOPLE):
        hub.add(email=f"p{i}@example.com", lastname=f"P{i}", company="C", lifecyclestage="lead")
    clock.tick()
    stop = threading.Event()
    real_write = crm.write

    def write_then_stop(ops):  # type: ignore[no-untyped-def]
        answer = real_write(ops)
        stop.set()  # SIGTERM arrives while the first batch is in hand
        return answer

    crm.write = write_then_stop  # type: ignore[method-assign]
    stopped = SyncEngine(hub, crm, mapping, store, batch_size=2, clock=clock).run(
        stop=stop.is_set)

    assert stopped.status == "stopped"
    assert len(crm.records) == 2  # the batch in hand, and no other
    assert store.cursor("default", "hubspot") is None  # the changes are read again next time
    assert store.count_links("default") == 2

    crm.write = real_write  # type: ignore[method-assign]
    clock.tick()
    finished = SyncEngine(hub, crm, mapping, store, batch_size=2, clock=clock).run()

    assert finished.status == "ok"
    assert sorted(r["Email"] for r in crm.records.values()) == [
        f"p{i}@example.com" for i in range(PEOPLE)]  # none twice, none lost
    assert store.cursor("default", "hubspot") is not None
    store.close()
