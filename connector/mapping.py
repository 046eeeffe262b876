"""Field mappings: which marketing property goes to which CRM field, which way, how.

A mapping is data (``mappings/*.toml``), checked at load time against a schema and, once the
systems are reachable, against what each system describes. Errors name the file and line.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from leadsync.connector.conflict import BY_DIRECTION, CONFLICTS, writes
from leadsync.connector.errors import ConfigError
from leadsync.connector.leadview import LeadView, check_view, parse_lead_view
from leadsync.connector.models import SIDES, FieldInfo, FieldValue, Side
from leadsync.connector.transforms import (
    REGISTRY,
    Transform,
    TransformContext,
    TransformError,
    Unmatched,
)

Direction = Literal["to_crm", "to_marketing", "both"]
DIRECTIONS = ("to_crm", "to_marketing", "both")
UNMAPPED = ("error", "skip", "keep")
_RULE_KEYS = {"marketing", "crm", "direction", "conflict", "transform", "default_to_crm",
              "default_to_marketing", "unmapped", "only_on_create", "to_crm", "to_marketing"}
_TOP_KEYS = {"version", "objects", "match", "fields", "lead", "verdict", "sla_fields"}


class Skip(Exception):
    """The field is left out of this write (an unmapped value with ``unmapped = "skip"``)."""


@dataclass(frozen=True)
class FieldRule:
    marketing: str
    crm: str
    direction: Direction
    transform: str = "identity"
    default_to_crm: FieldValue = None
    default_to_marketing: FieldValue = None
    unmapped: str = "error"
    only_on_create: bool = False
    to_crm: MappingABC[str, FieldValue] = field(default_factory=dict)
    to_marketing: MappingABC[str, FieldValue] = field(default_factory=dict)
    line: int = 0
    conflict: str | None = None  # see connector.conflict; None: the one the direction means

    def __post_init__(self) -> None:
        if self.conflict is None:
            object.__setattr__(self, "conflict", BY_DIRECTION[self.direction])

    def flows_to(self, side: Side) -> bool:
        """Whether the rule may write ``side``: its direction allows it and its conflict rule
        does not keep that side's value always (``always_*``, ``dont_sync``)."""
        allowed = self.direction == "both" or self.direction == f"to_{side}"
        return allowed and writes(str(self.conflict), side)

    def source_field(self, target: Side) -> str:
        return self.crm if target == "marketing" else self.marketing

    def target_field(self, target: Side) -> str:
        return self.marketing if target == "marketing" else self.crm

    def convert(self, value: FieldValue, target: Side, ctx: TransformContext) -> FieldValue:
        """The value to write on ``target`` for ``value`` read on the other side.

        Raises ``TransformError`` for a value that cannot be converted and ``Skip`` when the
        field is to be left out.
        """
        fn: Transform = REGISTRY[self.transform]
        try:
            value = fn(value, ctx)
        except Unmatched:
            if self.unmapped == "error":
                raise
            raise Skip() from None
        values = self.to_crm if target == "crm" else self.to_marketing
        if values and value not in (None, ""):
            if str(value) in values:
                value = values[str(value)]
            elif self.unmapped == "skip":
                raise Skip()
            elif self.unmapped == "error":
                raise TransformError(f"value {value!r} has no entry in the value map")
        if value in (None, ""):
            default = self.default_to_crm if target == "crm" else self.default_to_marketing
            value = default if default is not None else value
        return None if value == "" else value


Conversions = dict[tuple[Side, str], "FieldValue | Skip | TransformError"]
"""One lead's values already put in the other side's form, by (target side, target field)."""


def convert_once(rule: FieldRule, value: FieldValue, target: Side, ctx: TransformContext,
                 done: Conversions | None) -> FieldValue:
    """``rule.convert``, remembered in ``done``: within a pass, a lead's value is put in the
    other side's form once, whether the qualifier or the planner asks first. ``value`` must be
    what the lead's record on the other side holds in the rule's source field."""
    if done is None:
        return rule.convert(value, target, ctx)
    key = (target, rule.target_field(target))
    if key in done:
        known = done[key]
        if isinstance(known, Skip | TransformError):
            raise known
        return known
    try:
        converted = rule.convert(value, target, ctx)
    except (Skip, TransformError) as exc:
        done[key] = exc
        raise
    done[key] = converted
    return converted


