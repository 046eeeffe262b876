"""SLA policies and clocks: the deadlines sales agreed to, and where each handed-off lead stands.

A **policy** (``[[sla.policies]]`` in the config, read by ``parse_policies``) says which leads it
covers (``Selector``: grade, lead source, country, hot; every given criterion must hold) and what
the owner owes them, counted on a business calendar from the **handoff**:

- ``accept_within`` (optional): the rep accepts the lead (a status change or any touch);
- ``first_touch_within``: the first call or email;
- ``cadence``: at least ``calls`` calls and ``emails`` emails within ``within``; the end of that
  window is also the end of the clock: the lead is **exhausted** then.

``select_policy`` takes the first matching policy by ``priority`` (highest first), then file
order. ``calendar = "rep"`` means the default calendar's hours in the owner's time zone
(``resolve_calendar``). ``Clock.start`` on the calendar ``resolve_calendar`` gives is the one way
a clock starts (the sweep's planner, ``connector.sweep_plan``, starts every clock so).
``deadlines`` computes every deadline and warning point ONCE, at handoff,
and the clock stores them: changing a calendar or a policy's durations later never moves a
running clock (the cadence counts and actions are read from the policy given to ``assess``).

A **clock** (``Clock``) is the persisted state of one lead's SLA (``to_json``/``from_json``).
``Clock.count`` adds touches (``Touch``): only ``call``, ``email`` and ``meeting`` (a calendar
Event) are touches, and a meeting counts as a call for the cadence. A touch counts once (by id)
and only inside the clock's window: from the handoff to the cadence end, or to the resolution or
recycling if earlier, both ends included; touches outside it are ignored and not remembered.
A touch also accepts the lead. ``Clock.accept`` records an acceptance; the earliest one is kept.

``assess(clock, policy, now, converted, disqualified)`` is the sweep's inner loop. It does no
calendar arithmetic (deadlines are precomputed, compared as epoch floats) and is deterministic in
``(clock, policy, now, converted, disqualified)``. It writes ``clock.status``, adds new kinds to
``clock.breaches``, and sets ``clock.breached_at`` / ``clock.resolved_at``; nothing else. Status,
first rule that applies:

1. ``resolved``: converted or disqualified now, or ``clock.resolved_at`` already set (sticky; a
   reopened lead gets a new clock). ``resolved_at`` becomes ``now`` the first time. The clock has
   stopped: no breach is recorded any more, nothing is exhausted, no next deadline.
2. ``recycled``: ``clock.recycled_at`` is set (the job recycled it, see ``Clock.recycle``).
3. ``breached``: some obligation missed its deadline, now or in an earlier assessment. An
   obligation is missed when ``now`` is past its deadline and it is unmet: not accepted by
   ``accept_by``, no touch by ``first_touch_by``, or calls/emails short at ``cadence_end``
   (the cadence is judged at ``now >= cadence_end``, the instant the lead is exhausted, so a
   lead never leaves its rep unjudged). A late acceptance or a late first touch, even one logged
   after the sweep passed the deadline, is a breach too. ``new_breaches`` lists the kinds
   (``accept``, ``first_touch``, ``cadence``) seen for the first time in this call, so each is
   reported exactly once; they stay in ``clock.breaches`` for good, and the status never leaves
   ``breached`` (except for 1. and 2.). ``breached_at`` is the earliest missed deadline (not the
   sweep time). ``clock.acted`` is the job's: breaches minus acted (``Clock.unacted``) are the
   breaches whose actions have not been carried out yet.
4. ``met``: every obligation satisfied in time: accepted by ``accept_by`` (when the policy has
   one), first touch by ``first_touch_by``, cadence counts reached. A touch exactly at a
   deadline is in time. Once met, nothing can breach.
5. ``at_risk``: ``now`` is at or past the warning point (``warn_at`` of the business time, e.g.
   75%) of an open, unmet obligation. All warning points share one fraction, so this is the
   warning point of the nearest one.
6. ``pending``: otherwise.

``exhausted`` is ``now >= cadence_end`` for a clock neither resolved nor recycled, whether the
cadence was met or not ("a lead that finishes the cadence without converting goes back to
marketing"); ``recycle_reason`` then explains it in one line. ``next_deadline`` is the earliest
deadline still ahead (``>= now``) among unmet obligations and the cadence end, which stays the
next deadline until it passes, met or not, since that is when the lead is recycled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from leadsync.connector.durations import Duration
from leadsync.connector.policies import (
    BREACH_ACTIONS,
    DEFAULT_CALENDAR,
    EXHAUSTED_ACTIONS,
    REP_CALENDAR,
    Policy,
    Selector,
    parse_policies,
    resolve_calendar,
    select_policy,
)

if TYPE_CHECKING:
    from leadsync.connector.calendar import BusinessCalendar

PENDING, AT_RISK, MET, BREACHED = "pending", "at_risk", "met", "breached"
RECYCLED, RESOLVED = "recycled", "resolved"
STATUSES = (PENDING, AT_RISK, MET, BREACHED, RECYCLED, RESOLVED)
ACCEPT, FIRST_TOUCH, CADENCE = "accept", "first_touch", "cadence"  # breach kinds
CALL, EMAIL, MEETING = "call", "email", "meeting"  # touch kinds
_TOUCH_KINDS = frozenset((CALL, EMAIL, MEETING))
_INF = float("inf")


# --- deadlines and touches ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Deadlines:
    """A clock's deadlines and warning points, fixed at handoff; ``marks`` are their epochs."""

    handoff_at: datetime
    accept_by: datetime | None
    accept_warn: datetime | None
    first_touch_by: datetime
    first_touch_warn: datetime
    cadence_end: datetime
    cadence_warn: datetime
    marks: tuple[float, ...] = field(init=False, repr=False, compare=False)  # inf: none
    _json: dict[str, str | None] | None = field(
        default=None, init=False, repr=False, compare=False)  # kept: they never change

    def __post_init__(self) -> None:
        object.__setattr__(self, "marks", tuple(
            _INF if d is None else d.timestamp() for d in (
                self.handoff_at, self.accept_by, self.accept_warn, self.first_touch_by,
                self.first_touch_warn, self.cadence_end, self.cadence_warn)))

    def to_json(self) -> dict[str, str | None]:
        cached = self._json
        if cached is None:
            cached = {name: _iso(getattr(self, name)) for name in _DEADLINE_FIELDS}
            object.__setattr__(self, "_json", cached)
        return dict(cached)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Deadlines:
        made = cls(handoff_at=datetime.fromisoformat(data["handoff_at"]),
                   accept_by=_instant(data.get("accept_by")),
                   accept_warn=_instant(data.get("accept_warn")),
                   first_touch_by=datetime.fromisoformat(data["first_touch_by"]),
                   first_touch_warn=datetime.fromisoformat(data["first_touch_warn"]),
                   cadence_end=datetime.fromisoformat(data["cadence_end"]),
                   cadence_warn=datetime.fromisoformat(data["cadence_warn"]))
        object.__setattr__(made, "_json", {name: data.get(name) for name in _DEADLINE_FIELDS})
        return made


