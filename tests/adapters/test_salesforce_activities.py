"""Salesforce's side of the SLA against the sandbox org: queues as pools."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce

from leadsync.adapters.salesforce.activities import SalesforceActivities
from leadsync.adapters.salesforce.system import SalesforceSystem
from leadsync.connector.errors import ConfigError
from leadsync.sandbox.server import Sandbox


@pytest.fixture
def activities(sf: Salesforce) -> SalesforceActivities:
    return SalesforceActivities(SalesforceSystem("salesforce", sf).calls)


def queue(sf: Salesforce, sandbox: Sandbox, label: str, api_name: str, *members: str) -> str:
    made = sf.Group.create({"Name": label, "DeveloperName": api_name, "Type": "Queue"})["id"]
    for email in members:
        user = sandbox.salesforce.insert_raw("User", {
            "LastName": email.split("@")[0], "Email": email, "Username": email,
            "IsActive": True})
        sf.GroupMember.create({"GroupId": made, "UserOrGroupId": user})
    return made


def test_a_queue_is_found_by_api_name_or_label_and_gives_its_users(
        sf: Salesforce, sandbox: Sandbox, activities: SalesforceActivities) -> None:
    queue(sf, sandbox, "Inbound SDRs", "Inbound_SDRs", "amy@x.example", "bob@x.example")
    sf.Group.create({"Name": "Everyone", "DeveloperName": "Everyone", "Type": "Regular"})
    by_api = activities.queue_members("Inbound_SDRs")
    assert len(by_api) == 2 and all(i.startswith("005") for i in by_api)
    assert activities.queue_members("Inbound SDRs") == by_api == sorted(by_api)
    with pytest.raises(ConfigError, match="no queue named 'Everyone'"):
        activities.queue_members("Everyone")  # a public group, not a queue


def test_a_label_two_queues_share_must_be_named_by_api_name(
        sf: Salesforce, sandbox: Sandbox, activities: SalesforceActivities) -> None:
    queue(sf, sandbox, "Inbound", "Inbound_East", "amy@x.example")
    queue(sf, sandbox, "Inbound", "Inbound_West", "bob@x.example")
    with pytest.raises(ConfigError) as caught:
        activities.queue_members("Inbound")
    assert "2 Salesforce queues are labelled 'Inbound'" in str(caught.value)
    assert "Inbound_East" in str(caught.value) and "Inbound_West" in str(caught.value)
    assert len(activities.queue_members("Inbound_West")) == 1
