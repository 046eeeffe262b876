"""What ``leadsync install`` creates: LeadSync's fields against what each system describes.

Pure: the fields LeadSync needs for the features configured, and each system's ``describe()``,
in; what exists, what would be created and the conflicts, out. Nothing here calls a system.

What is needed, per side:

- LeadSync's key field, always (unique: every write is an upsert by it);
- the ``[verdict]`` fields, only with a lead definition (``[definition]``);
- the ``[sla_fields]`` fields, only with SLA policies (``[sla]``);
- a field the mapping names that the system does not ship (a standard HubSpot portal has no
  ``lead_source``), made like the field it is mapped with on the other side: its type, length
  and picklist values (those of the value map when the rule has one). A name close to a field
  that exists (``Titel`` beside ``Title``) is a typo, not a field to create: it stays a mapping
  problem.

A field that exists is never changed: one of that name with another type, a shorter length, or
a key field that is not unique is a conflict, reported for the admin to resolve.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from leadsync.connector.mapping import FieldMapping
from leadsync.connector.models import SIDES, FieldInfo, Side

KEY = "key"
VERDICT = "verdict"
SLA = "sla"
MAPPING = "mapping"
NOTE = "note"
WHY = {KEY: "LeadSync's key", VERDICT: "lead definition verdict", SLA: "SLA compliance",
       MAPPING: "named by the mapping", NOTE: "deletes, merges and conversions noted"}

# Vendors' field types, by what a value of them is.
_KIND = {"string": "text", "textarea": "text", "email": "text", "phone": "text", "url": "text",
         "encryptedstring": "text", "text": "text", "boolean": "boolean", "bool": "boolean",
         "double": "number", "int": "number", "number": "number", "currency": "number",
         "percent": "number", "long": "number", "datetime": "datetime", "date": "date",
         "picklist": "choice", "enumeration": "choice", "multipicklist": "choice",
         "reference": "id", "id": "id"}
# What LeadSync creates for a field of each kind (types the adapters know how to create).
_SPEC_TYPE = {"text": "string", "boolean": "boolean", "number": "double",
              "datetime": "datetime", "date": "date", "choice": "picklist", "id": "string"}
TYPO_CUTOFF = 0.8


@dataclass(frozen=True)
class Need:
    """One field LeadSync needs on one side, and why."""

    side: Side
    spec: FieldInfo
    why: str  # KEY, VERDICT, SLA or MAPPING

    def describe_why(self) -> str:
        return WHY[self.why]


@dataclass
class InstallPlan:
    """What exists, what is to be created, and what cannot be, for both sides."""

    systems: Mapping[Side, str]  # each side's name in the config
    present: list[Need] = field(default_factory=list)
    create: list[Need] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def to_create(self, side: Side) -> list[FieldInfo]:
        return [need.spec for need in self.create if need.side == side]

    def missing(self, command: str = "leadsync install --apply") -> str:
        """The fields to create, each with its system and why, and the command that does."""
        lines = [f"{len(self.create)} fields LeadSync needs are missing; run `{command}` to "
                 f"create them:"]
        lines += [f"  {self.systems[n.side]}: {n.spec.name} ({WHY[n.why]})" for n in self.create]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        def rows(needs: Iterable[Need]) -> list[dict[str, object]]:
            return [{"system": self.systems[n.side], "field": n.spec.name, "type": n.spec.type,
                     "length": n.spec.length, "unique": n.spec.unique,
                     "values": list(n.spec.options), "why": WHY[n.why]} for n in needs]
        return {"present": rows(self.present), "create": rows(self.create),
                "conflicts": list(self.conflicts)}


def key_spec(name: str) -> FieldInfo:
    """The unique field that carries LeadSync's key on every record it writes."""
    return FieldInfo(name, "string", label="LeadSync Id", length=64, unique=True)


def needed(mapping: FieldMapping, key_fields: Mapping[Side, str], definition: bool, sla: bool,
           described: Mapping[Side, Mapping[str, FieldInfo]],
           notes: Mapping[Side, str] | None = None) -> list[Need]:
    """Every field LeadSync needs for the features configured, key field first; ``notes``
    names each side's note field (``[sync] on_delete = "flag"``, ``connector.identity``)."""
    needs: list[Need] = []
    for side in SIDES:
        needs.append(Need(side, key_spec(key_fields[side]), KEY))
        if notes:
            needs.append(Need(side, FieldInfo(notes[side], "string", label="LeadSync note",
                                              length=255), NOTE))
        if definition:
            needs += [Need(side, spec, VERDICT) for spec in mapping.view.verdict_specs(side)]
        if sla:
            needs += [Need(side, spec, SLA) for spec in mapping.view.sla_specs(side)]
    needs += _mapped(mapping, described)
    seen: set[tuple[Side, str]] = set()
    unique = []
    for need in needs:
        if (need.side, need.spec.name) not in seen:
            seen.add((need.side, need.spec.name))
            unique.append(need)
    return unique


