"""Delivery with several calls in flight: a page's batches go out ``parallel`` at a time, each
committed in this thread as its answer arrives; carried-back values wait for the writes they
follow; a failure stops sending, commits what the calls in flight confirmed, then is raised.

Calls are held and released by events, never by sleeping; a held call that is never released
would fail the test through the barrier's or event's deadlock guard, not pass it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent import futures
from pathlib import Path
from typing import Any

import pytest

from leadsync.connector import deliver as deliver_module
from leadsync.connector.commit import Commit, Confirmed, SideSummary
from leadsync.connector.deliver import Deliver
from leadsync.connector.errors import ReserveReached, TransientError
from leadsync.connector.mapping import FieldMapping, load_mapping
from leadsync.connector.models import SIDES, Side, WriteOp, WriteResult
from leadsync.connector.plan import Pair, Plan, plan
from leadsync.connector.state import StateStore
from leadsync.connector.transforms import TransformContext
from tests.connector.fakes import Clock, FakeSystem
from tests.connector.test_sync import MAPPING

CONTEXTS: dict[Side, TransformContext] = {side: TransformContext() for side in SIDES}
NAMES: dict[Side, str] = {"marketing": "hubspot", "crm": "salesforce"}
GUARD = 30.0  # seconds a held call waits at most: a deadlock guard, never reached when it works
Hook = Callable[[list[str]], None]


@pytest.fixture
def mapping(tmp_path: Path) -> FieldMapping:
    path = tmp_path / "mapping.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return load_mapping(path)


class Events:
    """What happened, in order, across threads: ("send" | "commit", system, keys)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, list[str]]] = []
        self._lock = threading.Lock()
        self._awaited: dict[tuple[str, str, tuple[str, ...]], threading.Event] = {}

    def when(self, what: str, system: str, keys: list[str]) -> threading.Event:
        """An event set once this happens."""
        happened = self._awaited[(what, system, tuple(keys))] = threading.Event()
        return happened

    def note(self, what: str, system: str, keys: list[str]) -> None:
        with self._lock:
            self.seen.append((what, system, keys))
            happened = self._awaited.get((what, system, tuple(keys)))
        if happened is not None:
            happened.set()

    def keys(self, what: str, system: str) -> list[str]:
        return [key for w, s, keys in self.seen if (w, s) == (what, system) for key in keys]

    def index(self, what: str, system: str, key: str) -> int:
        return next(i for i, (w, s, keys) in enumerate(self.seen)
                    if (w, s) == (what, system) and key in keys)


class ParallelSystem(FakeSystem):
    """A fake system that takes calls from several threads, counts how many are in flight at
    once, and runs ``hook`` (which may hold or raise) on each call's keys before answering."""

    def __init__(self, events: Events, name: str, clock: Clock, key_field: str,
                 id_field: str) -> None:
        super().__init__(name, clock, key_field=key_field, id_field=id_field)
        self.events = events
        self.hook: Hook | None = None
        self.in_flight = self.most_in_flight = 0
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        keys = [op.key for op in ops]
        self.events.note("send", self.name, keys)
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.threads.add(threading.current_thread().name)
        try:
            if self.hook is not None:
                self.hook(keys)
            with self._lock:
                return super().write(ops)
        finally:
            with self._lock:
                self.in_flight -= 1


class NotedCommit(Commit):
    def __init__(self, events: Events, *args: Any) -> None:
        super().__init__(*args)
        self.events = events

    def batches(self, confirmed_batches: Sequence[Confirmed]) -> None:
        super().batches(confirmed_batches)
        for item in confirmed_batches:
            self.events.note("commit", self.names[item.side], [w.op.key for w in item.batch])


