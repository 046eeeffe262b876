"""Calls in parallel end to end: a pass with ``[sync] parallel = 4`` through the real vendor
clients over HTTPS against the sandbox orgs sends several write calls at once on each side and
ends as a pass one call at a time does: every lead on both sides once, nothing refused, no
429, and a pass after it writes nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from leadsync.adapters.hubspot.system import HubSpotSystem
from leadsync.adapters.salesforce.system import SalesforceSystem
from leadsync.jobs.sync import prepare
from leadsync.sandbox.server import Sandbox
from tests.jobs.test_limits_e2e import emails
from tests.jobs.test_sync_e2e import mutations, write_config

WRITES = {"batch upsert", "batch update", "upsert", "update"}  # the calls' names, as logged


def meet(calls: Any, monkeypatch: pytest.MonkeyPatch, parties: int) -> list[int]:
    """Make the first ``parties`` write calls wait for each other before they go out, so the
    pass can only go on if that many are in flight at once; the list counts write calls."""
    together = threading.Barrier(parties, timeout=30)  # a deadlock guard, never reached
    once, made, lock = calls.once, [0], threading.Lock()

    def first_ones_meet(what: str, *args: Any, **kwargs: Any) -> Any:
        if what in WRITES:
            with lock:
                made[0] += 1
                number = made[0]
            if number <= parties:
                together.wait()
        return once(what, *args, **kwargs)

    monkeypatch.setattr(calls, "once", first_ones_meet)
    return made


def test_a_pass_with_parallel_4_sends_calls_together_and_syncs_every_lead_once(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = make_sandbox(seed=240)
    config = write_config(sandbox, tmp_path, extra_sync="batch_size = 10\nparallel = 4\n")
    engine = prepare(config)
    hubspot, salesforce = engine.systems["marketing"], engine.systems["crm"]
    assert isinstance(hubspot, HubSpotSystem) and isinstance(salesforce, SalesforceSystem)
    assert hubspot.max_parallel == salesforce.max_parallel == 4
    hubspot_writes = meet(hubspot.calls, monkeypatch, 3)
    salesforce_writes = meet(salesforce.calls, monkeypatch, 3)

    first = engine.run()

    assert hubspot_writes[0] > 3 and salesforce_writes[0] > 3
    assert first.sides["salesforce"].created > 0 and first.sides["hubspot"].created > 0
    assert first.sides["salesforce"].failed == first.sides["hubspot"].failed == 0
    assert hubspot.calls.throttled == 0
    leads, contacts = emails(sandbox)
    assert set(leads) == set(contacts)
    assert set(leads.values()) == set(contacts.values()) == {1}  # none made twice
    keys = [r["LeadSync_Id__c"] for r in sandbox.salesforce.records["Lead"].values()
            if r.get("LeadSync_Id__c")]
    assert len(keys) >= first.sides["salesforce"].created and len(set(keys)) == len(keys)
    stored = engine.store.count_links(config.sync.connection)
    assert stored == len(leads)

    before = mutations(sandbox)
    second = engine.run()

    assert mutations(sandbox) == before
    assert all(s.created == s.updated == s.failed == 0 for s in second.sides.values())