def plan_install(needs: Iterable[Need], described: Mapping[Side, Mapping[str, FieldInfo]],
                 systems: Mapping[Side, str]) -> InstallPlan:
    """Each need as present, to create, or in conflict with the field of its name."""
    plan = InstallPlan(systems)
    for need in needs:
        info = described[need.side].get(need.spec.name)
        if info is None:
            plan.create.append(need)
            continue
        problem = conflict(need.spec, info)
        if problem:
            plan.conflicts.append(f"{systems[need.side]} field {need.spec.name} "
                                  f"({WHY[need.why]}): {problem}; LeadSync changes no existing "
                                  f"field: change or rename it, then run leadsync install")
        else:
            plan.present.append(need)
    return plan


def conflict(spec: FieldInfo, info: FieldInfo) -> str | None:
    """Why an existing field cannot serve as ``spec``, or None."""
    wanted, found = _KIND.get(spec.type, spec.type), _KIND.get(info.type, info.type)
    if wanted != found:
        return f"exists as {info.type}, LeadSync needs {spec.type}"
    if spec.length and info.length and info.length < spec.length:
        return f"holds {info.length} characters, LeadSync needs {spec.length}"
    if spec.unique and not info.unique:
        return "is not unique, and LeadSync upserts by it"
    if spec.options and info.options:
        lacking = [v for v in spec.options if v not in info.options]
        if lacking:
            return f"lacks the values {', '.join(lacking)}"
    return None


def features_only(mapping: FieldMapping, definition: bool, sla: bool) -> FieldMapping:
    """The mapping without the stamps of features not configured: a sync with no lead
    definition neither reads nor needs the verdict fields, one with no SLA the SLA fields."""
    view = mapping.view
    return replace(mapping, view=replace(view, verdict=view.verdict if definition else {},
                                         sla=view.sla if sla else {}))


def _mapped(mapping: FieldMapping, described: Mapping[Side, Mapping[str, FieldInfo]]
            ) -> list[Need]:
    """Fields the mapping names that a side lacks, made like their counterpart."""
    ends: list[tuple[Side, str, str, tuple[str, ...]]] = []
    for rule in mapping.rules:
        ends.append(("marketing", rule.marketing, rule.crm,
                     tuple(str(v) for v in rule.to_marketing.values())))
        ends.append(("crm", rule.crm, rule.marketing, tuple(str(v) for v in rule.to_crm.values())))
    for lead_field in mapping.view.fields:
        if lead_field.marketing and lead_field.crm:
            ends.append(("marketing", lead_field.marketing, lead_field.crm, ()))
            ends.append(("crm", lead_field.crm, lead_field.marketing, ()))
    needs = []
    for side, name, counterpart_name, mapped_values in ends:
        here, there = described[side], described["crm" if side == "marketing" else "marketing"]
        counterpart = there.get(counterpart_name)
        if name in here or counterpart is None or _looks_like_typo(name, here):
            continue
        needs.append(Need(side, _like(name, counterpart, mapped_values), MAPPING))
    return needs


def _like(name: str, counterpart: FieldInfo, mapped_values: tuple[str, ...]) -> FieldInfo:
    kind = _KIND.get(counterpart.type, "text")
    options = tuple(dict.fromkeys(mapped_values)) or counterpart.options
    if kind == "choice" and not options:
        kind = "text"  # an open picklist: any value, as text
    spec_type = _SPEC_TYPE[kind]
    length = counterpart.length if kind == "text" else None
    return FieldInfo(name, spec_type, label=counterpart.label or name, length=length,
                     options=options if spec_type == "picklist" else ())


def _looks_like_typo(name: str, existing: Mapping[str, FieldInfo]) -> bool:
    lowered = {n.lower(): n for n in existing}
    if name.lower() in lowered:
        return True
    return bool(difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=TYPO_CUTOFF))
