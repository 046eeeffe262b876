"""Names beside ids and times in the rep's zone (``connector.people``)."""

from __future__ import annotations

from datetime import UTC, datetime

from leadsync.connector.people import Directory, person
from leadsync.connector.routing import Rep

DANA = Rep("005A", "dana@sales.example", "Dana Reyes", "America/Los_Angeles")
NOZONE = Rep("005B", "sam@sales.example", "Sam Ng", None)
PEOPLE = Directory([DANA, NOZONE], {"us_sales": "America/New_York", "broken": ""})
WINTER = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 7, 18, 0, tzinfo=UTC)


def test_a_known_rep_reads_as_name_and_email_an_unknown_one_as_its_id() -> None:
    assert PEOPLE.label("005A") == "Dana Reyes <dana@sales.example>"
    assert PEOPLE.label("005Z") == "005Z"
    assert PEOPLE.label(None) == "-"
    assert (PEOPLE.name("005A"), PEOPLE.email("005A"), PEOPLE.name("005Z")) == (
        "Dana Reyes", "dana@sales.example", None)


def test_times_show_in_the_reps_zone_with_the_zone_named_winter_and_summer() -> None:
    assert PEOPLE.when(WINTER, "005A") == "2026-12-07 10:00 PST"
    assert PEOPLE.when(SUMMER, "005A") == "2026-07-07 11:00 PDT"


def test_without_a_reps_zone_the_clocks_calendar_zone_is_used_then_utc() -> None:
    assert PEOPLE.zone("005B", "rep:America/Chicago") == "America/Chicago"
    assert PEOPLE.zone("005B", "us_sales") == "America/New_York"
    assert PEOPLE.zone("005Z", "broken") == "UTC"
    assert PEOPLE.when(WINTER, None, "24x7") == "2026-12-07 18:00 UTC"
    assert PEOPLE.zone("005A", "us_sales") == "America/Los_Angeles"  # the rep's comes first


def test_a_person_is_name_and_email_or_whichever_is_known() -> None:
    assert person("Ada", "ada@x.example") == "Ada <ada@x.example>"
    assert (person(None, "ada@x.example"), person("Ada", None), person(None, None)) == (
        "ada@x.example", "Ada", "")
