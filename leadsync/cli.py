"""The ``leadsync`` command line: parse arguments, call the engine or a job, render the result.

This module is the root of the command line: it adds the command groups of ``definition_cli``
and ``sla_cli``; they, like every ``leadsync`` module, never import it back (shared options and
``load_settings`` are in ``options``).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from leadsync import __version__
from leadsync.definition_cli import app as definition_app
from leadsync.errors_cli import app as errors_app
from leadsync.install_cli import install
from leadsync.options import ConfigOption, ConnectionOption, LogFormatOption, load_connections
from leadsync.reconcile_cli import reconcile
from leadsync.sla_cli import app as sla_app
from leadsync.sla_cli import audit
from leadsync.status_cli import runs, status

app = typer.Typer(help="LeadSync: lead handoff between a marketing platform and a CRM.",
                  no_args_is_help=True, add_completion=False)
sandbox_app = typer.Typer(help="Local HTTPS emulators of Salesforce and HubSpot.",
                          no_args_is_help=True)
config_app = typer.Typer(help="Check a LeadSync configuration file.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(config_app, name="config")
app.add_typer(definition_app, name="definition")
app.add_typer(sla_app, name="sla")
app.add_typer(errors_app, name="errors")
app.command("audit")(audit)
app.command("install")(install)
app.command("reconcile")(reconcile)
app.command("runs")(runs)
app.command("status")(status)


def _print_version(requested: bool) -> None:
    if requested:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option(
        "--version", help="Print the LeadSync version and exit.", callback=_print_version,
        is_eager=True)] = False,
) -> None:
    """LeadSync: lead handoff between a marketing platform and a CRM."""


@config_app.command("check")
def config_check(
    file: Annotated[Path | None, typer.Argument(
        help="The config file (default: $LEADSYNC_CONFIG, ./leadsync.toml).",
        dir_okay=False)] = None,
    live: Annotated[bool, typer.Option(
        "--live", help="Also check against the systems (read calls only): fields, status "
                       "values, users.")] = False,
) -> None:
    """Report every problem in a config file (and the mapping, definition, calendars and SLA
    policies it names) with its key path; exit non-zero if any. Calls no system unless
    --live. Warns of secrets written in the file."""
    from leadsync.adapters.registry import load_builtin_kinds
    from leadsync.connector.config_file import check_config, load_config, secret_warnings

    load_builtin_kinds()
    problems = check_config(file)
    every = [] if problems else _each_connection(load_config(file))
    for one in every:
        problems += _check_named_files(one)
    problems = list(dict.fromkeys(problems))  # a mapping several connections share: once
    for warning in secret_warnings(file) if not problems else []:
        typer.echo(f"warning: {warning}", err=True)
    for one in every if not problems and live else []:
        problems += _check_live(one)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("configuration is valid")


def _each_connection(config: Any) -> list[Any]:
    return [config.for_connection(name) for name in config.connection_names()]


def _check_named_files(config: Any) -> list[str]:
    """Problems in what the config names: mapping, definition, calendars, SLA policies."""
    from leadsync.connector.definition_file import load_definition
    from leadsync.connector.errors import ConfigError
    from leadsync.connector.mapping import load_mapping
    from leadsync.jobs.sla_setup import check_sla, load_calendars

    problems: list[str] = []
    checks: list[Callable[[], object]] = [lambda: load_mapping(config.sync.mapping)]
    if config.definition is not None:
        checks.append(lambda: load_definition(config.definition.file))
    if config.sla is not None:
        checks.append(lambda: check_sla(config))
    elif config.calendars:
        checks.append(lambda: load_calendars(config))
    for check in checks:
        try:
            check()
        except ConfigError as exc:
            problems += str(exc).splitlines()
    return problems


def _check_live(config: Any) -> list[str]:
    from leadsync.connector.errors import LeadSyncError
    from leadsync.jobs.config_check import live_problems

    try:
        return live_problems(config)
    except LeadSyncError as exc:
        return [f"cannot check against the systems: {exc}"]


@app.command()
def sync(
    config: ConfigOption = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Read both sides and print the plan; write nothing.")] = False,
    log_format: LogFormatOption = "",
    connection: ConnectionOption = None,
) -> None:
    """Run one bidirectional, incremental sync pass (of every connection, in turn)."""
    from leadsync.exits import SEVERITY, ExitCode

    every = load_connections(config, connection)
    codes = []
    for settings in every:
        if len(every) > 1:
            typer.echo(f"connection {settings.sync.connection}:")
        codes.append(_sync_one(settings, dry_run, log_format))
    worst = min(codes, key=SEVERITY.index)  # a failure outranks a refused record, and so on
    if worst != ExitCode.OK:
        raise typer.Exit(worst)


def _sync_one(settings: Any, dry_run: bool, log_format: str) -> int:
    """One connection's pass, shown; its exit code."""
    from rich.console import Console

    from leadsync.connector.errors import ConfigError, LeadSyncError, LockHeld, ReserveReached
    from leadsync.connector.logs import configure_logging
    from leadsync.exits import ExitCode, exit_code_for
    from leadsync.jobs.sync import run_sync
    from leadsync.render import plan_table, summary_table

    configure_logging(log_format or settings.logging.format, settings.logging.level)
    console = Console()
    name = settings.sync.connection
    try:
        with _progress(console) as progress:
            result = run_sync(settings, dry_run=dry_run, progress=progress)
    except ConfigError as exc:
        typer.echo(f"configuration error ({name}):\n{exc}", err=True)
        return exit_code_for(exc)
    except LeadSyncError as exc:  # exit 4 locked, 5 reserve reached, 1 failed
        what = ("not run" if isinstance(exc, LockHeld)
                else "stopped" if isinstance(exc, ReserveReached) else "failed")
        typer.echo(f"sync of {name} {what}: {exc}", err=True)
        return exit_code_for(exc)
    if result.dry_run:
        console.print(plan_table(result))
    console.print(summary_table(result))
    if any(side.failed for side in result.sides.values()):
        console.print("Some records were refused and parked; they are retried on the next run "
                      "(see leadsync errors list).")
        return ExitCode.REFUSED
    return ExitCode.OK


