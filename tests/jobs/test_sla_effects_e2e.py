"""Every SLA effect once, end to end: sweeps stopped anywhere in their apply step, or by the
daily API limit, or answered with faults and lost answers, then repeated, do each task,
notification, reassignment and recycle once (counted at the sandbox orgs and at a real local
webhook receiver).

A stop is an exception raised before the Nth vendor call of the apply step (a ``BaseException``,
as a kill is: nothing in LeadSync catches it), so the sweep dies with its clocks unsaved.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from leadsync.adapters.hubspot.calls import HubSpotCalls
from leadsync.adapters.salesforce.calls import SalesforceCalls
from leadsync.adapters.webhook.notifier import WebhookNotifier
from leadsync.connector.config import Config
from leadsync.connector.state import StateStore
from leadsync.demo import DEFINITION, sandbox_config
from leadsync.jobs import sla as sla_job
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_sla_e2e import HOT, SLA, reps

PEOPLE = 3
POLICY = SLA.replace('on_breach = ["escalate"]', 'on_breach = ["escalate", "reassign"]', 1)
POOL = """
[sla.pool]
reps = ["amy@sales.example", "bob@sales.example", "cara@sales.example"]
"""


class Killed(BaseException):
    """A sweep stopped dead, as by kill -9: nothing catches it."""


@dataclass
class Tripwire:
    """Counts the vendor and webhook calls of the apply step; raises ``Killed`` before the
    call numbered ``at`` (None: never)."""

    at: int | None = None
    armed: bool = False
    calls: list[str] = field(default_factory=list)

    def check(self, what: str) -> None:
        if not self.armed:
            return
        if self.at is not None and len(self.calls) >= self.at:
            raise Killed(f"stopped before call {len(self.calls)}: {what}")
        self.calls.append(what)


@pytest.fixture
def tripwire(monkeypatch: pytest.MonkeyPatch) -> Tripwire:
    wire = Tripwire()
    for cls in (SalesforceCalls, HubSpotCalls):
        original = cls.once

        def once(self: Any, what: str, *args: Any, _original: Any = original,
                 **kwargs: Any) -> Any:
            wire.check(what)
            return _original(self, what, *args, **kwargs)

        monkeypatch.setattr(cls, "once", once)
    post = WebhookNotifier._post

    def _post(self: WebhookNotifier, *args: Any) -> int:
        wire.check("webhook")
        return post(self, *args)

    monkeypatch.setattr(WebhookNotifier, "_post", _post)
    apply = sla_job.Sweep._apply

    def _apply(self: sla_job.Sweep, plan: Any) -> set[str]:
        wire.armed = True
        try:
            return apply(self, plan)
        finally:
            wire.armed = False

    monkeypatch.setattr(sla_job.Sweep, "_apply", _apply)
    return wire


@dataclass
class Receiver:
    url: str
    keys: list[str] = field(default_factory=list)  # the Idempotency-Key of every POST


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real local webhook receiver."""
    got = Receiver("")

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            got.keys.append(self.headers["Idempotency-Key"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    got.url = f"http://127.0.0.1:{server.server_port}/sla"
    yield got
    server.shutdown()


@dataclass
class Orgs:
    sandbox: Sandbox
    config: Config
    handoff: datetime
    receiver: Receiver

    def counts(self) -> dict[str, Any]:
        """What the orgs, the receiver and the audit trail hold: duplicates show here."""
        sf = salesforce_client(self.sandbox)
        tasks = [r["LeadSync_Key__c"] for r in sf.query_all(
            "SELECT Id, LeadSync_Key__c FROM Task WHERE LeadSync_Key__c != null")["records"]]
        leads = {r["Email"]: (r["OwnerId"], r["Status"], r["LeadSync_Recycle_Count__c"])
                 for r in sf.query_all("SELECT Email, OwnerId, Status, "
                                       "LeadSync_Recycle_Count__c FROM Lead")["records"]}
        store = StateStore(self.config.state.url)
        try:
            events = Counter(e["event"] for e in store.events("default"))
        finally:
            store.close()
        return {"tasks": len(tasks), "distinct tasks": len(set(tasks)),
                "notifications": len(self.receiver.keys),
                "distinct notifications": len(set(self.receiver.keys)),
                "leads": leads, **{e: events[e] for e in
                                   ("assigned", "reassigned", "escalated", "webhook",
                                    "recycled", "breach")}}


def handed_off(make_sandbox: Callable[..., Sandbox], tmp_path: Path, receiver: Receiver,
               **options: Any) -> Orgs:
    """Three hot leads synced to Salesforce, owned by a rep outside the pool (so the first
    sweep assigns them), their clocks started."""
    sandbox = make_sandbox(**options)
    manager = sandbox.salesforce.insert_raw("User", {
        "FirstName": "Cyndi", "LastName": "Park", "Email": "cyndi@sales.example",
        "Username": "cyndi@sales.example", "TimeZoneSidKey": "America/New_York",
        "IsActive": True})
    sandbox.salesforce.insert_raw("User", {
        "FirstName": "Rick", "LastName": "Rep", "Email": "rick@sales.example",
        "Username": "rick@sales.example", "TimeZoneSidKey": "America/New_York",
        "IsActive": True, "ManagerId": manager})
    reps(sandbox, "amy", "bob", "cara")
    owner = sandbox.hubspot.owners.add("Rick", "Rep", "rick@sales.example",
                                       sandbox.hubspot.stamp())["id"]
    sla = POLICY.replace("[sla]\n", f'[sla]\nwebhook_url = "{receiver.url}"\n') + POOL
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=sla)
    hs = hubspot_client(sandbox)
    for n in range(PEOPLE):
        hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={"properties": {
            **HOT, "email": f"person{n}@analytical.example", "lastname": f"Person {n}",
            "hubspot_owner_id": str(owner)}})
    run_sync(config)
    start = datetime.now(UTC) + timedelta(minutes=1)
    run_sweep(config, start, allow_future_writes=True)
    sf = salesforce_client(sandbox)
    handoffs = [r["LeadSync_Handoff_At__c"] for r in
                sf.query("SELECT LeadSync_Handoff_At__c FROM Lead")["records"]]
    latest = max(datetime.fromisoformat(h.replace("+0000", "+00:00")) for h in handoffs)
    return Orgs(sandbox, config, latest, receiver)


