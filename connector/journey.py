"""A lead's journey: the facts reports are made of, kept in the state store (``journeys``).

One ``Journey`` per lead (by its LeadSync key) and connection, written as things happen and never
estimated afterwards:

- by the sync's judging stage (``connector.judge``): who the lead is (email, name), where it came
  from (``source``, ``campaign``: the ``[lead]`` fields of those names), the latest verdict
  (qualified, hot, excluded, grade, score, the names of the rules it matched, the definition
  version) and ``mql_at``, the first time it qualified (its ``qualified_at`` stamp). Once a lead
  is converted its verdict is frozen: the closed loop compares what qualified it with how it
  ended. ``returned_at`` is when it qualified again after a recycle;
- by the SLA sweep: ``crm_id``, ``owner_id``, ``handed_off_at`` (owned in the CRM with its SLA
  stamped, the first handoff), ``accepted_at``, ``first_touch_at``, ``converted_at`` or
  ``disqualified_at``, and ``recycled_at``, ``recycle_reason``, ``recycle_count``.

A lead handed off again after a recycle starts a new SLA clock; the clock it replaces is kept as a
``ClockCycle`` (``clock_history``), so compliance by rep counts every clock a rep was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

_INSTANTS = ("first_judged_at", "mql_at", "returned_at", "handed_off_at", "accepted_at",
             "first_touch_at", "converted_at", "disqualified_at", "recycled_at", "updated_at")


@dataclass(slots=True)
class Journey:
    """What is known of one lead's way from marketing to sales (see the module docstring)."""

    key: str
    email: str | None = None
    name: str | None = None  # "First Last", as the lead holds it
    source: str | None = None  # the lead field ``source`` (or ``lead_source``), CRM form
    campaign: str | None = None
    first_judged_at: datetime | None = None
    version: str | None = None  # the definition version of the latest verdict
    qualified: bool = False  # the latest verdict
    hot: bool = False
    excluded: bool = False
    grade: str | None = None
    score: int | None = None
    matched: tuple[str, ...] = ()  # names of the definition's rules the latest verdict matched
    mql_at: datetime | None = None  # first qualified
    returned_at: datetime | None = None  # qualified again after a recycle (the latest time)
    crm_id: str | None = None
    owner_id: str | None = None
    handed_off_at: datetime | None = None  # first owned in the CRM with its SLA stamped
    accepted_at: datetime | None = None
    first_touch_at: datetime | None = None
    converted_at: datetime | None = None
    disqualified_at: datetime | None = None
    recycled_at: datetime | None = None  # the latest recycle
    recycle_reason: str | None = None
    recycle_count: int = 0
    updated_at: datetime | None = None

    def as_row(self) -> dict[str, Any]:
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        row["matched"] = list(self.matched)
        return row

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Journey:
        names = {f.name for f in fields(cls)}
        given = {name: row[name] for name in names if name in row}
        given["matched"] = tuple(given.get("matched") or ())
        for name in _INSTANTS:
            given[name] = _aware(given.get(name))
        given["qualified"] = bool(given.get("qualified"))
        given["hot"] = bool(given.get("hot"))
        given["excluded"] = bool(given.get("excluded"))
        given["recycle_count"] = int(given.get("recycle_count") or 0)
        return cls(**given)


@dataclass(slots=True)
class ClockCycle:
    """One SLA clock a lead was given: the current one (``sla_clocks``) or one it replaced."""

    key: str
    cycle: int  # 1 for a lead's first clock, 2 after its first return, ...
    crm_id: str
    owner_id: str | None
    status: str
    clock: dict[str, Any] = field(default_factory=dict)  # connector.sla.Clock as JSON
    current: bool = True


def _aware(value: Any) -> datetime | None:
    """Instants as the store gives them back: SQLite drops the zone, which is always UTC."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime), value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
