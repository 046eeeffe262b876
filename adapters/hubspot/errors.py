"""HubSpot responses mapped onto LeadSync's error tree, by table (status -> kind)."""

from __future__ import annotations

import json
from typing import Any

from leadsync.connector.errors import (
    AuthError,
    ConfigError,
    LeadSyncError,
    RateLimited,
    TransientError,
)
from urllib3.exceptions import HTTPError as Urllib3Error

ERROR_KINDS: dict[int, type[LeadSyncError]] = {
    400: ConfigError,  # VALIDATION_ERROR on a whole request: a mapping or LeadSync bug
    401: AuthError,
    403: ConfigError,  # MISSING_SCOPES
    404: ConfigError,
    409: ConfigError,
    429: RateLimited,
    500: TransientError,
    502: TransientError,
    503: TransientError,
    504: TransientError,
}


def body_of(exc: Any) -> dict[str, Any]:
    """The JSON error body of a client ``ApiException``, or an empty dict."""
    raw = getattr(exc, "body", None)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return {"message": str(raw)[:300]}
    return body if isinstance(body, dict) else {}


def translate(exc: Exception, what: str) -> LeadSyncError:
    """The LeadSync error for a failed call to HubSpot (``what`` names the call)."""
    if isinstance(exc, Urllib3Error | ConnectionError | TimeoutError):
        return TransientError(f"HubSpot {what}: connection failed: {type(exc).__name__}")
    status = getattr(exc, "status", None)
    if not isinstance(status, int):
        return TransientError(f"HubSpot {what}: {type(exc).__name__}: {exc}")
    body = body_of(exc)
    category = body.get("category") or body.get("errorType") or ""
    text = f"HubSpot {what}: HTTP {status} {category}: {body.get('message', '')}".strip()
    kind = ERROR_KINDS.get(status) or (TransientError if status >= 500 else ConfigError)
    error = (RateLimited(text, retry_after=_retry_after(exc)) if kind is RateLimited
             else kind(text))
    error.status = status  # type: ignore[attr-defined]
    return error


def _retry_after(exc: Any) -> float | None:
    headers = getattr(exc, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
