"""What the demo shows each team, read back from the systems and the state store.

Three views, each read the way its audience would see it, never from the demo's own counters:

- ``account``: every person of the sandbox orgs in exactly one row, so the rows sum to the
  people seeded. A person's row follows from what the systems hold: the verdict on the HubSpot
  contact (``leadsync_qualified``), whether Salesforce holds a lead for them and whether it is
  converted, and whether the state store holds an SLA clock for them. Why a lead kept in
  marketing was not qualified is read from the facts the state store keeps of its verdict (its
  journey: ``excluded``, and the rules it matched), never from the reason's wording: it was
  **ruled out** when an exclusion matched or a required field is missing (a required rule not
  matched), else it scored **below the bar**.
  Only the qualified leads of Salesforce that are not converted are handed off: a converted lead
  is a contact on an account already (Salesforce refuses writes to it), so it gets no clock.
  Whatever fits no row is counted as "not accounted for", which should read 0.
- ``rep_rows``: what a rep sees on the Salesforce lead, the deadlines in the rep's own time zone
  (the owner's ``TimeZoneSidKey``, read through the ``Activities.reps()`` port), with the zone.
- ``recycled_rows``: a recycled lead as marketing sees it in HubSpot: in the nurture list (its
  members read from HubSpot), with the reason, when and how many times it was recycled.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadsync.connector.journey import Journey
from leadsync.connector.models import Record
from leadsync.connector.qualify import instant
from leadsync.connector.routing import Rep
from leadsync.connector.store import Link
from leadsync.connector.timefmt import local


@dataclass(frozen=True, slots=True)
class Person:
    """One linked person as the systems and the state store hold them."""

    key: str
    email: str
    qualified: bool  # the verdict on the HubSpot contact
    ruled_out: bool | None  # excluded or missing a required field; None: no verdict stored
    in_crm: bool  # Salesforce holds a lead for them
    converted: bool  # ... already converted to a contact
    clocked: bool  # the state store holds an SLA clock for them


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    people: int
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Accounting:
    seeded: int
    rows: tuple[Row, ...]
    handed_off: int  # qualified, a Salesforce lead not converted
    clocks: int  # SLA clocks in the state store
    ruled_out: int = 0  # of those kept in marketing: excluded or a required field missing
    below_the_bar: int = 0  # ... the others with a verdict stored

    @property
    def total(self) -> int:
        return sum(row.people for row in self.rows)

    @property
    def qualified(self) -> int:
        return sum(self.count(label) for label in (HANDED, HANDED_UNCLOCKED,
                                                   CONVERTED_QUALIFIED, QUALIFIED_MISSING))

    def count(self, label: str) -> int:
        return next((row.people for row in self.rows if row.label == label), 0)


HANDED = "handed to sales: a Salesforce lead, SLA clock started"
HANDED_UNCLOCKED = "handed to sales, but no SLA clock (no policy matched)"
CONVERTED_QUALIFIED = "qualified, already a converted Salesforce lead: no new handoff"
QUALIFIED_MISSING = "qualified, but not in Salesforce (refused: see `leadsync errors`)"
KEPT = "not qualified: kept in HubSpot for nurture"
SALES_OWN = "not qualified: already a Salesforce lead, left with its owner"
CONVERTED_OTHER = "not qualified: already a converted Salesforce lead"
NOT_LINKED = "not accounted for (seeded, never linked)"


def person(link: Link, contact: Record | None, lead: Record | None, clocked: Container[str],
           journey: Journey | None, required: Iterable[str]) -> Person:
    """``link``'s person; ``required`` names the definition's required fields (their rules
    are named after them)."""
    m = contact.fields if contact else {}
    return Person(link.key, link.email or "", _true(m.get("leadsync_qualified")),
                  ruled_out(journey, required), lead is not None,
                  lead is not None and _true(lead.fields.get("IsConverted")),
                  link.key in clocked)


def ruled_out(journey: Journey | None, required: Iterable[str]) -> bool | None:
    """Whether the lead's latest verdict excluded it or found a required field missing (None
    when the state store holds no verdict for it)."""
    if journey is None or journey.first_judged_at is None:
        return None
    return journey.excluded or any(name not in journey.matched for name in required)


def account(people: Sequence[Person], seeded: int) -> Accounting:
    """Each person in one row; a row for the seeded people no link holds."""
    placed: Counter[str] = Counter()
    why: Counter[str] = Counter()
    for p in people:
        if p.qualified:
            row = (CONVERTED_QUALIFIED if p.converted else QUALIFIED_MISSING if not p.in_crm
                   else HANDED if p.clocked else HANDED_UNCLOCKED)
        else:
            row = (CONVERTED_OTHER if p.converted else SALES_OWN if p.in_crm else KEPT)
        placed[row] += 1
        if row == KEPT:
            why[_WHY[p.ruled_out]] += 1
    rows = [Row(HANDED, placed[HANDED], "its deadlines below"),
            Row(CONVERTED_QUALIFIED, placed[CONVERTED_QUALIFIED],
                "a contact on an account: no clock"),
            Row(KEPT, placed[KEPT], f"{why['ruled out']} ruled out (an exclusion or a "
                                    f"missing field), {why['below the bar']} below the bar"
                                    + (f", {why['no verdict']} with no verdict stored"
                                       if why["no verdict"] else "")),
            Row(SALES_OWN, placed[SALES_OWN], "its verdict stamped, no clock"),
            Row(CONVERTED_OTHER, placed[CONVERTED_OTHER], "")]
    for label in (HANDED_UNCLOCKED, QUALIFIED_MISSING):
        if placed[label]:
            rows.append(Row(label, placed[label]))
    rows.append(Row(NOT_LINKED, max(seeded - len(people), 0)))
    handed = placed[HANDED] + placed[HANDED_UNCLOCKED]
    clocks = sum(p.clocked for p in people)
    return Accounting(seeded, tuple(rows), handed, clocks, why["ruled out"],
                      why["below the bar"])


@dataclass(frozen=True, slots=True)
class RepRow:
    """One SLA-stamped lead as its owner sees it in Salesforce."""

    lead: str  # name and email
    owner: str  # the rep's name
    zone: str  # the rep's time zone (IANA)
    policy: str
    first_touch_by: str  # in the rep's zone, zone shown
    cadence_end: str
    status: str


def rep_rows(leads: Sequence[Record], reps: Mapping[str, Rep], limit: int) -> list[RepRow]:
    """``limit`` SLA-stamped leads, one rep's time zone after another so that the zones
    show, each deadline in the lead owner's zone."""
    stamped = [lead for lead in leads if lead.fields.get("LeadSync_SLA_Policy__c")]
    stamped.sort(key=lambda lead: (_zone_of(lead, reps), lead.id))
    by_zone: dict[str, list[Record]] = {}
    for lead in stamped:
        by_zone.setdefault(_zone_of(lead, reps), []).append(lead)
    picked: list[Record] = []
    while len(picked) < limit and any(by_zone.values()):
        for group in by_zone.values():
            if group and len(picked) < limit:
                picked.append(group.pop(0))
    rows = []
    for lead in picked:
        f = lead.fields
        rep = reps.get(str(f.get("OwnerId") or ""))
        zone = rep.time_zone if rep and rep.time_zone else "UTC"
        name = " ".join(str(f.get(n) or "") for n in ("FirstName", "LastName")).strip()
        rows.append(RepRow(
            f"{name}\n{f.get('Email') or ''}", rep.name if rep else str(f.get("OwnerId")),
            zone, str(f.get("LeadSync_SLA_Policy__c")),
            local(instant(f.get("LeadSync_First_Touch_By__c")), zone),
            local(instant(f.get("LeadSync_Cadence_End__c")), zone),
            str(f.get("LeadSync_SLA_Status__c") or "")))
    return rows


