"""The install job: the fields LeadSync needs for the features configured, the CRM's permission
sets that grant access to them, and (asked) creating what is missing. Every decision is
``connector.install_plan``'s and ``connector.access_plan``'s; nothing else creates fields.

With ``--apply``, fields come first (a field permission needs its field), then the permission
sets, their field permissions, and the assignments asked for (``assign_to``: the read-only
set, to reps and managers; ``integration_users``: the read-and-edit set, to the user LeadSync
logs in as). Each step reads what exists first, so a run stopped anywhere is finished by the
next without duplicates.

``check_installed`` is what ``sync`` and ``sla sweep`` run instead: a field missing is a
``ConfigError`` naming it, its system and ``leadsync install``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from leadsync.connector.access_plan import (
    FIELDS_SET,
    INTEGRATION_SET,
    AccessPlan,
    FieldAccess,
    plan_access,
    wanted_grants,
)
from leadsync.connector.config import Config
from leadsync.connector.errors import ConfigError
from leadsync.connector.identity import note_field
from leadsync.connector.install_plan import (
    KEY,
    MAPPING,
    NOTE,
    SLA,
    VERDICT,
    InstallPlan,
    needed,
    plan_install,
)
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
    access: AccessPlan | None = None  # the CRM's permission sets, as found (None: it has none)
    granted: dict[str, list[str]] = field(default_factory=dict)  # set name -> fields
    assigned: dict[str, list[str]] = field(default_factory=dict)  # set name -> user ids

    @property
    def conflicts(self) -> list[str]:
        return self.plan.conflicts + (self.access.conflicts if self.access else [])

    def as_dict(self) -> dict[str, object]:
        return {**self.plan.as_dict(), "applied": self.applied, "created": self.created,
                "task_fields": {"present": self.task_fields,
                                "create": [spec.name for spec in self.tasks_to_create]},
                "access": self.access.as_dict() if self.access else None,
                "granted": self.granted, "assigned": self.assigned}


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


def run_install(config: Config, apply: bool = False, assign_to: Sequence[str] = (),
                integration_users: Sequence[str] = ()) -> InstallResult:
    """The plan for ``config``'s features; with ``apply``, the missing fields, permission sets,
    grants and assignments created. ``assign_to`` and ``integration_users``: emails of CRM
    users to give the read-only set and the read-and-edit set."""
    from leadsync.adapters.registry import access_for, activities_for, build_system

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
    access = access_for(systems["crm"])
    if access is None and (assign_to or integration_users):
        raise ConfigError(f"{systems['crm'].name} has no permission sets LeadSync manages",
                          "--assign-to")
    if access is not None:
        result.access = _access_plan(access, plan, result, assign_to, integration_users)
    if not apply:
        return result
    for side in SIDES:
        specs = plan.to_create(side)
        if specs:
            result.created[systems[side].name] = systems[side].create_fields(specs)
    if activities is not None and result.tasks_to_create:
        result.created.setdefault(systems["crm"].name, []).extend(
            activities.create_task_fields(result.tasks_to_create))
    if access is not None and result.access is not None:
        _apply_access(access, result.access, result)
    return result


# LeadSync's own fields on the CRM's lead, and the fields it creates there for the mapping
_OWN = (KEY, NOTE, VERDICT, SLA)


def _access_plan(access: FieldAccess, plan: InstallPlan, result: InstallResult,
                 assign_to: Sequence[str], integration_users: Sequence[str]) -> AccessPlan:
    lead = [n.spec.name for n in plan.present if n.side == "crm" and n.why in _OWN]
    lead += [n.spec.name for n in plan.create if n.side == "crm" and n.why in (*_OWN, MAPPING)]
    tasks = result.task_fields + [spec.name for spec in result.tasks_to_create]
    names = [FIELDS_SET.name, INTEGRATION_SET.name]
    asked = {FIELDS_SET.name: list(assign_to), INTEGRATION_SET.name: list(integration_users)}
    asked = {name: emails for name, emails in asked.items() if emails}
    users = access.user_ids([e for emails in asked.values() for e in emails]) if asked else {}
    return plan_access(wanted_grants(lead, tasks), access.permission_sets(names), asked, users)


def _apply_access(access: FieldAccess, planned: AccessPlan, result: InstallResult) -> None:
    ids = dict(planned.set_ids)
    for spec in planned.sets_to_create:
        ids[spec.name] = access.create_permission_set(spec)
    for spec in (FIELDS_SET, INTEGRATION_SET):
        grants = [g for g in planned.create if g.set_name == spec.name]
        if grants:
            result.granted[spec.name] = access.grant(ids[spec.name], grants)
        users = [a.user_id for a in planned.assign if a.set_name == spec.name]
        if users:
            result.assigned[spec.name] = access.assign(ids[spec.name], users)
