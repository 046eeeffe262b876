"""The scheduler on a clock the test moves: each occurrence runs once, a missed one once at
start, a stopped one again, two schedulers side by side never run one twice. The jobs are
counters here (``runners``); the state store and its locks are the real ones.
``test_run_e2e`` runs ``leadsync run`` against sandbox orgs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadsync.adapters.registry import load_builtin_kinds
from leadsync.connector.config import Config
from leadsync.connector.config_file import load_config
from leadsync.jobs.locking import locked
from leadsync.jobs.scheduler import Outcome, Scheduler, Stop, later_job, run_sync_job
from tests.connector.test_config import VALID
from tests.connector.test_config_connections import TWO

GUARD = 30.0  # seconds a held job waits at most: a deadlock guard, never reached when it works


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


class Clock:
    """The scheduler's clock and sleep: sleeping moves the clock, nobody waits."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.naps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.now += timedelta(seconds=seconds)


class Jobs:
    """Counting jobs: which ran, for which connection, at what time of the clock."""

    def __init__(self, clock: Clock, outcome: str = "ok") -> None:
        self.clock, self.outcome = clock, outcome
        self.ran: list[tuple[str, str, datetime]] = []

    def runner(self, job: str):  # type: ignore[no-untyped-def]
        def run(config: Config, stop: Stop) -> Outcome:
            self.ran.append((config.sync.connection, job, self.clock()))
            return Outcome(self.outcome)
        return run

    def runners(self) -> dict[str, object]:
        return {job: self.runner(job) for job in ("sync", "sla_sweep", "reconcile", "report")}


@pytest.fixture(autouse=True)
def builtin_kinds() -> None:
    load_builtin_kinds()


def config(folder: Path, text: str = VALID, url: str | None = None) -> Config:
    path = folder / "leadsync.toml"
    url = url or f"sqlite:///{folder / 'state.db'}"
    path.write_text(f'[state]\nurl = "{url}"\n' + text)
    return load_config(path, env={})


def connections(whole: Config) -> list[Config]:
    return [whole.for_connection(name) for name in whole.connection_names()]


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(2026, 12, 6, 12, 7))


@pytest.fixture
def made() -> Iterator[list[Scheduler]]:
    schedulers: list[Scheduler] = []
    yield schedulers
    for scheduler in schedulers:
        scheduler.close()


def scheduler(made: list[Scheduler], configs: list[Config], clock: Clock, jobs: Jobs | None,
              **options: object) -> Scheduler:
    runners = jobs.runners() if jobs is not None else None
    found = Scheduler(configs, runners, clock=clock, sleep=clock.sleep,  # type: ignore[arg-type]
                      **options)  # type: ignore[arg-type]
    made.append(found)
    return found


def test_due_jobs_run_once_each_and_a_missed_stretch_once_at_start(
        tmp_path: Path, clock: Clock, made: list[Scheduler]) -> None:
    jobs = Jobs(clock)
    one = scheduler(made, [config(tmp_path)], clock, jobs)

    one.run_due()  # a first start: each job's latest occurrence
    one.run_due()  # nothing new has come
    assert jobs.ran == [("default", "reconcile", clock.now), ("default", "sync", clock.now)]

    clock.now = utc(2026, 12, 6, 12, 15)
    one.run_due()
    clock.now = utc(2026, 12, 6, 16, 31)  # down from 12:16 to 16:31: 16 quarters missed
    one.run_due()
    clock.now = utc(2026, 12, 7, 2, 5)
    one.run_due()

    assert [(job, at) for _, job, at in jobs.ran[2:]] == [
        ("sync", utc(2026, 12, 6, 12, 15)), ("sync", utc(2026, 12, 6, 16, 31)),
        ("sync", utc(2026, 12, 7, 2, 5)), ("reconcile", utc(2026, 12, 7, 2, 5))]
    assert one.done("default", "sync") == utc(2026, 12, 7, 2, 0)  # the occurrence, not the run


def test_run_sleeps_until_each_occurrence_and_runs_it(
        tmp_path: Path, clock: Clock, made: list[Scheduler]) -> None:
    jobs = Jobs(clock)
    stop = threading.Event()
    one = scheduler(made, [config(tmp_path, VALID + '[schedules]\nreconcile = '
                                  '{ enabled = false }\n')], clock, jobs, stop=stop)
    real_sleep = clock.sleep

    def sleep(seconds: float) -> None:
        real_sleep(seconds)
        if clock.now >= utc(2026, 12, 6, 13, 0):
            stop.set()  # SIGTERM at 13:00, before the 13:00 run

    one.sleep = sleep
    one.run()

    assert [at for _, _, at in jobs.ran] == [
        utc(2026, 12, 6, 12, 7), utc(2026, 12, 6, 12, 15), utc(2026, 12, 6, 12, 30),
        utc(2026, 12, 6, 12, 45)]
    assert max(clock.naps) <= 60  # it looks again at least every minute


def test_a_stopped_run_is_run_again_at_the_next_start_a_failed_one_is_not(
        tmp_path: Path, clock: Clock, made: list[Scheduler]) -> None:
    jobs = Jobs(clock, outcome="stopped")
    one = scheduler(made, [config(tmp_path)], clock, jobs)

    one.run_due()
    jobs.outcome = "failed"
    one.run_due()  # the stopped sync and reconcile again
    one.run_due()  # failed: done until their next occurrence

    assert [job for _, job, _ in jobs.ran] == ["reconcile", "sync"] * 2


