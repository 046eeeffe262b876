"""The journeys and past clocks the reports read: stored whole, read back as they were put."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from leadsync.connector.journey import Journey
from leadsync.connector.state import StateStore

T0 = datetime(2026, 11, 2, 14, 30, tzinfo=UTC)


def test_a_journey_is_read_back_as_it_was_put_and_replaced_whole(tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 's.db'}")
    first = Journey("k1", email="ann@acme.com", name="Ann Lee", source="Web", campaign="Q4 demo",
                    qualified=True, hot=True, grade="A", score=70, matched=("demo", "title"),
                    mql_at=T0, recycle_count=1)
    store.put_journeys("default", [first, Journey("k2", email="bo@acme.com")])
    store.put_journeys("other", [Journey("k1", email="someone@else.com")])
    got = {j.key: j for j in store.journeys("default")}
    assert got["k1"].matched == ("demo", "title") and got["k1"].mql_at == T0
    assert got["k1"].hot is True and got["k1"].recycle_count == 1
    assert got["k2"].qualified is False and got["k2"].mql_at is None
    store.put_journeys("default", [Journey("k1", email="ann@acme.com", converted_at=T0)])
    (again,) = store.journeys("default", ["k1"])
    assert again.converted_at == T0 and again.mql_at is None  # put replaces the row whole
    assert [j.email for j in store.journeys("other")] == ["someone@else.com"]


def test_past_clocks_come_before_the_current_one_numbered_by_cycle(tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 's.db'}")
    old = {"crm_id": "00Q1", "owner_id": "005A", "status": "recycled", "clock": {"n": 1}}
    store.archive_clock("default", "k1", old)
    store.save_clocks("default", [{"key": "k1", "crm_id": "00Q1", "owner_id": "005B",
                                   "status": "pending", "handoff_at": T0, "open": True,
                                   "clock": {"n": 2}}])
    cycles = store.clock_cycles("default")
    assert [(c.cycle, c.owner_id, c.current, c.clock) for c in cycles] == [
        (1, "005A", False, {"n": 1}), (2, "005B", True, {"n": 2})]
    assert store.clock_cycles("other") == []
