"""Journey facts merged into the state store, on SQLite and PostgreSQL: first-time facts keep
their first value, the latest verdict replaces the last until the lead converts, and merging
the same facts twice leaves the row as once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leadsync.connector.state import StateStore

T0 = datetime(2026, 11, 2, 14, 30, tzinfo=UTC)


def verdict(key: str = "k1", at: datetime = T0, **given: Any) -> dict[str, Any]:
    row = {"key": key, "email": "ann@acme.com", "name": "Ann Lee", "source": "Webinar",
           "campaign": "Q4 Webinar", "first_judged_at": at, "version": "v1",
           "qualified": False, "hot": False, "excluded": False, "grade": "C", "score": 30,
           "matched": ["senior_title"], "mql_at": None, "returned_at": None}
    row.update(given)
    return row


def sweep(key: str = "k1", **given: Any) -> dict[str, Any]:
    row = {"key": key, "crm_id": "00Q1", "owner_id": "005A", "email": "ann@acme.com",
           "qualified": True, "mql_at": None, "handed_off_at": None, "accepted_at": None,
           "first_touch_at": None, "converted_at": None, "disqualified_at": None,
           "recycled_at": None, "recycle_reason": None, "recycle_count": 0}
    row.update(given)
    return row


def test_first_judged_and_mql_keep_their_first_value_and_the_verdict_its_latest(
        state_url: str) -> None:
    store = StateStore(state_url)
    store.record_verdicts("default", [verdict()])
    store.record_verdicts("default", [verdict(at=T0 + timedelta(hours=1), qualified=True,
                                              grade="B", score=65, mql_at=T0 + timedelta(hours=1),
                                              matched=["senior_title", "webinar"])])
    # a later pass: still qualified, the stamp it carries read again (it never moves later)
    store.record_verdicts("default", [verdict(at=T0 + timedelta(days=2), qualified=True,
                                              grade="A", score=80, version="v2",
                                              mql_at=T0 + timedelta(days=2), source=None,
                                              email=None)])
    (got,) = store.journeys("default")
    assert got.first_judged_at == T0
    assert got.mql_at == T0 + timedelta(hours=1)
    assert (got.qualified, got.grade, got.score, got.version) == (True, "A", 80, "v2")
    assert got.source == "Webinar" and got.email == "ann@acme.com"  # a blank erases nothing
    assert got.matched == ("senior_title",)  # the latest verdict's rules, not a union


def test_a_converted_lead_keeps_the_verdict_it_converted_on(state_url: str) -> None:
    store = StateStore(state_url)
    store.record_verdicts("default", [verdict(qualified=True, grade="A", score=85,
                                              matched=["demo_request"], mql_at=T0)])
    store.record_sweep_facts("default", [sweep(converted_at=T0 + timedelta(days=3))])
    store.record_verdicts("default", [verdict(at=T0 + timedelta(days=5), qualified=False,
                                              grade="D", score=5, matched=[], version="v2",
                                              name="Ann Lee-Smith")])
    (got,) = store.journeys("default")
    assert (got.qualified, got.grade, got.score, got.matched, got.version) == (
        True, "A", 85, ("demo_request",), "v1")
    assert got.name == "Ann Lee-Smith"  # who the lead is still follows the records
    assert got.converted_at == T0 + timedelta(days=3)


def test_a_return_after_a_recycle_takes_the_latest_time(state_url: str) -> None:
    store = StateStore(state_url)
    first, second = T0 + timedelta(days=10), T0 + timedelta(days=40)
    store.record_verdicts("default", [verdict(qualified=True, mql_at=T0)])
    store.record_verdicts("default", [verdict(qualified=True, mql_at=first, returned_at=first)])
    store.record_verdicts("default", [verdict(qualified=True, mql_at=first)])
    (got,) = store.journeys("default")
    assert got.returned_at == first and got.mql_at == T0
    store.record_verdicts("default", [verdict(qualified=True, mql_at=second,
                                              returned_at=second)])
    assert store.journeys("default")[0].returned_at == second


def test_sweep_facts_keep_first_handoff_and_touch_and_follow_owner_and_recycle(
        state_url: str) -> None:
    store = StateStore(state_url)
    handoff, touch = T0 + timedelta(minutes=5), T0 + timedelta(hours=2)
    recycled = T0 + timedelta(days=10)
    store.record_sweep_facts("default", [sweep(handed_off_at=handoff, mql_at=T0)])
    store.record_sweep_facts("default", [sweep(owner_id="005B", accepted_at=touch,
                                               first_touch_at=touch)])
    store.record_sweep_facts("default", [sweep(owner_id="005B", recycled_at=recycled,
                                               recycle_reason="Cadence complete",
                                               recycle_count=1)])
    # the second clock, after the lead came back: a new owner, a later touch
    again = T0 + timedelta(days=30)
    store.record_sweep_facts("default", [sweep(owner_id="005C", handed_off_at=again,
                                               accepted_at=again, first_touch_at=again)])
    store.record_sweep_facts("default", [sweep(owner_id="005C", recycle_count=0)])
    (got,) = store.journeys("default")
    assert got.handed_off_at == handoff and got.mql_at == T0
    assert got.accepted_at == touch and got.first_touch_at == touch  # the first clock's
    assert got.owner_id == "005C"
    assert (got.recycled_at, got.recycle_reason, got.recycle_count) == (
        recycled, "Cadence complete", 1)  # the count never goes down
    assert got.qualified is True  # set when the sweep made the row


def test_the_same_facts_merged_twice_leave_the_row_as_once(state_url: str) -> None:
    store = StateStore(state_url)
    rows = [verdict(key=f"k{i}", qualified=i % 2 == 0, mql_at=T0 if i % 2 == 0 else None)
            for i in range(1_200)]  # more than one statement's worth
    facts = [sweep(key=f"k{i}", handed_off_at=T0, recycled_at=T0, recycle_count=1)
             for i in range(0, 1_200, 2)]
    for _ in range(2):
        store.record_verdicts("default", rows)
        store.record_sweep_facts("default", facts)
    once = store.journeys("default")
    assert len(once) == 1_200
    assert sum(j.recycle_count for j in once) == 600
    assert {j.mql_at for j in once if j.qualified} == {T0}
    assert store.journeys("other") == []


def test_a_rolled_back_transaction_records_no_fact(state_url: str) -> None:
    store = StateStore(state_url)
    try:
        with store.transaction() as conn:
            store.record_sweep_facts("default", [sweep(handed_off_at=T0)], conn)
            store.save_clocks("default", [{"key": "k1", "crm_id": "00Q1", "owner_id": "005A",
                                           "status": "pending", "handoff_at": T0, "open": True,
                                           "clock": {}}], conn)
            raise RuntimeError("killed between the clocks and the commit")
    except RuntimeError:
        pass
    assert store.journeys("default") == [] and store.clocks("default") == {}
