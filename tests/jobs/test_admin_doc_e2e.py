"""``docs/admin.md`` cannot drift from what ``leadsync install`` creates: every Salesforce field,
HubSpot property, permission set and filter value it names is checked against orgs installed
by ``install --apply`` with the shipped mapping and definition, and its SOQL runs."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from leadsync.connector.access_plan import FIELDS_SET, INTEGRATION_SET
from leadsync.connector.mapping import load_mapping
from leadsync.connector.sla import STATUSES
from leadsync.connector.sla_settings import SlaSettings
from leadsync.demo import DEFINITION, MAPPING, sandbox_config
from leadsync.jobs.install import run_install
from leadsync.sandbox.server import Sandbox
from tests.conftest import salesforce_client
from tests.jobs.test_sla_e2e import SLA

DOC = Path(__file__).parents[2] / "docs" / "admin.md"
TEXT = DOC.read_text(encoding="utf-8")
SALESFORCE_FIELD = re.compile(r"\b(?:(Lead|Task)\.)?(LeadSync_\w+__c)\b")
HUBSPOT_PROPERTY = re.compile(r"\bleadsync_[a-z_]+\b")


def installed(make_sandbox: Callable[..., Sandbox], tmp_path: Path
              ) -> tuple[Sandbox, set[str], set[str], set[str]]:
    """Orgs installed with every feature; the Lead fields, Task fields and HubSpot properties
    LeadSync made there."""
    sandbox = make_sandbox(seed=20)
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=SLA,
                            install=False)
    first = run_install(config, apply=True)  # its plan: what was there and what it made
    after = run_install(config)
    assert after.plan.create == [] and after.tasks_to_create == []
    needs = first.plan.present + first.plan.create
    lead = {n.spec.name for n in needs if n.side == "crm"}
    hubspot = {n.spec.name for n in needs if n.side == "marketing"}
    return sandbox, lead, set(after.task_fields), hubspot


def test_every_field_and_property_the_doc_names_is_one_install_creates_and_all_are_named(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox, lead, tasks, hubspot = installed(make_sandbox, tmp_path)
    named_lead = {m[1] for m in SALESFORCE_FIELD.findall(TEXT) if m[0] != "Task"}
    named_tasks = {m[1] for m in SALESFORCE_FIELD.findall(TEXT) if m[0] == "Task"}
    named_hubspot = set(HUBSPOT_PROPERTY.findall(TEXT))

    assert named_lead - {"LeadSync_Key__c"} == lead  # the task key is named bare once too
    assert named_tasks == tasks == {"LeadSync_Key__c"}
    assert named_hubspot | {"lead_source"} == hubspot  # the mapping's, created by install
    assert "`lead_source`" in TEXT
    described = salesforce_client(sandbox).Lead.describe()["fields"]
    labels = {f["name"]: f["label"] for f in described}
    for name in lead:  # the doc's "What it holds" row sits beside the field's real name
        assert labels[name].startswith("LeadSync"), name


def test_the_permission_sets_and_the_values_the_doc_filters_on_are_the_real_ones() -> None:
    for spec in (FIELDS_SET, INTEGRATION_SET):
        assert f"| `{spec.name}` | {spec.label} |" in TEXT
    # the values of every filter on the SLA status: list view rows and SOQL alike
    rows = [line for line in TEXT.splitlines() if line.startswith("| `LeadSync_SLA_Status__c` |")]
    in_rows = [v for row in rows for v in re.split(r",\s*", row.split("`")[-2])]
    clauses = re.findall(r"LeadSync_SLA_Status__c (?:IN \(([^)]*)\)|= ('[^']*'))", TEXT)
    in_soql = [v for clause in clauses for v in re.findall(r"'([^']*)'", " ".join(clause))]
    assert len(rows) == 3 and len(in_soql) == 4
    assert set(in_rows + in_soql) == {"pending", "at_risk", "breached"} <= set(STATUSES)
    mapping = load_mapping(MAPPING)
    [status_rule] = [r for r in mapping.rules if r.marketing == "hs_lead_status"]
    assert status_rule.to_marketing["Recycled - Nurture"] == "BAD_TIMING"
    assert "`Recycled - Nurture`" in TEXT and "`BAD_TIMING`" in TEXT
    assert f"`{SlaSettings.model_fields['nurture_list'].default}`" in TEXT


def test_the_docs_soql_runs_on_an_installed_org(make_sandbox: Callable[..., Sandbox],
                                                 tmp_path: Path) -> None:
    sandbox, *_ = installed(make_sandbox, tmp_path)
    sf = salesforce_client(sandbox)
    [user] = sf.query("SELECT Id FROM User WHERE IsActive = true LIMIT 1")["records"]
    blocks = re.findall(r"```sql\n(.*?)```", TEXT, flags=re.S)
    assert len(blocks) == 3
    for block in blocks:
        soql = " ".join(block.split()).replace("005000000000001AAA", user["Id"])
        assert sf.query_all(soql)["done"] is True
