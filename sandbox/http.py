"""What both emulators share: the emulator port, JSON responses, fault injection and latency."""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from werkzeug.wrappers import Response

from leadsync.sandbox.people import Owner, Person

WSGIEnviron = dict[str, Any]


class Emulator(Protocol):
    """One vendor system: a WSGI app over an in-memory org, with its own failure answers."""

    lock: threading.RLock
    mutations: int  # incremented on every change of org data, so the server knows to save

    def __call__(self, environ: WSGIEnviron, start_response: Any) -> Iterable[bytes]: ...

    def throttle_response(self) -> Response:
        """The vendor's documented answer when a rate or API limit is hit."""
        ...

    def unavailable_response(self) -> Response:
        """The vendor's answer while it is down (HTTP 503)."""
        ...

    def dump(self) -> dict[str, Any]: ...

    def restore(self, data: dict[str, Any]) -> None: ...

    def seed(self, people: Sequence[Person], owners: Sequence[Owner]) -> None: ...


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = "" if body is None else json.dumps(body, separators=(",", ":"))
    return Response(text, status=status, headers=headers,
                    content_type="application/json;charset=UTF-8")


WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# Documented reads that are POSTs: HubSpot's CRM search and batch reads (objects, associations).
READS_SENT_AS_POST = ("/search", "/batch/read")


class FaultInjector:
    """WSGI middleware: delays every request and answers a fraction of them as trouble.

    Trouble is one of: the vendor's throttle answer, a 503, or a connection dropped before any
    byte of the response is sent.
    """

    KINDS = ("throttle", "unavailable", "drop")

    def __init__(self, app: Emulator, rate: float = 0.0, latency_ms: float = 0.0,
                 rng: random.Random | None = None) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {rate}")
        self.app, self.rate, self.latency_ms = app, rate, latency_ms
        self.rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self.requests: Counter[str] = Counter()  # every request served, by HTTP method
        self.writes = 0  # requests that may change org data (reads sent as POST excluded)

    def __call__(self, environ: WSGIEnviron, start_response: Any) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", "")).rstrip("/")
        with self._rng_lock:
            self.requests[method] += 1
            if method in WRITE_METHODS and not path.endswith(READS_SENT_AS_POST):
                self.writes += 1
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        kind = self._draw()
        if kind == "throttle":
            return self.app.throttle_response()(environ, start_response)
        if kind == "unavailable":
            return self.app.unavailable_response()(environ, start_response)
        if kind == "drop":
            _drop_connection(environ)
            return []
        return self.app(environ, start_response)

    def _draw(self) -> str | None:
        if not self.rate:
            return None
        with self._rng_lock:
            if self.rng.random() >= self.rate:
                return None
            return self.rng.choice(self.KINDS)


class DroppedConnection(Exception):
    """Raised after the socket is closed, so the server writes nothing more."""


def _drop_connection(environ: WSGIEnviron) -> None:
    sock = environ.get("werkzeug.socket")
    if sock is None:
        raise DroppedConnection("no socket to drop")
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    raise DroppedConnection("connection dropped by fault injection")
