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

import orjson
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
    """``body`` as compact JSON: orjson (pages of 2,000 records are most of what the
    emulators spend), the standard library for what orjson refuses (an integer past 64 bits,
    a key that is not a string, a lone surrogate)."""
    if body is None:
        return Response("", status=status, headers=headers,
                        content_type="application/json;charset=UTF-8")
    try:
        data = orjson.dumps(body)
    except TypeError:  # orjson.JSONEncodeError is one
        data = json.dumps(body, separators=(",", ":")).encode()
    return Response(data, status=status, headers=headers,
                    content_type="application/json;charset=UTF-8")


def parse_json(text: str) -> Any:
    """A request body's JSON; what orjson refuses is parsed again by the standard library,
    which accepts what JSON's grammar strays into (NaN, a lone surrogate, a very large
    integer) as the vendors' parsers do, and words a real error (``json.JSONDecodeError``,
    with its line and column) as the emulators' error answers need it."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# Documented reads that are POSTs: HubSpot's CRM search and batch reads (objects, associations).
READS_SENT_AS_POST = ("/search", "/batch/read")


class FaultInjector:
    """WSGI middleware: delays every request and answers a fraction of them as trouble.

    Trouble is one of ``kinds``: the vendor's throttle answer, a 503, a connection dropped before
    any byte of the response is sent (the request not applied), or a lost answer: a write
    (any method but GET and HEAD, save HubSpot's searches and batch reads) applied in full and
    then its connection dropped before the answer, as a client sees a timeout after the vendor
    committed (a read that draws it is answered: it has no effect to lose). Lost answers are
    chosen explicitly (``ALL_KINDS``); ``KINDS`` is the default.
    """

    KINDS = ("throttle", "unavailable", "drop")
    ALL_KINDS = (*KINDS, "lost")

    def __init__(self, app: Emulator, rate: float = 0.0, latency_ms: float = 0.0,
                 rng: random.Random | None = None, kinds: Sequence[str] | None = None) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {rate}")
        self.kinds = tuple(kinds) if kinds else self.KINDS
        unknown = [k for k in self.kinds if k not in self.ALL_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kind {unknown[0]!r}; the kinds are "
                             f"{', '.join(self.ALL_KINDS)}")
        self.app, self.rate, self.latency_ms = app, rate, latency_ms
        self.drawn: Counter[str] = Counter()  # the faults injected so far, by kind
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
        if kind == "lost" and not _is_write(environ):
            kind = None  # a read has no effect to lose: answered
        if kind is not None:
            with self._rng_lock:
                self.drawn[kind] += 1
        if kind == "throttle":
            return self.app.throttle_response()(environ, start_response)
        if kind == "unavailable":
            return self.app.unavailable_response()(environ, start_response)
        if kind == "lost":
            _apply_unanswered(self.app, environ)
            _drop_connection(environ)
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
            return self.rng.choice(self.kinds)


READS_BY_POST = ("/search", "/batch/read")  # HubSpot's searches and batch reads


def _is_write(environ: WSGIEnviron) -> bool:
    if environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD"):
        return False
    return not str(environ.get("PATH_INFO", "")).rstrip("/").endswith(READS_BY_POST)


def _apply_unanswered(app: Emulator, environ: WSGIEnviron) -> None:
    """Run the request through the emulator to the end, its answer thrown away."""

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        return lambda data: None

    body = app(environ, start_response)
    try:
        for _ in body:
            pass
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


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
