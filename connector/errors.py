"""The errors LeadSync raises and how each is handled.

::

    LeadSyncError
    ├── ConfigError          the setup is wrong: never retried, the run stops before any write
    │   ├── AuthError        bad or expired credentials (401, INVALID_SESSION_ID)
    │   ├── NotFound         what a call named is not there (404): a list to create, an object
    │   └── BatchRefused     a request refused for what its inputs hold (HubSpot 400, 409): a
    │                        batch write is split until each refused input stands alone, and
    │                        that input becomes a RecordRefused; anywhere else a setup error
    ├── TransientError       the vendor is busy or away: retried with backoff (timeouts, 5xx)
    │   ├── RateLimited      429, REQUEST_LIMIT_EXCEEDED; carries the vendor's Retry-After
    │   └── Unreachable      no connection to the host (refused, host name not found, no
    │                        answer to connect): retried briefly when the host never answered
    ├── RecordRefused        one record refused: parked with the vendor's code, the rest go on
    ├── LockHeld             another run of the same job and connection holds the lock
    └── ReserveReached       the run stopped at the daily API reserve kept for the org's other
                             integrations; progress is saved and the next run resumes

The command line turns each kind into a documented exit code (``leadsync.exits``).

Adapters map vendor responses onto this tree with a table (status or error code -> kind), never
with ``if`` chains scattered through their calls. Messages never carry secrets.
"""

from __future__ import annotations

from collections.abc import Sequence


class LeadSyncError(Exception):
    """Base of every error LeadSync raises on purpose."""


class ConfigError(LeadSyncError):
    """The configuration, mapping or credentials are wrong; fix them and run again.

    ``where`` names the file and key path (``config.toml: systems.hubspot.access_token``);
    ``code`` is the vendor's error code or HTTP status when a vendor's answer said so.
    """

    def __init__(self, message: str, where: str = "", code: str = "") -> None:
        self.where, self.message, self.code = where, message, code
        super().__init__(f"{where}: {message}" if where else message)


class AuthError(ConfigError):
    """The vendor refused the credentials."""


class NotFound(ConfigError):
    """What a call named (a list, an object, a field) is not there."""


class BatchRefused(ConfigError):
    """The vendor refused a whole request for what its inputs hold, naming no input.

    ``vendor_message`` and ``fields`` are the vendor's own words and the fields it named; when
    the request carried one record, ``refusal(key)`` is that record's refusal.
    """

    def __init__(self, message: str, code: str, vendor_message: str = "",
                 fields: Sequence[str] = ()) -> None:
        super().__init__(message, code=code)
        self.vendor_message, self.fields = vendor_message or message, tuple(fields)

    def refusal(self, key: str) -> RecordRefused:
        return RecordRefused(key, self.code, self.vendor_message, self.fields)


class TransientError(LeadSyncError):
    """A call failed for a reason that may pass; ``retry_after`` is in seconds when known."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class RateLimited(TransientError):
    """The vendor's rate or daily limit answered; wait ``retry_after`` before calling again."""


class Unreachable(TransientError):
    """No connection could be made to a system's host; the message names the host, what
    failed and the setting to check.

    ``first``: no call to that system had been answered yet in this process. A host that
    refuses the very first call is most likely misconfigured or down, so the retry policy gives
    it a few seconds (``RetryPolicy.first_contact_*``), not its minutes; a host that answered
    before and then went away gets the whole policy, as any transient failure does.
    """

    def __init__(self, message: str, host: str = "", reason: str = "",
                 first: bool = False) -> None:
        super().__init__(message)
        self.host, self.reason, self.first = host, reason, first


class RecordRefused(LeadSyncError):
    """One record was refused by a system; the run parks it and goes on."""

    def __init__(self, key: str, code: str, message: str, fields: Sequence[str] = ()) -> None:
        self.key, self.code, self.vendor_message, self.fields = key, code, message, tuple(fields)
        where = f" [{', '.join(self.fields)}]" if self.fields else ""
        super().__init__(f"record {key}: {code}{where}: {message}")


class LockHeld(LeadSyncError):
    """A run of this job on this connection is under way elsewhere; ``holder`` says whose."""

    def __init__(self, job: str, connection: str, holder: str) -> None:
        self.job, self.connection, self.holder = job, connection, holder
        super().__init__(f"{job} on connection {connection!r} is already running ({holder}); "
                         f"this run did nothing")


class ReserveReached(LeadSyncError):
    """A system's daily API use reached the share kept for the org's other integrations."""

    def __init__(self, system: str, used: int, allowed: int, reserve: float) -> None:
        self.system, self.used, self.allowed, self.reserve = system, used, allowed, reserve
        if allowed:
            spent = (f"{used:,} of {allowed:,} daily API calls used; the last {reserve:.0%} is "
                     f"kept for the org's other integrations")
        else:  # the vendor said so before LeadSync saw any usage figure
            spent = "the org's daily API allowance is spent, the vendor says"
        super().__init__(f"{system}: {spent}, so this run stopped with its progress saved and "
                         f"the next one resumes")


RecordError = RecordRefused  # the earlier name
