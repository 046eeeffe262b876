"""Salesforce responses mapped onto LeadSync's error tree, by table.

Keys are (HTTP status, errorCode); ``None`` as the code matches any code for that status.
"""

from __future__ import annotations

from typing import Any

import requests
from simple_salesforce.exceptions import SalesforceError

from leadsync.adapters.network import unreachable
from leadsync.connector.errors import (
    AuthError,
    ConfigError,
    LeadSyncError,
    NotFound,
    RateLimited,
    RecordRefused,
    TransientError,
)

ERROR_KINDS: dict[tuple[int, str | None], type[LeadSyncError]] = {
    (401, None): AuthError,
    (403, "REQUEST_LIMIT_EXCEEDED"): RateLimited,
    (403, None): ConfigError,  # e.g. INSUFFICIENT_ACCESS, API_DISABLED_FOR_ORG
    (400, None): ConfigError,  # MALFORMED_QUERY, INVALID_FIELD: a mapping or LeadSync bug
    (404, None): NotFound,  # NOT_FOUND, INVALID_TYPE: object or field missing in this org
    (500, None): TransientError,
    (502, None): TransientError,
    (503, None): TransientError,
    (504, None): TransientError,
}

# REQUEST_LIMIT_EXCEEDED says which limit: this message is the org's daily API allowance,
# which no wait brings back before tomorrow (others, e.g. concurrent requests, pass).
DAILY_LIMIT_MESSAGE = "TotalRequests Limit exceeded"

# Per-record status codes that a retry may fix without anyone changing the record.
RETRYABLE_RECORD_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "ALL_OR_NONE_OPERATION_ROLLED_BACK"})


def translate(exc: Exception, what: str, system: str = "") -> LeadSyncError:
    """The LeadSync error for a failed call to Salesforce (``what`` names the call, ``system``
    the ``[systems.<name>]`` table, for the ``ca_bundle`` key a TLS failure names)."""
    if (failed := unreachable(exc, "Salesforce", what, system,
                              host_key="instance_url")) is not None:
        return failed
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return TransientError(f"Salesforce {what}: connection failed: {type(exc).__name__}")
    if not isinstance(exc, SalesforceError):
        return TransientError(f"Salesforce {what}: {type(exc).__name__}: {exc}")
    status = int(getattr(exc, "status", 0) or 0)
    code, message = _first_error(getattr(exc, "content", None))
    kind = ERROR_KINDS.get((status, code)) or ERROR_KINDS.get((status, None))
    if kind is None:
        kind = TransientError if status >= 500 else ConfigError
    text = f"Salesforce {what}: HTTP {status} {code or ''}: {message}".replace("  ", " ")
    if kind is RateLimited:
        return RateLimited(text, retry_after=None)
    if issubclass(kind, ConfigError):
        return kind(text, code=code or str(status))
    return kind(text)


def daily_limit_spent(exc: Exception) -> bool:
    """Salesforce answered that the org's daily API allowance is spent."""
    if not isinstance(exc, SalesforceError) or int(getattr(exc, "status", 0) or 0) != 403:
        return False
    code, message = _first_error(getattr(exc, "content", None))
    return code == "REQUEST_LIMIT_EXCEEDED" and DAILY_LIMIT_MESSAGE in message


def refusal(key: str, error: dict[str, Any]) -> RecordRefused:
    """One record's refusal in an sObject Collections answer (its first ``errors[]`` item)."""
    return RecordRefused(key, str(error.get("statusCode", "UNKNOWN")),
                         str(error.get("message", "")), tuple(error.get("fields") or ()))


def _first_error(content: Any) -> tuple[str | None, str]:
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("errorCode"), str(content[0].get("message", ""))
    if isinstance(content, dict):
        return content.get("errorCode") or content.get("error"), str(
            content.get("message") or content.get("error_description") or "")
    return None, str(content or "")[:300]
