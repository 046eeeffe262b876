"""Salesforce as LeadSync knows it: Leads, Tasks and Events, users as reps, queues, permission
sets; no lists."""

from __future__ import annotations

from typing import Any

from leadsync.adapters.descriptor import AdapterDescriptor
from leadsync.adapters.salesforce.settings import SalesforceSettings
from leadsync.connector.access_plan import FieldAccess
from leadsync.connector.budget import Budgets, LocalBudgets, account_key
from leadsync.connector.errors import AuthError
from leadsync.connector.logs import register_secret
from leadsync.connector.models import SalesProcess
from leadsync.connector.ports import Activities, System

# The Lead object's standard fields, and the status values of the standard sales process; an
# org's own Lead Status values are set in [sla].
LEAD_PROCESS = SalesProcess(
    owner="OwnerId", status="Status", email="Email", name=("Name",),
    converted="IsConverted", converted_when=("true",),
    accepted_statuses=("Working - Contacted",),
    disqualified_statuses=("Closed - Not Converted",),
    nurture_status="Recycled - Nurture", reopen_status="Open - Not Contacted")

SECRETS = ("session_id", "password", "security_token", "consumer_secret", "privatekey")


def build_system(name: str, settings: Any, budgets: Budgets | None = None) -> System:
    """Logging in happens here, for the login flows that need it. The daily budget is the
    org's: its instance and org id (a session id begins with it, up to the ``!``)."""
    from simple_salesforce import Salesforce
    from simple_salesforce.exceptions import SalesforceAuthenticationFailed

    from leadsync.adapters.network import unreachable
    from leadsync.adapters.salesforce.system import SalesforceSystem
    from leadsync.adapters.transport import ca_session

    kwargs = settings.client_kwargs()
    for key in SECRETS:
        register_secret(kwargs.get(key))
    session = ca_session(settings.ca_bundle, settings.timeout)
    try:
        # answers parsed into plain dicts by json's C decoder: the client's default
        # (OrderedDict, through a Python hook per object) was 8% of a worker's time in a sync
        client = Salesforce(**kwargs, session=session, object_pairs_hook=None)
    except SalesforceAuthenticationFailed as exc:
        raise AuthError(f"Salesforce refused the login: {exc.code}",
                        f"systems.{name}.auth") from exc
    except OSError as exc:  # requests' errors: the login host unreachable, or its TLS refused
        failed = unreachable(exc, "Salesforce", "login", name, host_key="domain")
        if failed is None:
            raise
        raise failed from exc
    register_secret(client.session_id)
    budgets = budgets if budgets is not None else LocalBudgets()
    account = account_key("salesforce", client.sf_instance,
                          str(client.session_id).partition("!")[0])
    system = SalesforceSystem(name, client, key_field=settings.lead_key_field,
                              daily_budget=budgets.daily(account, settings.daily_api_reserve,
                                                         name),
                              bulk_threshold=settings.bulk_threshold)
    system.calls.max_parallel = settings.max_parallel or 1
    return system


def activities(system: System) -> Activities:
    from leadsync.adapters.salesforce.activities import SalesforceActivities
    from leadsync.adapters.salesforce.system import SalesforceSystem

    assert isinstance(system, SalesforceSystem), system
    return SalesforceActivities(system.calls)


def access(system: System) -> FieldAccess:
    from leadsync.adapters.salesforce.access import SalesforceAccess
    from leadsync.adapters.salesforce.system import SalesforceSystem

    assert isinstance(system, SalesforceSystem), system
    return SalesforceAccess(system.calls)


DESCRIPTOR = AdapterDescriptor(
    kind="salesforce", label="Salesforce", settings=SalesforceSettings, synced_object="Lead",
    process=LEAD_PROCESS, system=build_system, activities=activities, access=access)