@dataclass(frozen=True)
class FieldMapping:
    path: Path
    marketing_object: str
    crm_object: str
    match_marketing: str
    match_crm: str
    rules: tuple[FieldRule, ...]
    view: LeadView = field(default_factory=lambda: LeadView((), {}))

    def rule_between(self, marketing: str, crm: str) -> FieldRule | None:
        """The rule that connects these two fields, if any."""
        return next((r for r in self.rules if r.marketing == marketing and r.crm == crm), None)

    def rules_to(self, side: Side) -> list[FieldRule]:
        """The rules that may write ``side``, in order (worked out once per mapping)."""
        cached: dict[Side, list[FieldRule]] = self.__dict__.get("_rules_to") or {}
        if not cached:
            cached = {target: [rule for rule in self.rules if rule.flows_to(target)]
                      for target in ("marketing", "crm")}
            object.__setattr__(self, "_rules_to", cached)
        return cached[side]

    def fields_of(self, side: Side) -> list[str]:
        """Every field of ``side`` the mapping reads or writes, the match field first."""
        names = [self.match_marketing if side == "marketing" else self.match_crm]
        for rule in self.rules:
            name = rule.marketing if side == "marketing" else rule.crm
            if name not in names:
                names.append(name)
        return list(dict.fromkeys([*names, *self.view.reads(side)]))

    def check_against(self, marketing: MappingABC[str, FieldInfo],
                      crm: MappingABC[str, FieldInfo]) -> list[str]:
        """Problems with this mapping given what the systems describe."""
        problems = check_view(self.view, {"marketing": marketing, "crm": crm}, str(self.path))
        for rule in self.rules:
            ends: tuple[tuple[Side, str, MappingABC[str, FieldInfo]], ...] = (
                ("marketing", rule.marketing, marketing), ("crm", rule.crm, crm))
            for side, name, described in ends:
                where = f"{self.path}:{rule.line}"
                info = described.get(name)
                if info is None:
                    hint = _did_you_mean(name, described)
                    problems.append(f"{where}: {side} field {name!r} does not exist{hint}")
                    continue
                if rule.flows_to(side) and not info.updateable:
                    problems.append(f"{where}: {side} field {name!r} is read-only, so direction "
                                    f"{rule.direction!r} cannot write it")
                values = rule.to_crm if side == "crm" else rule.to_marketing
                bad = [v for v in values.values() if info.options and v not in info.options]
                if bad:
                    problems.append(f"{where}: value map writes {bad} to {side} field {name!r}, "
                                    f"which allows only {list(info.options)}")
        return problems


