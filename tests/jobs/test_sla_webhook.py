"""The sweep hands each breach to the notifier: a signed POST keyed by its action."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from leadsync.connector.state import StateStore
from leadsync.demo import DEFINITION, sandbox_config
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_sla_e2e import HOT, LEAD_FIELDS, SLA, handoff_of


def test_a_breach_is_posted_signed_with_the_secret_and_keyed_by_its_action(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append((dict(self.headers),
                             self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    try:
        sandbox = make_sandbox()
        sla = SLA.replace("[sla]\n", f'[sla]\nwebhook_url = "http://127.0.0.1:'
                                     f'{server.server_port}/sla"\nwebhook_secret = "s3cret"\n')
        config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=sla)
        hubspot_client(sandbox).crm.contacts.basic_api.create(
            simple_public_object_input_for_create={"properties": HOT})
        run_sync(config)
        sf = salesforce_client(sandbox)
        run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
        [lead] = sf.query(f"SELECT LeadSync_Id__c, {LEAD_FIELDS} FROM Lead")["records"]
        handoff = handoff_of(lead)
        run_sweep(config, handoff + timedelta(hours=2), allow_future_writes=True)
        run_sweep(config, handoff + timedelta(hours=3),
                  allow_future_writes=True)  # nothing new: nothing posted

        [(headers, body)] = received
        assert json.loads(body)["kind"] == "first_touch"
        assert headers["Idempotency-Key"] == (
            f"{lead['LeadSync_Id__c']}/{int(handoff.timestamp())}:first_touch:notify")
        signature = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers["X-LeadSync-Signature"] == f"sha256={signature}"
        [event] = [e for e in StateStore(config.state.url).events("default", email=HOT["email"])
                   if e["event"] == "webhook"]
        assert event["details"] == {"ok": True}
    finally:
        server.shutdown()
        server.server_close()