class Systems:
    def __init__(self, tmp_path: Path, parallel: int, batch_size: int = 1) -> None:
        clock = Clock()
        self.events = Events()
        self.hub = ParallelSystem(self.events, "hubspot", clock, "leadsync_id", "hs_object_id")
        self.crm = ParallelSystem(self.events, "salesforce", clock, "LeadSync_Id__c", "Id")
        self.store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
        self.summaries = {side: SideSummary() for side in SIDES}
        self.progress: list[tuple[str, int, int]] = []
        self.commit = NotedCommit(self.events, self.store, "default", NAMES, lambda side: [],
                                  None)
        self.deliver = Deliver({"marketing": self.hub, "crm": self.crm}, NAMES, batch_size,
                               self.commit, lambda *step: self.progress.append(step),
                               {"marketing": parallel, "crm": parallel})

    def contacts(self, count: int) -> list[Pair]:
        return [Pair(f"k{i}", {"marketing": self.hub._record(self.hub.add(
            email=f"p{i}@example.com", lastname=f"P{i}", lifecyclestage="lead")),
            "crm": None}, changed={"marketing"}) for i in range(count)]

    def run(self, pairs: list[Pair], mapping: FieldMapping) -> Plan:
        planned = plan(pairs, mapping, CONTEXTS, NAMES)
        self.deliver.deliver(planned, pairs, self.summaries)
        return planned

    def linked(self) -> set[str]:
        return {key for key in (f"k{i}" for i in range(100))
                if self.store.link("default", key) is not None}


def stop_on_failure(monkeypatch: pytest.MonkeyPatch, release: threading.Event) -> None:
    """Release ``release`` once delivery has been handed a failed call: the calls held on it
    then answer only after delivery knows of the failure, so the test does not race it."""
    real_wait = futures.wait

    def wait(fs: Any, timeout: float | None = None, return_when: str = futures.ALL_COMPLETED
             ) -> Any:
        answered = real_wait(fs, timeout, return_when)
        if any(f.exception() is not None for f in answered.done):
            release.set()
        return answered

    monkeypatch.setattr(deliver_module, "wait", wait)


def test_with_parallel_4_four_calls_are_in_flight_at_once_and_all_are_committed(
        tmp_path: Path, mapping: FieldMapping) -> None:
    systems = Systems(tmp_path, parallel=4)
    together = threading.Barrier(4, timeout=GUARD)

    def meet(keys: list[str]) -> None:
        together.wait()  # each call answers only once three others are in flight with it

    systems.crm.hook = meet

    systems.run(systems.contacts(8), mapping)

    assert systems.crm.most_in_flight == 4
    assert systems.linked() == {f"k{i}" for i in range(8)}
    assert systems.summaries["crm"].created == 8 and systems.summaries["marketing"].updated == 8
    assert sorted(systems.events.keys("commit", "salesforce")) == [f"k{i}" for i in range(8)]
    assert [done for phase, done, _ in systems.progress if phase == "writing to salesforce"] == [
        1, 2, 3, 4, 5, 6, 7, 8]


def test_with_parallel_1_calls_go_one_at_a_time_in_the_calling_thread(
        tmp_path: Path, mapping: FieldMapping) -> None:
    systems = Systems(tmp_path, parallel=1)

    systems.run(systems.contacts(5), mapping)

    assert systems.crm.most_in_flight == 1 and systems.hub.most_in_flight == 1
    assert systems.crm.threads == systems.hub.threads == {threading.current_thread().name}
    assert systems.events.keys("send", "salesforce") == [f"k{i}" for i in range(5)]
    assert systems.linked() == {f"k{i}" for i in range(5)}


def test_batches_are_committed_in_the_order_their_answers_arrive(
        tmp_path: Path, mapping: FieldMapping) -> None:
    systems = Systems(tmp_path, parallel=2)
    k1_committed = systems.events.when("commit", "salesforce", ["k1"])

    def hold_k0(keys: list[str]) -> None:
        if keys == ["k0"]:
            assert k1_committed.wait(GUARD)  # k0 answers only once k1, sent after, is committed

    systems.crm.hook = hold_k0

    systems.run(systems.contacts(3), mapping)

    committed = systems.events.keys("commit", "salesforce")
    assert committed[0] == "k1" and committed.index("k1") < committed.index("k0")
    assert sorted(committed) == ["k0", "k1", "k2"]
    # k2 went out when k1 answered, while k0 was still in flight
    assert systems.events.index("send", "salesforce", "k2") < systems.events.index(
        "commit", "salesforce", "k0")


