"""The permission set plan: what to create given what the CRM holds (pure)."""

from __future__ import annotations

import pytest

from leadsync.connector.access_plan import (
    FIELDS_SET,
    INTEGRATION_SET,
    FoundSet,
    Grant,
    plan_access,
    wanted_grants,
)
from leadsync.connector.errors import ConfigError

GRANTS = wanted_grants(["LeadSync_Id__c", "LeadSync_Grade__c", "LeadSync_Id__c"],
                       ["LeadSync_Key__c"])


def test_reps_get_read_on_lead_fields_and_the_integration_read_and_edit_on_tasks_too() -> None:
    made = list(GRANTS)
    assert made == [Grant("LeadSync_Fields", "Lead.LeadSync_Id__c", False),
                    Grant("LeadSync_Fields", "Lead.LeadSync_Grade__c", False),
                    Grant("LeadSync_Integration", "Lead.LeadSync_Id__c", True),
                    Grant("LeadSync_Integration", "Lead.LeadSync_Grade__c", True),
                    Grant("LeadSync_Integration", "Task.LeadSync_Key__c", True)]


def test_on_a_fresh_org_everything_is_to_create() -> None:
    plan = plan_access(GRANTS, {})
    assert [s.name for s in plan.sets_to_create] == [FIELDS_SET.name, INTEGRATION_SET.name]
    assert plan.create == GRANTS and plan.writes() == 7 and plan.conflicts == []


def test_an_existing_set_keeps_its_grants_and_gets_only_the_missing_ones() -> None:
    found = {FIELDS_SET.name: FoundSet("0PS1", {"Lead.LeadSync_Id__c": (True, False)}),
             INTEGRATION_SET.name: FoundSet("0PS2", {
                 "Lead.LeadSync_Id__c": (True, True), "Lead.LeadSync_Grade__c": (True, True),
                 "Task.LeadSync_Key__c": (True, True)})}
    plan = plan_access(GRANTS, found)
    assert plan.sets_to_create == [] and plan.set_ids == {FIELDS_SET.name: "0PS1",
                                                          INTEGRATION_SET.name: "0PS2"}
    assert plan.create == [Grant("LeadSync_Fields", "Lead.LeadSync_Grade__c", False)]
    assert len(plan.present) == 4


def test_read_where_edit_is_wanted_is_a_conflict_and_is_not_changed() -> None:
    found = {INTEGRATION_SET.name: FoundSet("0PS2", {"Lead.LeadSync_Grade__c": (True, False)})}
    plan = plan_access(GRANTS, found)
    assert plan.conflicts == [
        "permission set LeadSync_Integration grants Lead.LeadSync_Grade__c read only, "
        "LeadSync needs edit there; LeadSync changes no existing permission: give it Edit "
        "in Setup"]
    assert Grant("LeadSync_Integration", "Lead.LeadSync_Grade__c", True) not in plan.create


def test_assignments_skip_users_who_have_the_set_and_refuse_unknown_emails() -> None:
    found = {FIELDS_SET.name: FoundSet("0PS1", assignees=frozenset({"005A"}))}
    users = {"ana@x.example": "005A", "ben@x.example": "005B"}
    plan = plan_access(GRANTS, found, {FIELDS_SET.name: ["ANA@x.example", "ben@x.example"]},
                       users)
    assert [a.user_id for a in plan.assigned] == ["005A"]
    assert [a.user_id for a in plan.assign] == ["005B"]
    with pytest.raises(ConfigError) as caught:
        plan_access(GRANTS, found, {INTEGRATION_SET.name: ["cy@x.example"]}, users)
    assert caught.value.where == "--integration-user" and "cy@x.example" in str(caught.value)
