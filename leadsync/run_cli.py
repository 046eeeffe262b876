"""``leadsync run``: the scheduler (``jobs.scheduler``) as a service's main process.

It runs every connection's jobs when ``[schedules]`` says, until SIGTERM or SIGINT; then the
sync in hand commits the write batches in flight and ends, and the command exits 0. A second
signal stops at once (what was confirmed is kept, as after a kill). Its log is one line per job
run (connection, job, outcome, seconds) and a line when it starts and stops: the jobs' own
progress lines are left out, their warnings and errors are not.
"""

from __future__ import annotations

import signal
from collections.abc import MutableMapping
from types import FrameType
from typing import Annotated, Any

import structlog
import typer

from leadsync.options import ConfigOption, ConnectionOption, LogFormatOption, fail, load_connections

log = structlog.get_logger("leadsync.scheduler")
KEPT = frozenset({"scheduled run", "scheduler started", "scheduler stopping", "scheduler stopped"})


def run(
    config: ConfigOption = None,
    connection: ConnectionOption = None,
    once: Annotated[bool, typer.Option(
        "--once", help="Run the jobs due now (each job's latest occurrence not run yet), "
                       "once each, and exit.")] = False,
    log_format: LogFormatOption = "",
) -> None:
    """Run every connection's jobs when the config's schedules table says, until SIGTERM or
    SIGINT; a second `leadsync run` beside this one runs nothing twice."""
    from leadsync.connector.errors import ConfigError
    from leadsync.jobs.scheduler import Scheduler

    every = load_connections(config, connection)
    settings = every[0].logging
    _quiet_logging(log_format or settings.format, settings.level)
    try:
        scheduler = Scheduler(every)
    except ConfigError as exc:
        raise fail(f"configuration error:\n{exc}") from exc
    scheduled = scheduler.schedules()
    if not scheduled:
        scheduler.close()
        raise fail("no job is scheduled: every one is turned off in [schedules]")
    stop = scheduler.stop

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt  # asked twice: stop at once
        log.info("scheduler stopping", signal=signal.Signals(signum).name,
                 detail="the batches in flight finish first")
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    log.info("scheduler started", jobs=[f"{name}: {s.job} ({s.cron}, {s.zone})"
                                        for name, s in scheduled])
    try:
        ran = scheduler.run(once=once)
    finally:
        scheduler.close()
    log.info("scheduler stopped")
    if once and any(r.outcome is not None and r.outcome.outcome == "failed" for r in ran):
        raise typer.Exit(1)


def _quiet_logging(fmt: str, level: str) -> None:
    """The CLI's logging, with the jobs' debug and info lines left out."""
    from leadsync.connector.logs import configure_logging

    configure_logging(fmt, level)
    processors = structlog.get_config()["processors"]
    structlog.configure(processors=[_only_scheduler_info, *processors])


def _only_scheduler_info(logger: Any, method: str, event: MutableMapping[str, Any]
                         ) -> MutableMapping[str, Any]:
    if method in ("debug", "info") and event.get("event") not in KEPT:
        raise structlog.DropEvent
    return event
