"""HubSpot as LeadSync knows it: contacts, owners as reps, teams as queues, static lists."""

from __future__ import annotations

from typing import Any

from leadsync.adapters.descriptor import AdapterDescriptor
from leadsync.adapters.hubspot.settings import MAX_PARALLEL, HubSpotSettings
from leadsync.connector.budget import Budgets, LocalBudgets
from leadsync.connector.logs import register_secret
from leadsync.connector.models import SalesProcess
from leadsync.connector.ports import Activities, Lists, System

# HubSpot's standard lead statuses; a portal's own values are set in [sla].
CONTACT_PROCESS = SalesProcess(
    owner="hubspot_owner_id", status="hs_lead_status", email="email",
    name=("firstname", "lastname"), converted="lifecyclestage",
    converted_when=("opportunity", "customer", "evangelist"),
    accepted_statuses=("IN_PROGRESS", "ATTEMPTED_TO_CONTACT", "CONNECTED"),
    disqualified_statuses=("UNQUALIFIED",), nurture_status="BAD_TIMING", reopen_status="NEW")


def build_system(name: str, settings: Any, budgets: Budgets | None = None) -> System:
    """The portal's calls paced below its documented limits, less ``rate_margin``; the
    budgets are the private app's (its host and token), whoever else uses them."""
    from hubspot import HubSpot

    from leadsync.adapters.hubspot.calls import BURST_SECONDS
    from leadsync.adapters.hubspot.system import HubSpotSystem
    from leadsync.connector.budget import account_key, rate_limit

    budgets = budgets if budgets is not None else LocalBudgets()
    kwargs = settings.client_kwargs()
    register_secret(kwargs.get("access_token"))
    account = account_key("hubspot", settings.host, kwargs.get("access_token"))
    # a kept-alive connection for each call in flight (the client's default: 5 per CPU)
    kwargs["connection_pool_maxsize"] = MAX_PARALLEL
    system = HubSpotSystem(
        name, HubSpot(**kwargs), key_field=settings.key_property, timeout=settings.timeout,
        window=budgets.window(account, "burst",
                              rate_limit(settings.rate_limit, settings.rate_margin),
                              BURST_SECONDS),
        search_window=budgets.window(account, "search",
                                     rate_limit(settings.search_rate_limit,
                                                settings.rate_margin), 1.0))
    system.calls.max_parallel = settings.max_parallel or 1
    return system


def activities(system: System) -> Activities:
    from leadsync.adapters.hubspot.activities import HubSpotActivities
    from leadsync.adapters.hubspot.system import HubSpotSystem

    assert isinstance(system, HubSpotSystem), system
    return HubSpotActivities(system.calls)


def lists(system: System) -> Lists:
    from leadsync.adapters.hubspot.lists import HubSpotLists
    from leadsync.adapters.hubspot.system import HubSpotSystem

    assert isinstance(system, HubSpotSystem), system
    return HubSpotLists(system.calls)


DESCRIPTOR = AdapterDescriptor(
    kind="hubspot", label="HubSpot", settings=HubSpotSettings, synced_object="contacts",
    process=CONTACT_PROCESS, system=build_system, activities=activities, lists=lists)
