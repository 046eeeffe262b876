"""Run the Salesforce and HubSpot emulators as two HTTPS servers on 127.0.0.1.

``Sandbox`` is used in-process (tests, the demo) and by ``leadsync sandbox serve``. A certificate
authority is made for each run with trustme; its PEM is written next to the state file, or to a
temporary folder, and named in ``info["ca_bundle"]``.

Both servers speak HTTP/1.1 with persistent connections (``serving``). With a state file, both
orgs are written to it on ``stop()`` and whenever ``save()`` is called (``sandbox serve`` calls
it on SIGUSR1), never in the background: a snapshot of a large org takes seconds.

``seed`` draws a few hundred rich people (Faker, activities, conversions); ``people`` puts many
plain ones (``population``) straight into the orgs, for benchmarks: a million in about a
minute, some GB of memory.
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
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import trustme

from leadsync.sandbox.http import DroppedConnection, Emulator, FaultInjector
from leadsync.sandbox.hubspot.limits import SEARCH_PER_SECOND
from leadsync.sandbox.people import make_owners, make_people
from leadsync.sandbox.population import population
from leadsync.sandbox.serving import KeepAliveServer

API_VERSION = "59.0"


class Sandbox:
    """Both sandbox orgs, served over HTTPS until ``stop()``."""

    def __init__(self, *, seed: int = 0, faults: float = 0.0, latency_ms: float = 0.0,
                 rate_limit: int = 190, daily_api_limit: int = 100_000,
                 state: str | os.PathLike[str] | None = None, random_seed: int = 0,
                 salesforce_port: int = 0, hubspot_port: int = 0,
                 fault_kinds: Sequence[str] | None = None, people: int = 0,
                 where: str = "both", search_rate: int = SEARCH_PER_SECOND) -> None:
        from leadsync.sandbox.hubspot import HubSpotPortal
        from leadsync.sandbox.salesforce import SalesforceOrg

        quiet_server_logs()
        self.state_path = Path(state).resolve() if state else None
        self.salesforce = SalesforceOrg(session_id="00D" + secrets.token_urlsafe(24),
                                        api_version=API_VERSION, daily_api_limit=daily_api_limit)
        self.hubspot = HubSpotPortal(access_token="pat-sandbox-" + secrets.token_hex(16),
                                     rate_limit=rate_limit, search_rate=search_rate)
        self._restore_or_seed(seed, random_seed, people, where)
        rng = random.Random(random_seed)
        self.fault_kinds = tuple(fault_kinds) if fault_kinds else FaultInjector.KINDS
        self._ca = trustme.CA(organization_name="LeadSync sandbox CA")
        self._ca_dir = (self.state_path.parent if self.state_path
                        else Path(tempfile.mkdtemp(prefix="leadsync-sandbox-")))
        self.ca_bundle = self._ca_dir / "leadsync-sandbox-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_bundle))
        context = self._ssl_context()
        self._servers: list[KeepAliveServer] = [
            self._server(self.salesforce, salesforce_port, context, faults, latency_ms, rng,
                         self.fault_kinds),
            self._server(self.hubspot, hubspot_port, context, faults, latency_ms, rng,
                         self.fault_kinds),
        ]
        self._served = [injector for server in self._servers
                        if isinstance(injector := server.app, FaultInjector)]
        self._threads: list[threading.Thread] = []

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

    @property
    def connections(self) -> dict[str, int]:
        """The connections each org has accepted so far (one per client, with keep-alive)."""
        return {name: server.connections_accepted
                for name, server in zip(("salesforce", "hubspot"), self._servers, strict=True)}

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
        """Stop serving (open connections are closed) and save the state file, if any."""
        for server in self._servers:
            if self._threads:
                server.shutdown()
            server.server_close()
            server.close_connections()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []
        self.save()

    def save(self) -> None:
        """Write both orgs to the state file, atomically, if there is one."""
        if not self.state_path:
            return
        tmp = self.state_path.with_suffix(self.state_path.suffix + ".tmp")
        # Both orgs wait while they are written: the portal's dump holds its live records.
        with self.salesforce.lock, self.hubspot.lock, tmp.open("w", encoding="utf-8") as out:
            json.dump({"salesforce": self.salesforce.dump(), "hubspot": self.hubspot.dump()}, out)
        tmp.replace(self.state_path)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _restore_or_seed(self, seed: int, random_seed: int, people: int, where: str) -> None:
        if self.state_path and self.state_path.exists():
            with self.state_path.open(encoding="utf-8") as held:
                data = json.load(held)
            self.salesforce.restore(data["salesforce"])
            self.hubspot.restore(data["hubspot"])
            return
        if seed:
            owners = make_owners(max(3, min(12, seed // 50)), random_seed)
            drawn = make_people(seed, len(owners), random_seed)
            self.salesforce.seed(drawn, owners)
            self.hubspot.seed(drawn, owners)
        if people:
            owners = make_owners(12, random_seed)
            now = datetime.now(UTC).replace(microsecond=0)
            # Drawn twice, the same way, rather than held: a million people take gigabytes.
            self.hubspot.load(population(people, where, len(owners), random_seed, now), owners)
            self.salesforce.load(population(people, where, len(owners), random_seed, now),
                                 owners)

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert("127.0.0.1", "localhost", "::1").configure_cert(context)
        return context

    @staticmethod
    def _server(app: Emulator, port: int, context: ssl.SSLContext, faults: float,
                latency_ms: float, rng: random.Random,
                kinds: Sequence[str] = FaultInjector.KINDS) -> KeepAliveServer:
        wrapped = FaultInjector(app, rate=faults, latency_ms=latency_ms,
                                rng=random.Random(rng.random()), kinds=kinds)
        return KeepAliveServer("127.0.0.1", port, wrapped, ssl_context=context)


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
