"""``leadsync sla ...`` and ``leadsync audit``: calendars, the sweep, ghosts, a lead's history."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from leadsync.connector.errors import ConfigError, LeadSyncError
from leadsync.exits import ExitCode, exit_code_for
from leadsync.options import (
    ConfigOption,
    ConnectionOption,
    JsonOption,
    LogFormatOption,
    NowOption,
    fail,
    load_settings,
    now_option,
    parse_instant,
)

app = typer.Typer(help="SLA clocks: test calendars, run the sweep, find ghost leads.",
                  no_args_is_help=True)

def _config(config: Path | None, connection: str | None = None) -> Any:
    return load_settings(config, connection)


@app.command("calc")
def calc(
    calendar: Annotated[str, typer.Option(help="A calendar name from [calendars], or 24x7.")],
    start: Annotated[str | None, typer.Option(help="Start instant (ISO-8601).")] = None,
    add: Annotated[str | None, typer.Option(
        help="A business duration: 90m, 4h, 10d, 1d 4h, 2w.")] = None,
    between: Annotated[tuple[str, str] | None, typer.Option(
        help="Two instants: print the business time elapsed between them.")] = None,
    config: ConfigOption = None,
    connection: ConnectionOption = None,
) -> None:
    """Business-time arithmetic on a configured calendar, to test it."""
    from leadsync.connector.calendar import format_duration, parse_duration
    from leadsync.jobs.sla_setup import load_calendars

    try:
        calendars = load_calendars(_config(config, connection))
    except ConfigError as exc:
        raise fail(f"configuration error:\n{exc}") from exc
    if calendar not in calendars:
        raise fail(f"--calendar: no calendar {calendar!r}; known: {', '.join(sorted(calendars))}")
    cal = calendars[calendar]
    if between is not None:
        first, second = (parse_instant(v, "--between") for v in between)
        elapsed = cal.elapsed(first, second)
        typer.echo(f"{format_duration(elapsed)} of business time "
                   f"({cal.elapsed_minutes(first, second):g} minutes) on {calendar}")
        return
    if start is None or add is None:
        raise fail("give --start and --add, or --between START END")
    try:
        duration = parse_duration(add)
    except ValueError as exc:
        raise fail(f"--add: {exc}") from exc
    due = cal.add(parse_instant(start, "--start"), duration)
    typer.echo(f"{due.isoformat()} ({due.astimezone(UTC).isoformat()})")


@app.command("sweep")
def sweep(config: ConfigOption = None, now: NowOption = None, as_json: JsonOption = False,
          log_format: LogFormatOption = "", connection: ConnectionOption = None,
          dry_run: Annotated[bool, typer.Option(
              "--dry-run", help="Read and print the plan; write nothing anywhere.")] = False,
          allow_future_writes: Annotated[bool, typer.Option(
              "--allow-future-writes",
              help="With a --now later than the clock, write anyway (tests); without it such "
                   "a run only plans.")] = False) -> None:
    """Hold every handed-off lead to its SLA: stamp, count touches, escalate, recycle."""
    from leadsync.connector.logs import configure_logging
    from leadsync.jobs.sla import plans_only, run_sweep
    from leadsync.progress import Bars

    settings = _config(config, connection)
    configure_logging(log_format or settings.logging.format, settings.logging.level)
    moment = now_option(now)
    planning = plans_only(moment, dry_run, allow_future_writes)
    if planning and not dry_run:
        typer.echo("--now is later than the clock: planning only, nothing written "
                   "(--allow-future-writes to write)", err=True)
    try:
        with Bars(quiet=True if as_json else None) as progress:
            result = run_sweep(settings, moment, dry_run, allow_future_writes, progress)
    except ConfigError as exc:
        raise fail(f"configuration error:\n{exc}") from exc
    except LeadSyncError as exc:  # exit 4 locked, 5 reserve reached, 1 failed
        raise fail(f"sweep failed: {exc}", exit_code_for(exc)) from exc
    done = typer.Exit(ExitCode.REFUSED if result.failed else ExitCode.OK)  # 3: some parked
    if as_json:
        typer.echo(json.dumps({**result.as_dict(), "dry_run": planning}, indent=2))
        raise done
    table = Table(title="SLA sweep (dry run: nothing written)" if planning else "SLA sweep")
    table.add_column("")
    table.add_column("leads", justify="right")
    rows = [("open leads judged", result.leads), ("clocks started", result.started),
            *((f"status {k}", v) for k, v in sorted(result.statuses.items())),
            ("new breaches", result.breaches), ("escalations", result.escalations),
            ("reassignments", result.reassignments), ("recycled", result.recycled),
            ("resolved", result.resolved), ("records written", result.written),
            ("writes refused", result.failed)]
    for name, value in rows:
        table.add_row(name, str(value))
    Console().print(table)
    raise done


OfflineOption = Annotated[bool, typer.Option(
    "--offline", help="Show ids only: read no names from the CRM (no call at all).")]


@app.command("ghosts")
def ghosts(config: ConfigOption = None, now: NowOption = None, as_json: JsonOption = False,
           connection: ConnectionOption = None, offline: OfflineOption = False) -> None:
    """Handed-off leads untouched past their deadline, and leads never resolved, by rep, with
    the rep's and the lead's names and times in the rep's zone."""
    from leadsync.connector.ghosts import find_ghosts
    from leadsync.connector.state import StateStore
    from leadsync.jobs.people import directory, leads
    from leadsync.records_view import ghost_rows, render_ghosts

    settings = _config(config, connection)
    moment = now_option(now)
    store = StateStore(settings.state.url)
    clocks = store.clocks(settings.sync.connection)
    due = {g.key: clocks[g.key] for g in find_ghosts(clocks, moment)}
    rows = [ghost.as_dict() for ghost in find_ghosts(
        due, moment, leads(store, settings.sync.connection, due))]
    store.close()
    people, problem = directory(settings, offline or not rows)
    if problem:
        typer.echo(f"{problem}: showing ids", err=True)
    if as_json:
        typer.echo(json.dumps(ghost_rows(rows, people), indent=2))
        return
    render_ghosts(Console(), rows, people, moment)


