"""The install job: the fields LeadSync needs for the features configured, and (asked) creating
the missing ones. Every decision is ``connector.install_plan``'s; nothing else creates fields.

``check_installed`` is what ``sync`` and ``sla sweep`` run instead: a field missing is a
``ConfigError`` naming it, its system and ``leadsync install``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadsync.connector.config import Config
from leadsync.connector.errors import ConfigError
from leadsync.connector.identity import note_field
from leadsync.connector.install_plan import InstallPlan, needed, plan_install
from leadsync.connector.mapping import FieldMapping, load_mapping
from leadsync.connector.models import SIDES, Side
from leadsync.connector.ports import System


@dataclass
class InstallResult:
    plan: InstallPlan  # as found before anything was created
    applied: bool
    created: dict[str, list[str]] = field(default_factory=dict)  # system name -> fields

    def as_dict(self) -> dict[str, object]:
        return {**self.plan.as_dict(), "applied": self.applied, "created": self.created}


def install_plan(mapping: FieldMapping, systems: dict[Side, System], definition: bool,
                 sla: bool, notes: bool = False) -> InstallPlan:
    """What exists, what is missing and what conflicts, from one describe of each side;
    ``notes``: the note fields of ``[sync] on_delete = "flag"`` too."""
    described = {side: systems[side].describe() for side in SIDES}
    needs = needed(mapping, {side: systems[side].key_field for side in SIDES}, definition, sla,
                   described, {side: note_field(systems[side].kind) for side in SIDES}
                   if notes else None)
    return plan_install(needs, described, {side: systems[side].name for side in SIDES})


def check_installed(mapping: FieldMapping, systems: dict[Side, System], definition: bool,
                    sla: bool, config: Config | None = None) -> None:
    """Raise ``ConfigError`` naming every field ``leadsync install`` would create."""
    notes = config is not None and config.sync.on_delete == "flag"
    plan = install_plan(mapping, systems, definition, sla, notes)
    if plan.create:
        where = f" --config {config.source_path}" if config and config.source_path else ""
        raise ConfigError(plan.missing(f"leadsync install{where} --apply"))


def run_install(config: Config, apply: bool = False) -> InstallResult:
    """The plan for ``config``'s features; with ``apply``, the missing fields created."""
    from leadsync.adapters.registry import build_system

    mapping = load_mapping(config.sync.mapping)
    systems: dict[Side, System] = {"marketing": build_system(*config.marketing),
                                   "crm": build_system(*config.crm)}
    features = {"definition": config.definition is not None, "sla": config.sla is not None}
    plan = install_plan(mapping, systems, **features, notes=config.sync.on_delete == "flag")
    result = InstallResult(plan, apply)
    if not apply:
        return result
    for side in SIDES:
        specs = plan.to_create(side)
        if specs:
            result.created[systems[side].name] = systems[side].create_fields(specs)
    return result
