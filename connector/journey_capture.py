"""What the sync and the SLA sweep record of each lead's journey, decided with no I/O.

Reports read facts, not estimates (``connector.journey``); these functions turn what a stage
already knows into rows the state store merges (``connector.state_facts``), one upsert a page:

- ``verdict_row``: the judging stage's facts on one lead: email, name ("First Last" from the
  ``[lead]`` fields ``first_name`` and ``last_name``), ``source`` (the ``[lead]`` field
  ``lead_source``, else ``source``), ``campaign``, the verdict (its version, qualified, hot,
  excluded, grade, score, the names of the rules it matched), ``first_judged_at``, ``mql_at``
  (the lead's ``qualified_at`` stamp, as written to both sides) and ``returned_at`` (qualified
  again after a recycle: the new stamp).
- ``sweep_facts``: after a sweep's plan is settled (a refused recycle undone), for each clock it
  judged: the CRM id and owner, ``handed_off_at`` (the sweep that started the lead's first
  clock: owned in the CRM with its SLA stamped), the clock's ``accepted_at`` and
  ``first_touch_at``, ``converted_at`` or ``disqualified_at`` when the clock resolved, and the
  recycle (its time, reason and the count the CRM now holds); plus the stopped clocks that new
  ones replace (a recycled lead handed off again), to keep in ``clock_history`` in the same
  transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadsync.connector.definition import Verdict
from leadsync.connector.leadview import LeadView
from leadsync.connector.models import FieldValue, SalesProcess, Side
from leadsync.connector.qualify import instant
from leadsync.connector.sla import RECYCLED, RESOLVED
from leadsync.connector.sweep_actions import SweepPlan


def verdict_row(key: str, lead: Mapping[str, Any], verdict: Verdict,
                stamps: Mapping[Side, Mapping[str, FieldValue]], view: LeadView,
                now: datetime, returned: bool) -> dict[str, Any]:
    """The journey facts of one judged lead; ``lead`` is its canonical form, ``stamps`` the
    verdict fields each side is to hold, ``returned`` whether it qualified again after a
    recycle."""
    qualified_at = (_stamp(stamps, view, "qualified_at") or now) if verdict.qualified else None
    names = [str(lead[part]).strip() for part in ("first_name", "last_name")
             if lead.get(part) not in (None, "")]
    email = lead.get("email")
    return {
        "key": key,
        "email": str(email).strip().lower() if email not in (None, "") else None,
        "name": " ".join(n for n in names if n)[:255] or None,
        "source": _text(lead.get("lead_source") or lead.get("source")),
        "campaign": _text(lead.get("campaign")),
        "first_judged_at": now,
        "version": verdict.version,
        "qualified": verdict.qualified, "hot": verdict.hot, "excluded": verdict.excluded,
        "grade": verdict.grade or None, "score": verdict.score,
        "matched": [result.name for result in verdict.results if result.matched],
        "mql_at": qualified_at,
        "returned_at": qualified_at if returned else None,
    }


def _stamp(stamps: Mapping[Side, Mapping[str, FieldValue]], view: LeadView,
           name: str) -> datetime | None:
    for side, field_name in view.verdict.get(name, {}).items():
        moment = instant(stamps.get(side, {}).get(field_name))
        if moment is not None:
            return moment
    return None


def _text(value: Any) -> str | None:
    return (str(value).strip()[:255] or None) if value not in (None, "") else None


@dataclass
class SweepFacts:
    """What a settled sweep adds to journeys, and the clocks its new clocks replace."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    replaced: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # by lead key


def sweep_facts(plan: SweepPlan, settled: Sequence[Mapping[str, Any]], view: LeadView,
                process: SalesProcess) -> SweepFacts:
    """The journey facts of the clocks a sweep judged, given the clock rows ``settle`` gave."""
    started = {e.key for e in plan.events if e.event == "handoff"}
    resolved = {e.key: e.reason for e in plan.events if e.event == "resolved"}
    facts = SweepFacts()
    for row in settled:
        key = row["key"]
        judged = plan.judged[key]
        clock, lead = judged.clock, plan.leads.get(judged.crm_id)
        fields = lead.fields if lead is not None else {}
        stored = plan.stored.get(key)
        if key in started and stored is not None:
            facts.replaced[key] = stored  # a stopped clock a new handoff replaces
        outcome = resolved.get(key)
        at = clock.resolved_at or plan.now
        recycled = row["status"] == RECYCLED and clock.recycled_at is not None
        email = fields.get(process.email)
        qualified = _field(fields, view, "qualified")
        facts.rows.append({
            "key": key, "crm_id": judged.crm_id, "owner_id": clock.owner_id,
            "email": str(email).strip().lower() if email else None,
            "qualified": qualified in (True, "true", "True"),  # a new journey's only
            "mql_at": instant(_field(fields, view, "qualified_at")),
            "handed_off_at": plan.now if key in started else None,
            "accepted_at": clock.accepted_at, "first_touch_at": clock.first_touch_at,
            "converted_at": at if outcome == "converted" else None,
            "disqualified_at": at if outcome is not None and outcome != "converted" and
            row["status"] == RESOLVED else None,
            "recycled_at": clock.recycled_at if recycled else None,
            "recycle_reason": clock.recycle_reason if recycled else None,
            "recycle_count": _recycle_count(fields, view, recycled and
                                            clock.recycled_at == plan.now),
        })
    return facts


def _field(fields: Mapping[str, Any], view: LeadView, name: str) -> Any:
    field_name = view.verdict.get(name, {}).get("crm")
    return fields.get(field_name) if field_name else None


def _recycle_count(fields: Mapping[str, Any], view: LeadView, now: bool) -> int:
    """The recycle count the CRM holds once the sweep's writes are done."""
    field_name = view.sla_field("recycle_count", "crm")
    try:
        held = int(float(fields.get(field_name) or 0)) if field_name else 0
    except (TypeError, ValueError):
        held = 0
    return held + 1 if now else held
