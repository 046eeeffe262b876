"""The lead as the definition sees it, and where its verdict is written on each side.

Two tables of the mapping file:

``[lead]`` names each field the lead definition uses and where it lives::

    title = { marketing = "jobtitle", crm = "Title" }
    score = { marketing = "hubspotscore" }                     # one side only
    last_activity = { marketing = "notes_last_updated", crm = "LastActivityDate",
                      prefer = "latest" }
    is_customer = { marketing = "lifecyclestage", true_when = ["customer", "evangelist"] }

A value read on the marketing side is put in its CRM form through the ``[[fields]]`` rule that
connects the two fields, when there is one, so a lead gets the same verdict from either form.
``prefer`` says which side's value counts when both have one: ``marketing`` (the default: the
definition judges what marketing hands over), ``crm``, or ``latest`` (the later date, the
larger number).

``[verdict]`` names LeadSync's own fields that hold the verdict on each side; they are created
at setup when missing::

    qualified = { marketing = "leadsync_qualified", crm = "LeadSync_Qualified__c" }
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from leadsync.connector.models import SIDES, FieldInfo, FieldValue, Record, Side

PREFER = ("marketing", "crm", "latest")
_LEAD_KEYS = {"marketing", "crm", "prefer", "true_when"}

# The verdict fields: name -> (type, length), as FieldInfo types the adapters can create.
VERDICT_FIELDS: dict[str, tuple[str, int | None, str]] = {
    "qualified": ("boolean", None, "Qualified (MQL)"),
    "hot": ("boolean", None, "Hot lead"),
    "grade": ("string", 2, "Lead grade"),
    "score": ("double", None, "Lead score"),
    "reason": ("string", 255, "Qualification reason"),
    "version": ("string", 40, "Lead definition version"),
    "qualified_at": ("datetime", None, "Qualified at"),
    "flag": ("string", 255, "LeadSync flag"),
}


# The SLA compliance fields: what a rep and a manager see on the record, and marketers on theirs.
SLA_FIELDS: dict[str, tuple[str, int | None, str]] = {
    "policy": ("string", 80, "SLA policy"),
    "handoff_at": ("datetime", None, "Handed off at"),
    "accept_by": ("datetime", None, "Accept by"),
    "first_touch_by": ("datetime", None, "First touch by"),
    "cadence_end": ("datetime", None, "Cadence ends"),
    "status": ("string", 20, "SLA status"),
    "breached_at": ("datetime", None, "SLA breached at"),
    "first_touch_at": ("datetime", None, "First touch at"),
    "calls": ("double", None, "Calls so far"),
    "emails": ("double", None, "Emails so far"),
    "recycle_reason": ("string", 255, "Recycle reason"),
    "recycle_count": ("double", None, "Times recycled"),
    "recycled_at": ("datetime", None, "Recycled at"),
    "last_synced": ("datetime", None, "Last synced by LeadSync"),
}


@dataclass(frozen=True)
class LeadField:
    name: str
    marketing: str | None
    crm: str | None
    prefer: str = "marketing"
    true_when: tuple[str, ...] = ()

    def source(self, side: Side) -> str | None:
        return self.marketing if side == "marketing" else self.crm


@dataclass(frozen=True)
class LeadView:
    fields: tuple[LeadField, ...]
    verdict: Mapping[str, Mapping[Side, str]]  # verdict field -> side -> field name
    sla: Mapping[str, Mapping[Side, str]] = field(default_factory=dict)  # SLA field -> ...

    def reads(self, side: Side) -> list[str]:
        """Every field of ``side`` the lead view and the verdict stamps need to read (with
        the recycle stamp: a recycled lead waits for new engagement to qualify again)."""
        names = [f.source(side) for f in self.fields if f.source(side)]
        names += [sides[side] for sides in self.verdict.values() if side in sides]
        names.append(self.sla_field("recycled_at", side) or "")
        return list(dict.fromkeys(n for n in names if n))

    def verdict_specs(self, side: Side) -> list[FieldInfo]:
        """LeadSync's own verdict fields on ``side``, to create where missing."""
        return _specs(self.verdict, VERDICT_FIELDS, side)

    def sla_specs(self, side: Side) -> list[FieldInfo]:
        """LeadSync's own SLA compliance fields on ``side``, to create where missing."""
        return _specs(self.sla, SLA_FIELDS, side)

    def sla_field(self, name: str, side: Side) -> str | None:
        return self.sla.get(name, {}).get(side)


def _specs(table: Mapping[str, Mapping[Side, str]],
           known: Mapping[str, tuple[str, int | None, str]], side: Side) -> list[FieldInfo]:
    specs = []
    for name, sides in table.items():
        if side in sides:
            kind, length, label = known[name]
            specs.append(FieldInfo(sides[side], kind, label=f"LeadSync: {label}", length=length))
    return specs


