from __future__ import annotations

import pytest

from leadsync.connector.errors import (
    AuthError,
    ConfigError,
    LockHeld,
    RateLimited,
    ReserveReached,
    TransientError,
)
from leadsync.exits import ExitCode, exit_code_for


@pytest.mark.parametrize(("error", "code"), [
    (ConfigError("missing key", "sync.mapping"), 2),
    (AuthError("refused", "systems.hubspot.access_token"), 2),
    (LockHeld("sync", "default", "pid 12 on host a since 10:00"), 4),
    (ReserveReached("salesforce", 80_000, 100_000, 0.2), 5),
    (TransientError("timed out"), 1),
    (RateLimited("429", retry_after=10), 1),
    (RuntimeError("bug"), 1),
])
def test_each_error_kind_ends_a_command_with_its_documented_code(error: BaseException,
                                                                 code: int) -> None:
    assert exit_code_for(error) == code


def test_the_documented_table_lists_every_code() -> None:
    import leadsync.exits as exits

    for code in ExitCode:
        assert f"| {code.value} |" in (exits.__doc__ or "")


def test_a_held_lock_says_whose_it_is_and_that_nothing_was_done() -> None:
    message = str(LockHeld("sync", "eu", "pid 12 on host a since 10:00"))
    assert "pid 12 on host a" in message and "'eu'" in message and "did nothing" in message


def test_the_reserve_message_says_progress_is_saved() -> None:
    message = str(ReserveReached("salesforce", 80_000, 100_000, 0.2))
    assert "80,000 of 100,000" in message and "20%" in message and "resumes" in message


def test_a_spent_allowance_reported_before_any_usage_figure_says_so_without_zeros() -> None:
    message = str(ReserveReached("salesforce", 0, 0, 0.2))
    assert "0 of 0" not in message and "allowance is spent" in message
