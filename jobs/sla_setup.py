"""Everything an SLA job needs, checked before any write: calendars, policies, fields, ports."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from connector.calendar import BusinessCalendar, always_open
from connector.config import Config, SlaSettings
from connector.errors import ConfigError
from connector.ports import Activities, Lists
from connector.sla import Policy, parse_policies
from connector.sync import SyncEngine

CRM_FIELDS = ("Name", "Email", "OwnerId", "Status", "IsConverted", "LeadSource", "Country")


@dataclass
class SlaContext:
    engine: SyncEngine
    settings: SlaSettings
    calendars: dict[str, BusinessCalendar]
    policies: list[Policy]
    activities: Activities
    lists: Lists
    crm_fields: list[str]
    compliance: dict[str, float] = field(default_factory=dict)
    out_of_office: dict[str, tuple[date, date]] = field(default_factory=dict)

    def policy(self, name: str) -> Policy:
        for policy in self.policies:
            if policy.name == name:
                return policy
        raise ConfigError(f"the clock's policy {name!r} is no longer in the config; restore it "
                          f"or resolve its leads", "sla.policies")

    def sla_fields(self, side: str) -> dict[str, str]:
        view = self.engine.mapping.view
        return {name: sides[side] for name, sides in view.sla.items()  # type: ignore[index]
                if side in sides}


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
    if config.sla.default_calendar not in calendars:
        raise ConfigError(f"{config.sla.default_calendar!r} is not a calendar; define "
                          f"[calendars.{config.sla.default_calendar}] or name one of "
                          f"{sorted(calendars)}", "sla.default_calendar")
    names = {*calendars, "rep", "default"}
    policies = [replace(p, calendar=config.sla.default_calendar) if p.calendar == "default"
                else p for p in parse_policies(config.sla.policies, names)]
    return config.sla, calendars, policies


def prepare_sla(config: Config) -> SlaContext:
    from jobs.sync import prepare

    settings, calendars, policies = check_sla(config)
    engine = prepare(config)
    marketing, crm = engine.systems["marketing"], engine.systems["crm"]  # fields ensured
    view = engine.mapping.view
    crm_fields = list(dict.fromkeys([*engine.fields("crm"), *CRM_FIELDS,
                                     *(s.name for s in view.sla_specs("crm"))]))
    return SlaContext(engine, settings, calendars, policies, _activities(crm),
                      _lists(marketing), crm_fields)


def _activities(crm: Any) -> Activities:
    if crm.kind == "salesforce":
        from adapters.salesforce.activities import SalesforceActivities

        return SalesforceActivities(crm)
    raise ConfigError(f"SLA touches are read from Salesforce only for now, not {crm.kind}",
                      "systems")


def _lists(marketing: Any) -> Lists:
    if marketing.kind == "hubspot":
        from adapters.hubspot.lists import HubSpotLists

        return HubSpotLists(marketing)
    raise ConfigError(f"nurture lists are kept in HubSpot only for now, not {marketing.kind}",
                      "systems")
