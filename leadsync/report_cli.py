"""``leadsync report NAME``: what each team sees, from the state store and the CRM's reps.

NAME is one of ``connector.reports.NAMES`` or ``all``. ``--from``/``--to`` take a date
(``2026-11-01``: midnight in the report's zone; ``--to`` includes its day) or an instant with its
offset (``--to`` then excludes it). The reps' names, emails and managers come from the CRM in
one read call; ``--offline`` makes none and shows ids only. ``--format html`` renders every table
given into one self-contained file (``leadsync.report_html``); ``--output FILE`` writes any
format to a file instead of stdout.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadsync.options import (
    ConfigOption,
    ConnectionOption,
    NowOption,
    config_failure,
    fail,
    load_settings,
    now_option,
    parse_instant,
)

if TYPE_CHECKING:
    from leadsync.connector.report_model import Report

NameArgument = Annotated[str, typer.Argument(
    help="sla, ghosts, recycled, funnel, definition, delay, or all.", show_default=False)]


def report(
    name: NameArgument,
    since: Annotated[str | None, typer.Option(
        "--from", help="First day (YYYY-MM-DD, in the report's zone) or instant (ISO-8601 "
                       "with an offset) of the period.")] = None,
    until: Annotated[str | None, typer.Option(
        "--to", help="Last day (included) or instant (excluded) of the period.")] = None,
    output_format: Annotated[str, typer.Option(
        "--format", help="table, csv, json or html (html: one self-contained file).")
    ] = "table",
    output: Annotated[Path | None, typer.Option(
        "--output", help="Write to this file instead of stdout.", dir_okay=False)] = None,
    offline: Annotated[bool, typer.Option(
        "--offline", help="Call no system: reps are shown by CRM id only.")] = False,
    config: ConfigOption = None, connection: ConnectionOption = None, now: NowOption = None,
) -> None:
    """Reports from the state store: SLA compliance, ghost leads, recycled leads, the funnel,
    the closed loop on the lead definition, and system against rep delay."""
    from leadsync.connector.errors import ConfigError, LeadSyncError
    from leadsync.connector.reports import NAMES, build
    from leadsync.exits import exit_code_for
    from leadsync.jobs.reports import crm_reps, gather
    from leadsync.report_formats import FORMATS

    if name not in (*NAMES, "all"):
        raise fail(f"NAME: unknown report {name!r}; known: {', '.join(NAMES)}, all")
    if output_format not in FORMATS:
        raise fail(f"--format: unknown format {output_format!r}; known: {', '.join(FORMATS)}")
    start, end = _bound(since, "--from"), _bound(until, "--to")
    moment = now_option(now)
    settings = load_settings(config, connection)
    try:
        facts = gather(settings, start, end, moment, None if offline else crm_reps(settings))
    except ConfigError as exc:
        raise fail(config_failure(exc)) from exc
    except LeadSyncError as exc:
        raise fail(f"cannot read the reps from the CRM: {exc} (--offline shows ids only)",
                   exit_code_for(exc)) from exc
    if facts.start and facts.end and facts.start >= facts.end:
        raise fail(f"--from {since} is not before the end of --to {until}")
    try:
        reports = build([name], facts)
    except ValueError as exc:  # a stored clock that cannot be read, named
        raise fail(f"report {name}: {exc}", 1) from exc
    _emit(reports, output_format, output, facts.zone, moment)


def _bound(value: str | None, option: str) -> date | datetime | None:
    if value is None:
        return None
    text = value.strip()
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise fail(f"{option}: not a date (YYYY-MM-DD): {value!r}") from exc
    return parse_instant(text, option)


def _emit(reports: list[Report], output_format: str, output: Path | None, zone: str | None,
          moment: datetime) -> None:
    from leadsync.report_formats import print_tables, to_csv, to_json

    if output_format == "table":
        if output is None:
            print_tables(reports, zone)
            return
        from rich.console import Console

        with output.open("w", encoding="utf-8") as handle:
            print_tables(reports, zone, Console(file=handle, width=240))
        return
    if output_format == "csv":
        text = to_csv(reports)
    elif output_format == "json":
        text = to_json(reports, moment) + "\n"
    else:
        text = _html(reports, moment, zone)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


def _html(reports: list[Report], moment: datetime, zone: str | None) -> str:
    import importlib

    from leadsync.connector.timefmt import zone as zone_info
    from leadsync.report_formats import in_zone

    try:  # leadsync.report_html: render_html(reports, *, title, generated_at) -> str
        render_html = importlib.import_module("leadsync.report_html").render_html
    except ImportError as exc:
        raise fail("--format html: this installation has no HTML report renderer") from exc
    title = "LeadSync reports" + (f": {reports[0].connection}" if reports else "")
    return str(render_html(in_zone(reports, zone), title=title,
                           generated_at=moment.astimezone(zone_info(zone))))
