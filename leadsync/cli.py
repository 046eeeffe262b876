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
from leadsync.init_cli import init
from leadsync.install_cli import install
from leadsync.options import (
    ConfigOption,
    ConnectionOption,
    JsonOption,
    LogFormatOption,
    config_failure,
    error_document,
    load_connections,
)
from leadsync.reconcile_cli import reconcile
from leadsync.report_cli import report
from leadsync.run_cli import run
from leadsync.sla_cli import app as sla_app
from leadsync.sla_cli import audit
from leadsync.status_cli import runs, status

# Plain help (no rich markup): square brackets in help text stay words ("[calendars]"), and a
# flag shows as a flag ("--dry-run"), not as an option taking a value ("--dry-run <bool>", which
# typer's rich help prints since 0.27 for every option, flags included, and which is refused).
# The sub-apps inherit it.
app = typer.Typer(help="LeadSync: lead handoff between a marketing platform and a CRM.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None)
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
app.command("init")(init)
app.command("reconcile")(reconcile)
app.command("report")(report)
app.command("runs")(runs)
app.command("status")(status)
app.command("run")(run)


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
    as_json: JsonOption = False,
) -> None:
    """Report every problem in a config file (and the mapping, definition, calendars and SLA
    policies it names) with its key path; exit non-zero if any. Calls no system unless
    --live. Warns of secrets written in the file."""
    from leadsync.adapters.registry import load_builtin_kinds
    from leadsync.connector.config_file import check_config, load_config, secret_warnings
    from leadsync.starter import config_path, missing_config_hint

    load_builtin_kinds()
    hint = missing_config_hint(file)
    problems = [hint] if hint else check_config(file)
    every = [] if problems else _each_connection(load_config(file))
    for one in every:
        problems += _check_named_files(one)
    problems = list(dict.fromkeys(problems))  # a mapping several connections share: once
    warnings = secret_warnings(file) if not problems else []
    for one in every if not problems and live else []:
        problems += _check_live(one)
    if as_json:
        typer.echo(json.dumps({"ok": not problems, "file": str(config_path(file)),
                               "live": live, "problems": problems, "warnings": warnings},
                              indent=2))
    else:
        for line in [*(f"warning: {warning}" for warning in warnings), *problems]:
            typer.echo(line, err=True)
    if problems:
        raise typer.Exit(1)
    if not as_json:
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
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the result of each connection (or the error) as one JSON "
                       "document on stdout; no progress bars.")] = False,
) -> None:
    """Run one bidirectional, incremental sync pass (of every connection, in turn)."""
    from leadsync.exits import SEVERITY, ExitCode

    every = load_connections(config, connection, as_json)
    outcomes: dict[str, tuple[int, dict[str, Any]]] = {}
    for settings in every:
        if len(every) > 1 and not as_json:
            typer.echo(f"connection {settings.sync.connection}:")
        outcomes[settings.sync.connection] = _sync_one(settings, dry_run, log_format, as_json)
    # a failure outranks a refused record, and so on
    worst = min((code for code, _ in outcomes.values()), key=SEVERITY.index)
    if as_json:
        typer.echo(json.dumps({"ok": worst == ExitCode.OK, "exit_code": int(worst),
                               "connections": {name: document for name, (_, document)
                                               in outcomes.items()}},
                              default=str, indent=2))
    if worst != ExitCode.OK:
        raise typer.Exit(worst)


def _sync_one(settings: Any, dry_run: bool, log_format: str, as_json: bool = False
              ) -> tuple[int, dict[str, Any]]:
    """One connection's pass, shown (on a terminal, with progress bars) unless ``as_json``;
    its exit code and its result as a JSON document."""
    from rich.console import Console

    from leadsync.connector.errors import ConfigError, LeadSyncError, LockHeld, ReserveReached
    from leadsync.connector.logs import configure_logging
    from leadsync.exits import ExitCode, exit_code_for
    from leadsync.jobs.sync import run_sync
    from leadsync.progress import Bars
    from leadsync.render import plan_table, summary_table, sync_document

    configure_logging(log_format or settings.logging.format, settings.logging.level)
    name = settings.sync.connection
    try:
        with Bars(quiet=True if as_json else None) as progress:
            result = run_sync(settings, dry_run=dry_run, progress=progress)
    except LeadSyncError as exc:  # exit 2 config, 4 locked, 5 reserve reached, 1 failed
        what = ("not run" if isinstance(exc, LockHeld)
                else "stopped" if isinstance(exc, ReserveReached) else "failed")
        message = (config_failure(exc, name) if isinstance(exc, ConfigError)
                   else f"sync of {name} {what}: {exc}")
        if not as_json:
            typer.echo(message, err=True)
        return exit_code_for(exc), error_document(message, exit_code_for(exc))
    code = ExitCode.REFUSED if any(side.failed for side in result.sides.values()) else ExitCode.OK
    if not as_json:
        console = Console()
        if result.dry_run:
            console.print(plan_table(result))
        console.print(summary_table(result))
        if code == ExitCode.REFUSED:
            console.print("Some records were refused and parked; they are retried on the next "
                          "run (see leadsync errors list).")
    return code, sync_document(result, code)


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
    report: Annotated[Path, typer.Option(
        "--report", help="Write every report, as one self-contained HTML file, here.",
        dir_okay=False)] = Path("leadsync-demo-report.html"),
    no_report: Annotated[bool, typer.Option(
        "--no-report", help="Write no HTML report.")] = False,
) -> None:
    """Sync seeded sandbox orgs end to end, work the leads, show the reports (no credentials)."""
    from leadsync.demo import run_demo

    raise typer.Exit(run_demo(seed=seed, report_path=None if no_report else report))



def main() -> None:  # pragma: no cover - console entry point
    app()
