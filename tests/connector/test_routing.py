"""Round-robin lead distribution with accountability, and SLA compliance per rep."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from leadsync.connector.calendar import always_open
from leadsync.connector.routing import Rep, RoundRobin, compliance
from leadsync.connector.sla import Clock, Touch, assess, parse_policies

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ANN, BEN, CAT, DAN = (Rep("u1", "ann@x.com", "Ann"), Rep("u2", "ben@x.com", "Ben"),
                      Rep("u3", "cat@x.com", "Cat", time_zone="Asia/Tokyo"),
                      Rep("u4", "dan@x.com", "Dan", active=False))
POOL = (ANN, BEN, CAT)


def picks(robin: RoundRobin, times: int, **options: Any) -> list[str | None]:
    options = {"compliance": {}, "out_of_office": {}, **options}
    chosen = []
    for _ in range(times):
        rep = robin.pick(NOW, **options).rep
        chosen.append(rep.name if rep else None)
    return chosen


def test_reps_take_turns_and_the_turn_wraps_around() -> None:
    robin = RoundRobin(POOL)
    assert picks(robin, 5) == ["Ann", "Ben", "Cat", "Ann", "Ben"]
    assert robin.position == 2


def test_the_position_kept_between_runs_is_where_the_next_run_starts() -> None:
    assert picks(RoundRobin(POOL, position=2), 2) == ["Cat", "Ann"]
    assert picks(RoundRobin(POOL, position=7), 1) == ["Ben"]  # a pool that shrank


@pytest.mark.parametrize(("rep", "options", "reason"), [
    (DAN, {}, "inactive user"),
    (ANN, {"out_of_office": {"u1": (date(2026, 11, 16), date(2026, 11, 30))}},
     "out of office until 2026-11-30"),
    (ANN, {"out_of_office": {"u1": (date(2026, 11, 20), date(2026, 11, 20))}},
     "out of office until 2026-11-20"),
    (ANN, {"compliance": {"u1": 0.62}}, "SLA compliance 62% < 80% over 30 days"),
    (ANN, {"compliance": {"u1": 0.799}}, "SLA compliance 79% < 80% over 30 days"),
    (ANN, {"exclude": {"u1"}}, "excluded"),
])
def test_an_ineligible_rep_is_skipped_with_the_reason(rep: Rep, options: dict[str, Any],
                                                      reason: str) -> None:
    robin = RoundRobin((rep, BEN), min_compliance=0.8)
    pick = robin.pick(NOW, **{"compliance": {}, "out_of_office": {}, **options})
    assert pick.rep == BEN and pick.skipped == ((rep, reason),)
    assert robin.position == 0  # after Ben, back to the top


@pytest.mark.parametrize("options", [
    {"out_of_office": {"u1": (date(2026, 11, 21), date(2026, 11, 30))}},  # not yet
    {"out_of_office": {"u1": (date(2026, 11, 1), date(2026, 11, 19))}},  # back
    {"compliance": {"u1": 0.8}},  # at the threshold
    {"compliance": {"u2": 0.1}},  # someone else's
    {"exclude": {"u9"}},
])
def test_an_eligible_rep_is_not_skipped(options: dict[str, Any]) -> None:
    pick = RoundRobin(POOL, min_compliance=0.8).pick(NOW, **{"compliance": {},
                                                            "out_of_office": {}, **options})
    assert pick.rep == ANN and pick.skipped == ()


def test_compliance_is_not_judged_without_a_threshold_nor_for_unjudged_reps() -> None:
    assert RoundRobin(POOL).pick(NOW, {"u1": 0.0}, {}).rep == ANN
    assert RoundRobin(POOL, min_compliance=0.9).pick(NOW, {}, {}).rep == ANN


def test_out_of_office_days_are_read_in_the_reps_time_zone() -> None:
    away = {"u3": (date(2026, 11, 10), date(2026, 11, 20))}
    late_evening_utc = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # already the 21st in Tokyo
    assert RoundRobin([CAT]).pick(late_evening_utc, {}, away).rep == CAT
    assert RoundRobin([CAT]).pick(late_evening_utc - timedelta(hours=8), {}, away).rep is None


def test_a_rep_with_an_unknown_time_zone_uses_nows() -> None:
    odd = Rep("u5", "eve@x.com", time_zone="Mars/Olympus")
    assert RoundRobin([odd]).pick(NOW, {}, {"u5": (date(2026, 11, 20), date(2026, 11, 20))}) \
        .rep is None


def test_nobody_eligible_gives_none_with_every_reason_and_keeps_the_position() -> None:
    robin = RoundRobin((ANN, BEN, DAN), position=1, min_compliance=0.8)
    pick = robin.pick(NOW, {"u2": 0.5}, {"u1": (date(2026, 11, 1), date(2026, 12, 1))})
    assert pick.rep is None
    assert pick.skipped == ((BEN, "SLA compliance 50% < 80% over 30 days"),
                            (DAN, "inactive user"), (ANN, "out of office until 2026-12-01"))
    assert robin.position == 1


def test_a_reassignment_skips_the_current_owner() -> None:
    robin = RoundRobin(POOL)
    pick = robin.pick(NOW, {}, {}, exclude={"u1"})
    assert pick.rep == BEN and pick.skipped == ((ANN, "excluded"),)


def test_an_empty_pool_picks_nobody() -> None:
    assert RoundRobin(()).pick(NOW, {}, {}).rep is None


def test_min_compliance_is_a_fraction() -> None:
    with pytest.raises(ValueError, match="fraction"):
        RoundRobin(POOL, min_compliance=80)


# --- compliance --------------------------------------------------------------------------------

POLICY = parse_policies([{"name": "p", "calendar": "24x7", "first_touch_within": "4h",
                          "cadence": {"calls": 1, "within": "1d"}}], ["24x7"])[0]


def decided(owner: str | None, days_ago: float, outcome: str) -> Clock:
    """A clock handed off ``days_ago`` and left in ``outcome``, assessed as the sweep would."""
    handoff = NOW - timedelta(days=days_ago)
    clock = Clock.start(f"k-{owner}-{days_ago}", POLICY, always_open(), handoff, owner)
    hour = timedelta(hours=1)
    if outcome in ("met", "recycled"):
        clock.count([Touch("t1", "call", handoff + hour)])
    if outcome == "resolved":
        assess(clock, POLICY, handoff + hour, converted=True)
    elif outcome != "pending":
        assess(clock, POLICY, handoff + 6 * hour)
    if outcome == "resolved_after_breach":
        assess(clock, POLICY, handoff + 7 * hour, disqualified=True)
    if outcome == "recycled":
        clock.recycle(handoff + 24 * hour, "Cadence complete")
    return clock


def test_compliance_is_met_over_met_and_breached_in_the_window() -> None:
    clocks = [decided("u1", 2, "met"), decided("u1", 3, "breached"), decided("u1", 4, "met"),
              decided("u1", 5, "met"), decided("u1", 1, "pending"),
              decided("u1", 40, "breached"),  # outside the 30-day window
              decided("u2", 2, "breached"), decided("u2", 3, "resolved_after_breach"),
              decided("u3", 2, "resolved"), decided("u3", 3, "recycled"),
              decided("u4", 0.1, "pending"), decided(None, 2, "breached")]
    assert clocks[0].status == "met" and clocks[1].status == "breached"
    assert compliance(clocks, NOW) == {"u1": 0.75, "u2": 0.0, "u3": 1.0}
    assert compliance(clocks, NOW, window_days=60)["u1"] == 0.6


def test_clocks_handed_off_after_now_are_not_judged() -> None:
    assert compliance([decided("u1", -1, "breached")], NOW) == {}
