"""Applying the shared lead definition to a lead, wherever it lives, and stamping the verdict.

A lead is judged on one canonical form built from whichever records it has (``leadview``), so
the same person gets the same verdict from HubSpot and from Salesforce. The verdict is written
to both sides into LeadSync's own fields; ``handoff`` decides who reaches the CRM:
``qualified_only`` (the default) hands over only qualified leads, ``all`` hands over every lead.
A lead already with sales that stops qualifying is not taken away from its rep: it is flagged.

A lead the SLA sweep recycled to marketing (its ``recycled_at`` stamp, on either side) does not
qualify again on the facts that qualified it the first time: it waits in nurture until it
engages again, i.e. until its ``engaged_at`` lead field (``last_activity`` when the view has no
``engaged_at``) is later than the recycle. Then, if the definition still qualifies it, it is
stamped with a new ``qualified_at`` and the sweep hands it off again on a new clock. Clearing
the recycle stamp by hand releases a lead at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from leadsync.connector.definition import Definition, Verdict
from leadsync.connector.leadview import pick, record_value
from leadsync.connector.mapping import Conversions, FieldMapping, Skip, convert_once
from leadsync.connector.models import FieldValue, Record, Side
from leadsync.connector.transforms import TransformContext, TransformError

Handoff = Literal["qualified_only", "all"]
HANDOFFS = ("qualified_only", "all")
_CRM_FIRST: tuple[Side, Side] = ("crm", "marketing")


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
             ctx: TransformContext | None = None,
             converted: Conversions | None = None) -> dict[str, Any]:
        """The canonical lead: definition field names, values in their CRM form.

        ``converted`` remembers the conversions made (the sync hands it on to the planner, so
        a marketing value is put in its CRM form once per pass)."""
        ctx = ctx or TransformContext()
        lead: dict[str, Any] = {}
        for field in self.view.fields:
            marketing = record_value(field, records.get("marketing"), "marketing")
            rule = self._rules.get(field.name)
            if rule is not None and rule.flows_to("crm") and marketing not in (None, ""):
                # a value the rule cannot convert stays raw: the definition reads what it can
                done = None if field.true_when else converted  # a true_when value is no raw one
                with contextlib.suppress(Skip, TransformError):
                    marketing = convert_once(rule, marketing, "crm", ctx, done)
            crm = record_value(field, records.get("crm"), "crm")
            if rule is not None and rule.default_to_crm is not None and \
                    crm == rule.default_to_crm:
                crm = None  # the placeholder the CRM required ("[not provided]") is no value
            lead[field.name] = pick(field, marketing, crm)
        return lead

    def evaluate(self, records: Mapping[Side, Record | None], now: datetime,
                 ctx: TransformContext | None = None) -> Verdict:
        return self.judge(self.lead(records, ctx), records, now)

    def judge(self, lead: Mapping[str, Any], records: Mapping[Side, Record | None],
              now: datetime) -> Verdict:
        """The verdict on a lead already in its canonical form (``lead``), with the recycle
        rule applied."""
        verdict = self.definition.evaluate(lead, now)
        recycled = self.recycled_since_qualified(records)
        if verdict.qualified and recycled is not None and not _engaged_after(lead, recycled):
            return replace(verdict, qualified=False, hot=False, reason=(
                f"Recycled for nurture on {recycled.date().isoformat()}; qualifies again "
                f"when it engages again ({verdict.reason})")[:255])
        return verdict

    def recycled_since_qualified(self, records: Mapping[Side, Record | None]
                                 ) -> datetime | None:
        """When the lead was last recycled, if that was after it last qualified."""
        recycled: datetime | None = None
        for side in _CRM_FIRST:
            record = records.get(side)
            field = self.view.sla_field("recycled_at", side)
            moment = instant(record.fields.get(field)) if record and field else None
            if moment and (recycled is None or moment > recycled):
                recycled = moment
        qualified_at = instant(self._existing(records).get("qualified_at"))
        if recycled is None or (qualified_at and qualified_at > recycled):
            return None
        return recycled

    def hands_over(self, verdict: Verdict) -> bool:
        """Whether a lead only marketing has goes to the CRM."""
        return self.handoff == "all" or verdict.qualified

    def stamps(self, verdict: Verdict, records: Mapping[Side, Record | None],
               now: datetime) -> dict[Side, dict[str, FieldValue]]:
        """What each side's verdict fields should hold for this verdict."""
        existing = self._existing(records)
        qualified_at = existing.get("qualified_at")
        recycled = self.recycled_since_qualified(records)
        if verdict.qualified and (not qualified_at or recycled is not None):
            qualified_at = iso(now)  # first qualified, or qualified again after a recycle
        flag = None
        if not verdict.qualified and records.get("crm") is not None and recycled is None and (
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
        for side in _CRM_FIRST:
            record = records.get(side)
            if record is None:
                continue
            for name, sides in self.view.verdict.items():
                field = sides.get(side)
                value = record.fields.get(field) if field else None
                if value not in (None, "") and name not in found:
                    found[name] = value
        return found


def instant(value: Any) -> datetime | None:
    """A stamp as an aware instant (ISO text, Salesforce's +0000, a bare date at midnight UTC)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).replace("Z", "+00:00").replace("+0000", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _engaged_after(lead: Mapping[str, Any], moment: datetime) -> bool:
    """Whether the lead engaged after ``moment``; a bare date only when it is surely later."""
    value = lead.get("engaged_at", lead.get("last_activity"))
    engaged = instant(value)
    if engaged is None:
        return False
    if len(str(value)) == 10:  # a bare date, in some zone from UTC-12 to UTC+14: the day
        return engaged - timedelta(hours=14) > moment  # must begin after it in every zone
    return engaged > moment
