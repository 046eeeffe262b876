"""The one retry policy: what it retries, and that every retry is logged and counted."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from leadsync.connector.errors import ConfigError, RateLimited, ReserveReached, TransientError
from leadsync.connector.retry import RetryPolicy


class Flaky:
    """Fails with ``errors`` in turn, then answers "ok"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors, self.calls = list(errors), 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_each_retry_is_logged_with_vendor_call_attempt_and_wait_and_counted() -> None:
    waits: list[float] = []
    retried: list[int] = []
    policy = RetryPolicy(attempts=5, sleep=waits.append)
    flaky = Flaky(TransientError("503"), RateLimited("429", retry_after=2.0))

    with capture_logs() as logs:
        answer = policy.run("HubSpot", "batch update", flaky, lambda: retried.append(1))

    assert answer == "ok" and flaky.calls == 3 and len(retried) == 2
    lines = [line for line in logs if line["event"] == "retrying"]
    assert [(line["vendor"], line["call"], line["attempt"]) for line in lines] == [
        ("HubSpot", "batch update", 1), ("HubSpot", "batch update", 2)]
    assert [line["wait"] for line in lines] == [round(w, 2) for w in waits]
    assert 2.0 <= lines[1]["wait"] <= 2.25  # the vendor's Retry-After, plus jitter


@pytest.mark.parametrize("error", [ConfigError("bad field"),
                                   ReserveReached("Salesforce", 8_000, 10_000, 0.2)],
                         ids=["config error", "reserve reached"])
def test_an_error_a_wait_cannot_fix_is_raised_at_once_and_not_counted(error: Exception) -> None:
    retried: list[int] = []
    flaky = Flaky(error)

    with pytest.raises(type(error)):
        RetryPolicy(attempts=5, sleep=lambda s: None).run("Salesforce", "query", flaky,
                                                           lambda: retried.append(1))
    assert flaky.calls == 1 and retried == []
