"""The orgs are written to the state file when the sandbox stops and when asked to
(``Sandbox.save()``), and at no other time."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.sandbox.hubspot_support import new_contact


def saved_lead_names(state: Path) -> list[str]:
    leads = json.loads(state.read_text())["salesforce"]["records"]["Lead"].values()
    return sorted(lead["LastName"] for lead in leads)


def test_a_save_writes_both_orgs_as_they_are_then(make_sandbox: Callable[..., Sandbox],
                                                  tmp_path: Path) -> None:
    state = tmp_path / "orgs.json"
    sandbox = make_sandbox(state=state)
    sf = salesforce_client(sandbox)
    sf.Lead.create({"LastName": "First", "Company": "Snap"})
    new_contact(hubspot_client(sandbox), email="first@example.com")

    sandbox.save()
    sf.Lead.create({"LastName": "Second", "Company": "Snap"})

    assert saved_lead_names(state) == ["First"]
    contacts = json.loads(state.read_text())["hubspot"]["store"]["records"]["contacts"]
    assert [c["properties"]["email"] for c in contacts.values()] == ["first@example.com"]
    sandbox.stop()
    assert saved_lead_names(state) == ["First", "Second"]


def test_nothing_is_written_while_serving_until_asked(make_sandbox: Callable[..., Sandbox],
                                                      tmp_path: Path) -> None:
    state = tmp_path / "orgs.json"
    sandbox = make_sandbox(state=state)
    sf = salesforce_client(sandbox)
    for n in range(3):
        sf.Lead.create({"LastName": f"Unsaved {n}", "Company": "Snap"})

    assert not state.exists()
    assert not list(tmp_path.glob("*.tmp"))
    sandbox.stop()
    assert len(saved_lead_names(state)) == 3


def test_a_sandbox_started_from_the_file_has_what_the_last_save_had(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    state = tmp_path / "orgs.json"
    first = make_sandbox(state=state)
    sf = salesforce_client(first)
    kept = sf.Lead.create({"LastName": "Kept", "Company": "Snap"})
    first.save()
    later = sf.Lead.create({"LastName": "Later", "Company": "Snap"})

    second = Sandbox(state=state)
    try:
        assert kept["id"] in second.salesforce.records["Lead"]
        assert later["id"] not in second.salesforce.records["Lead"]
    finally:
        second.state_path = None  # leave the file as the first one saved it
        second.stop()
