"""SLA compliance, ghost and recycled reports against the hand-worked org of report_fixture
(read its docstring first: each expected number below is worked out from it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadsync.connector.reports import build
from leadsync.connector.reports.facts import Facts
from tests.connector.report_fixture import NOW, R1, R2, at, facts


def rows(made: Facts, name: str, key: str) -> dict[str, dict[str, object]]:
    (report,) = [r for r in build(["all"], made) if r.name == name]
    return {str(row[key]): row for row in report.rows}


def test_sla_counts_each_clock_handed_off_in_the_period_by_rep(tmp_path: Path) -> None:
    by_rep = rows(facts(tmp_path), "sla", "rep")
    # Ann: k1 met, k2 breached, k5's second clock met (resolved without breach); k6 is October.
    # First touch in business hours: k5 0.5, k1 1.5, k2 3 -> median 1.5; p90 at rank 0.9 * 2
    # = 1.8: 1.5 + 0.8 * (3 - 1.5) = 2.7. Cadence over and not resolved first: k1 (2 calls
    # 1 email: complete), k2 (1 call: not) -> 50%; k5's clock was resolved first.
    ann = by_rep["Ann Lee"]
    assert (ann["rep_email"], ann["rep_id"], ann["team"]) == ("ann@acme.test", "005A",
                                                              "Mia Ross")
    assert (ann["handed_off"], ann["met"], ann["breached"], ann["open"]) == (3, 2, 1, 0)
    assert ann["met_rate"] == pytest.approx(2 / 3)
    assert ann["first_touch_median"] == pytest.approx(1.5)
    assert ann["first_touch_p90"] == pytest.approx(2.7)
    assert ann["cadence_rate"] == pytest.approx(0.5)
    # Bo: k3 breached (never touched), k4 pending: open, neither met nor breached; k3's
    # cadence ended Thu 5 Nov short -> 0%; k4's has not ended.
    bo = by_rep["Bo Chan"]
    assert (bo["handed_off"], bo["met"], bo["breached"], bo["open"]) == (2, 0, 1, 1)
    assert bo["met_rate"] == 0 and bo["first_touch_median"] is None
    assert bo["cadence_rate"] == 0
    # Cy: k5's first clock, recycled after a complete cadence, touched after 2 business hours.
    cy = by_rep["Cy Diaz"]
    assert (cy["handed_off"], cy["met"], cy["breached"], cy["team"]) == (1, 1, 0, "no manager")
    assert cy["first_touch_median"] == pytest.approx(2.0) and cy["cadence_rate"] == 1
    # All: 6 clocks, 3 met, 2 breached -> 60%; touches 0.5, 1.5, 2, 3 -> median 1.75, p90 at
    # rank 2.7: 2 + 0.7 * 1 = 2.7; cadence k1 yes, k2 no, k3 no, k5/1 yes -> 50%.
    total = by_rep["all reps"]
    assert (total["handed_off"], total["met"], total["breached"], total["open"]) == (6, 3, 2, 1)
    assert total["met_rate"] == pytest.approx(0.6)
    assert total["first_touch_median"] == pytest.approx(1.75)
    assert total["first_touch_p90"] == pytest.approx(2.7)
    assert total["cadence_rate"] == pytest.approx(0.5)


def test_sla_by_team_groups_the_reps_of_one_manager(tmp_path: Path) -> None:
    teams = rows(facts(tmp_path), "sla-teams", "team")
    # Mia Ross: Ann's 3 clocks and Bo's 2: met 2, breached 2 -> 50%; cadence judged on k1,
    # k2, k3: 1 of 3.
    mia = teams["Mia Ross"]
    assert (mia["reps"], mia["handed_off"], mia["met"], mia["breached"], mia["open"]) == (
        2, 5, 2, 2, 1)
    assert mia["met_rate"] == pytest.approx(0.5)
    assert mia["cadence_rate"] == pytest.approx(1 / 3)
    assert teams["no manager"]["handed_off"] == 1


def test_sla_without_the_crm_shows_ids_and_a_gone_policy_is_named(tmp_path: Path) -> None:
    (report, _) = build(["sla"], facts(tmp_path, reps={}, policies={}))
    assert [row["rep"] for row in report.rows] == ["005A", "005B", "005C", "all reps"]
    assert all(row["cadence_rate"] is None for row in report.rows)
    assert any("Policy no longer in the config: standard" in note for note in report.notes)


def test_a_period_limits_the_clocks_by_their_handoff(tmp_path: Path) -> None:
    # From Mon 16 Nov: k5's second clock (Ann, met) and k4 (Bo, pending) only.
    by_rep = rows(facts(tmp_path, start=at(16, 0)), "sla", "rep")
    assert by_rep["all reps"]["handed_off"] == 2
    assert (by_rep["Ann Lee"]["met"], by_rep["Bo Chan"]["open"]) == (1, 1)


def test_ghosts_are_open_clocks_untouched_or_past_their_cadence(tmp_path: Path) -> None:
    made = facts(tmp_path)
    by_rep = rows(made, "ghosts", "rep")
    # Ann: k1 and k2 past their cadence end (4 Nov), neither resolved nor recycled:
    # unresolved; k5's clock is resolved. Bo: k3 untouched past 3 Nov 13:00; k4 not yet due.
    # Cy: his clock was recycled: no ghost, still listed with what he was handed.
    assert (by_rep["Ann Lee"]["untouched"], by_rep["Ann Lee"]["unresolved"]) == (0, 2)
    assert by_rep["Ann Lee"]["ghost_rate"] == pytest.approx(2 / 3)
    assert (by_rep["Bo Chan"]["untouched"], by_rep["Bo Chan"]["unresolved"]) == (1, 0)
    assert (by_rep["Cy Diaz"]["handed_off"], by_rep["Cy Diaz"]["ghost_rate"]) == (1, 0)
    months = rows(made, "ghosts-months", "month")
    assert list(months) == ["2026-11"]
    assert (months["2026-11"]["handed_off"], months["2026-11"]["untouched"],
            months["2026-11"]["unresolved"]) == (6, 1, 2)
    (detail,) = [r for r in build(["ghosts"], made) if r.name == "ghosts-leads"]
    assert [(r["rep"], r["email"], r["crm_id"], r["kind"]) for r in detail.rows] == [
        ("Ann Lee", "k1@lead.test", "00Q1", "unresolved"),
        ("Ann Lee", "k2@lead.test", "00Q2", "unresolved"),
        ("Bo Chan", "k3@lead.test", "00Q3", "untouched")]
    assert detail.rows[2]["age_days"] == (NOW - at(3, 9)).days == 17
    assert detail.rows[0]["rep_email"] == "ann@acme.test"


def test_recycled_counts_recycles_in_the_period_and_those_that_came_back(tmp_path: Path
                                                                         ) -> None:
    made = facts(tmp_path)
    by_reason = rows(made, "recycled", "reason")
    # k5's first clock (R1) came back 16 Nov and converted 17 Nov; k7 (R2, from its journey:
    # no clock kept) did not come back; k8 was recycled in October.
    assert (by_reason[R1]["recycled"], by_reason[R1]["came_back"],
            by_reason[R1]["converted"]) == (1, 1, 1)
    assert (by_reason[R2]["recycled"], by_reason[R2]["came_back"]) == (1, 0)
    total = by_reason["all reasons"]
    assert (total["recycled"], total["came_back"], total["converted"]) == (2, 1, 1)
    assert total["came_back_rate"] == pytest.approx(0.5)
    (_, leads) = build(["recycled"], made)
    assert [(r["email"], r["name"], r["reason"], r["recycled_at"], r["recycle_count"], r["rep"])
            for r in leads.rows] == [
        ("k5@lead.test", "Lead K5", R1, at(4, 10), 1, "Cy Diaz"),
        ("k7@lead.test", "Lead K7", R2, at(10, 12), 1, "Cy Diaz")]
    assert leads.rows[0]["returned_at"] == at(16, 8) and leads.rows[1]["returned_at"] is None


def test_recycled_in_october_counts_only_k8(tmp_path: Path) -> None:
    by_reason = rows(facts(tmp_path, start=at(1, 0, month=10), end=at(1, 0)), "recycled",
                     "reason")
    assert by_reason["all reasons"]["recycled"] == 1 and R2 in by_reason


def test_a_stored_clock_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    from leadsync.connector.journey import ClockCycle

    made = facts(tmp_path)
    made.cycles = [*made.cycles, ClockCycle("k9", 1, "00Q9", "005A", "pending", {"n": 1})]
    with pytest.raises(ValueError, match=r"SLA clock of lead k9 \(cycle 1, 00Q9\)"):
        build(["sla"], made)


def test_a_lead_recycled_untouched_stays_its_reps_ghost(tmp_path: Path) -> None:
    """Cy's k9, handed off Mon 2 Nov 10:00 (first touch due 14:00), was never touched and was
    recycled Thu 5 Nov: an untouched ghost of Cy's. k10, handed to Cy Mon 2 Nov 10:00 and
    recycled 11:00 before its first-touch deadline, is none: nobody owed it a touch yet."""
    from leadsync.connector.journey import ClockCycle
    from leadsync.connector.sla import RECYCLED
    from tests.connector.report_fixture import clock

    made = facts(tmp_path)
    extra = []
    for key, recycled in (("k9", at(5, 10)), ("k10", at(2, 11))):
        stopped = clock(key, "005C", at(2, 10), RECYCLED, recycled=recycled, reason=R2)
        extra.append(ClockCycle(key, 1, "00Q" + key[1:], "005C", RECYCLED, stopped.to_json(),
                                current=False))
    made = Facts(made.journeys, [*made.cycles, *extra], NOW, reps=made.reps,
                 calendars=made.calendars, policies=made.policies,
                 definition=made.definition, start=made.start, end=made.end, zone="UTC")
    by_rep = rows(made, "ghosts", "rep")
    assert (by_rep["Cy Diaz"]["handed_off"], by_rep["Cy Diaz"]["untouched"]) == (3, 1)
    (detail,) = [r for r in build(["ghosts"], made) if r.name == "ghosts-leads"]
    assert [(r["crm_id"], r["kind"], r["status"]) for r in detail.rows
            if r["rep"] == "Cy Diaz"] == [("00Q9", "untouched", RECYCLED)]