def audit(email: Annotated[str, typer.Option(help="The lead's email.")],
          config: ConfigOption = None, as_json: JsonOption = False,
          connection: ConnectionOption = None, offline: OfflineOption = False) -> None:
    """A lead's whole story: handoff, touches, breaches, reassignments and recycles, and every
    field the sync wrote on it (before and after, the rule, the side that won), parked
    records too; times in its rep's zone."""
    from leadsync.connector.state import StateStore
    from leadsync.jobs.people import directory, leads
    from leadsync.records_view import audit_rows, render_audit

    settings = _config(config, connection)
    wanted = email.strip().lower()
    store = StateStore(settings.state.url)
    events = store.events(settings.sync.connection, email=wanted)
    parked = [p for p in store.dead_letters(settings.sync.connection)
              if (p.email or "").lower() == wanted]
    keys = list(dict.fromkeys([e["key"] for e in events] + [p.key for p in parked]))
    clocks = store.clocks(settings.sync.connection, open_only=False, keys=keys)
    clock = next((clocks[k] for k in reversed(keys) if k in clocks), None)
    name = next((n for _, n in leads(store, settings.sync.connection, keys).values() if n),
                None)
    store.close()
    if not events and not parked:
        if as_json:
            typer.echo("[]")
            return
        raise fail(f"no history for {email}", 1)
    owner = clock.get("owner_id") if clock else None
    people, problem = directory(settings, offline or owner is None)
    if problem:
        typer.echo(f"{problem}: showing ids", err=True)
    calendar = (clock["clock"] or {}).get("calendar") if clock else None
    rows = audit_rows(events, parked, people, owner, calendar, name)
    if as_json:
        typer.echo(json.dumps(rows, default=str, indent=2))
        return
    render_audit(Console(), wanted, rows, people)
