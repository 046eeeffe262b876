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
from leadsync.connector.models import SIDES, FieldInfo, Side
from leadsync.connector.ports import System


@dataclass
class InstallResult:
    plan: InstallPlan  # as found before anything was created
    applied: bool
    created: dict[str, list[str]] = field(default_factory=dict)  # system name -> fields
    # the SLA's task fields (the key each escalation task carries): present, and to create
    task_fields: list[str] = field(default_factory=list)
    tasks_to_create: list[FieldInfo] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {**self.plan.as_dict(), "applied": self.applied, "created": self.created,
                "task_fields": {"present": self.task_fields,
                                "create": [spec.name for spec in self.tasks_to_create]}}


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
    from leadsync.adapters.registry import activities_for, build_system

    mapping = load_mapping(config.sync.mapping)
    systems: dict[Side, System] = {"marketing": build_system(*config.marketing),
                                   "crm": build_system(*config.crm)}
    features = {"definition": config.definition is not None, "sla": config.sla is not None}
    plan = install_plan(mapping, systems, **features, notes=config.sync.on_delete == "flag")
    result = InstallResult(plan, apply)
    activities = activities_for(systems["crm"]) if config.sla is not None else None
    if activities is not None:
        result.tasks_to_create = activities.missing_task_fields(activities.task_fields)
        result.task_fields = [spec.name for spec in activities.task_fields
                              if spec not in result.tasks_to_create]
    if not apply:
        return result
    for side in SIDES:
        specs = plan.to_create(side)
        if specs:
            result.created[systems[side].name] = systems[side].create_fields(specs)
    if activities is not None and result.tasks_to_create:
        result.created.setdefault(systems["crm"].name, []).extend(
            activities.create_task_fields(result.tasks_to_create))
    return result