@dataclass(frozen=True, slots=True)
class RecycledRow:
    """One recycled lead as marketing sees it on the HubSpot contact."""

    contact: str  # name and email
    in_list: str  # the nurture list it is a member of, as HubSpot lists it
    lead_status: str  # hs_lead_status
    reason: str
    recycled_at: str  # in the marketing team's zone, zone shown
    times: int


def recycled_rows(contacts: Sequence[Record], list_name: str, zone: str,
                  limit: int) -> list[RecycledRow]:
    """``limit`` members of the nurture list, as HubSpot holds them (``contacts``): one for
    each recycle reason first, in the order the contacts were made."""
    ordered = sorted(contacts, key=lambda c: (len(c.id), c.id))
    reasons: dict[str, Record] = {}
    for contact in ordered:
        reasons.setdefault(str(contact.fields.get("leadsync_recycle_reason") or ""), contact)
    firsts = list(reasons.values())
    picked = (firsts + [c for c in ordered if c not in firsts])[:limit]
    rows = []
    for contact in picked:
        f = contact.fields
        name = " ".join(str(f.get(n) or "") for n in ("firstname", "lastname")).strip()
        rows.append(RecycledRow(
            f"{name}\n{f.get('email') or ''}", list_name, str(f.get("hs_lead_status") or ""),
            str(f.get("leadsync_recycle_reason") or ""),
            local(instant(f.get("leadsync_recycled_at")), zone),
            int(float(f.get("leadsync_recycle_count") or 0))))
    return rows


