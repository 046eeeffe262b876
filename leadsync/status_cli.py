"""``leadsync runs`` and ``leadsync status``: what ran, and how a connection is doing.

``runs`` lists the recorded runs, newest first; ``status`` shows a connection at a glance (each
job's last and next run, the lag and API budget per side, parked records by error type). What
they gather is ``jobs.status``'s; this module parses the options and renders it. ``status``
makes read calls only, and none with ``--offline``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leadsync.connector.deadletter import truncate
from leadsync.options import (
    ConfigOption,
    ConnectionOption,
    JsonOption,
    load_connections,
    load_settings,
)

ERROR_WIDTH = 60  # characters of a run's error a table row shows; --json has it all


def runs(
    config: ConfigOption = None, as_json: JsonOption = False,
    connection: ConnectionOption = None,
    job: Annotated[str | None, typer.Option(
        "--job", help="Only this job's runs (sync, sla, ...).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs.")] = 20,
) -> None:
    """The latest runs, newest first: job, outcome, when and how long, API calls by system,
    records parked, and the error of a run that failed."""
    from leadsync.connector.state import StateStore
    from leadsync.jobs.status import list_runs

    settings = load_settings(config, connection)
    store = StateStore(settings.state.url)
    try:
        rows = list_runs(store, settings.sync.connection, job, limit)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        typer.echo("No runs recorded yet.")
        return
    table = Table(title=f"Runs of connection {escape(rows[0]['connection'])}")
    for column in ("id", "job", "outcome", "started (UTC)", "took", "API calls", "parked",
                   "error"):
        table.add_column(column)
    for row in rows:
        parked = row["parked"]["total"] if row["parked"] else ""
        table.add_row(str(row["id"]), row["job"], row["outcome"],
                      row["started_at"][:19].replace("T", " "),
                      duration(row["duration_seconds"]), calls(row["calls"]), str(parked),
                      escape(truncate(row["error"] or "", ERROR_WIDTH)))
    Console().print(table)


def status(
    config: ConfigOption = None, as_json: JsonOption = False,
    connection: ConnectionOption = None,
    offline: Annotated[bool, typer.Option(
        "--offline", help="Call no system: the lag and budget come from the last runs.")
    ] = False,
) -> None:
    """A connection at a glance: each job's last run (outcome, age) and next run, the lag on
    each side (the age of the oldest change not yet synced), the API budget used and left,
    and the records parked by error type. Makes read calls only (none with --offline). Exits
    1 when a system could not be read (its problem is shown, the rest still reported)."""
    from leadsync.connector.state import StateStore
    from leadsync.jobs.status import status as gather

    every = load_connections(config, connection)
    shown = []
    for settings in every:
        store = StateStore(settings.state.url)
        try:
            shown.append(gather(settings, store, settings.sync.connection, offline))
        finally:
            store.close()
    if as_json:  # one connection: its status; several: a list of them
        typer.echo(json.dumps(shown if len(shown) > 1 else shown[0], indent=2, default=str))
    else:
        for found in shown:
            _print(found)
    unread = [(found["connection"], name) for found in shown
              for name, entry in found["systems"].items() if entry.get("error")]
    if unread:  # a monitoring script sees it in the exit code, not only in the output
        typer.echo("could not read " + ", ".join(
            f"{name} (connection {where})" for where, name in unread)
            + ": its problem is shown above", err=True)
        raise typer.Exit(1)


def _print(found: dict[str, Any]) -> None:
    console = Console()
    console.print(_jobs_table(found))
    console.print(_systems_table(found))
    parked = found["parked"]
    if not parked["total"]:
        console.print("No records parked.")
        return
    console.print(f"Parked records: {parked['total']} (see leadsync errors list)")
    for row in parked["by_code"]:
        console.print(f"  {escape(row['system'])}  {escape(row['code'])}: {row['count']}")


def _jobs_table(found: dict[str, Any]) -> Table:
    table = Table(title=f"Connection {escape(found['connection'])}")
    for column in ("job", "last run", "outcome", "ended", "next run"):
        table.add_column(column)
    for job in found["jobs"]:
        last = job["last_run"]
        if last is None:
            table.add_row(job["job"], "never", "", "", job["next_run"] or "not scheduled")
            continue
        table.add_row(job["job"], str(last["id"]), last["outcome"],
                      f"{duration(last['age_seconds'])} ago",
                      job["next_run"] or "not scheduled")
    return table


def _systems_table(found: dict[str, Any]) -> Table:
    table = Table(title="Lag and API budget" + (" (offline: from the last runs)"
                                               if found["offline"] else ""))
    for column in ("system", "role", "lag", "API budget", "problem"):
        table.add_column(column)
    for name, entry in found["systems"].items():
        table.add_row(escape(name), entry["role"], lag_text(entry["lag"]),
                      budget_text(entry["budget"]),
                      escape(truncate(entry.get("error") or "", ERROR_WIDTH)))
    return table


def lag_text(lag: dict[str, Any]) -> str:
    seconds, bound = lag.get("lag_seconds"), lag.get("bound")
    if seconds is None:
        return "no pass yet" if bound == "at_most" else "unknown (only own writes read)"
    if seconds == 0 and bound == "exact":
        return "none: every change is synced"
    prefix = {"at_least": "at least ", "at_most": "at most "}.get(str(bound), "")
    return prefix + duration(seconds)


def budget_text(budget: dict[str, Any]) -> str:
    parts = []
    if "daily_limit" in budget:
        parts.append(f"day: {budget.get('daily_used', 0):,.0f} of {budget['daily_limit']:,.0f}"
                     f" used, {budget.get('daily_left', 0):,.0f} left")
    if "window_limit" in budget:
        parts.append(f"{budget.get('window_seconds', 10):g} s window: "
                     f"{budget.get('window_left', 0):,.0f} of {budget['window_limit']:,.0f} left")
    if not parts:
        return "not reported yet"
    return "; ".join(parts) + (" (last run)" if budget.get("source") == "last_run" else "")


def calls(by_system: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in by_system.items())


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{whole} s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} d {hours % 24} h"
