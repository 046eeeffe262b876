"""``leadsync config check --live``: the config against the systems, by read calls only.

- the fields LeadSync needs for the features configured exist (else: run ``leadsync install``),
  and the mapping's fields exist and can be written as it says;
- with ``[sla]``: the status values it sets are values of the CRM's status picklist, the pool's
  reps and ``escalate_to`` are CRM users, the pool's queue exists.
"""

from __future__ import annotations

from leadsync.connector.config import Config
from leadsync.connector.errors import ConfigError
from leadsync.connector.install_plan import features_only
from leadsync.connector.mapping import load_mapping
from leadsync.connector.models import Side
from leadsync.connector.ports import System
from leadsync.connector.sla_settings import SlaSettings
from leadsync.jobs.install import install_plan


def live_problems(config: Config) -> list[str]:
    """Every problem found by reading both systems; nothing is written."""
    from leadsync.adapters.registry import build_system
    from leadsync.jobs.sync import check_mapping

    mapping = load_mapping(config.sync.mapping)
    systems: dict[Side, System] = {"marketing": build_system(*config.marketing),
                                   "crm": build_system(*config.crm)}
    features = {"definition": config.definition is not None, "sla": config.sla is not None}
    plan = install_plan(mapping, systems, **features, notes=config.sync.on_delete == "flag")
    where = f" --config {config.source_path}" if config.source_path else ""
    problems = [f"{line}: run leadsync install{where} --apply" for line in
                (f"{plan.systems[n.side]} has no field {n.spec.name} ({n.describe_why()})"
                 for n in plan.create)]
    problems += plan.conflicts
    if problems:
        return problems
    try:
        check_mapping(features_only(mapping, **features), systems["marketing"], systems["crm"])
    except ConfigError as exc:
        problems += str(exc).splitlines()
    if config.sla is not None:
        problems += _sla_problems(config.sla, systems["crm"])
    return problems


def _sla_problems(settings: SlaSettings, crm: System) -> list[str]:
    from leadsync.jobs.sla_setup import _activities, _status_problems, sales_process

    activities = _activities(crm)
    process = sales_process(activities.process, settings)
    problems = _status_problems(process, settings, crm.describe().get(process.status), crm.kind)
    users = {rep.email.lower() for rep in activities.reps() if rep.active}
    wanted = [("sla.escalate_to", settings.escalate_to)] if settings.escalate_to else []
    if settings.pool is not None:
        wanted += [("sla.pool.reps", email) for email in settings.pool.reps]
    problems += [f"{key}: {email!r} is not an active user of {crm.name}"
                 for key, email in wanted if email.lower() not in users]
    if settings.pool is not None and settings.pool.queue:
        try:
            activities.queue_members(settings.pool.queue)
        except ConfigError as exc:
            problems.append(f"sla.pool.queue: {exc}")
    return problems
