"""Applying the shared lead definition to a lead, wherever it lives, and stamping the verdict.

A lead is judged on one canonical form built from whichever records it has (``leadview``), so
the same person gets the same verdict from HubSpot and from Salesforce. The verdict is written
to both sides into LeadSync's own fields; ``handoff`` decides who reaches the CRM:
``qualified_only`` (the default) hands over only qualified leads, ``all`` hands over every lead.
A lead already with sales that stops qualifying is not taken away from its rep: it is flagged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from connector.definition import Definition, Verdict
from connector.leadview import pick, record_value
from connector.mapping import FieldMapping, Skip
from connector.models import FieldValue, Record
from connector.transforms import TransformContext, TransformError

Side = Literal["marketing", "crm"]
Handoff = Literal["qualified_only", "all"]
HANDOFFS = ("qualified_only", "all")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Qualifier:
    """The definition, the lead view of a mapping, and the handoff rule, put together."""

    def __init__(self, definition: Definition, mapping: FieldMapping,
                 handoff: Handoff = "qualified_only") -> None:
        self.definition, self.mapping, self.handoff = definition, mapping, handoff
        self.view = mapping.view
        self._rules = {f.name: mapping.rule_between(f.marketing, f.crm)
                       for f in self.view.fields if f.marketing and f.crm}

    def lead(self, records: Mapping[Side, Record | None],
             ctx: TransformContext | None = None) -> dict[str, Any]:
        """The canonical lead: definition field names, values in their CRM form."""
        ctx = ctx or TransformContext()
        lead: dict[str, Any] = {}
        for field in self.view.fields:
            marketing = record_value(field, records.get("marketing"), "marketing")
            rule = self._rules.get(field.name)
            if rule is not None and rule.flows_to("crm") and marketing not in (None, ""):
                # a value the rule cannot convert stays raw: the definition reads what it can
                with contextlib.suppress(Skip, TransformError):
                    marketing = rule.convert(marketing, "crm", ctx)
            crm = record_value(field, records.get("crm"), "crm")
            if rule is not None and rule.default_to_crm is not None and \
                    crm == rule.default_to_crm:
                crm = None  # the placeholder the CRM required ("[not provided]") is no value
            lead[field.name] = pick(field, marketing, crm)
        return lead

    def evaluate(self, records: Mapping[Side, Record | None], now: datetime,
                 ctx: TransformContext | None = None) -> Verdict:
        return self.definition.evaluate(self.lead(records, ctx), now)

    def hands_over(self, verdict: Verdict) -> bool:
        """Whether a lead only marketing has goes to the CRM."""
        return self.handoff == "all" or verdict.qualified

    def stamps(self, verdict: Verdict, records: Mapping[Side, Record | None],
               now: datetime) -> dict[Side, dict[str, FieldValue]]:
        """What each side's verdict fields should hold for this verdict."""
        existing = self._existing(records)
        qualified_at = existing.get("qualified_at")
        if verdict.qualified and not qualified_at:
            qualified_at = iso(now)
        flag = None
        if not verdict.qualified and records.get("crm") is not None and (
                existing.get("qualified") in (True, "true") or qualified_at):
            flag = existing.get("flag") or (
                f"No longer qualifies since {now.date().isoformat()}: {verdict.reason}")[:255]
        values: dict[str, FieldValue] = {
            "qualified": verdict.qualified, "hot": verdict.hot, "grade": verdict.grade,
            "score": verdict.score, "reason": verdict.reason, "version": verdict.version,
            "qualified_at": qualified_at, "flag": flag,
        }
        result: dict[Side, dict[str, FieldValue]] = {"marketing": {}, "crm": {}}
        for name, sides in self.view.verdict.items():
            for side, field in sides.items():
                result[side][field] = values[name]
        return result

    def _existing(self, records: Mapping[Side, Record | None]) -> dict[str, FieldValue]:
        """The verdict stamps the lead already carries, the CRM's first."""
        found: dict[str, FieldValue] = {}
        for side in ("crm", "marketing"):
            record = records.get(side)  # type: ignore[call-overload]
            if record is None:
                continue
            for name, sides in self.view.verdict.items():
                field = sides.get(side)  # type: ignore[call-overload]
                value = record.fields.get(field) if field else None
                if value not in (None, "") and name not in found:
                    found[name] = value
        return found