_DEADLINE_FIELDS = ("handoff_at", "accept_by", "accept_warn", "first_touch_by",
                    "first_touch_warn", "cadence_end", "cadence_warn")


def deadlines(policy: Policy, calendar: BusinessCalendar, handoff_at: datetime) -> Deadlines:
    """Every deadline of ``policy`` for a lead handed off at ``handoff_at`` (aware) on
    ``calendar``; each warning point is where ``warn_at`` of that obligation's business time
    has elapsed. Computed once, at handoff, and stored with the clock."""
    def by(duration: Duration) -> tuple[datetime, datetime]:
        return (calendar.add(handoff_at, duration),
                calendar.fraction_point(handoff_at, duration, policy.warn_at))

    accept_by, accept_warn = by(policy.accept_within) if policy.accept_within else (None, None)
    return Deadlines(handoff_at, accept_by, accept_warn, *by(policy.first_touch_within),
                     *by(policy.cadence_within))


@dataclass(frozen=True, slots=True)
class Touch:
    """A completed activity on the lead: ``call``, ``email`` or ``meeting`` (an Event, which
    counts as a call); any other kind is not a touch and is ignored."""

    id: str
    kind: str
    at: datetime


# --- clocks ------------------------------------------------------------------------------------

@dataclass(slots=True)
class Clock:
    """The persisted SLA state of one lead (see the module docstring for each field's rules)."""

    key: str
    policy: str
    calendar: str  # the name of the calendar the deadlines were computed on
    deadlines: Deadlines
    owner_id: str | None
    accepted_at: datetime | None = None
    first_touch_at: datetime | None = None
    calls: int = 0  # meetings included
    emails: int = 0
    counted: set[str] = field(default_factory=set)  # ids of the touches counted
    status: str = PENDING
    breached_at: datetime | None = None
    breaches: set[str] = field(default_factory=set)  # breach kinds seen
    acted: set[str] = field(default_factory=set)  # breach kinds the job has acted on
    resolved_at: datetime | None = None
    recycled_at: datetime | None = None
    recycle_reason: str | None = None

    @classmethod
    def start(cls, key: str, policy: Policy, calendar: BusinessCalendar, handoff_at: datetime,
              owner_id: str | None) -> Clock:
        """A new clock for a lead handed off at ``handoff_at``; ``calendar`` comes from
        ``resolve_calendar``. A ``"rep"`` clock records its calendar as ``rep:<time zone>``."""
        name = f"{REP_CALENDAR}:{calendar.tz.key}" if policy.calendar == REP_CALENDAR \
            else calendar.name
        return cls(key, policy.name, name, deadlines(policy, calendar, handoff_at), owner_id)

    def count(self, touches: Iterable[Touch]) -> list[Touch]:
        """Count the new touches inside the clock's window; returns those counted now."""
        counted, marks = self.counted, self.deadlines
        start, end = marks.handoff_at, marks.cadence_end
        for stop in (self.resolved_at, self.recycled_at):
            if stop is not None and stop < end:
                end = stop
        now_counted: list[Touch] = []
        for touch in touches:
            if touch.id in counted:
                continue
            kind = touch.kind
            if kind not in _TOUCH_KINDS:
                continue
            at = touch.at
            if at < start or at > end:
                continue
            counted.add(touch.id)
            if kind == EMAIL:
                self.emails += 1
            else:
                self.calls += 1
            if self.first_touch_at is None or at < self.first_touch_at:
                self.first_touch_at = at
            if self.accepted_at is None or at < self.accepted_at:
                self.accepted_at = at
            now_counted.append(touch)
        return now_counted

    def accept(self, at: datetime) -> None:
        """The rep accepted the lead at ``at`` (never earlier than the handoff); keeps the
        earliest acceptance."""
        at = max(at, self.deadlines.handoff_at)
        if self.accepted_at is None or at < self.accepted_at:
            self.accepted_at = at

    def recycle(self, at: datetime, reason: str) -> None:
        """The job handed the lead back to marketing; the clock stops (status ``recycled``)."""
        self.recycled_at, self.recycle_reason, self.status = at, reason, RECYCLED

    @property
    def unacted(self) -> frozenset[str]:
        """Breach kinds seen whose actions the job has not carried out yet."""
        return frozenset(self.breaches - self.acted)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "policy": self.policy, "calendar": self.calendar,
                "deadlines": self.deadlines.to_json(), "owner_id": self.owner_id,
                "accepted_at": _iso(self.accepted_at),
                "first_touch_at": _iso(self.first_touch_at), "calls": self.calls,
                "emails": self.emails, "counted": sorted(self.counted), "status": self.status,
                "breached_at": _iso(self.breached_at), "breaches": sorted(self.breaches),
                "acted": sorted(self.acted), "resolved_at": _iso(self.resolved_at),
                "recycled_at": _iso(self.recycled_at), "recycle_reason": self.recycle_reason}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Clock:
        return cls(key=data["key"], policy=data["policy"], calendar=data["calendar"],
                   deadlines=Deadlines.from_json(data["deadlines"]),
                   owner_id=data.get("owner_id"), accepted_at=_instant(data.get("accepted_at")),
                   first_touch_at=_instant(data.get("first_touch_at")),
                   calls=data.get("calls", 0), emails=data.get("emails", 0),
                   counted=set(data.get("counted", ())), status=data.get("status", PENDING),
                   breached_at=_instant(data.get("breached_at")),
                   breaches=set(data.get("breaches", ())), acted=set(data.get("acted", ())),
                   resolved_at=_instant(data.get("resolved_at")),
                   recycled_at=_instant(data.get("recycled_at")),
                   recycle_reason=data.get("recycle_reason"))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


