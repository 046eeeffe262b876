"""SLA events to an HTTP endpoint: the ``Notifier`` port over a ``requests`` session.

Each event is POSTed as JSON to the configured URL with

- ``Idempotency-Key``: the action's deterministic key (the same event from a re-run carries the
  same key, so the receiver can drop the repeat);
- ``X-LeadSync-Signature: sha256=<hex>``: HMAC-SHA256 of the exact body bytes with the secret,
  when ``[sla] webhook_secret`` is set.

Timeouts, connection errors, 429 (honouring ``Retry-After``) and 5xx are transient and retried
by the project's one retry policy (``connector.retry``); any other answer is final. A delivery
that still fails is a result (``ok`` false, ``code`` ``HTTP <status>`` or the error's name),
never an exception: the sweep goes on and audits it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

import requests

from leadsync.connector.errors import TransientError
from leadsync.connector.logs import register_secret
from leadsync.connector.models import WriteResult
from leadsync.connector.retry import RetryPolicy

SIGNATURE_HEADER = "X-LeadSync-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


class _Failed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class WebhookNotifier:
    """POSTs each event to ``url``; see the module docstring."""

    def __init__(self, url: str, secret: str | None = None, timeout: float = 10.0,
                 retry: RetryPolicy | None = None,
                 session: requests.Session | None = None) -> None:
        self.url, self.timeout = url, timeout
        register_secret(secret)  # never in a log line, an audit reason or an error
        self._secret = secret.encode() if secret else None
        self.retry = retry or RetryPolicy(attempts=3, max_seconds=30.0)
        self.session = session or requests.Session()

    def notify(self, key: str, event: Mapping[str, object]) -> WriteResult:
        body = json.dumps(event).encode()
        headers = {"Content-Type": "application/json", IDEMPOTENCY_HEADER: key}
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = "sha256=" + sign(self._secret, body)
        try:
            status = self.retry.call(self._post, body, headers)
        except TransientError as exc:
            return WriteResult(key, False, code=getattr(exc, "code", type(exc).__name__),
                               message=str(exc))
        except _Failed as exc:
            return WriteResult(key, False, code=exc.code, message=str(exc))
        return WriteResult(key, True, code=f"HTTP {status}")

    def _post(self, body: bytes, headers: Mapping[str, str]) -> int:
        try:
            response = self.session.post(self.url, data=body, headers=dict(headers),
                                         timeout=self.timeout)
        except requests.RequestException as exc:  # timeouts, refused connections
            raise _Transient(type(exc).__name__, f"{self.url}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return status
        message = f"{self.url} answered {status}: {response.text[:200]}"
        if status == 429 or status >= 500:
            raise _Transient(f"HTTP {status}", message, _retry_after(response))
        raise _Failed(f"HTTP {status}", message)


class _Transient(TransientError):
    def __init__(self, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message, retry_after)
        self.code = code


def sign(secret: bytes, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``body``: what a receiver recomputes to check the signature."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
