"""The sync job: wire config, adapters and the engine, and run one pass."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime

from leadsync.adapters.registry import synced_object
from leadsync.connector.config import Config
from leadsync.connector.deadletter import DeadLetterPolicy, fingerprint
from leadsync.connector.definition import Definition
from leadsync.connector.definition_file import load_definition
from leadsync.connector.errors import ConfigError
from leadsync.connector.install_plan import features_only, key_spec
from leadsync.connector.mapping import FieldMapping, load_mapping
from leadsync.connector.models import FieldInfo
from leadsync.connector.ports import System
from leadsync.connector.qualify import Qualifier
from leadsync.connector.state import StateStore
from leadsync.connector.sync import Progress, Stop, SyncEngine, SyncResult
from leadsync.jobs.install import check_installed
from leadsync.jobs.locking import locked
from leadsync.jobs.runs import STOPPED, Run, recorded


def key_field_spec(system: System) -> FieldInfo:
    """The unique field that carries LeadSync's key on every record it writes."""
    return key_spec(system.key_field)


def prepare(config: Config, definition: Definition | None = None) -> SyncEngine:
    """Everything a pass needs, checked: config, mapping and definition errors stop before any
    write; the files are read before any call."""
    from leadsync.adapters.registry import build_system
    from leadsync.jobs.shared_budgets import budgets_for

    mapping = load_mapping(config.sync.mapping)
    if definition is None and config.definition is not None:
        definition = load_definition(config.definition.file)
    store = StateStore(config.state.url)
    budgets = budgets_for(config)  # shared by every worker with [scale]
    marketing = build_system(*config.marketing, parallel=config.sync.parallel, budgets=budgets)
    crm = build_system(*config.crm, parallel=config.sync.parallel, budgets=budgets)
    features = {"definition": definition is not None, "sla": config.sla is not None}
    mapping = features_only(mapping, **features)  # creates nothing: `leadsync install` does
    check_installed(mapping, {"marketing": marketing, "crm": crm}, **features, config=config)
    check_mapping(mapping, marketing, crm, definition)
    qualifier = None
    if definition is not None:
        handoff = config.definition.handoff if config.definition else "qualified_only"
        qualifier = Qualifier(definition, mapping, handoff)
    return SyncEngine(marketing, crm, mapping, store, config.sync.connection,
                      batch_size=config.sync.batch_size, qualifier=qualifier,
                      on_delete=config.sync.on_delete)


def check_mapping(mapping: FieldMapping, marketing: System, crm: System,
                  definition: Definition | None = None) -> None:
    problems = [
        f"{mapping.path}: [objects] {side} = {name!r}, but LeadSync syncs only "
        f"{synced!r} on {system.kind}"
        for side, name, system in (("marketing", mapping.marketing_object, marketing),
                                   ("crm", mapping.crm_object, crm))
        if (synced := synced_object(system.kind)) not in (None, name)]
    problems += mapping.check_against(marketing.describe(), crm.describe())
    if definition is not None:
        known = {field.name for field in mapping.view.fields}
        problems += [f"{mapping.path}: [lead] has no {name!r}, which the lead definition "
                     f"{definition.version} uses; add {name} = {{ marketing = \"...\", "
                     f"crm = \"...\" }}" for name in definition.field_names()
                     if name not in known]
    if problems:
        raise ConfigError("\n".join(problems))


def adopt(engine: SyncEngine) -> bool:
    """Record the engine's definition as in force; True when it is new (judge every lead)."""
    if engine.qualifier is None:
        return False
    definition = engine.qualifier.definition
    return engine.store.adopt_definition(
        engine.connection, definition.version, definition.fingerprint(), definition.name,
        definition.agreed_by,
        definition.agreed_on.isoformat() if definition.agreed_on else None)


def run_sync(config: Config, dry_run: bool = False, progress: Progress | None = None,
             now: datetime | None = None, stop: Stop | None = None) -> SyncResult:
    """One pass; ``now`` (tests, what-ifs) stands in for the clock that stamps verdicts.
    A pass that writes holds the sync lock of its connection (``LockHeld`` when taken) and is
    recorded as a run (``jobs.runs``), a failed login or setup included. Once ``stop`` answers
    True the pass ends between two write batches (status "stopped")."""
    dry_run = dry_run or config.sync.dry_run
    with nullcontext() if dry_run else locked(config, "sync"), \
            recorded(config, "sync", record=not dry_run) as run:
        engine = prepare(config)
        run.watch(engine.systems.values(), from_start=True)  # the checks' calls count too
        if now is not None:
            engine.clock = lambda: now
        try:
            return sync_pass(engine, run, config, dry_run=dry_run, progress=progress,
                             stop=stop)
        finally:
            engine.store.close()


def sync_pass(engine: SyncEngine, run: Run, config: Config | None = None,
              dry_run: bool = False, progress: Progress | None = None,
              stop: Stop | None = None) -> SyncResult:
    """One pass of a prepared engine as ``run``: its calls and result are the run's; with
    ``config``, its dead-letter settings apply (``retry_dead_letters_on_new_config``)."""
    run.watch(engine.systems.values())
    run.report(lambda: engine.last.as_dict() if engine.last is not None else {})
    if not dry_run and config is not None:
        retry_dead_letters_on_new_config(engine, config)
    full = False if dry_run else adopt(engine)
    result = engine.run(dry_run=dry_run, progress=progress, full=full, run_id=run.id,
                        stop=stop)
    if result.status == STOPPED:
        run.outcome = STOPPED  # asked to stop: progress saved, the next run resumes
    return result


def retry_dead_letters_on_new_config(engine: SyncEngine, config: Config) -> None:
    """Apply ``[sync] max_attempts``; when the config or mapping changed since the last pass,
    every parked record is due again (``connector.deadletter``)."""
    engine.dead_letters = DeadLetterPolicy(max_attempts=config.sync.max_attempts)
    mapping = engine.mapping.path.read_text(encoding="utf-8")
    current = fingerprint({"config": config.model_dump_json(exclude={"schedules"}),
                           "mapping": mapping})  # when jobs run changes no record's fate
    previous = engine.store.job_value(engine.connection, "dead_letter_config")
    if previous != current:
        if previous is not None:
            engine.store.retry_parked(engine.connection)
        engine.store.set_job_value(engine.connection, "dead_letter_config", current)
