"""Run the Salesforce and HubSpot emulators as two HTTPS servers on 127.0.0.1.

``Sandbox`` is used in-process (tests, the demo) and by ``leadsync sandbox serve``. A certificate
authority is made for each run with trustme; its PEM is written next to the state file, or to a
temporary folder, and named in ``info["ca_bundle"]``.
"""

from __future__ import annotations

import json
import logging
import os
import random
import secrets
import ssl
import tempfile
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import trustme
from werkzeug.serving import BaseWSGIServer, make_server

from leadsync.sandbox.http import DroppedConnection, Emulator, FaultInjector
from leadsync.sandbox.people import make_owners, make_people

API_VERSION = "59.0"
SAVE_EVERY_SECONDS = 2.0


class Sandbox:
    """Both sandbox orgs, served over HTTPS until ``stop()``."""

    def __init__(self, *, seed: int = 0, faults: float = 0.0, latency_ms: float = 0.0,
                 rate_limit: int = 190, daily_api_limit: int = 100_000,
                 state: str | os.PathLike[str] | None = None, random_seed: int = 0,
                 salesforce_port: int = 0, hubspot_port: int = 0,
                 fault_kinds: Sequence[str] | None = None) -> None:
        from leadsync.sandbox.hubspot import HubSpotPortal
        from leadsync.sandbox.salesforce import SalesforceOrg

        quiet_server_logs()
        self.state_path = Path(state).resolve() if state else None
        self.salesforce = SalesforceOrg(session_id="00D" + secrets.token_urlsafe(24),
                                        api_version=API_VERSION, daily_api_limit=daily_api_limit)
        self.hubspot = HubSpotPortal(access_token="pat-sandbox-" + secrets.token_hex(16),
                                     rate_limit=rate_limit)
        self._restore_or_seed(seed, random_seed)
        rng = random.Random(random_seed)
        self.fault_kinds = tuple(fault_kinds) if fault_kinds else FaultInjector.KINDS
        self._ca = trustme.CA(organization_name="LeadSync sandbox CA")
        self._ca_dir = (self.state_path.parent if self.state_path
                        else Path(tempfile.mkdtemp(prefix="leadsync-sandbox-")))
        self.ca_bundle = self._ca_dir / "leadsync-sandbox-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_bundle))
        context = self._ssl_context()
        self._servers: list[BaseWSGIServer] = [
            self._server(self.salesforce, salesforce_port, context, faults, latency_ms, rng,
                         self.fault_kinds),
            self._server(self.hubspot, hubspot_port, context, faults, latency_ms, rng,
                         self.fault_kinds),
        ]
        self._served = [injector for server in self._servers
                        if isinstance(injector := server.app, FaultInjector)]
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._saved_mutations = self._mutations()

    @property
    def info(self) -> dict[str, Any]:
        """What a client needs to connect: the JSON line ``sandbox serve`` prints."""
        sf_server, hs_server = self._servers
        return {
            "salesforce": {"instance_url": f"https://127.0.0.1:{sf_server.server_port}",
                           "session_id": self.salesforce.session_id,
                           "api_version": API_VERSION},
            "hubspot": {"host": f"https://127.0.0.1:{hs_server.server_port}",
                        "access_token": self.hubspot.access_token},
            "ca_bundle": str(self.ca_bundle),
        }

    @property
    def requests(self) -> dict[str, dict[str, int]]:
        """The requests each org has served so far, by HTTP method (faults included)."""
        return {name: dict(injector.requests)
                for name, injector in zip(("salesforce", "hubspot"), self._served, strict=True)}

    def write_requests(self) -> int:
        """Requests both orgs have served so far that may change data: POST, PATCH, PUT and
        DELETE, less the reads HubSpot takes as POST (search, batch read)."""
        return sum(injector.writes for injector in self._served)

    def start(self) -> Sandbox:
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                                      name=f"sandbox-{server.server_port}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.state_path:
            saver = threading.Thread(target=self._save_periodically, name="sandbox-saver",
                                     daemon=True)
            saver.start()
            self._threads.append(saver)
        return self

    def faults_drawn(self) -> Counter[str]:
        """The faults injected so far by both servers, by kind."""
        drawn: Counter[str] = Counter()
        for server in self._servers:
            assert isinstance(server.app, FaultInjector)
            drawn.update(server.app.drawn)
        return drawn

    def set_fault_rate(self, rate: float) -> None:
        """Answer this fraction of requests as trouble from now on (e.g. once set up)."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {rate}")
        for server in self._servers:
            injector = server.app
            assert isinstance(injector, FaultInjector)
            injector.rate = rate

    def stop(self) -> None:
        self._stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.save()

    def save(self) -> None:
        """Write both orgs to the state file, atomically, if there is one."""
        if not self.state_path:
            return
        with self.salesforce.lock, self.hubspot.lock:
            data = {"salesforce": self.salesforce.dump(), "hubspot": self.hubspot.dump()}
            mutations = self._mutations()
        tmp = self.state_path.with_suffix(self.state_path.suffix + ".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(self.state_path)
        self._saved_mutations = mutations

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _restore_or_seed(self, seed: int, random_seed: int) -> None:
        if self.state_path and self.state_path.exists():
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
            self.salesforce.restore(data["salesforce"])
            self.hubspot.restore(data["hubspot"])
            return
        if seed:
            owners = make_owners(max(3, min(12, seed // 50)), random_seed)
            people = make_people(seed, len(owners), random_seed)
            self.salesforce.seed(people, owners)
            self.hubspot.seed(people, owners)

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert("127.0.0.1", "localhost", "::1").configure_cert(context)
        return context

    @staticmethod
    def _server(app: Emulator, port: int, context: ssl.SSLContext, faults: float,
                latency_ms: float, rng: random.Random,
                kinds: Sequence[str] = FaultInjector.KINDS) -> BaseWSGIServer:
        wrapped = FaultInjector(app, rate=faults, latency_ms=latency_ms,
                                rng=random.Random(rng.random()), kinds=kinds)
        return make_server("127.0.0.1", port, wrapped, threaded=True, ssl_context=context)

    def _mutations(self) -> int:
        return self.salesforce.mutations + self.hubspot.mutations

    def _save_periodically(self) -> None:
        while not self._stopping.wait(SAVE_EVERY_SECONDS):
            if self._mutations() != self._saved_mutations:
                self.save()


def quiet_server_logs() -> None:
    """Keep werkzeug's per-request lines off the terminal; real errors still reach stderr."""
    logger = logging.getLogger("werkzeug")
    logger.setLevel(logging.ERROR)
    if not any(isinstance(f, _DroppedConnectionFilter) for f in logger.filters):
        logger.addFilter(_DroppedConnectionFilter())


class _DroppedConnectionFilter(logging.Filter):
    """A connection dropped on purpose by fault injection is not a server error."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, (DroppedConnection, ssl.SSLError, ConnectionError))
