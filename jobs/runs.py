"""Every job records its run: when it started and ended, how it ended, what it did and cost.

An admin who schedules jobs must see that they ran and how (``leadsync runs``, ``leadsync
status``), as HubSpot's Sync Health shows a sync's last runs. So every job, whatever it does
(sync, SLA sweep, reconcile, report), runs inside ``recorded``: the run is written to the
store's ``runs`` table as ``running`` before the job reads anything, and finished however the
job ends, with one summary shape for every job::

    {"counts":  {...},                                # what the job did, in its own words
     "calls":   {"hubspot": 12, "salesforce": 30},    # API calls by system, retries included
     "retries": {"hubspot": 0, "salesforce": 1},      # of those, retries of a failed call
     "budget":  {"salesforce": {"daily_used": ...}},  # System.budget() at the end
     "parked":  {"total": 2, "by_code": [{"system": ..., "code": ..., "count": ...}]},
     "error":   "..."}                                # when it failed or stopped

The outcome is ``ok``, ``failed`` (an error stopped it), ``stopped`` (interrupted, or asked to
stop: the job sets it when it ends early on purpose) or ``reserve_reached`` (the daily API
reserve was reached: progress saved, the next run resumes); the store itself writes
``running`` and, when a killed run's lock is taken over, ``interrupted``. A dry run records
nothing. The error is redacted (``connector.logs``): no secret reaches the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog

from leadsync.connector.config import Config
from leadsync.connector.deadletter import truncate
from leadsync.connector.errors import ReserveReached, Stopped
from leadsync.connector.logs import redact
from leadsync.connector.ports import System
from leadsync.connector.store import Store

log = structlog.get_logger("leadsync.runs")

OK, FAILED, STOPPED, RESERVE_REACHED = "ok", "failed", "stopped", "reserve_reached"
ERROR_WIDTH = 500  # characters of an error a run keeps


@dataclass
class Run:
    """The run a job is in: its id in the store (None for a dry run), and what it reports."""

    id: int | None
    job: str
    connection: str
    outcome: str = OK  # the job may say STOPPED when it ends early on purpose
    systems: list[System] = field(default_factory=list)
    _counts: Callable[[], Mapping[str, Any]] = field(default=lambda: {}, repr=False)
    _before: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)

    def watch(self, systems: Iterable[System], from_start: bool = False) -> None:
        """Count these systems' calls from now on, or all they made with ``from_start`` (the
        job built them for this run: their setup calls are the run's too). A system already
        watched keeps its count."""
        for system in systems:
            if system.name in self._before:
                continue
            self.systems.append(system)
            self._before[system.name] = ((0, 0) if from_start
                                         else (system.calls_made, system.retries_made))

    def report(self, counts: Callable[[], Mapping[str, Any]]) -> None:
        """What the job did, asked for when the run ends, however it ends (a job that fails
        half-way reports what it did until then)."""
        self._counts = counts

    def summary(self, error: BaseException | None = None) -> dict[str, Any]:
        """The summary this run is recorded with (the shape in the module's docstring)."""
        calls, retries, budget = {}, {}, {}
        for system in self.systems:
            made, retried = self._before[system.name]
            calls[system.name] = system.calls_made - made
            retries[system.name] = system.retries_made - retried
            budget[system.name] = dict(system.budget())
        try:
            counts = dict(self._counts())
        except Exception as exc:  # a report must never hide how the run ended
            counts = {"unavailable": redact(str(exc))}
        summary: dict[str, Any] = {"counts": counts, "calls": calls, "retries": retries,
                                   "budget": budget}
        if error is not None:
            summary["error"] = describe(error)
        return summary


def describe(error: BaseException) -> str:
    """An error as a run keeps it: its kind and message, redacted and cut short."""
    text = str(error) or type(error).__name__
    return truncate(redact(f"{type(error).__name__}: {text}"), ERROR_WIDTH)


def outcome_of(error: BaseException) -> str:
    if isinstance(error, ReserveReached):
        return RESERVE_REACHED
    if isinstance(error, Stopped | KeyboardInterrupt | SystemExit):
        return STOPPED
    return FAILED


def parked_counts(store: Store, connection: str) -> dict[str, Any]:
    """The records parked on the connection now, by system and vendor code."""
    rows = [{"system": system, "code": code, "count": count}
            for (system, code), count in sorted(store.parked_counts(connection).items())]
    return {"total": sum(row["count"] for row in rows), "by_code": rows}


@contextmanager
def recorded(config: Config, job: str, connection: str | None = None, *,
             record: bool = True) -> Iterator[Run]:
    """Run the block as one recorded run of ``job`` on ``connection`` (default: the config's
    ``[sync] connection``), with its own store connection; ``record`` False (a dry run)
    records nothing. The job's error, if any, goes on up."""
    connection = connection or config.sync.connection
    if not record:
        yield Run(None, job, connection)
        return
    from leadsync.connector.state import StateStore

    store = StateStore(config.state.url)
    try:
        with recording(store, connection, job) as run:
            yield run
    finally:
        store.close()


@contextmanager
def recording(store: Store, connection: str, job: str) -> Iterator[Run]:
    """``recorded`` on a store the caller holds (and closes)."""
    run = Run(store.start_run(connection, job), job, connection)
    try:
        yield run
    except BaseException as exc:
        run.outcome = outcome_of(exc)
        try:
            _finish(store, run, exc)
        except Exception as failed:  # the job's own error is the one to raise
            log.error("run not recorded as finished", run_id=run.id,
                      error=redact(str(failed)))
        raise
    _finish(store, run, None)


def _finish(store: Store, run: Run, error: BaseException | None) -> None:
    assert run.id is not None
    summary = run.summary(error)
    try:
        summary["parked"] = parked_counts(store, run.connection)
    except Exception as exc:  # the store went away: the run is still finished if it can be
        log.warning("parked records not counted", error=redact(str(exc)))
    store.finish_run(run.id, run.outcome, summary)
    log.debug("run recorded", job=run.job, connection=run.connection, run_id=run.id,
              outcome=run.outcome)