@dataclass(frozen=True, slots=True)
class Work:
    """What a lead's owner does with it after the handoff: touches, maybe a conversion."""

    lead_id: str
    touches: tuple[tuple[str, datetime], ...]  # ("call" | "email", when)
    converted_at: datetime | None = None


def reps_work(leads: Sequence[Record]) -> list[Work]:
    """The reps' next two weeks on the SLA-stamped ``leads``, one lead in four each way: worked
    and converted (two calls, converted on the third day); worked through the whole cadence (4
    calls and 2 emails in the first five days) without converting; called once; never touched.
    The first call comes before the first-touch deadline stamped on the lead, 30 to 150
    minutes ahead of it (never more than 80% of the time given), so it falls in the rep's
    working hours as the deadline does; 20 minutes after the handoff when none is stamped."""
    stamped = sorted((lead for lead in leads if lead.fields.get("LeadSync_SLA_Policy__c")),
                     key=lambda lead: lead.id)
    work = []
    for number, lead in enumerate(stamped):
        handoff = instant(lead.fields.get("LeadSync_Handoff_At__c"))
        if handoff is None or number % 4 == 3:
            continue
        first = _first_touch(lead, handoff, number)
        day = timedelta(days=1)
        if number % 4 == 0:
            work.append(Work(lead.id, (("call", first), ("call", first + day)), first + 2 * day))
        elif number % 4 == 1:
            work.append(Work(lead.id, (
                ("call", first), ("call", first + day), ("email", first + day + _HOUR),
                ("call", first + 2 * day), ("call", first + 3 * day),
                ("email", first + 4 * day))))
        else:
            work.append(Work(lead.id, (("call", first),)))
    return work


def _first_touch(lead: Record, handoff: datetime, number: int) -> datetime:
    due = instant(lead.fields.get("LeadSync_First_Touch_By__c"))
    if due is None or due <= handoff:
        return handoff + timedelta(minutes=20)
    return due - min((due - handoff) * 0.8, timedelta(minutes=30 + 30 * (number % 5)))


def outcomes(leads: Sequence[Record]) -> list[Row]:
    """How the SLA-stamped leads ended, as Salesforce holds them: a row per SLA status and
    recycle reason, the largest first."""
    counted: Counter[str] = Counter()
    for lead in leads:
        f = lead.fields
        if not f.get("LeadSync_SLA_Policy__c"):
            continue
        status = str(f.get("LeadSync_SLA_Status__c") or "no status")
        if _true(f.get("IsConverted")):  # locked: its SLA fields stay as they were
            label = "resolved: converted by the rep"
        elif f.get("LeadSync_Recycle_Reason__c"):
            label = f"{status}: {f.get('LeadSync_Recycle_Reason__c')}"
        else:
            label = status
        if f.get("LeadSync_Breached_At__c"):
            label += " (a deadline missed)"
        counted[label] += 1
    return [Row(label, people) for label, people in counted.most_common()]


def later_than_every_cadence(leads: Iterable[Record], now: datetime) -> datetime | None:
    """The next whole hour after the last cadence end stamped on ``leads``; None if none
    ends after ``now``."""
    ends = [moment for lead in leads
            if (moment := instant(lead.fields.get("LeadSync_Cadence_End__c"))) is not None]
    last = max(ends, default=None)
    if last is None or last <= now:
        return None
    return last.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


_HOUR = timedelta(hours=1)
_WHY = {True: "ruled out", False: "below the bar", None: "no verdict"}


def _zone_of(lead: Record, reps: Mapping[str, Rep]) -> str:
    rep = reps.get(str(lead.fields.get("OwnerId") or ""))
    return rep.time_zone if rep and rep.time_zone else "UTC"


def _true(value: object) -> bool:
    return value is True or str(value).lower() == "true"

