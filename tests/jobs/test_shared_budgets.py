"""Budgets shared in Redis: several processes, each with its own ``SharedWindow`` on one
account, together meet the vendor's limit without a 429, where budgets of their own do not;
a pause, the vendor's count and Salesforce's daily share reach every worker."""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import redis
from hubspot import HubSpot
from hubspot.crm.contacts import ApiException, PublicObjectSearchRequest
from structlog.testing import capture_logs

from leadsync.connector.budget import CallBudget, RollingWindow, account_key
from leadsync.connector.errors import ReserveReached
from leadsync.jobs import shared_budgets
from leadsync.jobs.shared_budgets import RedisBudgets, SharedDaily, SharedWindow
from leadsync.sandbox.server import Sandbox

# the sandbox allows 5 searches a second, counted as they arrive. The shared window admits all
# 5: each call holds its place until a second after its answer, so however late a call reaches
# the sandbox on a loaded machine, no second of the sandbox's holds six (a window of send times
# met 429s at 3 a second: three calls admitted late in one second reached the sandbox in the
# next with three more). Each process on its own takes 5 too, 20 a second in all: those meet
# 429s
PROCESSES, SEARCHES, PER_SECOND = 4, 7, 5


def searcher(info: dict[str, Any], redis_url: str | None, account: str,
             results: Any) -> None:
    """One worker: searches as fast as its budget lets it; reports the 429s it met."""
    hs = HubSpot(access_token=info["hubspot"]["access_token"], host=info["hubspot"]["host"],
                 ssl_ca_cert=info["ca_bundle"])
    budget: CallBudget = (RedisBudgets(redis_url, "redis").window(account, "search",
                                                                 PER_SECOND, 1.0)
                          if redis_url else RollingWindow(PER_SECOND, 1.0))
    refused = 0
    for _ in range(SEARCHES):
        budget.acquire()
        try:
            hs.crm.contacts.search_api.do_search(
                public_object_search_request=PublicObjectSearchRequest(limit=1))
        except ApiException as exc:
            if exc.status != 429:
                raise
            refused += 1
        finally:
            budget.release()
    results.put(refused)


