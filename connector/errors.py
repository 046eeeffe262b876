"""The errors LeadSync raises and how each is handled.

::

    LeadSyncError
    ├── ConfigError          the setup is wrong: never retried, the run stops before any write
    │   └── AuthError        bad or expired credentials (401, INVALID_SESSION_ID)
    ├── TransientError       the vendor is busy or away: retried with backoff (timeouts, 5xx)
    │   └── RateLimited      429, REQUEST_LIMIT_EXCEEDED; carries the vendor's Retry-After
    └── RecordError          one record refused: parked with the vendor's code, the rest go on

Adapters map vendor responses onto this tree with a table (status or error code -> kind), never
with ``if`` chains scattered through their calls. Messages never carry secrets.
"""

from __future__ import annotations

from collections.abc import Sequence


class LeadSyncError(Exception):
    """Base of every error LeadSync raises on purpose."""


class ConfigError(LeadSyncError):
    """The configuration, mapping or credentials are wrong; fix them and run again.

    ``where`` names the file and key path (``config.toml: systems.hubspot.access_token``).
    """

    def __init__(self, message: str, where: str = "") -> None:
        self.where, self.message = where, message
        super().__init__(f"{where}: {message}" if where else message)


class AuthError(ConfigError):
    """The vendor refused the credentials."""


class TransientError(LeadSyncError):
    """A call failed for a reason that may pass; ``retry_after`` is in seconds when known."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class RateLimited(TransientError):
    """The vendor's rate or daily limit answered; wait ``retry_after`` before calling again."""


class RecordError(LeadSyncError):
    """One record was refused by a system; the run parks it and goes on."""

    def __init__(self, key: str, code: str, message: str, fields: Sequence[str] = ()) -> None:
        self.key, self.code, self.vendor_message, self.fields = key, code, message, tuple(fields)
        where = f" [{', '.join(self.fields)}]" if self.fields else ""
        super().__init__(f"record {key}: {code}{where}: {message}")