@app.command()
def version() -> None:
    """Print the LeadSync version."""
    typer.echo(__version__)


@sandbox_app.command("serve")
def sandbox_serve(
    seed: Annotated[int, typer.Option(help="Synthetic people to spread over both orgs.")] = 0,
    faults: Annotated[float, typer.Option(
        min=0.0, max=1.0,
        help="Fraction of requests answered as trouble: throttling, 503, dropped connection.",
    )] = 0.0,
    state: Annotated[Path | None, typer.Option(
        help="Keep org data in this JSON file across restarts (in memory by default).",
        dir_okay=False)] = None,
    latency: Annotated[float, typer.Option(min=0.0, help="Added latency per request, ms.")] = 0.0,
    rate_limit: Annotated[int, typer.Option(
        min=1, help="HubSpot requests allowed per rolling 10 seconds.")] = 190,
    daily_api_limit: Annotated[int, typer.Option(
        min=1, help="Salesforce API requests allowed per day.")] = 100_000,
    salesforce_port: Annotated[int, typer.Option(help="0 picks a free port.")] = 0,
    hubspot_port: Annotated[int, typer.Option(help="0 picks a free port.")] = 0,
    random_seed: Annotated[int, typer.Option(help="Seed for the synthetic data and faults.")] = 0,
    fault_kinds: Annotated[str, typer.Option(
        help="Which trouble --faults draws from, comma-separated: throttle, unavailable, drop, "
             "lost (a write applied, then its answer lost).")] = "throttle,unavailable,drop",
    people: Annotated[int, typer.Option(
        min=0, help="Plain synthetic people put straight into the orgs, for benchmarks "
                    "(a million take about a minute and some GB).")] = 0,
    where: Annotated[str, typer.Option(
        help="Where --people live: hubspot, salesforce, or both (with some values differing "
             "or blank on one side).")] = "both",
    search_rate: Annotated[int, typer.Option(
        min=1, help="HubSpot CRM searches allowed per second.")] = 5,
) -> None:
    """Serve a Salesforce org and a HubSpot portal over HTTPS on 127.0.0.1.

    Prints one JSON line with the URLs, credentials and CA bundle when both are ready, then
    serves until SIGINT or SIGTERM. With --state, the orgs are saved to the file on exit and
    on SIGUSR1.
    """
    from leadsync.sandbox.server import Sandbox

    stop, save = threading.Event(), threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    signal.signal(signal.SIGUSR1, lambda *_: save.set())
    try:
        sandbox = Sandbox(seed=seed, faults=faults, latency_ms=latency, rate_limit=rate_limit,
                          daily_api_limit=daily_api_limit, state=state, random_seed=random_seed,
                          salesforce_port=salesforce_port, hubspot_port=hubspot_port,
                          fault_kinds=[k.strip() for k in fault_kinds.split(",") if k.strip()],
                          people=people, where=where, search_rate=search_rate)
    except (OSError, ValueError) as exc:
        typer.echo(f"leadsync sandbox serve: {exc}", err=True)
        raise typer.Exit(2) from exc
    sandbox.start()
    sys.stdout.write(json.dumps(sandbox.info) + "\n")
    sys.stdout.flush()
    while not stop.wait(0.2):
        if save.is_set():
            save.clear()
            sandbox.save()
    sandbox.stop()


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Synthetic people in the sandbox orgs.")] = 200,
) -> None:
    """Sync seeded sandbox orgs end to end, twice, and show the result (no credentials)."""
    from leadsync.demo import run_demo

    raise typer.Exit(run_demo(seed=seed))



class _progress:
    """A rich progress bar fed by the engine's (what, done, total) callback."""

    def __init__(self, console: Any) -> None:
        from rich.progress import Progress

        self._bar = Progress(console=console, transient=True)
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> Any:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def __call__(self, what: str, done: int, total: int) -> None:
        if what not in self._tasks:
            self._tasks[what] = self._bar.add_task(f"writing to {what}", total=total)
        self._bar.update(self._tasks[what], completed=done, total=total)


def main() -> None:  # pragma: no cover - console entry point
    app()