def run_searchers(sandbox: Sandbox, redis_url: str | None) -> tuple[int, int]:
    """(429s the workers met, 429s the sandbox answered)."""
    answered = [0]
    limits = sandbox.hubspot.limits
    refusal = limits.refusal

    def counted(*args: Any, **kwargs: Any) -> Any:
        answered[0] += 1
        return refusal(*args, **kwargs)

    limits.refusal = counted  # type: ignore[method-assign]
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    account = account_key("test", uuid.uuid4().hex)
    workers = [context.Process(target=searcher, args=(sandbox.info, redis_url, account, results))
               for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    met = sum(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    return met, answered[0]


def test_workers_in_several_processes_sharing_a_window_in_redis_meet_no_429(
        make_sandbox: Callable[..., Sandbox], redis_url: str) -> None:
    met, answered = run_searchers(make_sandbox(), redis_url)
    assert met == answered == 0


def test_the_same_workers_each_with_its_own_window_meet_429s(
        make_sandbox: Callable[..., Sandbox]) -> None:
    met, answered = run_searchers(make_sandbox(), None)  # 4 x 5 searches a second, of 5
    assert met == answered > 0


@pytest.fixture
def budgets(redis_url: str) -> RedisBudgets:
    return RedisBudgets(redis_url, "redis://127.0.0.1:6379/15")


def test_a_429_seen_by_one_worker_holds_the_other(budgets: RedisBudgets) -> None:
    account = uuid.uuid4().hex
    first, second = (budgets.window(account, "burst", 10, 10.0) for _ in range(2))
    first.pause(0.2)
    second.acquire()
    assert second.waited > 0


def test_the_vendors_count_fills_every_workers_window(budgets: RedisBudgets) -> None:
    account = uuid.uuid4().hex
    first, second = (budgets.window(account, "burst", 3, 0.5) for _ in range(2))
    first.acquire()
    second.observe(3, 190)  # the vendor counted 3: 2 calls of someone else
    first.acquire()
    assert first.waited > 0 and first.peak == 3


def test_the_daily_share_counts_the_calls_other_workers_have_in_flight(
        budgets: RedisBudgets) -> None:
    account = uuid.uuid4().hex
    first, second = (budgets.daily(account, 0.2, "salesforce") for _ in range(2))
    first.observe(78, 100)  # the org's count, as any answer reports it; the share is 80
    first.acquire()
    second.acquire()
    with pytest.raises(ReserveReached) as reached:
        first.acquire()
    assert (reached.value.used, reached.value.allowed) == (78, 100)
    second.release()
    first.acquire()


def test_a_worker_waits_while_every_concurrent_call_of_the_org_is_in_flight(
        budgets: RedisBudgets) -> None:
    account = uuid.uuid4().hex
    waits: list[float] = []
    first = SharedDaily(budgets.client, "redis", f"test:{account}", 0.2, "salesforce",
                        concurrent=1)

    def release_first(seconds: float) -> None:
        waits.append(seconds)
        first.release()  # the first worker's call is answered while the second waits

    second = SharedDaily(budgets.client, "redis", f"test:{account}", 0.2, "salesforce",
                         concurrent=1, sleep=release_first)
    first.acquire()
    second.acquire()
    assert len(waits) == 1


def test_redis_away_is_a_transient_error_naming_the_server_without_its_password() -> None:
    from leadsync.connector.errors import TransientError

    budgets = RedisBudgets("redis://:hunter2@127.0.0.1:1/0", "redis://:***@127.0.0.1:1/0")
    window: SharedWindow = budgets.window("x", "burst", 1, 1.0)
    with pytest.raises(TransientError) as failed:
        window.acquire()
    assert "redis://:***@127.0.0.1:1/0" in str(failed.value)
    assert "hunter2" not in str(failed.value)


def test_threads_of_one_worker_release_their_own_calls(budgets: RedisBudgets) -> None:
    account = uuid.uuid4().hex
    daily = SharedDaily(budgets.client, "redis", f"test:{account}", 0.0, "salesforce",
                        concurrent=2)
    daily.acquire()
    other = threading.Thread(target=daily.acquire)
    other.start()
    other.join()
    daily.release()
    assert budgets.client.zcard(daily.flight_key) == 1  # the other thread's call


def test_a_shared_call_holds_its_place_until_a_window_after_its_answer(
        budgets: RedisBudgets) -> None:
    account = uuid.uuid4().hex
    first, second = (budgets.window(account, "burst", 1, 0.3) for _ in range(2))
    first.acquire()
    time.sleep(0.2)  # the call takes 0.2 s to answer
    first.release()
    second.acquire()  # not 0.1 s from now (a window after the call went out): 0.3 s
    assert second.waited >= 0.25


def test_a_killed_workers_call_in_flight_lapses_after_its_lease(
        budgets: RedisBudgets, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_budgets, "LEASE_SECONDS", 0.3)
    account = uuid.uuid4().hex
    killed, alive = (budgets.window(account, "burst", 1, 0.2) for _ in range(2))
    killed.acquire()  # and never answered: its worker was killed
    alive.acquire()  # free once the lease (0.3 s) and a window (0.2 s) have passed
    assert alive.waited >= 0.45


def test_redis_away_when_a_call_is_answered_leaves_the_calls_outcome_alone(
        budgets: RedisBudgets) -> None:
    window = budgets.window(uuid.uuid4().hex, "burst", 5, 1.0)
    daily = budgets.daily(uuid.uuid4().hex, 0.2, "salesforce")
    window.acquire()
    daily.acquire()

    def away(*args: Any, **kwargs: Any) -> Any:
        raise redis.exceptions.ConnectionError("Connection refused")

    window._release = away  # type: ignore[method-assign]
    budgets.client.zrem = away  # type: ignore[method-assign]
    with capture_logs() as logs:
        window.release()  # no error: the lease lapses by itself
        daily.release()
    assert [entry["event"] for entry in logs] == ["shared_budget_release_failed"] * 2
    assert all("127.0.0.1:6379" in entry["redis"] for entry in logs)