def parse_lead_view(lead: Any, verdict: Any, path: str,
                    sla: Any = None) -> tuple[LeadView | None, list[str]]:
    """The ``[lead]``, ``[verdict]`` and ``[sla_fields]`` tables, or the problems with them."""
    problems: list[str] = []
    fields: list[LeadField] = []
    if not isinstance(lead, dict):
        return None, [f"{path}: [lead] must be a table of name = {{ marketing = ..., crm = ... }}"]
    for name, spec in lead.items():
        where = f"{path}: [lead] {name}"
        if not isinstance(spec, dict):
            problems.append(f"{where}: must be a table such as {{ marketing = \"...\" }}")
            continue
        problems += [f"{where}: unknown key {k!r}{_hint(k, _LEAD_KEYS)}"
                     for k in sorted(set(spec) - _LEAD_KEYS)]
        if not spec.get("marketing") and not spec.get("crm"):
            problems.append(f"{where}: names neither a marketing nor a crm field")
        prefer = spec.get("prefer", "marketing")
        if prefer not in PREFER:
            problems.append(f"{where}: prefer {prefer!r} is not one of {list(PREFER)}")
        true_when = spec.get("true_when", [])
        if not isinstance(true_when, list) or not all(isinstance(v, str) for v in true_when):
            problems.append(f"{where}: true_when must be a list of values")
            true_when = []
        fields.append(LeadField(name, spec.get("marketing") or None, spec.get("crm") or None,
                                prefer, tuple(true_when)))
    stamps, stamp_problems = _stamp_table(verdict, "verdict", VERDICT_FIELDS, path)
    slas, sla_problems = _stamp_table(sla or {}, "sla_fields", SLA_FIELDS, path)
    problems += stamp_problems + sla_problems
    if stamps is None or slas is None:
        return None, problems
    return LeadView(tuple(fields), stamps, slas), problems


def _stamp_table(table: Any, title: str, known: Mapping[str, Any], path: str
                 ) -> tuple[dict[str, dict[Side, str]] | None, list[str]]:
    if not isinstance(table, dict):
        return None, [f"{path}: [{title}] must be a table"]
    stamps: dict[str, dict[Side, str]] = {}
    problems = []
    for name, spec in table.items():
        where = f"{path}: [{title}] {name}"
        if name not in known:
            problems.append(f"{where}: unknown field{_hint(name, known)}; "
                            f"known: {', '.join(known)}")
            continue
        if not isinstance(spec, dict) or not set(spec) <= {"marketing", "crm"} or not spec:
            problems.append(f"{where}: must be {{ marketing = \"...\", crm = \"...\" }}")
            continue
        stamps[name] = {side: str(spec[side]) for side in _ordered(spec)}
    return stamps, problems


def _ordered(spec: Mapping[str, Any]) -> list[Side]:
    """The sides a checked table names, in the order it names them."""
    return [side for name in spec for side in SIDES if side == name]


def check_view(view: LeadView, described: Mapping[Side, Mapping[str, FieldInfo]],
               path: str) -> list[str]:
    """Problems with the view given what each system describes."""
    problems = []
    for lead_field in view.fields:
        for side in SIDES:
            name = lead_field.source(side)
            if name and name not in described[side]:
                problems.append(f"{path}: [lead] {lead_field.name}: {side} field {name!r} does not "
                                f"exist{_hint(name, described[side])}")
    for title, table in (("verdict", view.verdict), ("sla_fields", view.sla)):
        for stamp, sides in table.items():
            for side, name in sides.items():
                info = described[side].get(name)
                if info is not None and not info.updateable:
                    problems.append(f"{path}: [{title}] {stamp}: {side} field {name!r} is "
                                    f"read-only")
    return problems


def pick(field: LeadField, marketing: FieldValue, crm: FieldValue) -> FieldValue:
    """The value that counts when both sides may have one."""
    if marketing in (None, ""):
        return crm
    if crm in (None, ""):
        return marketing
    if field.prefer == "crm":
        return crm
    if field.prefer == "latest":
        return max(marketing, crm, key=_sortable)
    return marketing


def _sortable(value: FieldValue) -> Any:
    if isinstance(value, int | float):
        return (0, float(value), "")
    text = str(value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00"))
        return (1, (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp(), "")
    except ValueError:
        pass
    try:
        return (0, float(text), "")
    except ValueError:
        return (2, 0.0, text)


def record_value(field: LeadField, record: Record | None, side: Side) -> FieldValue:
    name = field.source(side)
    if record is None or not name:
        return None
    value = record.fields.get(name)
    if field.true_when:
        return None if value in (None, "") else str(value).lower() in {
            v.lower() for v in field.true_when}
    return value


def _hint(name: str, choices: Any) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
