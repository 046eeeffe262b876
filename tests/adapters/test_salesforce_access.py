"""Salesforce permission sets behind the FieldAccess port, against the sandbox org."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce

from leadsync.adapters.salesforce.access import SalesforceAccess
from leadsync.adapters.salesforce.system import SalesforceSystem
from leadsync.connector.access_plan import FIELDS_SET, INTEGRATION_SET, Grant
from leadsync.connector.errors import ConfigError
from leadsync.sandbox.server import Sandbox


@pytest.fixture
def access(sf: Salesforce) -> SalesforceAccess:
    return SalesforceAccess(SalesforceSystem("salesforce", sf).calls)


def test_a_set_made_by_an_attempt_whose_answer_was_lost_is_found_not_made_again(
        sf: Salesforce, sandbox: Sandbox, access: SalesforceAccess) -> None:
    made = sf.PermissionSet.create({"Name": FIELDS_SET.name, "Label": "made earlier"})["id"]

    assert access.create_permission_set(FIELDS_SET) == made  # DUPLICATE_DEVELOPER_NAME: found
    other = access.create_permission_set(INTEGRATION_SET)

    found = access.permission_sets([FIELDS_SET.name, INTEGRATION_SET.name, "Nothing"])
    assert {name: s.id for name, s in found.items()} == {FIELDS_SET.name: made,
                                                         INTEGRATION_SET.name: other}
    assert len(sandbox.salesforce.records["PermissionSet"]) == 2


def test_a_grant_sent_twice_is_one_field_permission_and_reads_back(
        access: SalesforceAccess, sandbox: Sandbox) -> None:
    set_id = access.create_permission_set(INTEGRATION_SET)
    grants = [Grant(INTEGRATION_SET.name, "Lead.Title", True),
              Grant(INTEGRATION_SET.name, "Lead.Phone", False)]

    assert access.grant(set_id, grants) == ["Lead.Title", "Lead.Phone"]
    assert access.grant(set_id, grants) == ["Lead.Title", "Lead.Phone"]  # DUPLICATE_VALUE

    found = access.permission_sets([INTEGRATION_SET.name])[INTEGRATION_SET.name]
    assert found.fields == {"Lead.Title": (True, True), "Lead.Phone": (True, False)}
    assert len(sandbox.salesforce.records["FieldPermissions"]) == 2


def test_a_refused_grant_is_a_config_error_naming_the_field_and_the_vendors_code(
        access: SalesforceAccess) -> None:
    set_id = access.create_permission_set(FIELDS_SET)
    with pytest.raises(ConfigError) as caught:
        access.grant(set_id, [Grant(FIELDS_SET.name, "Lead.Missing__c", False)])
    assert caught.value.code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert "field permission Lead.Missing__c in LeadSync_Fields" in str(caught.value)


def test_users_are_found_by_email_whatever_its_case_and_assigned_once(
        sf: Salesforce, sandbox: Sandbox, access: SalesforceAccess) -> None:
    user = sandbox.salesforce.insert_raw("User", {"LastName": "Rep", "Email": "Ana@X.example",
                                                  "Username": "ana@x.example", "IsActive": True})
    assert access.user_ids([" ana@x.example", "nobody@x.example"]) == {"ana@x.example": user}
    set_id = access.create_permission_set(FIELDS_SET)

    assert access.assign(set_id, [user]) == [user]
    assert access.assign(set_id, [user]) == [user]  # DUPLICATE_VALUE: assigned already

    assert access.permission_sets([FIELDS_SET.name])[FIELDS_SET.name].assignees == {user}