def test_a_job_that_raises_is_a_failed_run_and_the_next_job_still_runs(
        tmp_path: Path, clock: Clock, made: list[Scheduler]) -> None:
    jobs = Jobs(clock)

    def broken(config: Config, stop: Stop) -> Outcome:
        raise RuntimeError("disk full")

    one = scheduler(made, [config(tmp_path)], clock, None)
    one.runners.update({"reconcile": broken, "sync": jobs.runner("sync")})

    ran = one.run_due()

    assert [(r.occurrence.job, r.outcome) for r in ran] == [
        ("reconcile", Outcome("failed", "RuntimeError: disk full")), ("sync", Outcome("ok"))]


def test_a_job_whose_lock_another_run_holds_is_skipped_for_that_occurrence(
        tmp_path: Path, clock: Clock, made: list[Scheduler]) -> None:
    settings = config(tmp_path, VALID + '[schedules]\nreconcile = { enabled = false }\n')
    one = scheduler(made, [settings], clock, None)
    assert one.runners["sync"] is run_sync_job  # the real job: it takes the sync lock first

    with locked(settings, "sync"):  # a `leadsync sync` by hand, under way
        [ran] = one.run_due()

    assert ran.outcome is not None and ran.outcome.outcome == "locked"
    assert "already running" in ran.outcome.detail
    assert one.run_due() == []  # skipped, not retried: the next occurrence runs


def test_a_job_not_built_yet_is_not_available_and_not_retried(
        tmp_path: Path, clock: Clock, made: list[Scheduler]) -> None:
    one = scheduler(made, [config(tmp_path, VALID + '[schedules]\nsync = { enabled = false '
                                  '}\n')], clock, None)
    one.runners["reconcile"] = later_job("no_such_job", "run_it")

    [ran] = one.run_due()

    assert ran.outcome == Outcome("not_available", "this LeadSync has no no_such_job job yet")
    assert one.run_due() == []


def test_each_connection_runs_its_own_schedules(tmp_path: Path, clock: Clock,
                                                made: list[Scheduler]) -> None:
    jobs = Jobs(clock)
    text = TWO.replace("[connections.emea]", '[schedules]\nreconcile = { enabled = false }\n\n'
                       '[connections.emea.schedules]\nsync = "0 * * * *"\n\n[connections.emea]')
    one = scheduler(made, connections(config(tmp_path, text)), clock, jobs)

    one.run_due()
    clock.now = utc(2026, 12, 6, 12, 30)
    one.run_due()

    assert [(name, at.minute) for name, _, at in jobs.ran] == [
        ("emea", 7), ("amer", 7), ("amer", 30)]  # emea hourly (its 12:00), amer every 15


def test_two_schedulers_side_by_side_run_each_occurrence_once(
        tmp_path: Path, clock: Clock, made: list[Scheduler], state_url: str) -> None:
    settings = config(tmp_path, VALID + '[schedules]\nreconcile = { enabled = false }\n',
                      state_url)  # SQLite, and PostgreSQL as schedulers on two machines share
    started, release = threading.Event(), threading.Event()
    jobs = Jobs(clock)

    def slow_sync(config: Config, stop: Stop) -> Outcome:
        started.set()
        assert release.wait(GUARD)
        return jobs.runner("sync")(config, stop)  # type: ignore[no-any-return]

    first = scheduler(made, [settings], clock, None)  # each with its own store connection
    second = scheduler(made, [settings], clock, None)
    first.runners["sync"] = second.runners["sync"] = slow_sync
    running = threading.Thread(target=first.run_due)
    running.start()
    assert started.wait(GUARD)

    beside = second.run_due()  # while the first runs the 12:00 sync
    release.set()
    running.join(GUARD)
    after = second.run_due()  # once the first is done

    assert [r.outcome for r in beside] == [None]  # left to the first
    assert after == []  # and seen as done
    assert len(jobs.ran) == 1


def test_a_state_store_away_for_a_moment_does_not_end_the_scheduler(
        tmp_path: Path, clock: Clock, made: list[Scheduler]) -> None:
    jobs = Jobs(clock)
    stop = threading.Event()
    one = scheduler(made, [config(tmp_path, VALID + '[schedules]\nreconcile = '
                                  '{ enabled = false }\n')], clock, jobs, stop=stop)
    real_done, calls = one.done, []

    def done_after_an_outage(connection: str, job: str) -> datetime | None:
        calls.append(clock())
        if len(calls) == 1:
            raise OSError("connection refused")
        if len(calls) == 3:
            stop.set()
        return real_done(connection, job)  # type: ignore[arg-type]

    one.done = done_after_an_outage  # type: ignore[method-assign]
    one.run()

    # the 12:00 sync, at the next look, a minute later
    assert [at for _, _, at in jobs.ran] == [utc(2026, 12, 6, 12, 8)]


def test_a_sweep_asked_to_stop_by_the_scheduler_is_a_stopped_occurrence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM mid-sweep: the sweep is handed the scheduler's stop and ends ``stopped`` (run
    again at the next start), never ``failed``."""
    from leadsync.connector.errors import Stopped
    from leadsync.jobs import sla
    from leadsync.jobs.scheduler import run_sweep_job

    def sweep(config: Config, now: datetime, stop: Stop | None = None) -> None:
        assert stop is not None and stop()  # asked between two groups of effects
        raise Stopped()

    monkeypatch.setattr(sla, "run_sweep", sweep)
    stopping = threading.Event()
    stopping.set()

    outcome = run_sweep_job(config(tmp_path), stopping.is_set)

    assert outcome.outcome == "stopped" and "next sweep" in outcome.detail
