"""Lead-definition jobs: explain one lead's verdict, and what-if a new definition over all leads.

``diff`` reads every lead from both systems, pairs them as the sync does, and judges each with
the definition in force and with the candidate, at the same instant, so that its counts are
exactly what adopting the candidate then changes on the next sync. Beside each rule the
candidate adds, removes or changes it gives the evidence of the stored journeys: how the leads
that rule matched converted against the others (``connector.reports.definition``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadsync.connector.definition import Definition, Verdict
from leadsync.connector.models import SIDES, Record, Side
from leadsync.connector.qualify import Qualifier
from leadsync.connector.reports.definition import rule_evidence
from leadsync.connector.state_journeys import JourneyRows
from leadsync.connector.sync import SyncEngine
from leadsync.connector.transforms import normalize_email


@dataclass
class Change:
    email: str
    source: str
    before: Verdict
    after: Verdict


@dataclass
class DefinitionDiff:
    current: str
    candidate: str
    leads: int = 0
    verdict_changes: int = 0  # qualified <-> not qualified
    grade_changes: int = 0
    newly_qualified: int = 0
    no_longer_qualified: int = 0
    by_source: Counter[str] = field(default_factory=Counter)
    examples: list[Change] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)  # rules changed, with evidence

    def as_dict(self) -> dict[str, Any]:
        return {
            "current": self.current, "candidate": self.candidate, "leads": self.leads,
            "verdict_changes": self.verdict_changes, "grade_changes": self.grade_changes,
            "newly_qualified": self.newly_qualified,
            "no_longer_qualified": self.no_longer_qualified,
            "verdict_changes_by_source": dict(self.by_source),
            "examples": [{"email": c.email, "lead_source": c.source,
                          "before": c.before.reason, "after": c.after.reason}
                         for c in self.examples],
            "rules": [{key: list(value) if isinstance(value, tuple) else value
                       for key, value in row.items()} for row in self.rules],
        }


def diff(engine: SyncEngine, candidate: Definition, now: datetime | None = None,
         examples: int = 5) -> DefinitionDiff:
    if engine.qualifier is None:
        raise ValueError("no lead definition is in force: set [definition] file in the config")
    now = now or engine.clock()
    current = engine.qualifier
    proposed = Qualifier(candidate, engine.mapping, current.handoff)
    result = DefinitionDiff(current.definition.version, candidate.version)
    crm = engine.contexts().get("crm")
    for pair in engine.all_leads():  # judged as the sync judges them, recycle rule included
        lead = current.lead(pair.records, crm)
        before = current.evaluate(pair.records, now, crm)
        after = proposed.evaluate(pair.records, now, crm)
        result.leads += 1
        if before.grade != after.grade:
            result.grade_changes += 1
        if before.qualified == after.qualified:
            continue
        result.verdict_changes += 1
        result.newly_qualified += after.qualified
        result.no_longer_qualified += before.qualified
        source = str(lead.get("lead_source") or "(none)")
        result.by_source[source] += 1
        if len(result.examples) < examples:
            result.examples.append(Change(str(lead.get("email") or ""), source, before, after))
    stored = engine.store  # the journeys are the state store's (a test's fake keeps none)
    journeys = stored.journeys(engine.connection) if isinstance(stored, JourneyRows) else []
    result.rules = rule_evidence(current.definition, candidate, journeys)
    return result


def explain_email(engine: SyncEngine, email: str, now: datetime | None = None
                  ) -> tuple[Verdict, dict[str, Any], dict[str, str | None]]:
    """The verdict for the lead with this email, as it lives in both systems now."""
    if engine.qualifier is None:
        raise ValueError("no lead definition is in force: set [definition] file in the config")
    wanted = normalize_email(email)
    records: dict[Side, Record | None] = {"marketing": None, "crm": None}
    for side in SIDES:
        system = engine.systems[side]
        match = engine.match_field(side)
        for record in system.lookup(match, [email], engine.fields(side)):
            if normalize_email(record.fields.get(match)) == wanted:
                records[side] = record
                break
    if records["marketing"] is None and records["crm"] is None:
        raise LookupError(f"no lead with email {email} in either system")
    crm = engine.contexts().get("crm")
    lead = engine.qualifier.lead(records, crm)
    verdict = engine.qualifier.evaluate(records, now or engine.clock(), crm)
    found: dict[str, str | None] = {side: (r.id if r else None) for side, r in records.items()}
    return verdict, lead, found
