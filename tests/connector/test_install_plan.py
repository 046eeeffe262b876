"""The install planner: what LeadSync needs for the features configured, against what each
system describes; pure, so every rule is tested without a network."""

from __future__ import annotations

from leadsync import shipped
from leadsync.connector.install_plan import conflict, features_only, key_spec, needed, plan_install
from leadsync.connector.mapping import load_mapping
from leadsync.connector.models import FieldInfo, Side

MAPPING = load_mapping(shipped.mapping())
KEYS: dict[Side, str] = {"marketing": "leadsync_id", "crm": "LeadSync_Id__c"}
SYSTEMS: dict[Side, str] = {"marketing": "hubspot", "crm": "salesforce"}


def standard() -> dict[Side, dict[str, FieldInfo]]:
    """Every field the shipped mapping names, on both sides, except HubSpot's lead_source."""
    described: dict[Side, dict[str, FieldInfo]] = {"marketing": {}, "crm": {}}
    for side in ("marketing", "crm"):
        for name in MAPPING.fields_of(side):
            described[side][name] = FieldInfo(name, "string", length=80)
    described["crm"]["LeadSource"] = FieldInfo("LeadSource", "picklist", "Lead Source", 40)
    for view_name in [*MAPPING.view.reads("marketing"), "lead_source"]:
        if view_name.startswith("leadsync") or view_name == "lead_source":
            described["marketing"].pop(view_name, None)
    for name in MAPPING.view.reads("crm"):
        if name.startswith("LeadSync"):
            described["crm"].pop(name, None)
    return described


def created(definition: bool = False, sla: bool = False,
            described: dict[Side, dict[str, FieldInfo]] | None = None) -> set[str]:
    described = described or standard()
    plan = plan_install(needed(MAPPING, KEYS, definition, sla, described), described, SYSTEMS)
    return {need.spec.name for need in plan.create}


def test_the_key_field_is_always_needed_and_unique() -> None:
    assert {"leadsync_id", "LeadSync_Id__c"} <= created()
    assert key_spec("LeadSync_Id__c").unique


def test_verdict_fields_are_needed_only_with_a_definition_and_sla_fields_only_with_sla() -> None:
    assert "LeadSync_Qualified__c" not in created()
    assert "LeadSync_Qualified__c" in created(definition=True)
    assert "LeadSync_SLA_Policy__c" not in created(definition=True)
    assert "LeadSync_SLA_Policy__c" in created(sla=True)


def test_a_field_the_mapping_names_and_the_vendor_lacks_is_made_like_its_counterpart() -> None:
    described = standard()
    plan = plan_install(needed(MAPPING, KEYS, False, False, described), described, SYSTEMS)

    [lead_source] = [n.spec for n in plan.create if n.spec.name == "lead_source"]
    assert (lead_source.type, lead_source.length, lead_source.label) == ("string", 40,
                                                                         "Lead Source")


def test_a_name_close_to_an_existing_field_is_a_typo_not_a_field_to_create() -> None:
    described = standard()
    described["crm"].pop("Title")
    described["crm"]["Titel"] = FieldInfo("Titel", "string", length=128)  # mapping says Title

    assert "Title" not in created(described=described)


def test_an_existing_field_is_kept_when_it_fits_and_a_conflict_when_it_does_not() -> None:
    assert conflict(key_spec("k"), FieldInfo("k", "string", length=255, unique=True)) is None
    assert conflict(key_spec("k"), FieldInfo("k", "string", length=255)) == (
        "is not unique, and LeadSync upserts by it")
    assert conflict(key_spec("k"), FieldInfo("k", "double", unique=True)) == (
        "exists as double, LeadSync needs string")
    assert conflict(key_spec("k"), FieldInfo("k", "string", length=20, unique=True)) == (
        "holds 20 characters, LeadSync needs 64")
    assert conflict(FieldInfo("q", "boolean"), FieldInfo("q", "bool")) is None  # HubSpot's word


def test_a_conflict_is_reported_and_never_planned_as_a_creation() -> None:
    described = standard()
    described["marketing"]["leadsync_id"] = FieldInfo("leadsync_id", "string")
    plan = plan_install(needed(MAPPING, KEYS, False, False, described), described, SYSTEMS)

    assert "leadsync_id" not in {n.spec.name for n in plan.create}
    assert plan.conflicts[0].startswith("hubspot field leadsync_id (LeadSync's key)")


def test_a_sync_without_the_features_neither_reads_nor_needs_their_fields() -> None:
    bare = features_only(MAPPING, definition=False, sla=False)

    assert not any(name.startswith("LeadSync_") for name in bare.fields_of("crm"))
    assert bare.rules == MAPPING.rules
