"""The adapters LeadSync ships with, read from their descriptors; the one place that goes from
a system's ``kind`` to its adapter.

The connector owns the kind registry of the config loader (``register_system_kind``) and
imports no adapter; ``load_builtin_kinds()`` feeds it from the descriptors here and must run
before ``load_config``. Jobs build systems, activities and lists through the functions below,
so no code outside ``adapters/`` compares kinds.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from leadsync.adapters.descriptor import AdapterDescriptor
from leadsync.connector.access_plan import FieldAccess
from leadsync.connector.budget import Budgets, LocalBudgets
from leadsync.connector.config_systems import register_system_kind
from leadsync.connector.errors import ConfigError
from leadsync.connector.ports import Activities, Lists, System

BUILTIN_ADAPTERS = ("leadsync.adapters.hubspot", "leadsync.adapters.salesforce")


@cache
def descriptors() -> dict[str, AdapterDescriptor]:
    """The built-in adapters' descriptors, by kind."""
    found = (importlib.import_module(f"{package}.descriptor").DESCRIPTOR
             for package in BUILTIN_ADAPTERS)
    return {descriptor.kind: descriptor for descriptor in found}


def load_builtin_kinds() -> None:
    """Register every built-in adapter's settings model for its kind with the config loader."""
    for descriptor in descriptors().values():
        register_system_kind(descriptor.kind, descriptor.settings)


def descriptor(kind: str, where: str = "systems") -> AdapterDescriptor:
    """The descriptor of ``kind``; ``ConfigError`` at ``where`` when no adapter has it."""
    found = descriptors().get(kind)
    if found is None:
        raise ConfigError(f"no adapter for kind {kind!r}", where)
    return found


def build_system(name: str, settings: Any, parallel: int | None = None,
                 budgets: Budgets | None = None) -> System:
    """The adapter for ``settings.kind``, logged in where its login flow needs it;
    ``parallel`` (``[sync] parallel``) stands in for a ``max_parallel`` the table leaves unset;
    ``budgets`` makes its call budgets (default: this process's own)."""
    if parallel is not None and getattr(settings, "max_parallel", 0) is None:
        settings = settings.model_copy(update={"max_parallel": parallel})
    return descriptor(settings.kind, f"systems.{name}.kind").system(
        name, settings, budgets if budgets is not None else LocalBudgets())


def activities_for(crm: System) -> Activities:
    """The SLA's side of the CRM, sharing the system's calls and budgets."""
    factory = descriptor(crm.kind).activities
    if factory is None:
        raise ConfigError(f"the SLA cannot read touches from {crm.kind} yet", "systems")
    return factory(crm)


def lists_for(marketing: System) -> Lists | None:
    """The marketing system's static lists, or None when it keeps none LeadSync can use."""
    factory = descriptor(marketing.kind).lists
    return factory(marketing) if factory is not None else None


def access_for(crm: System) -> FieldAccess | None:
    """The CRM's permission sets, or None when it has none LeadSync manages."""
    factory = descriptor(crm.kind).access
    return factory(crm) if factory is not None else None


def list_keepers() -> list[str]:
    """The systems that keep lists, by label (for messages)."""
    return [d.label for d in descriptors().values() if d.lists is not None]


def synced_object(kind: str) -> str | None:
    """The object an adapter syncs (``contacts``, ``Lead``); None for a kind no adapter has."""
    found = descriptors().get(kind)
    return found.synced_object if found is not None else None
