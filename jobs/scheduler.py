"""The in-process scheduler behind ``leadsync run``: each connection's jobs, when ``[schedules]``
says (``connector.schedule``), one at a time, until asked to stop.

What it promises, and how:

- A job never overlaps itself on a connection: each job takes its run lock (``jobs.locking``)
  as it does when run by hand; a lock held by another run (a ``leadsync sync`` by hand, another
  scheduler) skips that occurrence, logged.
- One occurrence runs once, even with a second ``leadsync run`` beside the first: an occurrence
  is claimed under a lock of its own (``schedule:<job>``, per connection) and, once run, written
  down in the state store (the job value ``schedule:<job>``, the occurrence's instant). A
  scheduler that gets the claim after another ran it reads that the occurrence was done; one
  that finds the claim held leaves the occurrence to its holder.
- A scheduler that was down runs a job's missed occurrences once, at start: only the latest
  occurrence that has come is due, never one per missed slot. A first start runs each job's
  latest occurrence, so ``leadsync run --once`` always does the work due now.
- An occurrence that failed is done (the next occurrence tries again, no tight loop against a
  vendor that is down); one that was stopped is not: the next start resumes it.
- Asked to stop (SIGTERM, SIGINT: ``stop`` is set), the sync in hand finishes the write batches
  in flight and ends, its progress committed; an SLA sweep in hand finishes the group of
  effects in hand (its tasks, its notifications, its CRM writes, its marketing writes) and
  ends, the effects done recorded. Nothing more starts.

The clock and the sleep are given, so tests drive a scheduler through days in no time; the jobs
are given too (``runners``), the real ones by default.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from leadsync.connector.config import Config
from leadsync.connector.errors import ConfigError, LeadSyncError, LockHeld, ReserveReached
from leadsync.connector.schedule import JOBS, Job, Schedule, resolve
from leadsync.connector.state import StateStore
from leadsync.jobs.locking import locked

log = structlog.get_logger("leadsync.scheduler")

Stop = Callable[[], bool]
LONGEST_NAP = timedelta(minutes=1)  # look again at least this often (clock jumps, a new day)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a job run ended: ``ok``, ``refused`` (records parked), ``stopped``, ``locked``
    (another run held the job's lock), ``reserve_reached``, ``failed``, ``not_available``."""

    outcome: str
    detail: str = ""


Runner = Callable[[Config, Stop], Outcome]


@dataclass(frozen=True, slots=True)
class Occurrence:
    connection: str
    job: Job
    at: datetime  # the instant the schedule named, UTC


@dataclass(frozen=True, slots=True)
class Ran:
    """An occurrence this scheduler ran (``outcome`` None: another scheduler had claimed it)."""

    occurrence: Occurrence
    outcome: Outcome | None
    seconds: float = 0.0