def test_values_carried_back_go_only_after_the_write_they_follow_is_committed(
        tmp_path: Path, mapping: FieldMapping) -> None:
    systems = Systems(tmp_path, parallel=4, batch_size=2)
    pairs = systems.contacts(9)

    planned = systems.run(pairs, mapping)

    followers = [w.op.key for w in planned.writes if w.follows is not None]
    assert sorted(followers) == sorted(f"k{i}" for i in range(9))
    for key in followers:
        assert (systems.events.index("commit", "salesforce", key)
                < systems.events.index("send", "hubspot", key))
    assert sorted(systems.events.keys("commit", "hubspot")) == sorted(followers)


def test_a_failed_call_stops_sending_and_what_was_in_flight_is_committed_before_it_is_raised(
        tmp_path: Path, mapping: FieldMapping, monkeypatch: pytest.MonkeyPatch) -> None:
    systems = Systems(tmp_path, parallel=3)
    release = threading.Event()
    stop_on_failure(monkeypatch, release)

    def k2_fails(keys: list[str]) -> None:
        if keys == ["k2"]:
            raise TransientError("Salesforce upsert: HTTP 503, retries given up")
        assert release.wait(GUARD)  # k0 and k1 answer after delivery knows k2 failed

    systems.crm.hook = k2_fails

    with pytest.raises(TransientError, match="503"):
        systems.run(systems.contacts(6), mapping)

    assert sorted(systems.events.keys("send", "salesforce")) == ["k0", "k1", "k2"]
    assert systems.linked() == {"k0", "k1"}  # confirmed, so committed
    assert systems.summaries["crm"].created == 2
    assert systems.events.keys("send", "hubspot") == []  # nothing carried back after it


def test_the_daily_reserve_reached_mid_page_stops_the_page_with_what_was_confirmed_committed(
        tmp_path: Path, mapping: FieldMapping, monkeypatch: pytest.MonkeyPatch) -> None:
    systems = Systems(tmp_path, parallel=2, batch_size=2)
    release = threading.Event()
    stop_on_failure(monkeypatch, release)
    calls = 0
    counting = threading.Lock()

    def reserve_after_three_calls(keys: list[str]) -> None:
        nonlocal calls
        with counting:
            calls += 1
            call = calls
        if call == 4:
            raise ReserveReached("salesforce", 8_000, 10_000, 0.2)
        if call == 3:
            assert release.wait(GUARD)  # in flight when the reserve is reached

    systems.crm.hook = reserve_after_three_calls

    with pytest.raises(ReserveReached):
        systems.run(systems.contacts(12), mapping)

    sent = systems.events.keys("send", "salesforce")
    assert len(sent) == 8  # four calls of two: none after the one refused
    committed = systems.events.keys("commit", "salesforce")
    assert len(committed) == 6 and set(committed) < set(sent)
    assert systems.linked() == set(committed)
    assert systems.summaries["crm"].created == 6


def test_each_system_s_own_max_parallel_is_used_when_none_is_given(tmp_path: Path) -> None:
    class Wide(FakeSystem):
        max_parallel = 3

    clock = Clock()
    hub, crm = Wide("hubspot", clock), FakeSystem("salesforce", clock)
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    commit = Commit(store, "default", NAMES, lambda side: [], None)

    chosen = Deliver({"marketing": hub, "crm": crm}, NAMES, 200, commit).parallel

    assert chosen == {"marketing": 3, "crm": 1}
