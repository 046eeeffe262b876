"""Failures to reach a vendor's host, for every adapter's error table.

requests and urllib3 wrap the real cause a few levels deep (``SSLError`` -> ``MaxRetryError``
-> ``SSLCertVerificationError``), and their own messages name neither the host in a way an
admin reads nor the setting to fix. ``unreachable`` finds the cause and says it plainly, in one
line: the system's table, the host and port, what failed, and what to check:

- the host's certificate is not trusted (self-signed, unknown issuer, expired, issued for
  another host name) or the CA bundle holds no certificate: a ``ConfigError`` whose key is
  ``systems.<name>.ca_bundle`` (no retry fixes it);
- no connection at all (refused, host name not found, no answer to connect): ``Unreachable``,
  retried briefly when the host never answered (``connector.retry``);
- a connection that broke (reset, no answer in time to a request sent, TLS handshake cut
  short): a ``TransientError`` naming the host, retried by the policy.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NameResolutionError
from urllib3.exceptions import HTTPError as Urllib3Error

from leadsync.connector.errors import ConfigError, LeadSyncError, TransientError, Unreachable

_NETWORK = (requests.ConnectionError, requests.Timeout, Urllib3Error, ConnectionError,
            TimeoutError, socket.gaierror, ssl.SSLError)
_CA_PROBLEMS = ("CERTIFICATE_VERIFY_FAILED", "NO_CERTIFICATE_OR_CRL_FOUND", "PEM lib")
# OpenSSL's verify messages, as an admin names the problem
_CERTIFICATE_PROBLEMS = (
    ("self-signed certificate", "self-signed certificate"),
    ("self signed certificate", "self-signed certificate"),
    ("unable to get local issuer certificate", "unknown issuer"),
    ("unable to get issuer certificate", "unknown issuer"),
    ("unable to verify the first certificate", "unknown issuer"),
    ("hostname mismatch", "hostname mismatch"),
    ("ip address mismatch", "hostname mismatch"),
    ("certificate has expired", "expired certificate"),
    ("certificate is not yet valid", "certificate not yet valid"),
)


def unreachable(exc: BaseException, vendor: str, what: str, system: str = "",
                host: str = "", host_key: str = "host") -> LeadSyncError | None:
    """The error for a call that never reached the vendor's answer; None for any other.

    ``system`` names the ``[systems.<name>]`` table and ``host_key`` its key that names the
    host (``host``, ``instance_url``, ``domain``), for the message to say what to check.
    """
    causes = list(_causes(exc))
    if not any(isinstance(cause, _NETWORK) for cause in causes):
        return None
    host = _host(causes) or host or "the host"
    table = f"systems.{system}." if system else ""
    tls = [cause for cause in causes if isinstance(cause, ssl.SSLError)]
    if tls and any(problem in str(tls[-1]) for problem in _CA_PROBLEMS):
        return ConfigError(_untrusted(vendor, what, host, tls[-1], table, host_key),
                           f"{table}ca_bundle", code="TLS")
    if tls:
        return TransientError(f"{vendor} {what}: TLS with {host} failed: {_tls_reason(tls[-1])}")
    reason, advice = _reason(causes)
    message = f"{vendor} {what}: cannot connect to {host}: {reason}"
    if advice:
        return Unreachable(f"{message}; {advice.format(key=f'{table}{host_key}')}", host,
                           reason)
    return TransientError(message)


def _untrusted(vendor: str, what: str, host: str, error: ssl.SSLError, table: str,
               host_key: str) -> str:
    detail = _tls_reason(error)
    problem = next((name for said, name in _CERTIFICATE_PROBLEMS if said in detail.lower()),
                   "")
    if "no certificate or crl found" in detail or "pem lib" in detail:
        return (f"{vendor} {what}: TLS with {host} failed: {table}ca_bundle holds no "
                f"certificate ({detail}): give a PEM file of the certificate authorities to "
                f"trust, or leave it out to use the system's")
    said = f"{problem} ({detail})" if problem else detail
    if problem == "hostname mismatch":
        return (f"{vendor} {what}: the certificate of {host} is not trusted: {said}: "
                f"{table}{host_key} must name a host the certificate is issued for "
                f"({table}ca_bundle cannot fix that)")
    return (f"{vendor} {what}: the certificate of {host} is not trusted: {said}: set "
            f"{table}ca_bundle to a PEM file holding the certificate authority that signed it "
            f"(or leave it out to use the system's)")


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


def _reason(causes: list[BaseException]) -> tuple[str, str]:
    """What failed, and what to check (``{key}``: the setting naming the host) when no
    connection was made at all; no advice for a connection that broke."""
    for cause in reversed(causes):
        if isinstance(cause, ConnectionRefusedError):
            return ("connection refused", "nothing accepts connections there: check {key} "
                                          "and that the service is up")
        if isinstance(cause, socket.gaierror | NameResolutionError):
            return ("host name not found (DNS)", "check the host name in {key} and this "
                                                 "machine's DNS")
        if isinstance(cause, ConnectTimeoutError | requests.ConnectTimeout):
            return ("timed out connecting", "no answer: check {key}, and any firewall or "
                                            "proxy (HTTPS_PROXY) in between")
    for cause in reversed(causes):
        if isinstance(cause, TimeoutError | requests.Timeout):
            return "timed out waiting for an answer", ""
        if isinstance(cause, ConnectionResetError):
            return "connection reset", ""
    return type(causes[-1]).__name__, ""