def _now() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    """Runs the scheduled jobs of ``configs`` (one per connection, from ``for_connection``)."""

    def __init__(self, configs: Sequence[Config], runners: Mapping[str, Runner] | None = None,
                 clock: Callable[[], datetime] = _now,
                 sleep: Callable[[float], object] | None = None,
                 stop: threading.Event | None = None) -> None:
        if not configs:
            raise ConfigError("no connection to schedule")
        self.configs = {config.sync.connection: config for config in configs}
        self.runners: dict[str, Runner] = {**RUNNERS, **(runners or {})}
        self.clock, self.stop = clock, stop or threading.Event()
        self.sleep = sleep or self.stop.wait
        self.store = StateStore(configs[0].state.url)  # [state] is shared by every connection

    def close(self) -> None:
        self.store.close()

    def schedules(self) -> list[tuple[str, Schedule]]:
        """Every scheduled job, by connection, in the config's order."""
        found = []
        for name, config in self.configs.items():
            for job in JOBS:
                schedule = resolve(config.schedules, job, sla=config.sla is not None)
                if schedule is not None:
                    found.append((name, schedule))
        return found

    def done(self, connection: str, job: Job) -> datetime | None:
        """The last occurrence of ``job`` run on ``connection`` (by any scheduler)."""
        value = self.store.job_value(connection, f"schedule:{job}")
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    def due(self, now: datetime) -> list[Occurrence]:
        """The occurrences to run now: each job's latest that has come and was not run."""
        found = []
        for connection, schedule in self.schedules():
            at = schedule.latest(now)
            done = self.done(connection, schedule.job)
            if at is not None and (done is None or done < at):
                found.append(Occurrence(connection, schedule.job, at))
        return sorted(found, key=lambda occurrence: occurrence.at)

    def run_due(self, now: datetime | None = None) -> list[Ran]:
        """Run what is due, one job after another, until done or asked to stop."""
        ran = []
        for occurrence in self.due(now or self.clock()):
            if self.stop.is_set():
                break
            ran.append(self.run_one(occurrence))
        return ran

    def run_one(self, occurrence: Occurrence) -> Ran:
        """Claim ``occurrence``, run it unless another scheduler did, and write it down."""
        connection, job = occurrence.connection, occurrence.job
        config = self.configs[connection]
        try:
            with locked(config, f"schedule:{job}"):
                done = self.done(connection, job)
                if done is not None and done >= occurrence.at:
                    return Ran(occurrence, None)  # run by another scheduler meanwhile
                started = time.monotonic()
                outcome = self.attempt(config, job)
                seconds = time.monotonic() - started
                if outcome.outcome != "stopped":
                    self.store.set_job_value(connection, f"schedule:{job}",
                                             occurrence.at.isoformat())
        except LockHeld:
            return Ran(occurrence, None)  # another scheduler is running this occurrence
        fields = {"detail": outcome.detail} if outcome.detail else {}
        log.info("scheduled run", connection=connection, job=job, outcome=outcome.outcome,
                 seconds=round(seconds, 1), occurrence=occurrence.at.isoformat(), **fields)
        return Ran(occurrence, outcome, seconds)

    def attempt(self, config: Config, job: Job) -> Outcome:
        """Run one job; whatever stops it becomes its outcome, never the scheduler's end."""
        try:
            return self.runners[job](config, self.stop.is_set)
        except LockHeld as exc:
            return Outcome("locked", str(exc))
        except ReserveReached as exc:
            return Outcome("reserve_reached", str(exc))
        except LeadSyncError as exc:
            return Outcome("failed", str(exc))
        except Exception as exc:  # a bug or the machine: logged, and the next job still runs
            return Outcome("failed", f"{type(exc).__name__}: {exc}")

    def pause(self, now: datetime) -> float:
        """Seconds until the next occurrence of any job (at most ``LONGEST_NAP``)."""
        wake = min((schedule.next_after(now) for _, schedule in self.schedules()),
                   default=now + LONGEST_NAP)
        return max(0.0, min((wake - now).total_seconds(), LONGEST_NAP.total_seconds()))

    def run(self, once: bool = False) -> list[Ran]:
        """Run due jobs, sleep until the next, again, until ``stop`` is set (``once``: the jobs
        due now, then return)."""
        ran: list[Ran] = []
        while not self.stop.is_set():
            try:
                ran += self.run_due()
            except Exception as exc:  # the state store away for a moment: look again later
                if once:
                    raise
                log.error("scheduler could not look at its jobs; it tries again",
                          error=f"{type(exc).__name__}: {exc}")
            if once:
                break
            self.sleep(self.pause(self.clock()))
        return ran


# --- the jobs ----------------------------------------------------------------------------------

def run_sync_job(config: Config, stop: Stop) -> Outcome:
    from leadsync.jobs.sync import run_sync

    result = run_sync(config, stop=stop)
    refused = sum(side.failed for side in result.sides.values())
    if result.status == "stopped":
        return Outcome("stopped", "the batches in flight were committed; the next run resumes")
    return Outcome("refused", f"{refused} records refused") if refused else Outcome("ok")


def run_sweep_job(config: Config, stop: Stop) -> Outcome:
    from leadsync.connector.errors import Stopped
    from leadsync.jobs.sla import run_sweep

    try:
        result = run_sweep(config, now=_now(), stop=stop)
    except Stopped:
        return Outcome("stopped", "the effects done are kept; the next sweep does the rest")
    return Outcome("refused", f"{result.failed} writes refused") if result.failed else Outcome(
        "ok")


def later_job(module: str, function: str) -> Runner:
    """A job whose module may not be there yet (reconcile, report): ``not_available`` then."""
    def run(config: Config, stop: Stop) -> Outcome:
        name = f"leadsync.jobs.{module}"
        try:
            found = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            return Outcome("not_available", f"this LeadSync has no {module} job yet")
        result = getattr(found, function)(config)
        status = getattr(result, "status", "ok")
        return Outcome(status if isinstance(status, str) else "ok")
    return run


RUNNERS: dict[str, Runner] = {
    "sync": run_sync_job, "sla_sweep": run_sweep_job,
    "reconcile": later_job("reconcile", "run_reconcile"), "report": later_job("report",
                                                                              "run_report"),
}
