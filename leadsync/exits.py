"""The exit codes of every ``leadsync`` command, documented in the README.

| code | meaning |
| --- | --- |
| 0 | done, nothing refused |
| 1 | the run failed (a vendor or the machine stopped it); what was confirmed is kept |
| 2 | usage or configuration error: nothing was written |
| 3 | done, but some records were refused: see ``leadsync errors list`` |
| 4 | another run of the same job and connection holds the lock: this run did nothing |
| 5 | stopped at the daily API reserve: progress saved, the next run resumes |
"""

from __future__ import annotations

from enum import IntEnum

from leadsync.connector.errors import ConfigError, LockHeld, ReserveReached


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    CONFIG = 2
    REFUSED = 3
    LOCKED = 4
    RESERVE = 5


SEVERITY = (ExitCode.CONFIG, ExitCode.FAILED, ExitCode.RESERVE, ExitCode.LOCKED,
            ExitCode.REFUSED, ExitCode.OK)
"""Exit codes, the worst first: a command that ran several connections ends with the worst."""


def exit_code_for(error: BaseException) -> ExitCode:
    """The exit code a command ends with when ``error`` stopped it."""
    if isinstance(error, ConfigError):
        return ExitCode.CONFIG
    if isinstance(error, LockHeld):
        return ExitCode.LOCKED
    if isinstance(error, ReserveReached):
        return ExitCode.RESERVE
    return ExitCode.FAILED  # a vendor, the network or LeadSync itself stopped the run
