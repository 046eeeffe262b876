"""Budgets pace calls with an injected clock: no test sleeps for real."""

from __future__ import annotations

import threading

import pytest

from leadsync.connector.budget import CallBudget, DailyBudget, RollingWindow, rate_limit
from leadsync.connector.errors import ReserveReached, TransientError


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rolling_window_waits_only_when_the_window_is_full() -> None:
    t = FakeTime()
    window = RollingWindow(3, 10.0, clock=t.clock, sleep=t.sleep)
    for _ in range(3):
        window.acquire()
        window.release()  # answered at once
    assert t.slept == []
    t.now = 4.0
    window.acquire()  # the oldest call (answered at t=0) leaves the window at t=10
    assert t.slept == [6.0] and window.waited == 6.0


def test_a_call_holds_its_place_until_a_window_after_its_answer() -> None:
    """A call sent at t=0 and answered at t=3 may have been counted by the vendor as late as
    t=3: the next call of a one-call window goes at t=13, not t=10."""
    t = FakeTime()
    window = RollingWindow(1, 10.0, clock=t.clock, sleep=t.sleep)
    window.acquire()
    t.now = 3.0
    window.release()
    t.now = 5.0
    window.acquire()
    assert t.slept == [8.0] and t.now == 13.0


def test_when_every_place_is_in_flight_the_next_call_waits_for_an_answer() -> None:
    t = FakeTime()
    window = RollingWindow(2, 10.0, clock=t.clock, sleep=t.sleep)
    window.acquire()
    window.acquire()
    answered = []

    def sleep(seconds: float) -> None:  # the first call is answered while the third waits
        t.sleep(seconds)
        if not answered:
            answered.append(t.now)
            window.release()

    window._sleep = sleep
    window.acquire()
    assert answered and t.now == pytest.approx(answered[0] + 10.0)
    assert window.peak == 2


def test_a_release_without_a_call_in_flight_holds_no_place() -> None:
    t = FakeTime()
    window = RollingWindow(1, 10.0, clock=t.clock, sleep=t.sleep)
    window.release()
    window.acquire()
    assert t.slept == []


def test_rolling_window_never_admits_more_than_the_limit_in_any_window() -> None:
    t = FakeTime()
    window = RollingWindow(5, 1.0, clock=t.clock, sleep=t.sleep)
    stamps = []
    for _ in range(23):
        window.acquire()
        stamps.append(t.now)
        window.release()
        t.now += 0.05
    for start in stamps:
        assert sum(1 for s in stamps if start <= s < start + 1.0) <= 5


def test_daily_budget_refuses_once_its_share_is_spent() -> None:
    budget = DailyBudget(share=0.5)
    budget.check()  # nothing known yet
    budget.observe(used=499, allowed=1000)
    budget.check()
    budget.observe(used=500, allowed=1000)
    with pytest.raises(ReserveReached, match="500 of 1,000 daily API calls used"):
        budget.check()


def test_a_daily_budget_keeping_a_20_percent_reserve_refuses_the_call_that_would_use_it() -> None:
    budget = DailyBudget.keeping(0.2, "salesforce")
    budget.observe(used=7_999, allowed=10_000)
    budget.acquire()  # call 8,000 is the last one outside the reserve
    budget.observe(used=8_000, allowed=10_000)
    with pytest.raises(ReserveReached) as raised:
        budget.acquire()
    assert (raised.value.system, raised.value.used, raised.value.allowed) == (
        "salesforce", 8_000, 10_000)
    assert "the last 20% is kept for the org's other integrations" in str(raised.value)


def test_a_reserve_reached_is_not_a_transient_error_so_nothing_retries_it() -> None:
    budget = DailyBudget.keeping(0.2)
    budget.observe(used=10_000, allowed=10_000)
    with pytest.raises(ReserveReached) as raised:
        budget.acquire()
    assert not isinstance(raised.value, TransientError)


@pytest.mark.parametrize("reserve", [-0.1, 1.0, 1.5])
def test_a_reserve_outside_0_to_1_is_refused(reserve: float) -> None:
    with pytest.raises(ValueError, match="reserve"):
        DailyBudget.keeping(reserve)


def test_bad_budgets_are_refused() -> None:
    with pytest.raises(ValueError):
        RollingWindow(0, 10)
    with pytest.raises(ValueError):
        DailyBudget(share=0)


@pytest.mark.parametrize("budget", [RollingWindow(2, 1.0), DailyBudget(share=0.5)],
                         ids=["rolling window", "daily budget"])
def test_both_budgets_are_call_budgets_an_adapter_can_hold(budget: CallBudget) -> None:
    assert isinstance(budget, CallBudget)
    budget.observe(used=1, allowed=1000)
    budget.acquire()  # one call goes out


def test_a_daily_budget_acquired_past_its_share_is_reserve_reached() -> None:
    budget: CallBudget = DailyBudget(share=0.5)
    budget.observe(used=600, allowed=1000)
    with pytest.raises(ReserveReached, match="600 of 1,000"):
        budget.acquire()