def load_mapping(path: str | Path) -> FieldMapping:
    """Read and check a mapping file; every problem is reported at once with its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read mapping file: {exc.strerror}", str(path)) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", str(path)) from exc
    problems: list[str] = []
    lines = _field_table_lines(text)
    for key in sorted(set(data) - _TOP_KEYS):
        problems.append(f"{path}: unknown key {key!r}{_did_you_mean(key, _TOP_KEYS)}")
    objects, match = data.get("objects", {}), data.get("match", {})
    for table, value in (("objects", objects), ("match", match)):
        for side in ("marketing", "crm"):
            if not isinstance(value.get(side), str) or not value.get(side):
                problems.append(f"{path}: [{table}] needs a {side!r} name")
    rules = []
    raw_rules = data.get("fields", [])
    if not raw_rules:
        problems.append(f"{path}: no [[fields]] tables")
    for index, raw in enumerate(raw_rules):
        line = lines[index] if index < len(lines) else 0
        rule, rule_problems = _rule(raw, line)
        problems.extend(f"{path}:{line}: {p}" for p in rule_problems)
        if rule:
            rules.append(rule)
    for side in SIDES:
        seen: dict[str, int] = {}
        for rule in rules:
            if not rule.flows_to(side):
                continue
            target = rule.target_field(side)
            if target in seen:
                problems.append(f"{path}:{rule.line}: {side} field {target!r} is already "
                                f"written by the rule at line {seen[target]}")
            seen[target] = rule.line
    view, view_problems = parse_lead_view(data.get("lead", {}), data.get("verdict", {}),
                                          str(path), data.get("sla_fields", {}))
    problems += view_problems
    if problems:
        raise ConfigError("\n".join(problems))
    return FieldMapping(path=path, marketing_object=objects["marketing"],
                        crm_object=objects["crm"], match_marketing=match["marketing"],
                        match_crm=match["crm"], rules=tuple(rules),
                        view=view or LeadView((), {}))


def _rule(raw: Any, line: int) -> tuple[FieldRule | None, list[str]]:
    if not isinstance(raw, dict):
        return None, ["a [[fields]] entry must be a table"]
    problems = [f"unknown key {k!r}{_did_you_mean(k, _RULE_KEYS)}"
                for k in sorted(set(raw) - _RULE_KEYS)]
    for side in ("marketing", "crm"):
        if not isinstance(raw.get(side), str) or not raw.get(side):
            problems.append(f"{side!r} must name a field")
    direction = raw.get("direction", "both")
    if direction not in DIRECTIONS:
        problems.append(f"direction {direction!r} is not one of {list(DIRECTIONS)}")
    conflict = raw.get("conflict", BY_DIRECTION.get(str(direction), "two_way"))
    if conflict not in CONFLICTS:
        problems.append(f"conflict {conflict!r} is not one of {list(CONFLICTS)}"
                        f"{_did_you_mean(str(conflict), CONFLICTS)}")
    elif direction in DIRECTIONS and conflict != "dont_sync" and not any(
            writes(conflict, side) and direction in ("both", f"to_{side}") for side in SIDES):
        problems.append(f"conflict {conflict!r} never writes the side direction {direction!r} "
                        f"writes, so the field would never sync (say conflict = \"dont_sync\" "
                        f"if that is meant)")
    transform = raw.get("transform", "identity")
    if transform not in REGISTRY:
        problems.append(f"transform {transform!r} is not one of {sorted(REGISTRY)}"
                        f"{_did_you_mean(str(transform), REGISTRY)}")
    unmapped = raw.get("unmapped", "error")
    if unmapped not in UNMAPPED:
        problems.append(f"unmapped {unmapped!r} is not one of {list(UNMAPPED)}")
    for side, opposite in (("to_crm", "to_marketing"), ("to_marketing", "to_crm")):
        values = raw.get(side, {})
        if not isinstance(values, dict):
            problems.append(f"[fields.{side}] must be a table of source value = target value")
        elif values and direction == opposite:
            problems.append(f"[fields.{side}] is a value map for a direction this rule does not "
                            f"flow ({direction!r})")
        elif any(not isinstance(v, str | int | float | bool) for v in values.values()):
            problems.append(f"[fields.{side}] values must be strings, numbers or booleans")
    if not isinstance(raw.get("only_on_create", False), bool):
        problems.append("only_on_create must be true or false")
    if problems:
        return None, problems
    return FieldRule(
        marketing=raw["marketing"], crm=raw["crm"], direction=direction, transform=transform,
        default_to_crm=raw.get("default_to_crm"),
        default_to_marketing=raw.get("default_to_marketing"), unmapped=unmapped,
        only_on_create=raw.get("only_on_create", False), to_crm=dict(raw.get("to_crm", {})),
        to_marketing=dict(raw.get("to_marketing", {})), line=line, conflict=conflict,
    ), []


def _field_table_lines(text: str) -> list[int]:
    """Line numbers of each ``[[fields]]`` header, in order."""
    return [number for number, line in enumerate(text.splitlines(), start=1)
            if re.match(r"^\s*\[\[\s*fields\s*\]\]", line)]


def _did_you_mean(name: str, choices: Any) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


__all__ = ["Conversions", "FieldMapping", "FieldRule", "Skip", "TransformError", "convert_once",
           "load_mapping"]