PHASES = {"breach": timedelta(hours=2), "recycle": timedelta(days=3, hours=1)}


def sweep_to(orgs: Orgs, phase: str, tripwire: Tripwire | None = None,
             at: int | None = None) -> None:
    """The sweeps up to ``phase``; the last one stopped before its apply step's call ``at``
    and then repeated until it completes."""
    for name, offset in PHASES.items():
        last = name == phase
        if last and tripwire is not None and at is not None:
            tripwire.at, tripwire.calls = at, []
            with pytest.raises(Killed):
                run_sweep(orgs.config, orgs.handoff + offset, allow_future_writes=True)
            tripwire.at = None
        run_sweep(orgs.config, orgs.handoff + offset, allow_future_writes=True)
        if last:
            return


def baseline(make_sandbox: Callable[..., Sandbox], tmp_path: Path, receiver: Receiver,
             tripwire: Tripwire, phase: str) -> tuple[dict[str, Any], int]:
    """The counts after an uninterrupted run, and how many calls the phase's apply step made."""
    orgs = handed_off(make_sandbox, tmp_path / "baseline", receiver)
    for name, offset in PHASES.items():
        tripwire.calls = []
        run_sweep(orgs.config, orgs.handoff + offset, allow_future_writes=True)
        if name == phase:
            break
    return orgs.counts(), len(tripwire.calls)