# --- assessment --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Assessment:
    status: str  # pending | at_risk | met | breached | recycled | resolved
    new_breaches: tuple[str, ...]  # kinds first seen now: act on these once
    exhausted: bool  # cadence window over, neither resolved nor recycled
    recycle_reason: str | None  # one line for reps and marketers, set when exhausted
    next_deadline: datetime | None  # the earliest deadline still ahead


_RESOLVED = Assessment(RESOLVED, (), False, None, None)
_RECYCLED = Assessment(RECYCLED, (), False, None, None)
_now: tuple[datetime | None, float] = (None, 0.0)  # the sweep's `now` and its epoch, cached


def assess(clock: Clock, policy: Policy, now: datetime, converted: bool = False,
           disqualified: bool = False) -> Assessment:
    """Where ``clock`` stands at ``now`` (aware); updates ``clock.status``, ``breaches``,
    ``breached_at`` and ``resolved_at`` as the module docstring says."""
    global _now
    if converted or disqualified or clock.resolved_at is not None:
        if clock.resolved_at is None:
            clock.resolved_at = now
        clock.status = RESOLVED
        return _RESOLVED
    if clock.recycled_at is not None:
        clock.status = RECYCLED
        return _RECYCLED
    cached = _now
    if cached[0] is now:
        t = cached[1]
    else:
        if now.tzinfo is None:
            raise ValueError("assess needs an aware datetime for now")
        t = now.timestamp()
        _now = (now, t)
    d = clock.deadlines
    _, accept_by, accept_warn, first_by, first_warn, end, end_warn = d.marks
    breaches = clock.breaches
    missed: list[str] = []
    unmet = risk = False
    upcoming: datetime | None = None  # the earliest deadline still ahead
    upcoming_mark = _INF
    if d.accept_by is not None:
        accepted = clock.accepted_at
        if accepted is None:
            unmet = True
            if t > accept_by:
                if ACCEPT not in breaches:
                    missed.append(ACCEPT)
            else:
                upcoming, upcoming_mark = d.accept_by, accept_by
                risk = t >= accept_warn
        elif accepted > d.accept_by:
            unmet = True
            if ACCEPT not in breaches:
                missed.append(ACCEPT)
    first = clock.first_touch_at
    if first is None:
        unmet = True
        if t > first_by:
            if FIRST_TOUCH not in breaches:
                missed.append(FIRST_TOUCH)
        else:
            if first_by < upcoming_mark:
                upcoming, upcoming_mark = d.first_touch_by, first_by
            if t >= first_warn:
                risk = True
    elif first > d.first_touch_by:
        unmet = True
        if FIRST_TOUCH not in breaches:
            missed.append(FIRST_TOUCH)
    short = clock.calls < policy.cadence_calls or clock.emails < policy.cadence_emails
    exhausted = t >= end
    if exhausted:
        if short:
            unmet = True
            if CADENCE not in breaches:
                missed.append(CADENCE)
    else:
        if end < upcoming_mark:
            upcoming = d.cadence_end
        if short:
            unmet = True
            if t >= end_warn:
                risk = True
    if missed:
        breaches.update(missed)
        missed_by = min(_deadline_of(d, kind) for kind in missed)
        if clock.breached_at is None or missed_by < clock.breached_at:
            clock.breached_at = missed_by
    status = BREACHED if breaches else AT_RISK if risk else PENDING if unmet else MET
    clock.status = status
    reason = None
    if exhausted:
        done = (clock.calls, clock.emails)
        reason = policy._reasons.get(done)
        if reason is None:
            reason = policy._reasons.setdefault(done, recycle_reason(policy, *done))
    return Assessment(status, tuple(missed) if missed else (), exhausted, reason, upcoming)


