"""Failures to reach a vendor's host, for every adapter's error table.

requests and urllib3 wrap the real cause a few levels deep (``SSLError`` -> ``MaxRetryError``
-> ``SSLCertVerificationError``), and their own messages name neither the host in a way an
admin reads nor the setting to fix. ``unreachable`` finds the cause and says it plainly:

- the host's certificate is not trusted, or the CA bundle holds no certificate: a
  ``ConfigError`` naming the host and ``systems.<name>.ca_bundle`` (no retry fixes it);
- any other failure to connect (refused, host name not found, timed out, TLS handshake cut
  short): a ``TransientError`` naming the host, retried by the policy.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import MaxRetryError

from leadsync.connector.errors import ConfigError, LeadSyncError, TransientError

_NETWORK = (requests.ConnectionError, requests.Timeout, Urllib3Error, ConnectionError,
            TimeoutError, socket.gaierror, ssl.SSLError)
_CA_PROBLEMS = ("CERTIFICATE_VERIFY_FAILED", "NO_CERTIFICATE_OR_CRL_FOUND", "PEM lib")


def unreachable(exc: BaseException, vendor: str, what: str, system: str = "",
                host: str = "") -> LeadSyncError | None:
    """The error for a call that never reached the vendor's answer; None for any other."""
    causes = list(_causes(exc))
    if not any(isinstance(cause, _NETWORK) for cause in causes):
        return None
    host = _host(causes) or host or "the host"
    tls = [cause for cause in causes if isinstance(cause, ssl.SSLError)]
    key = f"systems.{system}.ca_bundle" if system else "ca_bundle"
    if tls and any(problem in str(tls[-1]) for problem in _CA_PROBLEMS):
        return ConfigError(f"{vendor} {what}: TLS with {host} failed, {_tls_reason(tls[-1])}: "
                           f"set ca_bundle to a PEM file holding the certificate authority "
                           f"that signed {host}'s certificate (or leave it out to use the "
                           f"system's)", key, code="TLS")
    if tls:
        return TransientError(f"{vendor} {what}: TLS with {host} failed: {_tls_reason(tls[-1])}")
    return TransientError(f"{vendor} {what}: cannot connect to {host}: {_reason(causes)}")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: causes, contexts and urllib3's ``reason``, once each."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        cause = todo.pop(0)
        if id(cause) in seen:
            continue
        seen.add(id(cause))
        yield cause
        wrapped = [cause.__cause__, cause.__context__, getattr(cause, "reason", None),
                   *cause.args]
        todo += [item for item in wrapped if isinstance(item, BaseException)]


def _host(causes: list[BaseException]) -> str:
    for cause in causes:
        if isinstance(cause, MaxRetryError) and cause.pool is not None:
            return f"{cause.pool.host}:{cause.pool.port}"
        request = getattr(cause, "request", None)
        url = getattr(request, "url", None)
        if isinstance(url, str) and urlsplit(url).netloc:
            return urlsplit(url).netloc
    return ""


def _tls_reason(error: ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError) and error.verify_message:
        return f"certificate verify failed: {error.verify_message}"
    return str(error.reason or error).lower().replace("_", " ")


def _reason(causes: list[BaseException]) -> str:
    for cause in reversed(causes):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "host name not found"
        if isinstance(cause, TimeoutError | requests.Timeout):
            return "timed out"
        if isinstance(cause, ConnectionResetError):
            return "connection reset"
    return type(causes[-1]).__name__
