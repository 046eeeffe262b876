"""SLA policies and clocks: parsing, selection, deadlines, touches, statuses, recycling."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadsync.connector.calendar import BusinessCalendar, always_open
from leadsync.connector.durations import Duration
from leadsync.connector.errors import ConfigError
from leadsync.connector.sla import (
    Clock,
    Policy,
    Selector,
    Touch,
    assess,
    business_words,
    deadlines,
    parse_policies,
    recycle_reason,
    resolve_calendar,
    select_policy,
)

NY = ZoneInfo("America/New_York")
CALENDARS = ("default", "us_sales", "24x7")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
NINE_TO_FIVE = BusinessCalendar("us_sales", "America/New_York",
                                {day: ["09:00-17:00"] for day in WEEKDAYS})
ALWAYS = always_open()
H = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
FRIDAY_4PM = datetime(2026, 11, 20, 16, 0, tzinfo=NY)
MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)
STANDARD = {"name": "standard", "first_touch_within": "4h",
            "cadence": {"calls": 4, "emails": 2, "within": "10d"}}


def policy(**changes: Any) -> Policy:
    """A 24x7 policy: accept within 1h, first touch within 4h, 2 calls + 1 email in 2 days."""
    table = {"name": "p", "calendar": "24x7", "accept_within": "1h", "first_touch_within": "4h",
             "cadence": {"calls": 2, "emails": 1, "within": "2d"}, "on_exhausted": "recycle",
             **changes}
    return parse_policies([table], CALENDARS)[0]


def clock(p: Policy | None = None, handoff: datetime = H, calendar: Any = ALWAYS) -> Clock:
    return Clock.start("lead-1", p or policy(), calendar, handoff, "rep-1")


def call(n: int, at: datetime, kind: str = "call") -> Touch:
    return Touch(f"t{n}", kind, at)


def errors(*tables: dict[str, Any], calendars: tuple[str, ...] = CALENDARS) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_policies(list(tables), calendars)
    return str(caught.value)


# --- parsing -----------------------------------------------------------------------------------

def test_a_full_policy_is_read_with_every_field() -> None:
    [p] = parse_policies([{
        "name": "hot", "priority": 10, "calendar": "us_sales",
        "match": {"grade": ["A", "B"], "source": "Demo Request", "country": ["us"], "hot": True},
        "accept_within": "15m", "first_touch_within": "1h",
        "cadence": {"calls": 4, "emails": 2, "within": "10d"}, "warn_at": 0.5,
        "on_breach": ["escalate", "reassign"], "on_exhausted": "recycle"}], CALENDARS)
    assert p == Policy("hot", 10, Selector(frozenset("ab"), frozenset({"demo request"}),
                                           frozenset({"us"}), True), "us_sales",
                       Duration(minutes=15), Duration(minutes=60), 4, 2, Duration(days=10),
                       0.5, ("escalate", "reassign"), "recycle")


def test_a_minimal_policy_gets_the_defaults() -> None:
    [p] = parse_policies([STANDARD], CALENDARS)
    assert (p.priority, p.calendar, p.accept_within, p.warn_at, p.on_breach, p.on_exhausted) \
        == (0, "default", None, 0.75, (), None)
    assert p.selector == Selector()


@pytest.mark.parametrize(("changes", "expected"), [
    ({"first_touch": "4h"}, "sla.policies[0] (standard).first_touch: unknown key; known: name, "
     "priority, match, calendar, accept_within, first_touch_within, cadence, warn_at, on_breach, "
     "on_exhausted (did you mean 'first_touch_within'?)"),
    ({"calendar": "us_sale"}, "sla.policies[0] (standard).calendar: unknown calendar 'us_sale'; "
     "known: 24x7, default, us_sales, or 'rep' (did you mean 'us_sales'?)"),
    ({"first_touch_within": "4 hrz"}, "sla.policies[0] (standard).first_touch_within: "
     "unknown unit 'hrz'"),
    ({"first_touch_within": 4}, "sla.policies[0] (standard).first_touch_within: should be a "
     "duration"),
    ({"accept_within": "0m"}, "sla.policies[0] (standard).accept_within: should be longer than "
     "zero"),
    ({"first_touch_within": None}, "sla.policies[0] (standard).first_touch_within: should be a "
     "duration"),
    ({"warn_at": 1.5}, "sla.policies[0] (standard).warn_at: should be a fraction between 0 and 1"),
    ({"warn_at": 0}, "sla.policies[0] (standard).warn_at: should be a fraction"),
    ({"warn_at": True}, "sla.policies[0] (standard).warn_at: should be a fraction"),
    ({"on_breach": ["escalte"]}, "sla.policies[0] (standard).on_breach: unknown action "
     "'escalte'; known: escalate, reassign (did you mean 'escalate'?)"),
    ({"on_breach": "escalate"}, "sla.policies[0] (standard).on_breach: should be a list"),
    ({"on_exhausted": "recyle"}, "sla.policies[0] (standard).on_exhausted: unknown action "
     "'recyle'; known: recycle (or leave it out) (did you mean 'recycle'?)"),
    ({"priority": "high"}, "sla.policies[0] (standard).priority: should be a whole number"),
    ({"match": {"grade": 5}}, "sla.policies[0] (standard).match.grade: should be text or a list"),
    ({"match": {"hot": "yes"}}, "sla.policies[0] (standard).match.hot: should be true or false"),
    ({"match": {"regoin": "EU"}}, "sla.policies[0] (standard).match.regoin: unknown key; "
     "known: grade, source, country, region, hot (did you mean 'region'?)"),
    ({"match": {"source": ["Webinar", ""]}}, "sla.policies[0] (standard).match.source: should be"),
    ({"match": "hot"}, "sla.policies[0] (standard).match: should be a table"),
    ({"cadence": {"calls": -1, "emails": 2, "within": "10d"}},
     "sla.policies[0] (standard).cadence.calls: should be a whole number, 0 or more"),
    ({"cadence": {"calls": 4, "emails": 2}},
     "sla.policies[0] (standard).cadence.within: required key is missing"),
    ({"cadence": {"calls": 0, "emails": 0, "within": "10d"}},
     "sla.policies[0] (standard).cadence: needs at least one call or email"),
    ({"cadence": {"calls": 4, "email": 2, "within": "10d"}},
     "sla.policies[0] (standard).cadence.email: unknown key; known: calls, emails, within "
     "(did you mean 'emails'?)"),
    ({"cadence": "4 calls"}, "sla.policies[0] (standard).cadence: should be a table"),
    ({"name": ""}, "sla.policies[0].name: should be non-empty text"),
])
def test_each_policy_problem_names_its_key_path(changes: dict[str, Any], expected: str) -> None:
    assert expected in errors({**STANDARD, **changes})


def test_a_missing_required_key_is_named() -> None:
    table = {k: v for k, v in STANDARD.items() if k not in ("name", "cadence")}
    message = errors(table)
    assert "sla.policies[0].name: required key is missing" in message
    assert "sla.policies[0].cadence: required key is missing" in message


def test_the_rep_calendar_needs_a_default_calendar() -> None:
    assert parse_policies([{**STANDARD, "calendar": "rep"}], CALENDARS)[0].calendar == "rep"
    assert "calendar: \"rep\" uses the hours of the calendar named \"default\"" in errors(
        {**STANDARD, "calendar": "rep"}, calendars=("us_sales",))


def test_the_default_calendar_must_exist_when_a_policy_relies_on_it() -> None:
    assert "sla.policies[0] (standard).calendar: unknown calendar 'default'" in errors(
        STANDARD, calendars=("us_sales",))


def test_every_problem_of_every_policy_is_reported_at_once() -> None:
    message = errors({**STANDARD, "warn_at": 2}, {"name": "hot", "first_touch_within": "soon",
                                                  "cadence": {"calls": 1, "within": "1d"}},
                     {**STANDARD, "on_exhausted": "delete"})
    assert message.startswith("sla.policies: 4 problems in the SLA policies:\n")
    assert message.splitlines()[1:] == [
        "sla.policies[0] (standard).warn_at: should be a fraction between 0 and 1 (exclusive), "
        "e.g. 0.75",
        "sla.policies[1] (hot).first_touch_within: cannot read duration 'soon' at 'soon': "
        "expected e.g. '90m', '4h', '1h30m', '10d', '1d 4h', '2w'",
        "sla.policies[2] (standard).on_exhausted: unknown action 'delete'; known: recycle "
        "(or leave it out)",
        "sla.policies[2] (standard).name: duplicate name: sla.policies[0] has it too",
    ]


def test_duplicate_policy_names_are_refused() -> None:
    assert errors(STANDARD, STANDARD) == (
        "sla.policies[1] (standard).name: duplicate name: sla.policies[0] has it too")


@pytest.mark.parametrize(("raw", "expected"), [
    ([], "sla.policies: at least one policy is needed"),
    ({"name": "x"}, "sla.policies: should be an array of tables"),
    (["x"], "sla.policies[0]: should be a table"),
])
def test_the_policy_list_itself_is_checked(raw: Any, expected: str) -> None:
    with pytest.raises(ConfigError, match=r"^" + expected.replace("[", r"\[").replace("]", r"\]")):
        parse_policies(raw, CALENDARS)


# --- selection ---------------------------------------------------------------------------------

POLICIES = parse_policies([
    {**STANDARD, "name": "standard"},
    {**STANDARD, "name": "demo", "priority": 5, "match": {"source": ["Demo Request"]}},
    {**STANDARD, "name": "enterprise", "priority": 5,
     "match": {"grade": ["A"], "country": ["US", "CA"]}},
    {**STANDARD, "name": "hot", "priority": 10, "match": {"hot": True}},
    {**STANDARD, "name": "cold_b", "priority": 1, "match": {"grade": "B", "hot": False}},
], CALENDARS)


@pytest.mark.parametrize(("facts", "expected"), [
    ({"hot": True, "grade": "A", "country": "US"}, "hot"),
    ({"grade": "a", "country": " us "}, "enterprise"),
    ({"grade": "A", "country": "DE"}, "standard"),
    ({"lead_source": "demo request"}, "demo"),
    ({"lead_source": "Demo Request", "grade": "A", "country": "CA"}, "demo"),  # file order
    ({"grade": "B"}, "cold_b"),
    ({"grade": "B", "hot": True}, "hot"),
    ({"grade": None, "country": None}, "standard"),
    ({}, "standard"),
])
def test_the_highest_priority_matching_policy_wins_then_file_order(
        facts: dict[str, Any], expected: str) -> None:
    chosen = select_policy(POLICIES, facts)
    assert chosen is not None and chosen.name == expected


def test_no_policy_is_selected_when_none_matches() -> None:
    assert select_policy(POLICIES[1:2], {"lead_source": "Webinar"}) is None


# --- deadlines ---------------------------------------------------------------------------------

def test_deadlines_on_a_24x7_calendar_are_plain_elapsed_time() -> None:
    d = deadlines(policy(), ALWAYS, H)
    assert (d.accept_by, d.accept_warn) == (H + timedelta(hours=1), H + timedelta(minutes=45))
    assert (d.first_touch_by, d.first_touch_warn) == (H + timedelta(hours=4), H + 3 * 60 * MIN)
    assert (d.cadence_end, d.cadence_warn) == (H + timedelta(days=2), H + timedelta(hours=36))


def test_four_business_hours_from_friday_4pm_end_monday_noon() -> None:
    d = deadlines(policy(calendar="us_sales", accept_within="15m"), NINE_TO_FIVE, FRIDAY_4PM)
    assert d.first_touch_by == datetime(2026, 11, 23, 12, 0, tzinfo=NY)
    assert d.first_touch_warn == datetime(2026, 11, 23, 11, 0, tzinfo=NY)  # 3 of 4 hours
    assert d.accept_by == datetime(2026, 11, 20, 16, 15, tzinfo=NY)
    assert d.cadence_end == datetime(2026, 11, 24, 16, 0, tzinfo=NY)  # 2 business days


def test_a_weekend_handoff_starts_the_clock_on_monday_morning() -> None:
    d = deadlines(policy(calendar="us_sales"), NINE_TO_FIVE, datetime(2026, 11, 21, 10, 0,
                                                                      tzinfo=NY))
    assert d.first_touch_by == datetime(2026, 11, 23, 13, 0, tzinfo=NY)
    assert d.accept_by == datetime(2026, 11, 23, 10, 0, tzinfo=NY)


def test_a_policy_without_accept_within_has_no_accept_deadline() -> None:
    [p] = parse_policies([{**STANDARD, "calendar": "24x7"}], CALENDARS)
    d = deadlines(p, ALWAYS, H)
    assert d.accept_by is None and d.accept_warn is None


def test_the_rep_calendar_keeps_the_default_hours_in_the_owners_time_zone() -> None:
    rep_policy = policy(calendar="rep")
    calendars = {"default": NINE_TO_FIVE, "24x7": ALWAYS}
    berlin = resolve_calendar(rep_policy, calendars, "Europe/Berlin")
    handoff = datetime(2026, 11, 20, 16, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    started = Clock.start("k", rep_policy, berlin, handoff, "rep-1")
    assert started.calendar == "rep:Europe/Berlin"
    assert started.deadlines.first_touch_by == datetime(2026, 11, 23, 12, 0,
                                                        tzinfo=ZoneInfo("Europe/Berlin"))
    assert resolve_calendar(rep_policy, calendars, None) is NINE_TO_FIVE
    assert resolve_calendar(policy(), calendars, "Europe/Berlin") is ALWAYS


# --- touches -----------------------------------------------------------------------------------

def test_touches_before_the_handoff_never_count() -> None:
    c = clock()
    assert c.count([call(1, H - SEC), call(2, H - timedelta(days=3), "email")]) == []
    assert (c.calls, c.emails, c.first_touch_at, c.accepted_at, c.counted) == (0, 0, None,
                                                                                None, set())


def test_a_touch_at_the_handoff_counts() -> None:
    c = clock()
    assert c.count([call(1, H)]) == [call(1, H)]
    assert c.first_touch_at == H


def test_a_touch_is_counted_once_by_id_across_sweeps_and_within_one() -> None:
    c = clock()
    assert len(c.count([call(1, H + MIN), call(1, H + MIN)])) == 1
    assert c.count([call(1, H + MIN), call(2, H + 2 * MIN, "email")]) == [
        call(2, H + 2 * MIN, "email")]
    assert (c.calls, c.emails, c.counted) == (1, 1, {"t1", "t2"})


def test_a_meeting_counts_as_a_call_and_other_activity_is_not_a_touch() -> None:
    c = clock()
    c.count([call(1, H + MIN, "meeting"), call(2, H + MIN, "task"), call(3, H + MIN, "note")])
    assert (c.calls, c.emails, c.counted) == (1, 0, {"t1"})


def test_touches_after_the_cadence_end_do_not_count() -> None:
    c = clock()
    end = c.deadlines.cadence_end
    c.count([call(1, end), call(2, end + SEC)])
    assert (c.calls, c.counted) == (1, {"t1"})


def test_touches_after_the_clock_stopped_do_not_count() -> None:
    c = clock()
    assess(c, policy(), H + MIN, converted=True)
    assert c.count([call(1, H + 2 * MIN)]) == []


def test_the_first_touch_and_acceptance_are_the_earliest_touches() -> None:
    c = clock()
    c.count([call(1, H + 30 * MIN)])
    c.count([call(2, H + 10 * MIN, "email")])  # logged late
    assert c.first_touch_at == c.accepted_at == H + 10 * MIN


def test_acceptance_keeps_the_earliest_and_never_precedes_the_handoff() -> None:
    c = clock()
    c.accept(H + 20 * MIN)
    c.accept(H + 40 * MIN)
    assert c.accepted_at == H + 20 * MIN
    c.accept(H - timedelta(days=1))
    assert c.accepted_at == H


# --- statuses ----------------------------------------------------------------------------------

def test_a_clock_moves_pending_at_risk_met_as_the_rep_works_it() -> None:
    p, c = policy(), clock()
    steps: list[tuple[timedelta, list[Touch], str, datetime | None]] = [
        (10 * MIN, [], "pending", H + timedelta(hours=1)),
        (45 * MIN, [], "at_risk", H + timedelta(hours=1)),  # 75% of the hour to accept
        (50 * MIN, [call(1, H + 50 * MIN)], "pending", H + timedelta(days=2)),
        (timedelta(hours=36), [], "at_risk", H + timedelta(days=2)),
        (timedelta(hours=37), [call(2, H + timedelta(hours=37), "email")], "at_risk", None),
        (timedelta(hours=38), [call(3, H + timedelta(hours=38))], "met", H + timedelta(days=2)),
        (timedelta(hours=47), [], "met", H + timedelta(days=2)),
    ]
    for offset, touches, status, upcoming in steps:
        c.count(touches)
        seen = assess(c, p, H + offset)
        assert (seen.status, seen.new_breaches, seen.exhausted) == (status, (), False), offset
        if upcoming is not None:
            assert seen.next_deadline == upcoming, offset
        assert c.status == status


def test_the_nearest_open_obligation_is_the_next_deadline() -> None:
    p, c = policy(), clock()
    c.accept(H + MIN)
    assert assess(c, p, H + 2 * MIN).next_deadline == H + timedelta(hours=4)
    assert assess(c, p, H + timedelta(hours=3)).status == "at_risk"


@pytest.mark.parametrize(("kind", "act", "deadline"), [
    ("accept", lambda c: None, H + timedelta(hours=1)),
    ("first_touch", lambda c: c.accept(H + MIN), H + timedelta(hours=4)),
])
def test_a_missed_deadline_is_a_breach_reported_exactly_once(
        kind: str, act: Any, deadline: datetime) -> None:
    p, c = policy(), clock()
    act(c)
    assert assess(c, p, deadline).status != "breached"  # the deadline itself is still in time
    first = assess(c, p, deadline + SEC)
    assert (first.status, first.new_breaches[:1]) == ("breached", (kind,))
    assert c.breached_at == deadline and kind in c.breaches
    for later in (deadline + 2 * SEC, deadline + timedelta(hours=1), deadline + timedelta(days=1)):
        again = assess(c, p, later)
        assert again.status == "breached" and kind not in again.new_breaches


def test_a_touch_exactly_at_the_deadline_is_in_time() -> None:
    p, c = policy(), clock()
    c.count([call(1, H + timedelta(hours=1))])  # accepts at the accept deadline, too
    seen = assess(c, p, H + timedelta(hours=5))
    assert seen.status == "pending" and c.breaches == set()


def test_a_late_touch_logged_after_the_deadline_is_still_a_breach() -> None:
    p, c = policy(), clock()
    c.accept(H + MIN)
    c.count([call(1, H + timedelta(hours=5))])
    seen = assess(c, p, H + timedelta(hours=6))
    assert seen.new_breaches == ("first_touch",) and c.breached_at == H + timedelta(hours=4)


def test_a_late_acceptance_is_an_accept_breach() -> None:
    p, c = policy(), clock()
    c.accept(H + timedelta(hours=2))
    assert assess(c, p, H + timedelta(hours=2)).new_breaches == ("accept",)


def test_a_breached_clock_stays_breached_when_the_work_arrives() -> None:
    p, c = policy(), clock()
    assess(c, p, H + timedelta(hours=5))
    c.count([call(1, H + timedelta(hours=5)), call(2, H + timedelta(hours=6)),
             call(3, H + timedelta(hours=7), "email")])
    seen = assess(c, p, H + timedelta(hours=8))
    assert (seen.status, seen.new_breaches) == ("breached", ())
    assert c.breaches == {"accept", "first_touch"} and c.breached_at == H + timedelta(hours=1)


def test_the_earliest_missed_deadline_is_the_breach_time() -> None:
    p, c = policy(), clock()
    seen = assess(c, p, H + timedelta(days=3))
    assert seen.new_breaches == ("accept", "first_touch", "cadence")
    assert c.breached_at == H + timedelta(hours=1)


def test_a_met_clock_never_breaches() -> None:
    p, c = policy(), clock()
    c.count([call(1, H + MIN), call(2, H + 2 * MIN), call(3, H + 3 * MIN, "email")])
    for offset in (timedelta(hours=1, seconds=1), timedelta(hours=5), timedelta(days=2, hours=1)):
        assert assess(c, p, H + offset).status == "met"
    assert c.breaches == set()


def test_the_unacted_breaches_are_those_the_job_has_not_carried_out() -> None:
    p, c = policy(), clock()
    assess(c, p, H + timedelta(hours=5))
    c.acted.add("accept")
    assert c.unacted == {"first_touch"}


# --- resolution, exhaustion, recycling ---------------------------------------------------------

@pytest.mark.parametrize("how", ["converted", "disqualified"])
def test_a_resolved_lead_stops_the_clock(how: str) -> None:
    p, c = policy(), clock()
    seen = assess(c, p, H + 30 * MIN, **{how: True})
    assert (seen.status, c.resolved_at, seen.next_deadline) == ("resolved", H + 30 * MIN, None)
    later = assess(c, p, H + timedelta(days=5))  # past every deadline, flags no longer given
    assert (later.status, later.new_breaches, later.exhausted) == ("resolved", (), False)
    assert c.breaches == set() and c.breached_at is None and c.resolved_at == H + 30 * MIN


def test_a_breach_before_the_resolution_stays_recorded() -> None:
    p, c = policy(), clock()
    assess(c, p, H + timedelta(hours=2))
    assert assess(c, p, H + timedelta(hours=3), converted=True).status == "resolved"
    assert c.breaches == {"accept"}


def test_an_exhausted_cadence_that_was_met_goes_back_with_its_reason() -> None:
    p, c = policy(), clock()
    c.count([call(1, H + MIN), call(2, H + 2 * MIN, "meeting"), call(3, H + 3 * MIN, "email"),
             call(4, H + 4 * MIN)])
    assert not assess(c, p, H + timedelta(days=2) - SEC).exhausted
    seen = assess(c, p, H + timedelta(days=2))
    assert (seen.status, seen.exhausted, seen.new_breaches, seen.next_deadline) == (
        "met", True, (), None)
    assert seen.recycle_reason == "Cadence complete (3 calls, 1 email in 2 business days), " \
        "not converted"


def test_an_exhausted_cadence_that_fell_short_is_a_breach_with_its_reason() -> None:
    p, c = policy(), clock()
    c.count([call(1, H + MIN)])
    seen = assess(c, p, H + timedelta(days=2))
    assert (seen.status, seen.exhausted, seen.new_breaches) == ("breached", True, ("cadence",))
    assert seen.recycle_reason == ("Cadence not completed: 1 call, 0 emails of 2 and 1 in "
                                   "2 business days")


def test_a_recycled_clock_is_recycled_and_no_longer_exhausted() -> None:
    p, c = policy(), clock()
    seen = assess(c, p, H + timedelta(days=3))
    c.recycle(H + timedelta(days=3), seen.recycle_reason or "")
    again = assess(c, p, H + timedelta(days=4))
    assert (again.status, again.exhausted, again.new_breaches) == ("recycled", False, ())
    assert c.recycle_reason == "Cadence not completed: 0 calls, 0 emails of 2 and 1 in " \
        "2 business days"


@pytest.mark.parametrize(("calls", "emails", "expected"), [
    (4, 2, "Cadence complete (4 calls, 2 emails in 10 business days), not converted"),
    (5, 3, "Cadence complete (5 calls, 3 emails in 10 business days), not converted"),
    (1, 0, "Cadence not completed: 1 call, 0 emails of 4 and 2 in 10 business days"),
    (4, 1, "Cadence not completed: 4 calls, 1 email of 4 and 2 in 10 business days"),
])
def test_the_recycle_reason_reads_as_one_line(calls: int, emails: int, expected: str) -> None:
    [p] = parse_policies([STANDARD], CALENDARS)
    assert recycle_reason(p, calls, emails) == expected


def test_a_calls_only_cadence_does_not_mention_emails() -> None:
    p = policy(cadence={"calls": 3, "within": "1w"})
    assert recycle_reason(p, 1, 0) == "Cadence not completed: 1 call of 3 in 5 business days"


@pytest.mark.parametrize(("duration", "words"), [
    (Duration(days=10), "10 business days"), (Duration(days=1), "1 business day"),
    (Duration(minutes=240), "4 business hours"), (Duration(minutes=90),
                                                  "1 business hour 30 minutes"),
    (Duration(minutes=15), "15 business minutes"),
    (Duration(minutes=240, days=1), "1 business day 4 hours"),
])
def test_durations_read_in_business_words(duration: Duration, words: str) -> None:
    assert business_words(duration) == words


# --- a business calendar -----------------------------------------------------------------------

def test_a_friday_afternoon_lead_is_pending_over_the_weekend_and_breaches_monday_noon() -> None:
    p = policy(calendar="us_sales", accept_within="8h")
    c = clock(p, FRIDAY_4PM, NINE_TO_FIVE)
    monday = datetime(2026, 11, 23, tzinfo=NY)
    assert assess(c, p, datetime(2026, 11, 22, 20, 0, tzinfo=NY)).status == "pending"
    assert assess(c, p, monday.replace(hour=11, minute=30)).status == "at_risk"
    seen = assess(c, p, monday.replace(hour=12, minute=1))
    assert seen.new_breaches == ("first_touch",)
    assert seen.next_deadline == datetime(2026, 11, 23, 16, 0, tzinfo=NY)  # 8h to accept


# --- persistence -------------------------------------------------------------------------------

def test_a_clock_survives_a_json_round_trip() -> None:
    p, c = policy(), clock(policy(), FRIDAY_4PM, NINE_TO_FIVE)
    c.count([call(1, FRIDAY_4PM + MIN), call(2, FRIDAY_4PM + 2 * MIN, "email")])
    assess(c, p, FRIDAY_4PM + timedelta(days=30))
    c.acted.add("cadence")
    c.recycle(FRIDAY_4PM + timedelta(days=30), "Cadence not completed")
    back = Clock.from_json(json.loads(json.dumps(c.to_json())))
    assert back == c
    assert back.to_json() == c.to_json()
    back.to_json()["deadlines"]["cadence_end"] = None  # a copy: the clock is unchanged
    assert back.deadlines.to_json()["cadence_end"] is not None
    assert back.deadlines.marks == c.deadlines.marks
    fresh = clock()
    assert Clock.from_json(json.loads(json.dumps(fresh.to_json()))) == fresh


# --- properties --------------------------------------------------------------------------------

offsets = st.integers(min_value=-3600, max_value=4 * 86_400)  # seconds after the handoff
touch_lists = st.lists(st.tuples(st.integers(0, 6), st.sampled_from(["call", "email", "meeting"]),
                                 offsets), max_size=8)


@settings(max_examples=200, deadline=None)
@given(touch_lists, st.lists(offsets, min_size=1, max_size=12), st.none() | offsets,
       st.booleans())
def test_assess_is_deterministic(touches: list[tuple[int, str, int]], nows: list[int],
                                 accepted: int | None, business: bool) -> None:
    p = policy(calendar="us_sales") if business else policy()
    c = clock(p, FRIDAY_4PM, NINE_TO_FIVE if business else ALWAYS)
    c.count(Touch(f"t{n}", kind, FRIDAY_4PM + timedelta(seconds=s)) for n, kind, s in touches)
    if accepted is not None:
        c.accept(FRIDAY_4PM + timedelta(seconds=accepted))
    for offset in nows:
        now = FRIDAY_4PM + timedelta(seconds=offset)
        twin = copy.deepcopy(c)
        assert assess(c, p, now) == assess(twin, p, now)
        assert c == twin


@settings(max_examples=200, deadline=None)
@given(touch_lists, st.lists(offsets, min_size=1, max_size=16), st.booleans())
def test_a_breached_status_never_goes_back_as_time_passes(
        touches: list[tuple[int, str, int]], nows: list[int], business: bool) -> None:
    p = policy(calendar="us_sales") if business else policy()
    c = clock(p, FRIDAY_4PM, NINE_TO_FIVE if business else ALWAYS)
    arriving = sorted(touches, key=lambda t: t[2])
    reported: list[str] = []
    breached = False
    for offset in sorted(nows):
        now = FRIDAY_4PM + timedelta(seconds=offset)
        c.count(Touch(f"t{n}", kind, FRIDAY_4PM + timedelta(seconds=s))
                for n, kind, s in arriving if s <= offset)
        seen = assess(c, p, now)
        reported += seen.new_breaches
        if breached:
            assert seen.status == "breached"
        breached = seen.status == "breached"
        assert breached == bool(c.breaches)
    assert len(reported) == len(set(reported)) == len(c.breaches)


def test_a_region_matches_the_countries_it_names() -> None:
    regions = {"EMEA": ["GB", "Germany"], "NA": ["US", "CA"]}
    emea, rest = parse_policies([{**STANDARD, "name": "emea", "priority": 5,
                                  "match": {"region": "EMEA", "country": "FR"}},
                                 {**STANDARD, "name": "rest"}], CALENDARS, regions)
    for country, chosen in (("gb", "emea"), ("Germany", "emea"), ("FR", "emea"),
                            ("US", "rest"), (None, "rest")):
        assert select_policy([emea, rest], {"country": country}).name == chosen, country


def test_an_unknown_region_is_named_with_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policies([{**STANDARD, "match": {"region": ["EMAE"]}}], CALENDARS,
                       {"EMEA": ["GB"]})
    message = str(caught.value)
    assert "sla.policies[0] (standard).match.region" in message
    assert "unknown region 'EMAE'" in message and "did you mean 'EMEA'" in message


def test_hot_reads_yes_no_text_as_hubspot_holds_it() -> None:
    hot, cold = parse_policies([{**STANDARD, "name": "hot", "match": {"hot": True}},
                                {**STANDARD, "name": "cold", "match": {"hot": False}}],
                               CALENDARS)
    for value, chosen in (("true", "hot"), ("false", "cold"), (True, "hot"), (None, "cold"),
                          ("", "cold"), ("False", "cold")):
        assert select_policy([hot, cold], {"hot": value}).name == chosen, value
