"""Every SLA effect once with HubSpot as the CRM: a sweep stopped before each call of its apply
step and repeated makes each escalation task in HubSpot once (found by its ``leadsync_key``
when the stopped sweep made it without recording it) and recycles once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadsync.connector.config import Config
from leadsync.connector.state import StateStore
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_sla_effects_e2e import Killed, Tripwire, tripwire
from tests.jobs.test_sla_hubspot_crm import HOT, user, write_config

__all__ = ["tripwire"]
PHASES = {"breach": timedelta(hours=2), "recycle": timedelta(days=3, hours=1)}


def handed_off(make_sandbox: Callable[..., Sandbox], folder: Path
               ) -> tuple[Sandbox, Config, datetime]:
    sandbox = make_sandbox()
    stamp = sandbox.hubspot.stamp()
    sandbox.hubspot.owners.add("Rick", "Rep", "rick@sales.example", stamp)
    sandbox.hubspot.owners.add("Cyndi", "Park", "cyndi@sales.example", stamp)
    salesforce_client(sandbox).Lead.create(
        {**HOT, "OwnerId": user(sandbox, "Rick", "rick@sales.example")})
    folder.mkdir()
    config = write_config(sandbox, folder)
    run_sync(config)
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    [contact] = hubspot_client(sandbox).crm.contacts.get_all(properties=["leadsync_handoff_at"])
    handoff = datetime.fromisoformat(
        str(contact.properties["leadsync_handoff_at"]).replace("Z", "+00:00"))
    return sandbox, config, handoff


def counts(sandbox: Sandbox, config: Config) -> dict[str, Any]:
    tasks = [t.properties.get("leadsync_key") for t in
             hubspot_client(sandbox).crm.objects.tasks.basic_api.get_page(
                 limit=100, properties=["leadsync_key"]).results]
    store = StateStore(config.state.url)
    try:
        events = Counter(e["event"] for e in store.events("default"))
    finally:
        store.close()
    [lead] = salesforce_client(sandbox).query("SELECT Status FROM Lead")["records"]
    return {"tasks": len(tasks), "distinct tasks": len(set(tasks)), "marketing": lead["Status"],
            **{e: events[e] for e in ("escalated", "recycled", "breach")}}


@pytest.mark.parametrize("phase", list(PHASES))
def test_a_sweep_stopped_before_any_call_of_its_apply_step_makes_each_hubspot_task_once(
        phase: str, make_sandbox: Callable[..., Sandbox], tmp_path: Path,
        tripwire: Tripwire) -> None:
    sandbox, config, handoff = handed_off(make_sandbox, tmp_path / "baseline")
    for name, offset in PHASES.items():
        tripwire.calls = []
        run_sweep(config, handoff + offset, allow_future_writes=True)
        if name == phase:
            break
    expected, calls = counts(sandbox, config), len(tripwire.calls)
    assert expected["tasks"] == expected["distinct tasks"] >= 1 and calls >= 2
    for at in range(calls):
        sandbox, config, handoff = handed_off(make_sandbox, tmp_path / f"stop-{at}")
        for name, offset in PHASES.items():
            if name == phase:
                tripwire.at, tripwire.calls = at, []
                with pytest.raises(Killed):
                    run_sweep(config, handoff + offset, allow_future_writes=True)
                tripwire.at = None
            run_sweep(config, handoff + offset, allow_future_writes=True)
            if name == phase:
                break
        assert counts(sandbox, config) == expected, f"stopped before apply call {at}"
