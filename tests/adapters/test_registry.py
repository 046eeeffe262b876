"""The registry reads one descriptor per adapter package; jobs reach adapters only through it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hubspot import HubSpot
from simple_salesforce import Salesforce

from leadsync.adapters import registry
from leadsync.adapters.descriptor import AdapterDescriptor
from leadsync.adapters.hubspot.activities import HubSpotActivities
from leadsync.adapters.hubspot.lists import HubSpotLists
from leadsync.adapters.hubspot.system import HubSpotSystem
from leadsync.adapters.salesforce.activities import SalesforceActivities
from leadsync.adapters.salesforce.system import SalesforceSystem
from leadsync.connector.config_systems import registered_kinds
from leadsync.connector.errors import ConfigError
from tests.connector.fakes import Clock, FakeSystem

REPO = Path(__file__).resolve().parents[2]


def test_every_builtin_package_has_a_descriptor_under_its_kind() -> None:
    found = registry.descriptors()

    assert sorted(found) == ["hubspot", "salesforce"]
    assert all(isinstance(d, AdapterDescriptor) and d.kind == kind for kind, d in found.items())
    assert (found["hubspot"].synced_object, found["salesforce"].synced_object) == (
        "contacts", "Lead")


def test_the_config_loaders_kinds_are_fed_from_the_descriptors() -> None:
    registry.load_builtin_kinds()

    kinds = registered_kinds()
    assert all(kinds[kind] is d.settings for kind, d in registry.descriptors().items())


def test_each_descriptors_process_is_the_one_its_activities_use() -> None:
    found = registry.descriptors()

    assert found["hubspot"].process is HubSpotActivities.process
    assert found["salesforce"].process is SalesforceActivities.process


def test_activities_and_lists_share_the_calls_of_the_system_they_are_built_for() -> None:
    hubspot = HubSpotSystem("hubspot", HubSpot(access_token="pat-na1-x"))
    salesforce = SalesforceSystem("salesforce", Salesforce(
        session_id="x", instance_url="https://acme.my.salesforce.com"))

    hubspot_activities, lists = registry.activities_for(hubspot), registry.lists_for(hubspot)
    salesforce_activities = registry.activities_for(salesforce)

    assert isinstance(hubspot_activities, HubSpotActivities)
    assert isinstance(lists, HubSpotLists)
    assert hubspot_activities.calls is hubspot.calls and lists.calls is hubspot.calls
    assert isinstance(salesforce_activities, SalesforceActivities)
    assert salesforce_activities.calls is salesforce.calls
    assert registry.lists_for(salesforce) is None  # Salesforce keeps no nurture lists


def test_a_kind_no_adapter_has_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="no adapter for kind 'marketo'"):
        registry.activities_for(FakeSystem("marketo", Clock()))
    assert registry.synced_object("marketo") is None


def test_only_the_systems_that_keep_lists_are_named_as_keeping_them() -> None:
    assert registry.list_keepers() == ["HubSpot"]


VENDOR_COMPARED = re.compile(r"""[=!]=\s*["'](?:hubspot|salesforce)["']"""
                             r"""|["'](?:hubspot|salesforce)["']\s*[=!]="""
                             r"""|\bin\s*[(\[{][^)\]}]*["'](?:hubspot|salesforce)["']""")


@pytest.mark.parametrize("folder", ["connector", "jobs", "leadsync"])
def test_no_vendor_kind_is_compared_outside_the_adapters(folder: str) -> None:
    compared = [f"{path.relative_to(REPO)}:{n}" for path in sorted((REPO / folder).rglob("*.py"))
                for n, line in enumerate(path.read_text().splitlines(), 1)
                if VENDOR_COMPARED.search(line)]

    assert compared == []
