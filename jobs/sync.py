"""The sync job: wire config, adapters and the engine, and run one pass."""

from __future__ import annotations

from connector.config import Config
from connector.errors import ConfigError
from connector.mapping import FieldMapping, load_mapping
from connector.models import FieldInfo
from connector.ports import System
from connector.state import StateStore
from connector.sync import Progress, SyncEngine, SyncResult


def key_field_spec(system: System) -> FieldInfo:
    """The unique field that carries LeadSync's key on every record it writes."""
    return FieldInfo(system.key_field, "string", label="LeadSync Id", length=64, unique=True)


def prepare(config: Config) -> SyncEngine:
    """Everything a pass needs, checked: config and mapping errors stop before any write."""
    from adapters.factory import build_system

    mapping = load_mapping(config.sync.mapping)
    store = StateStore(config.state.url)
    marketing = build_system(*config.marketing)
    crm = build_system(*config.crm)
    for system in (marketing, crm):
        system.ensure_fields([key_field_spec(system)])
    check_mapping(mapping, marketing, crm)
    return SyncEngine(marketing, crm, mapping, store, batch_size=config.sync.batch_size)


SUPPORTED_OBJECTS = {"hubspot": "contacts", "salesforce": "Lead"}


def check_mapping(mapping: FieldMapping, marketing: System, crm: System) -> None:
    problems = [
        f"{mapping.path}: [objects] {side} = {name!r}, but LeadSync syncs only "
        f"{SUPPORTED_OBJECTS[system.kind]!r} on {system.kind}"
        for side, name, system in (("marketing", mapping.marketing_object, marketing),
                                   ("crm", mapping.crm_object, crm))
        if SUPPORTED_OBJECTS.get(system.kind, name) != name]
    problems += mapping.check_against(marketing.describe(), crm.describe())
    if problems:
        raise ConfigError("\n".join(problems))


def run_sync(config: Config, dry_run: bool = False,
             progress: Progress | None = None) -> SyncResult:
    engine = prepare(config)
    try:
        return engine.run(dry_run=dry_run or config.sync.dry_run, progress=progress)
    finally:
        engine.store.close()
