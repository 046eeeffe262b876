"""Everything an SLA job needs, checked before any write: calendars, policies, fields, ports."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from leadsync.connector.calendar import BusinessCalendar, always_open
from leadsync.connector.config import Config
from leadsync.connector.errors import ConfigError
from leadsync.connector.models import SalesProcess
from leadsync.connector.ports import Activities, Lists, System
from leadsync.connector.sla import Policy, parse_policies
from leadsync.connector.sla_settings import SlaSettings
from leadsync.connector.sync import SyncEngine


@dataclass
class SlaContext:
    engine: SyncEngine
    settings: SlaSettings
    calendars: dict[str, BusinessCalendar]
    policies: list[Policy]
    activities: Activities
    lists: Lists | None  # None: the marketing system keeps no lists (no nurture list)
    crm_fields: list[str]
    process: SalesProcess  # the CRM's, with [sla]'s status values
    on_recycle: dict[str, str]  # marketing fields set on a recycled lead


def load_calendars(config: Config) -> dict[str, BusinessCalendar]:
    calendars: dict[str, BusinessCalendar] = {"24x7": always_open("24x7")}
    problems = []
    for name, table in config.calendars.items():
        try:
            calendars[name] = BusinessCalendar.from_settings(name, table)
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("\n".join(problems))
    return calendars


def check_sla(config: Config) -> tuple[SlaSettings, dict[str, BusinessCalendar], list[Policy]]:
    """The SLA sections, validated: files and keys only, no call to any system."""
    if config.sla is None:
        raise ConfigError("no [sla] section: add SLA policies to hold handed-off leads to",
                          "sla")
    calendars = load_calendars(config)
    names = {*calendars, "rep", "default"}
    parsed = parse_policies(config.sla.policies, names, config.sla.regions)
    uses_default = [p.name for p in parsed if p.calendar in ("default", "rep")]
    if uses_default and config.sla.default_calendar not in calendars:
        raise ConfigError(f"{config.sla.default_calendar!r} is not a calendar, and policy "
                          f"{uses_default[0]!r} counts on it; define "
                          f"[calendars.{config.sla.default_calendar}] or name one of "
                          f"{sorted(calendars)}", "sla.default_calendar")
    policies = [replace(p, calendar=config.sla.default_calendar) if p.calendar == "default"
                else p for p in parsed]
    return config.sla, calendars, policies


def prepare_sla(config: Config) -> SlaContext:
    from leadsync.jobs.sync import prepare

    settings, calendars, policies = check_sla(config)
    engine = prepare(config)
    marketing, crm = engine.systems["marketing"], engine.systems["crm"]  # fields checked
    activities = _activities(crm)
    missing = activities.missing_task_fields(activities.task_fields)  # each task's key
    if missing:
        names = ", ".join(spec.name for spec in missing)
        raise ConfigError(f"{crm.name} lacks the task fields LeadSync keys its tasks by "
                          f"({names}); run `leadsync install --apply` to create them")
    lists = _lists(marketing, settings)
    process = sales_process(activities.process, settings)
    view = engine.mapping.view
    problems = _status_problems(process, settings, crm.describe().get(process.status), crm.kind)
    problems += _fact_problems(policies, view)
    if problems:
        raise ConfigError("\n".join(problems))
    facts = [f.crm for f in view.fields if f.name in ("lead_source", "country") and f.crm]
    crm_fields = list(dict.fromkeys([*engine.fields("crm"), *process.fields(), *facts,
                                     *(s.name for s in view.sla_specs("crm"))]))
    on_recycle = (settings.marketing_on_recycle if settings.marketing_on_recycle is not None
                  else dict(lists.on_recycle) if lists else {})
    return SlaContext(engine, settings, calendars, policies, activities, lists, crm_fields,
                      process, on_recycle)


def sales_process(standard: SalesProcess, settings: SlaSettings) -> SalesProcess:
    """The CRM's standard sales process with the status values ``[sla]`` sets."""
    changes: dict[str, Any] = {}
    for name in ("accepted_statuses", "disqualified_statuses"):
        if getattr(settings, name) is not None:
            changes[name] = tuple(getattr(settings, name))
    for name in ("nurture_status", "reopen_status"):
        if getattr(settings, name) is not None:
            changes[name] = getattr(settings, name)
    return replace(standard, **changes)


def _status_problems(process: SalesProcess, settings: SlaSettings, status: Any,
                     kind: str) -> list[str]:
    """Status values the CRM's status field does not offer (a restricted picklist, an
    enumeration), each named with its key: the writes would be refused lead by lead."""
    options = set(getattr(status, "options", ()) or ())
    if not options:
        return []
    problems = []
    for key in ("accepted_statuses", "disqualified_statuses", "nurture_status",
                "reopen_status"):
        value = getattr(process, key)
        values = [value] if isinstance(value, str) else list(value)
        unknown = [v for v in values if v not in options]
        if unknown:
            given = "" if getattr(settings, key) is not None else f" ({kind}'s standard)"
            problems.append(f"sla.{key}: {', '.join(map(repr, unknown))}{given} is not a "
                            f"value of {process.status}; its values: "
                            f"{', '.join(sorted(options))}")
    return problems


def _fact_problems(policies: list[Policy], view: Any) -> list[str]:
    """Policies that match on a lead fact the CRM side of the mapping's [lead] does not hold."""
    crm_fields = {f.name: f.crm for f in view.fields}
    problems = []
    for index, policy in enumerate(policies):
        for fact, key, used in (("country", "country or region", policy.selector.countries),
                                ("lead_source", "source", policy.selector.sources)):
            if used and not crm_fields.get(fact):
                problems.append(f"sla.policies[{index}] ({policy.name}).match: matches on "
                                f"{key}, read from the CRM record, but the mapping's [lead] "
                                f"{fact} names no crm field; add crm = \"...\" to it")
    return problems


def _activities(crm: System) -> Activities:
    from leadsync.adapters.registry import activities_for

    return activities_for(crm)


def _lists(marketing: System, settings: SlaSettings) -> Lists | None:
    from leadsync.adapters.registry import list_keepers, lists_for

    lists = lists_for(marketing)
    if (lists is None and settings.nurture_list is not None
            and "nurture_list" in settings.model_fields_set):
        raise ConfigError(f"nurture lists are kept in {' and '.join(list_keepers())} only for "
                          f"now, not in {marketing.kind}; remove nurture_list",
                          "sla.nurture_list")
    return lists