@pytest.mark.parametrize("phase", list(PHASES))
def test_a_sweep_stopped_before_any_call_of_its_apply_step_and_repeated_does_each_effect_once(
        phase: str, make_sandbox: Callable[..., Sandbox], tmp_path: Path,
        receiver: Receiver, tripwire: Tripwire) -> None:
    (tmp_path / "baseline").mkdir()
    expected, calls = baseline(make_sandbox, tmp_path, receiver, tripwire, phase)
    assert expected["tasks"] == expected["distinct tasks"] >= PEOPLE
    assert expected["reassigned"] >= PEOPLE
    if phase == "recycle":
        assert expected["recycled"] == PEOPLE
    assert calls > 3
    for at in range(calls):
        receiver.keys.clear()
        folder = tmp_path / f"stop-{at}"
        folder.mkdir()
        orgs = handed_off(make_sandbox, folder, receiver)
        sweep_to(orgs, phase, tripwire, at)
        assert orgs.counts() == expected, f"stopped before apply call {at}"


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without waiting: the waits are the retry policy's business, not these tests'."""
    from leadsync.connector.retry import RetryPolicy

    monkeypatch.setattr(RetryPolicy, "_wait", lambda self, state: 0.0)


def test_a_sweep_stopped_by_the_daily_api_limit_at_each_call_and_repeated_next_day_does_each_effect_once(  # noqa: E501
        make_sandbox: Callable[..., Sandbox], tmp_path: Path, receiver: Receiver,
        tripwire: Tripwire, no_backoff: None) -> None:
    (tmp_path / "baseline").mkdir()
    orgs = handed_off(make_sandbox, tmp_path / "baseline", receiver)
    before = orgs.sandbox.salesforce.usage.used
    sweep_to(orgs, "breach")
    requests = orgs.sandbox.salesforce.usage.used - before  # the sweep's, all of them
    expected = orgs.counts()
    assert expected["tasks"] == PEOPLE and requests > 5
    for allowed in range(requests):
        receiver.keys.clear()
        folder = tmp_path / f"limit-{allowed}"
        folder.mkdir()
        orgs = handed_off(make_sandbox, folder, receiver)
        usage = orgs.sandbox.salesforce.usage
        maximum, usage.maximum = usage.maximum, usage.used + allowed
        with pytest.raises(Exception, match=r"(?i)limit|budget|daily API"):
            run_sweep(orgs.config, orgs.handoff + PHASES["breach"], allow_future_writes=True)
        usage.maximum = maximum  # a new day
        run_sweep(orgs.config, orgs.handoff + PHASES["breach"], allow_future_writes=True)
        assert orgs.counts() == expected, f"limit reached after {allowed} requests"


def test_a_sweep_asked_to_stop_ends_between_groups_of_effects_and_the_next_does_the_rest(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path, receiver: Receiver,
        tripwire: Tripwire) -> None:
    from leadsync.connector.errors import Stopped

    (tmp_path / "baseline").mkdir()
    expected, _ = baseline(make_sandbox, tmp_path, receiver, tripwire, "breach")
    assert expected["tasks"] >= PEOPLE and expected["notifications"] >= PEOPLE
    # asked to stop before its tasks, its notifications, its CRM writes, its marketing writes
    for groups in (1, 2, 3, 4):
        receiver.keys.clear()
        folder = tmp_path / f"stop-{groups}"
        folder.mkdir()
        orgs = handed_off(make_sandbox, folder, receiver)
        asked = 0

        def stop(groups: int = groups) -> bool:
            nonlocal asked
            asked += 1
            return asked >= groups

        with pytest.raises(Stopped):
            run_sweep(orgs.config, orgs.handoff + PHASES["breach"], allow_future_writes=True,
                      stop=stop)
        stopped = orgs.counts()
        assert (stopped["tasks"] > 0) == (groups > 1), groups  # the groups before it are done
        assert (stopped["notifications"] > 0) == (groups > 2), groups
        store = StateStore(orgs.config.state.url)
        try:
            assert store.runs("default", job="sla")[0]["status"] == "stopped"
        finally:
            store.close()
        run_sweep(orgs.config, orgs.handoff + PHASES["breach"], allow_future_writes=True)
        assert orgs.counts() == expected, f"stopped before group {groups}"