def _deadline_of(d: Deadlines, kind: str) -> datetime:
    deadline = d.accept_by if kind == ACCEPT else d.first_touch_by if kind == FIRST_TOUCH \
        else d.cadence_end
    assert deadline is not None
    return deadline


def recycle_reason(policy: Policy, calls: int, emails: int) -> str:
    """Why an exhausted lead goes back to marketing, in one line for reps and marketers."""
    window = business_words(policy.cadence_within)
    wanted = ((calls, policy.cadence_calls, "call"), (emails, policy.cadence_emails, "email"))
    if calls >= policy.cadence_calls and emails >= policy.cadence_emails:
        done = ", ".join(_plural(n, word) for n, need, word in wanted if need or n)
        return f"Cadence complete ({done} in {window}), not converted"
    done = ", ".join(_plural(n, word) for n, need, word in wanted if need)
    needed = " and ".join(str(need) for _, need, _ in wanted if need)
    return f"Cadence not completed: {done} of {needed} in {window}"


def business_words(duration: Duration) -> str:
    """``Duration(days=10)`` -> "10 business days"; ``Duration(minutes=90)`` -> "1 business
    hour 30 minutes"; ``Duration(days=1, minutes=240)`` -> "1 business day 4 hours"."""
    hours, minutes = divmod(duration.minutes, 60)
    parts = [_plural(n, word) for n, word in ((duration.days, "day"), (hours, "hour"),
                                              (minutes, "minute")) if n] or ["0 minutes"]
    number, rest = parts[0].split(" ", 1)
    return " ".join([f"{number} business {rest}", *parts[1:]])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


__all__ = [  # the policies live in connector.policies; they are part of this module's API
    "BREACH_ACTIONS", "DEFAULT_CALENDAR", "EXHAUSTED_ACTIONS", "REP_CALENDAR", "Assessment",
    "Clock", "Deadlines", "Policy", "Selector", "Touch", "assess", "deadlines", "parse_policies",
    "recycle_reason", "resolve_calendar", "select_policy",
]
