"""The run every job records (``jobs.runs``): outcome, counts, calls, budget and parked records,
on both state stores, with in-memory systems."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadsync.connector.errors import ReserveReached, TransientError
from leadsync.connector.logs import register_secret
from leadsync.connector.state import StateStore
from leadsync.jobs.runs import recording
from tests.connector.fakes import Clock, FakeSystem


class Metered(FakeSystem):
    """A fake system whose vendor reports a daily allowance, and counts retries."""

    def __init__(self, name: str) -> None:
        super().__init__(name, Clock())
        self.retried = 0

    @property
    def retries_made(self) -> int:
        return self.retried

    def budget(self) -> dict[str, float]:
        used = 1_000 + self.calls
        return {"daily_limit": 15_000, "daily_used": used, "daily_left": 15_000 - used}


@pytest.fixture
def store(state_url: str) -> Iterator[StateStore]:
    opened = StateStore(state_url)
    yield opened
    opened.close()


def test_a_run_that_ends_well_records_its_counts_calls_retries_budget_and_parked_records(
        store: StateStore) -> None:
    hub, crm = Metered("hubspot"), Metered("salesforce")
    crm.calls = 7  # calls made before the run count for nothing
    store.park("default", None, "salesforce", "k1", "c1", "STRING_TOO_LONG", "too long", [], {})
    store.park("default", None, "salesforce", "k2", "c2", "STRING_TOO_LONG", "too long", [], {})
    store.park("default", None, "hubspot", "k3", "s3", "INVALID_EMAIL", "bad", [], {})
    store.park("other", None, "hubspot", "k4", "s4", "INVALID_EMAIL", "bad", [], {})

    with recording(store, "default", "sync") as run:
        [running] = store.runs("default")
        assert (running["id"], running["status"]) == (run.id, "running")
        run.watch([hub, crm])
        run.report(lambda: {"salesforce": {"created": 4}})
        hub.calls, crm.calls, crm.retried = 3, 12, 1

    [done] = store.runs("default")
    assert done["status"] == "ok" and done["job"] == "sync" and done["finished_at"]
    summary = done["summary"]
    assert summary["counts"] == {"salesforce": {"created": 4}}
    assert summary["calls"] == {"hubspot": 3, "salesforce": 5}
    assert summary["retries"] == {"hubspot": 0, "salesforce": 1}
    assert summary["budget"]["salesforce"] == {"daily_limit": 15_000, "daily_used": 1_012,
                                               "daily_left": 13_988}
    assert summary["parked"] == {"total": 3, "by_code": [
        {"system": "hubspot", "code": "INVALID_EMAIL", "count": 1},
        {"system": "salesforce", "code": "STRING_TOO_LONG", "count": 2}]}
    assert "error" not in summary


def test_a_failed_run_keeps_what_it_did_and_its_error_without_the_secret_in_it(
        store: StateStore) -> None:
    register_secret("pat-na1-secret-token-1234")
    crm = Metered("salesforce")

    with pytest.raises(TransientError), recording(store, "default", "sla") as run:
        run.watch([crm])
        run.report(lambda: {"written": 2})
        crm.calls = 4
        raise TransientError("call with pat-na1-secret-token-1234 timed out")

    [failed] = store.runs("default")
    assert failed["status"] == "failed" and failed["job"] == "sla"
    assert failed["summary"]["counts"] == {"written": 2}
    assert failed["summary"]["calls"] == {"salesforce": 4}
    error = failed["summary"]["error"]
    assert error.startswith("TransientError: call with ") and "timed out" in error
    assert "pat-na1-secret-token-1234" not in str(failed)


@pytest.mark.parametrize(("error", "outcome"), [
    (ReserveReached("salesforce", 80, 100, 0.2), "reserve_reached"),
    (KeyboardInterrupt(), "stopped"),
])
def test_a_run_stopped_by_the_reserve_or_an_interrupt_says_so(
        store: StateStore, error: BaseException, outcome: str) -> None:
    with pytest.raises(type(error)), recording(store, "default", "sync"):
        raise error

    [stopped] = store.runs("default")
    assert stopped["status"] == outcome and stopped["summary"]["error"]


def test_a_job_that_ends_early_on_purpose_is_recorded_as_stopped(store: StateStore) -> None:
    with recording(store, "default", "sync") as run:
        run.outcome = "stopped"

    assert store.runs("default")[0]["status"] == "stopped"


def test_a_report_that_fails_does_not_hide_how_the_run_ended(store: StateStore) -> None:
    with recording(store, "default", "sync") as run:
        run.report(lambda: {"n": 1 // 0})

    [done] = store.runs("default")
    assert done["status"] == "ok" and "unavailable" in done["summary"]["counts"]


def test_systems_built_for_the_run_count_every_call_and_are_counted_once(
        store: StateStore) -> None:
    crm = Metered("salesforce")
    crm.calls = 2  # the checks made before the pass, on systems built for this run

    with recording(store, "default", "sync") as run:
        run.watch([crm], from_start=True)
        crm.calls = 5
        run.watch([crm])  # watched again by the pass: still counted from the start

    assert store.runs("default")[0]["summary"]["calls"] == {"salesforce": 5}
