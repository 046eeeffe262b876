"""``leadsync reconcile``: compare both systems in full, repair drift, report each repair."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leadsync.options import (
    ConfigOption,
    ConnectionOption,
    JsonOption,
    LogFormatOption,
    load_connections,
)

SHOWN = 200  # rows of each table on a terminal; --json gives every entry kept


def reconcile(
    config: ConfigOption = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Read both sides and print what would be repaired; write "
                          "nothing.")] = False,
    as_json: JsonOption = False,
    log_format: LogFormatOption = "",
    connection: ConnectionOption = None,
) -> None:
    """Compare every record of both systems and repair drift as the mapping's rules say: the
    values changed behind LeadSync's back that an incremental sync never sees. Reports each
    repair (lead, field, system, before, after, rule) and what it cannot repair (of every
    connection, in turn; --json: one object, or a list of them for several connections)."""
    from leadsync.exits import SEVERITY, ExitCode

    every = load_connections(config, connection)
    outcomes = [_reconcile_one(settings, dry_run, as_json, log_format, len(every) > 1)
                for settings in every]
    if as_json:
        reports = [report for _, report in outcomes if report is not None]
        typer.echo(json.dumps(reports[0] if len(every) == 1 and reports else reports,
                              default=str, indent=2))
    worst = min((code for code, _ in outcomes), key=SEVERITY.index)
    if worst != ExitCode.OK:
        raise typer.Exit(worst)


def _reconcile_one(settings: Any, dry_run: bool, as_json: bool, log_format: str,
                   named: bool) -> tuple[int, dict[str, Any] | None]:
    """One connection's reconcile, shown (or its report, for --json); its exit code."""
    from leadsync.connector.errors import ConfigError, LeadSyncError, LockHeld, ReserveReached
    from leadsync.connector.logs import configure_logging
    from leadsync.exits import ExitCode, exit_code_for
    from leadsync.jobs.reconcile import run_reconcile
    from leadsync.progress import Bars
    from leadsync.render import summary_table

    configure_logging(log_format or settings.logging.format, settings.logging.level)
    console = Console()
    name = settings.sync.connection
    if named and not as_json:
        typer.echo(f"connection {name}:")
    try:
        with Bars(quiet=True if as_json else None) as progress:  # drawn on a terminal only
            done = run_reconcile(settings, dry_run=dry_run, progress=progress)
    except ConfigError as exc:
        typer.echo(f"configuration error ({name}):\n{exc}", err=True)
        return exit_code_for(exc), None
    except LeadSyncError as exc:  # exit 4 locked, 5 reserve reached, 1 failed
        what = ("not run" if isinstance(exc, LockHeld)
                else "stopped" if isinstance(exc, ReserveReached) else "failed")
        typer.echo(f"reconcile of {name} {what}: {exc}", err=True)
        return exit_code_for(exc), None
    report = {"connection": name, **done.as_dict()}
    if not as_json:
        console.print(repairs_table(report, done.sync.dry_run))
        if report["cannot_repair"]:
            console.print(unrepairable_table(report))
        console.print(summary_table(done.sync))
    if done.refused:
        typer.echo(f"Some repairs in {name} were refused and parked; they are retried on the "
                   "next run (see leadsync errors list).", err=True)
        return ExitCode.REFUSED, report
    return ExitCode.OK, report


def repairs_table(report: dict[str, Any], dry_run: bool) -> Table:
    counts = report["counts"]
    done = counts.get("would_repair", 0) if dry_run else counts.get("repaired", 0)
    title = (f"Dry run: {done} fields would be repaired" if dry_run
             else f"Repaired {done} fields of {counts.get('leads', 0)} leads")
    if counts.get("refused"):
        title += f", {counts['refused']} refused"
    table = Table(title=title)
    for column in ("lead", "ids", "system", "field", "before", "after", "rule", "why"):
        table.add_column(column)
    for row in report["repairs"][:SHOWN]:
        ids = " / ".join(str(row[k] or "-") for k in ("marketing_id", "crm_id"))
        after = (f"refused: {row['code']}: {row['message']}" if row["outcome"] == "refused"
                 else repr(row["after"]))
        table.add_row(escape(str(row["email"] or "")), ids, row["system"],
                      escape(row["field"]), escape(repr(row["before"])), escape(after),
                      row["rule"], escape(row["why"]))
    if len(report["repairs"]) > SHOWN:
        table.caption = f"first {SHOWN} of {len(report['repairs'])}; --json gives all"
    return table


def unrepairable_table(report: dict[str, Any]) -> Table:
    table = Table(title=f"Cannot repair ({len(report['cannot_repair'])}): left as they are")
    for column in ("kind", "system", "lead", "ids", "detail"):
        table.add_column(column)
    for row in report["cannot_repair"][:SHOWN]:
        table.add_row(row["kind"], row["system"], escape(str(row["email"] or "")),
                      ", ".join(row["ids"]), escape(row["detail"]))
    return table
