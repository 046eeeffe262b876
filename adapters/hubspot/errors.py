"""HubSpot responses mapped onto LeadSync's error tree, by table (status -> kind)."""

from __future__ import annotations

import json
from typing import Any

from urllib3.exceptions import HTTPError as Urllib3Error

from leadsync.adapters.network import unreachable
from leadsync.connector.errors import (
    AuthError,
    BatchRefused,
    ConfigError,
    LeadSyncError,
    NotFound,
    RateLimited,
    RecordRefused,
    TransientError,
)

ERROR_KINDS: dict[int, type[LeadSyncError]] = {
    400: BatchRefused,  # VALIDATION_ERROR: on a batch write, some input's values
    401: AuthError,
    403: ConfigError,  # MISSING_SCOPES
    404: NotFound,
    409: BatchRefused,  # CONFLICT: a unique value some input carries is taken
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


def translate(exc: Exception, what: str, system: str = "") -> LeadSyncError:
    """The LeadSync error for a failed call to HubSpot (``what`` names the call, ``system``
    the ``[systems.<name>]`` table, for the ``ca_bundle`` key a TLS failure names)."""
    if (failed := unreachable(exc, "HubSpot", what, system)) is not None:
        return failed
    if isinstance(exc, Urllib3Error | ConnectionError | TimeoutError):
        return TransientError(f"HubSpot {what}: connection failed: {type(exc).__name__}")
    status = getattr(exc, "status", None)
    if not isinstance(status, int):
        return TransientError(f"HubSpot {what}: {type(exc).__name__}: {exc}")
    body = body_of(exc)
    category = body.get("category") or body.get("errorType") or ""
    text = f"HubSpot {what}: HTTP {status} {category}: {body.get('message', '')}".strip()
    kind = ERROR_KINDS.get(status) or (TransientError if status >= 500 else ConfigError)
    if kind is RateLimited:
        return RateLimited(text, retry_after=_retry_after(exc))
    if kind is BatchRefused:
        problems = property_problems(str(body.get("message") or ""))
        vendor_message = ("; ".join(f"{name}: {said}" for name, said in problems) if problems
                          else str(body.get("message") or text))
        return BatchRefused(text, str(category or "VALIDATION_ERROR"), vendor_message,
                            fields_named(body) or tuple(name for name, _ in problems))
    if issubclass(kind, ConfigError):
        return kind(text, code=str(category or status))
    return kind(text)


def fields_named(body: dict[str, Any]) -> tuple[str, ...]:
    """The properties a refused request names: each ``errors[]`` detail's
    ``context.propertyName`` (HubSpot's ``ErrorDetail``), or a ``name`` where one is given."""
    names: list[Any] = []
    for detail in body.get("errors") or []:
        if isinstance(detail, dict):
            context = detail.get("context")
            named = context.get("propertyName") if isinstance(context, dict) else None
            names += named if isinstance(named, list) else [detail.get("name")]
    return tuple(dict.fromkeys(str(n) for n in names if n))


def _retry_after(exc: Any) -> float | None:
    headers = getattr(exc, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def refusal(key: str, error: dict[str, Any]) -> RecordRefused:
    """One input's refusal in a batch answer's ``errors[]`` (HubSpot's 207 ``BatchResult``).

    A batch upsert names the refused properties only inside its message ("Property values
    were not valid: [{...}]"); they are read from there, with each property's own message.
    """
    context = error.get("context") or {}
    names = context.get("propertyName") or context.get("properties") or []
    message = str(error.get("message") or "refused by HubSpot")
    problems = property_problems(message)
    if problems:
        names = names or [name for name, _ in problems]
        message = "; ".join(f"{name}: {text}" for name, text in problems)
    return RecordRefused(key, str(error.get("category") or "VALIDATION_ERROR"), message,
                         tuple(str(n) for n in names))


_INVALID_VALUES = "Property values were not valid: "


def property_problems(message: str) -> list[tuple[str, str]]:
    """(property, its message) for each problem listed in "Property values were not valid:
    [...]"; empty for any other message."""
    if not message.startswith(_INVALID_VALUES):
        return []
    try:
        problems = json.loads(message[len(_INVALID_VALUES):])
    except ValueError:
        return []
    if not isinstance(problems, list):
        return []
    return [(str(p.get("name")), str(p.get("message") or p.get("error") or ""))
            for p in problems if isinstance(p, dict) and p.get("name")]
