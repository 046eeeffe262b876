"""Lead distribution: round-robin over a pool of reps, with accountability.

``RoundRobin.pick`` walks the pool from ``position`` (the index of the next rep to consider,
kept by the job between runs; it wraps around and is taken modulo the pool's size, so a pool
that shrank stays usable) and gives the lead to the first eligible rep. A rep is skipped, with
the reason, when (checked in this order):

- ``inactive user``: the CRM user is deactivated (``Rep.active`` false);
- ``excluded``: named in ``exclude``, e.g. the owner a breached lead is reassigned from;
- ``out of office until <last day>``: today, in the rep's time zone (``now``'s zone without one),
  falls within the rep's ``out_of_office`` dates (first and last day, both included);
- ``SLA compliance 62% < 80% over 30 days``: ``min_compliance`` is set and the rep's compliance
  (``compliance()``, met / (met + breached)) is below it. A rep with no decided clocks is absent
  from the mapping and not judged: new reps get leads.

After a pick, ``position`` is the index after the chosen rep, so a skipped rep is simply passed
over this round and gets the next lead that reaches their turn once eligible again. When nobody
is eligible the pick is ``None`` with every rep and reason, and ``position`` stays.

``compliance(clocks, now, window_days)`` judges an owner over the clocks handed off in the last
``window_days`` (calendar days, up to ``now``), from their stored state (assess them first):
a clock with any breach is *breached*; one without a breach that is ``met``, ``resolved`` or
``recycled`` is *met* (every obligation was kept, or the lead was closed before any deadline
passed); ``pending`` and ``at_risk`` clocks are not decided yet and do not count.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadsync.connector.sla import MET, RECYCLED, RESOLVED, Clock

_KEPT = frozenset((MET, RESOLVED, RECYCLED))


@dataclass(frozen=True, slots=True)
class Rep:
    id: str  # the CRM user id (Salesforce User Id, HubSpot owner id)
    email: str
    name: str = ""
    time_zone: str | None = None  # IANA name, e.g. "America/New_York"
    manager_id: str | None = None  # who is told when this rep breaches ("escalate")
    active: bool = True


@dataclass(frozen=True, slots=True)
class Pick:
    rep: Rep | None  # None when nobody is eligible
    skipped: tuple[tuple[Rep, str], ...]  # the reps passed over on the way, with the reason


class RoundRobin:
    """Round-robin over ``pool`` from ``position``; see the module docstring for eligibility."""

    def __init__(self, pool: Sequence[Rep], position: int = 0,
                 min_compliance: float | None = None, window_days: int = 30) -> None:
        if min_compliance is not None and not 0 <= min_compliance <= 1:
            raise ValueError(f"min_compliance is a fraction from 0 to 1, not {min_compliance}")
        self.pool = tuple(pool)
        self.position = position % len(self.pool) if self.pool else 0
        self.min_compliance = min_compliance
        self.window_days = window_days  # only for the reason text: the window compliance used

    def pick(self, now: datetime, compliance: Mapping[str, float],
             out_of_office: Mapping[str, tuple[date, date]],
             exclude: Collection[str] = ()) -> Pick:
        """The next eligible rep after the current position; advances ``position`` past them."""
        skipped: list[tuple[Rep, str]] = []
        size = len(self.pool)
        for step in range(size):
            index = (self.position + step) % size
            rep = self.pool[index]
            reason = self._ineligible(rep, now, compliance, out_of_office, exclude)
            if reason is None:
                self.position = (index + 1) % size
                return Pick(rep, tuple(skipped))
            skipped.append((rep, reason))
        return Pick(None, tuple(skipped))

    def _ineligible(self, rep: Rep, now: datetime, compliance: Mapping[str, float],
                    out_of_office: Mapping[str, tuple[date, date]],
                    exclude: Collection[str]) -> str | None:
        if not rep.active:
            return "inactive user"
        if rep.id in exclude:
            return "excluded"
        away = out_of_office.get(rep.id)
        if away is not None:
            zone = _zone(rep.time_zone) if rep.time_zone else None
            today = (now.astimezone(zone) if zone else now).date()
            if away[0] <= today <= away[1]:
                return f"out of office until {away[1].isoformat()}"
        score = compliance.get(rep.id)
        if self.min_compliance is not None and score is not None and score < self.min_compliance:
            return (f"SLA compliance {_percent(score, floor=True)} < "
                    f"{_percent(self.min_compliance)} "
                    f"over {self.window_days} days")
        return None


def compliance(clocks: Iterable[Clock], now: datetime, window_days: int = 30) -> dict[str, float]:
    """Per owner, met / (met + breached) over the clocks handed off in the window; owners with
    no decided clock are absent (not judged)."""
    since = now - timedelta(days=window_days)
    met: dict[str, int] = {}
    decided: dict[str, int] = {}
    for clock in clocks:
        owner = clock.owner_id
        if owner is None or not since <= clock.deadlines.handoff_at <= now:
            continue
        if clock.breaches:
            decided[owner] = decided.get(owner, 0) + 1
            met.setdefault(owner, 0)
        elif clock.status in _KEPT:
            decided[owner] = decided.get(owner, 0) + 1
            met[owner] = met.get(owner, 0) + 1
    return {owner: met[owner] / total for owner, total in decided.items()}


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo | None:
    """The rep's zone; None (use ``now``'s) when the CRM holds a name that is not one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _percent(value: float, floor: bool = False) -> str:
    """79.6% reads "79%" for a score (never rounded up to a threshold) and "79.6%" for one."""
    shown = math.floor(value * 100 + 1e-9) if floor else round(value * 100, 1)
    return f"{shown:g}%"
