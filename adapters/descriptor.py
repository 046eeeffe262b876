"""What an adapter package tells LeadSync about itself: one ``AdapterDescriptor`` each.

Every package under ``adapters/`` exports ``DESCRIPTOR`` from its ``descriptor`` module: the
``kind`` that ``[systems.<name>]`` tables name, its settings model, the object it syncs, its
sales process, and factories for its ``System`` and, where the system keeps them, its
``Activities`` (the SLA's CRM side), ``Lists`` (recycling's marketing side) and ``FieldAccess``
(the permission sets that let people see LeadSync's fields). A new system
(Marketo, Pardot, Dynamics 365) is one more package with one more descriptor; nothing outside
``adapters/`` asks which kind a system is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from leadsync.connector.access_plan import FieldAccess
from leadsync.connector.budget import Budgets
from leadsync.connector.models import SalesProcess
from leadsync.connector.ports import Activities, Lists, System


@dataclass(frozen=True)
class AdapterDescriptor:
    kind: str  # as config files name it: kind = "hubspot"
    label: str  # as people name it, for messages: "HubSpot"
    settings: type[BaseModel]  # validates its [systems.<name>] tables
    synced_object: str  # the object it syncs, as a mapping's [objects] names it
    process: SalesProcess  # where it keeps owner, status and conversion on a lead
    # (config name, settings, budgets) -> the logged-in System, its calls under budgets from
    # the factory (``connector.budget``: this process's own, or shared by workers)
    system: Callable[[str, Any, Budgets], System]
    activities: Callable[[System], Activities] | None = None  # sharing the System's calls
    lists: Callable[[System], Lists] | None = None  # None: it keeps no lists
    # its permission sets, for ``leadsync install`` (None: it has none LeadSync manages)
    access: Callable[[System], FieldAccess] | None = None