# --- budgets shared by callers in parallel ------------------------------------------------------

class SharedTime:
    """A fake clock several threads share: sleeping moves it on; each thread remembers the
    last instant it read, which for a window's caller is the instant it was let through."""

    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()
        self._read = threading.local()

    def clock(self) -> float:
        with self._lock:
            self._read.last = self.now
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds

    @property
    def last_read(self) -> float:
        return float(self._read.last)


def test_a_rolling_window_shared_by_threads_never_lets_more_than_its_limit_through() -> None:
    t = SharedTime()
    window = RollingWindow(7, 10.0, clock=t.clock, sleep=t.sleep)
    stamps: list[float] = []
    noted = threading.Lock()

    def caller() -> None:
        for _ in range(25):
            window.acquire()
            admitted = t.last_read
            window.release()
            with noted:
                stamps.append(admitted)

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stamps.sort()
    assert len(stamps) == 200
    assert all(later - first >= 10.0 for first, later in zip(stamps, stamps[7:], strict=False))
    assert window.peak == 7


def test_a_pause_holds_every_caller_then_the_window_goes_on() -> None:
    t = FakeTime()
    window = RollingWindow(10, 10.0, clock=t.clock, sleep=t.sleep)
    window.acquire()
    window.pause(3.0)  # the vendor answered 429 with Retry-After: 3
    window.pause(1.0)  # a shorter wait asked later does not shorten it
    window.acquire()
    assert t.slept == [3.0]
    window.acquire()
    assert t.slept == [3.0]


def test_rate_limits_are_the_documented_ones_less_the_margin() -> None:
    assert rate_limit(190, 0.05) == 180
    assert rate_limit(5, 0.05) == 4
    assert rate_limit(5, 0.0) == 5
    assert rate_limit(250, 0.1) == 225
    assert rate_limit(1, 0.5) == 1  # never none at all
    with pytest.raises(ValueError, match="margin"):
        rate_limit(190, 1.0)


def test_calls_in_flight_count_against_the_daily_share() -> None:
    budget = DailyBudget(share=0.5)
    budget.observe(used=497, allowed=1000)
    for _ in range(3):  # calls 498, 499 and 500 go out together
        budget.acquire()
    with pytest.raises(ReserveReached):
        budget.acquire()  # the 501st would pass the share before any of them answers
    budget.release()  # one answered, without a usage figure
    budget.acquire()
    budget.observe(used=500, allowed=1000)  # Salesforce counted all three
    for _ in range(3):
        budget.release()
    with pytest.raises(ReserveReached):
        budget.acquire()


def test_threads_sharing_a_daily_budget_never_pass_its_share_together() -> None:
    budget = DailyBudget(share=0.5)
    budget.observe(used=490, allowed=1000)
    let_out: list[int] = []
    refused: list[int] = []
    start = threading.Barrier(12)

    def caller(number: int) -> None:
        start.wait()
        try:
            budget.acquire()
        except ReserveReached:
            refused.append(number)
        else:
            let_out.append(number)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (len(let_out), len(refused)) == (10, 2)


def test_calls_the_vendor_counted_beyond_this_windows_own_make_the_next_ones_wait() -> None:
    """Another process (the pass that just ended) used the app's window: the vendor's count
    says so, and this window waits instead of meeting 429s."""
    t = FakeTime()
    window = RollingWindow(5, 10.0, clock=t.clock, sleep=t.sleep)
    window.acquire()
    window.observe(used=6, allowed=6)  # five more than this window made
    t.now = 2.0
    window.acquire()  # all five places taken until the vendor's calls leave, at t=10
    assert t.slept == [8.0]
    window.observe(used=1, allowed=6)  # fewer than it holds: nothing changes
    assert window.peak == 6


def test_hubspot_answers_rate_limit_headers_feed_the_window() -> None:
    from leadsync.adapters.hubspot.calls import HubSpotCalls

    seen: list[tuple[int, int]] = []

    class Window(RollingWindow):
        def observe(self, used: int, allowed: int) -> None:
            seen.append((used, allowed))

    class Answer:
        def __init__(self) -> None:
            self.headers = {"X-HubSpot-RateLimit-Max": "190",
                            "X-HubSpot-RateLimit-Remaining": "12"}
            self.data = b'{"results": []}'

    calls = HubSpotCalls(object(), window=Window(100, 10.0))  # type: ignore[arg-type]
    assert calls("read", lambda **_: Answer()) == {"results": []}
    assert seen == [(178, 190)]


def test_a_hubspot_answer_holding_an_integer_past_64_bits_is_read() -> None:
    from leadsync.adapters.hubspot.calls import HubSpotCalls

    class Answer:
        def __init__(self) -> None:
            self.headers: dict[str, str] = {}
            self.data = b'{"results": [{"id": "1", "n": 1180591620717411303424}]}'

    calls = HubSpotCalls(object(), window=RollingWindow(100, 10.0))  # type: ignore[arg-type]
    assert calls("read", lambda **_: Answer()) == {"results": [{"id": "1", "n": 2**70}]}
