"""The sandbox starts as a standard, freshly provisioned portal and org: the vendors' default
fields and nothing made for LeadSync (``leadsync install`` creates what it needs)."""

from __future__ import annotations

from collections.abc import Callable

from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client


def test_a_fresh_portal_has_hubspots_default_contact_properties_and_no_custom_one(
        make_sandbox: Callable[..., Sandbox]) -> None:
    hs = hubspot_client(make_sandbox(seed=20))

    properties = {p.name: p for p in hs.crm.properties.core_api.get_all("contacts").results}

    for name in ("industry", "numemployees", "hubspotscore", "notes_last_updated",
                 "recent_conversion_date", "hs_analytics_source", "lifecyclestage",
                 "hs_lead_status", "hubspot_owner_id"):
        assert name in properties
    assert "lead_source" not in properties
    assert [p.name for p in properties.values() if not p.hubspot_defined] == []
    assert not any(name.startswith("leadsync") for name in properties)


def test_a_fresh_org_has_only_standard_lead_fields(make_sandbox: Callable[..., Sandbox]) -> None:
    sf = salesforce_client(make_sandbox(seed=20))

    fields = [f["name"] for f in sf.Lead.describe()["fields"]]

    assert "LeadSource" in fields and "Status" in fields
    assert [f for f in fields if f.endswith("__c")] == []
