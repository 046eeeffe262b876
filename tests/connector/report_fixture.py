"""A small org whose report answers are worked out by hand (in tests/connector/test_reports*.py).

Calendar ``office``: Monday to Friday 09:00-17:00 UTC, no holidays. Policy ``standard``: first
touch within 4 business hours, cadence 2 calls and 1 email within 2 business days. The period is
November 2026 (Monday 2 November onward); ``NOW`` is Friday 20 November 12:00 UTC.

Reps: Ann Lee (005A) and Bo Chan (005B) report to Mia Ross (005M); Cy Diaz (005C) has no
manager.

Leads (key: source / campaign; what happened; clocks):

- k1: Web / Q4 demo; judged 1 Nov 10:00, MQL 1 Nov 12:00; handed to Ann Mon 2 Nov 09:00,
  first call 10:30 (1.5 business h), 2 calls 1 email: clock met, cadence end Wed 4 Nov 09:00.
- k2: Web / Q4 demo; judged and MQL 2 Nov 15:00; handed to Ann Mon 2 Nov 16:00, first touch
  Tue 3 Nov 11:00 (16-17 + 09-11 = 3 business h, 19 wall-clock h), 1 call 1 email: clock
  breached (cadence), cadence end Wed 4 Nov 16:00.
- k3: Event / no campaign; judged and MQL 3 Nov 08:00; handed to Bo Tue 3 Nov 09:00, never
  touched: breached (first touch), cadence end Thu 5 Nov 09:00.
- k4: Event / Expo; judged and MQL 20 Nov 08:00; handed to Bo Fri 20 Nov 09:00, untouched, first
  touch due 13:00, after NOW: clock pending (open).
- k5: Web / Q4 demo; judged 1 Nov 09:00, MQL 2 Nov 09:00; clock 1 handed to Cy Mon 2 Nov 10:00,
  accepted 11:00, first touch 12:00 (2 business h), 2 calls 1 email, recycled Wed 4 Nov 10:00
  ("Cadence complete ..."): met, kept in clock_history. Came back (qualified again) Mon 16 Nov
  08:00; clock 2 handed to Ann Mon 16 Nov 09:00, touched 09:30 (0.5 business h), converted
  Tue 17 Nov 10:00: resolved, met.
- k6: Web; judged 29 Oct, handed to Ann Fri 30 Oct: outside the period everywhere.
- k7: Web / no campaign; judged and MQL 5 Nov 09:00, handed to Cy 5 Nov 10:00 (no clock kept),
  never touched, recycled 10 Nov ("Cadence not completed ..."), never came back.
- k8: judged 15 Oct, recycled 20 Oct: outside the period.
- k9: Web / no campaign; judged 6 Nov, not qualified.
- k10: Event / no campaign; judged 7 Nov, excluded (rule ``student``).

Rules matched (for the definition report): k1 senior_title, demo_request; k2 company_size,
webinar; k3 senior_title; k4 company_size; k5 senior_title, demo_request, senior_demo; k7
company_size, demo_request; k10 student.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from leadsync.connector.calendar import BusinessCalendar
from leadsync.connector.journey import Journey
from leadsync.connector.policies import parse_policies
from leadsync.connector.reports import Facts
from leadsync.connector.routing import Rep
from leadsync.connector.sla import BREACHED, MET, PENDING, RECYCLED, RESOLVED, Clock, Policy
from leadsync.connector.state import StateStore
from tests.connector.test_definition import load

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
R1 = "Cadence complete (2 calls, 1 email in 2 business days), not converted"
R2 = "Cadence not completed: 0 calls, 0 emails of 2 and 1 in 2 business days"
REPS = {r.id: r for r in (
    Rep("005A", "ann@acme.test", "Ann Lee", "America/New_York", "005M"),
    Rep("005B", "bo@acme.test", "Bo Chan", "Europe/Paris", "005M"),
    Rep("005C", "cy@acme.test", "Cy Diaz", None, None),
    Rep("005M", "mia@acme.test", "Mia Ross", None, None))}


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def office() -> BusinessCalendar:
    week = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    return BusinessCalendar("office", "UTC", week)


def standard() -> Policy:
    (policy,) = parse_policies([{"name": "standard", "calendar": "office",
                                 "first_touch_within": "4h",
                                 "cadence": {"calls": 2, "emails": 1, "within": "2d"}}],
                               ["office"])
    return policy


def clock(key: str, owner: str, handoff: datetime, status: str, *, touch: datetime | None = None,
          calls: int = 0, emails: int = 0, breaches: tuple[str, ...] = (),
          resolved: datetime | None = None, recycled: datetime | None = None,
          reason: str | None = None) -> Clock:
    made = Clock.start(key, standard(), office(), handoff, owner)
    made.first_touch_at = made.accepted_at = touch
    made.calls, made.emails, made.status, made.breaches = calls, emails, status, set(breaches)
    made.resolved_at, made.recycled_at, made.recycle_reason = resolved, recycled, reason
    return made


def journeys() -> list[Journey]:
    def lead(key: str, source: str | None, campaign: str | None, judged: datetime,
             **facts: object) -> Journey:
        return Journey(key, email=f"{key}@lead.test", name=f"Lead {key.upper()}", source=source,
                       campaign=campaign, first_judged_at=judged, version="v1",
                       **facts)  # type: ignore[arg-type]

    return [
        lead("k1", "Web", "Q4 demo", at(1, 10), qualified=True, mql_at=at(1, 12),
             matched=("senior_title", "demo_request"), crm_id="00Q1", owner_id="005A",
             handed_off_at=at(2, 9), first_touch_at=at(2, 10, 30)),
        lead("k2", "Web", "Q4 demo", at(2, 15), qualified=True, mql_at=at(2, 15),
             matched=("company_size", "webinar"), crm_id="00Q2", owner_id="005A",
             handed_off_at=at(2, 16), first_touch_at=at(3, 11)),
        lead("k3", "Event", None, at(3, 8), qualified=True, mql_at=at(3, 8),
             matched=("senior_title",), crm_id="00Q3", owner_id="005B",
             handed_off_at=at(3, 9)),
        lead("k4", "Event", "Expo", at(20, 8), qualified=True, mql_at=at(20, 8),
             matched=("company_size",), crm_id="00Q4", owner_id="005B",
             handed_off_at=at(20, 9)),
        lead("k5", "Web", "Q4 demo", at(1, 9), qualified=True, mql_at=at(2, 9),
             matched=("senior_title", "demo_request", "senior_demo"), crm_id="00Q5",
             owner_id="005A", handed_off_at=at(2, 10), accepted_at=at(2, 11),
             first_touch_at=at(2, 12), returned_at=at(16, 8), converted_at=at(17, 10),
             recycled_at=at(4, 10), recycle_reason=R1, recycle_count=1),
        lead("k6", "Web", None, at(29, 9, month=10), qualified=True,
             mql_at=at(29, 9, month=10), crm_id="00Q6", owner_id="005A",
             handed_off_at=at(30, 9, month=10)),
        lead("k7", "Web", None, at(5, 9), qualified=True, mql_at=at(5, 9),
             matched=("company_size", "demo_request"), crm_id="00Q7", owner_id="005C",
             handed_off_at=at(5, 10), recycled_at=at(10, 12), recycle_reason=R2,
             recycle_count=1),
        lead("k8", "Web", None, at(15, 9, month=10), qualified=True,
             mql_at=at(15, 9, month=10), recycled_at=at(20, 9, month=10), recycle_reason=R2,
             recycle_count=1),
        lead("k9", "Web", None, at(6, 9)),
        lead("k10", "Event", None, at(7, 9), excluded=True, matched=("student",)),
    ]


def current_clocks() -> list[Clock]:
    return [
        clock("k1", "005A", at(2, 9), MET, touch=at(2, 10, 30), calls=2, emails=1),
        clock("k2", "005A", at(2, 16), BREACHED, touch=at(3, 11), calls=1, emails=1,
              breaches=("cadence",)),
        clock("k3", "005B", at(3, 9), BREACHED, breaches=("first_touch",)),
        clock("k4", "005B", at(20, 9), PENDING),
        clock("k5", "005A", at(16, 9), RESOLVED, touch=at(16, 9, 30), calls=1,
              resolved=at(17, 10)),
        clock("k6", "005A", at(30, 9, month=10), MET, touch=at(30, 10, month=10), calls=2,
              emails=1),
    ]


def stored(tmp_path: Path, owners: Mapping[str, str] | None = None) -> StateStore:
    """The org in a real SQLite state store, as the sync and the sweep leave it; ``owners``
    maps the reps' ids above to those of a CRM (a sandbox org's users)."""
    def owner(given: str | None) -> str | None:
        return (owners or {}).get(given, given) if given else given

    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    store.put_journeys("default", [replace(j, owner_id=owner(j.owner_id)) for j in journeys()])
    first = clock("k5", owner("005C") or "", at(2, 10), RECYCLED, touch=at(2, 12), calls=2,
                  emails=1, recycled=at(4, 10), reason=R1)
    first.accepted_at = at(2, 11)
    store.archive_clock("default", "k5", {"crm_id": "00Q5", "owner_id": first.owner_id,
                                          "status": RECYCLED, "clock": first.to_json()})
    now = current_clocks()
    for made in now:
        made.owner_id = owner(made.owner_id)
    store.save_clocks("default", [
        {"key": c.key, "crm_id": "00Q" + c.key[1:], "owner_id": c.owner_id, "status": c.status,
         "handoff_at": c.deadlines.handoff_at, "open": c.status not in (RESOLVED, RECYCLED),
         "clock": c.to_json()} for c in now])
    return store


def facts(tmp_path: Path, **changes: object) -> Facts:
    """The facts the reports read, from the store, for November 2026."""
    store = stored(tmp_path)
    calendar = office()
    given: dict[str, object] = {
        "reps": REPS, "calendars": {"office": calendar, "default": calendar},
        "policies": {"standard": standard()}, "definition": load(), "start": START,
        "end": END, "zone": "UTC"}
    given.update(changes)
    made = Facts(store.journeys("default"), store.clock_cycles("default"), NOW,
                 **given)  # type: ignore[arg-type]
    store.close()
    return made
