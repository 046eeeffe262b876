"""``leadsync definition ...``: check, explain, diff and the history of adopted versions."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leadsync.connector.errors import ConfigError
from leadsync.options import (
    ConfigOption,
    ConnectionOption,
    JsonOption,
    NowOption,
    fail,
    load_settings,
    now_option,
)

app = typer.Typer(help="The shared lead definition: check it, explain verdicts, what-if a new "
                       "version, list adopted versions.", no_args_is_help=True)

def _engine(config: Path | None, connection: str | None) -> Any:
    from leadsync.jobs.sync import prepare

    try:
        return prepare(load_settings(config, connection))
    except ConfigError as exc:
        raise fail(f"configuration error:\n{exc}") from exc


@app.command("check")
def check(file: Annotated[Path, typer.Argument(help="The definition file.", dir_okay=False)]
          ) -> None:
    """Check a definition file; every problem is named with its rule, key and line."""
    from leadsync.connector.definition_file import load_definition

    try:
        definition = load_definition(file)
    except ConfigError as exc:
        raise fail(str(exc), 1) from exc
    typer.echo(f"{file}: valid: {definition.name}, version {definition.version}, "
               f"{len(definition.rules)} rules, fingerprint {definition.fingerprint()}")


@app.command("explain")
def explain(
    email: Annotated[str | None, typer.Option(help="Look the lead up live, by email.")] = None,
    record: Annotated[str | None, typer.Option(
        help="A JSON file (or - for stdin): the lead's fields by definition name, or "
             "{\"marketing\": {...}} / {\"crm\": {...}} as each system holds it.")] = None,
    definition: Annotated[Path | None, typer.Option(
        help="Judge with this definition file instead of the config's.", dir_okay=False)] = None,
    config: ConfigOption = None, now: NowOption = None, as_json: JsonOption = False,
    connection: ConnectionOption = None,
) -> None:
    """Explain one lead's verdict: every rule, matched or not, its points, and the reason."""
    if (email is None) == (record is None):
        raise fail("give either --email ADDRESS or --record FILE")
    moment = now_option(now)
    if email is not None:
        from leadsync.jobs.definition import explain_email

        engine = _engine(config, connection)
        if definition is not None:
            engine.qualifier = _qualifier(engine.mapping, definition)
        try:
            verdict, lead, found = explain_email(engine, email, moment)
        except (LookupError, ValueError) as exc:
            raise fail(str(exc), 1) from exc
    else:
        verdict, lead, found = _explain_record(record or "-", definition, config, connection,
                                                moment)
    if as_json:
        typer.echo(json.dumps({**verdict.as_dict(), "lead": lead, "records": found},
                              default=str, indent=2))
        return
    _print_verdict(verdict, found)


def _qualifier(mapping: Any, file: Path) -> Any:
    from leadsync.connector.definition_file import load_definition
    from leadsync.connector.qualify import Qualifier

    try:
        return Qualifier(load_definition(file), mapping)
    except ConfigError as exc:
        raise fail(str(exc), 1) from exc


def _explain_record(source: str, definition: Path | None, config: Path | None,
                    connection: str | None, moment: datetime
                    ) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    from datetime import UTC as utc

    from leadsync.connector.definition_file import load_definition
    from leadsync.connector.mapping import load_mapping
    from leadsync.connector.models import SIDES, Record, Side
    from leadsync.connector.qualify import Qualifier

    try:
        data = json.loads(sys.stdin.read() if source == "-" else Path(source).read_text())
    except (OSError, ValueError) as exc:
        raise fail(f"--record {source}: cannot read a JSON object: {exc}") from exc
    if not isinstance(data, dict):
        raise fail(f"--record {source}: must be a JSON object")
    forms = {side: data[side] for side in ("marketing", "crm") if isinstance(data.get(side), dict)}
    if definition is None or forms:
        settings = load_settings(config, connection)
        file = definition or (settings.definition.file if settings.definition else None)
        if file is None:
            raise fail("no definition: pass --definition FILE or set [definition] file")
        definition = file
        mapping = load_mapping(settings.sync.mapping)
    try:
        judge = load_definition(definition)
    except ConfigError as exc:
        raise fail(str(exc), 1) from exc
    if not forms:
        return judge.evaluate(data, moment), data, {}
    records: dict[Side, Record | None] = {
        side: Record(side, "record", forms[side], datetime.now(utc))
        for side in SIDES if side in forms}
    qualifier = Qualifier(judge, mapping)  # judged as the sync judges, recycle rule included
    lead = qualifier.lead(records)
    verdict = qualifier.evaluate(records, moment)
    return verdict, lead, {side: "record" for side in forms}


def _print_verdict(verdict: Any, found: dict[str, Any]) -> None:
    console = Console()
    outcome = "MQL" if verdict.qualified else "EXCLUDED" if verdict.excluded else "NOT QUALIFIED"
    grade = verdict.grade or "none (excluded leads are not graded)"
    console.print(f"[bold]{outcome}[/bold]{' (hot)' if verdict.hot else ''}: grade "
                  f"{grade}, score {verdict.score}, definition {verdict.version}")
    if found:
        console.print("found: " + ", ".join(f"{side} {rid or '-'}" for side, rid in found.items()))
    console.print(f"reason: {escape(verdict.reason)}")
    table = Table(title="Rules")
    for column in ("rule", "kind", "matched", "points", "test"):
        table.add_column(column)
    for rule in verdict.results:
        table.add_row(rule.name, rule.kind, "yes" if rule.matched else "no",
                      f"{rule.points:+d}" if rule.points else "", escape(rule.detail))
    console.print(table)


@app.command("diff")
def diff_command(
    new_file: Annotated[Path, typer.Argument(help="The candidate definition.", dir_okay=False)],
    config: ConfigOption = None, now: NowOption = None, as_json: JsonOption = False,
    examples: Annotated[int, typer.Option(help="How many changed leads to show.")] = 5,
    connection: ConnectionOption = None,
) -> None:
    """What adopting NEW_FILE would change, over every current lead in both systems."""
    from leadsync.connector.definition_file import load_definition
    from leadsync.jobs.definition import diff

    try:
        candidate = load_definition(new_file)
    except ConfigError as exc:
        raise fail(str(exc), 1) from exc
    engine = _engine(config, connection)
    try:
        result = diff(engine, candidate, now_option(now) if now else None, examples)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    finally:
        engine.store.close()
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    console = Console()
    console.print(f"{result.leads} leads judged with {result.current} (in force) and "
                  f"{result.candidate} (candidate):")
    console.print(f"  verdict changes: {result.verdict_changes} ({result.newly_qualified} "
                  f"newly qualified, {result.no_longer_qualified} no longer qualified)")
    console.print(f"  grade changes: {result.grade_changes}")
    if result.by_source:
        table = Table(title="Verdict changes by lead source")
        table.add_column("lead source")
        table.add_column("changes", justify="right")
        for source, count in result.by_source.most_common():
            table.add_row(escape(source), str(count))
        console.print(table)
    for change in result.examples:
        console.print(f"- {escape(change.email)}: {escape(change.before.reason)}\n"
                      f"  -> {escape(change.after.reason)}")
    if result.rules:
        console.print(_evidence_table(result.rules))


def _evidence_table(rows: list[dict[str, Any]]) -> Table:
    """The rules the candidate changes, with how the stored leads they matched converted."""
    def converted(rate: float | None, interval: tuple[float, float] | None) -> str:
        if rate is None or interval is None:
            return ""
        return f"{rate:.0%} ({interval[0]:.0%}-{interval[1]:.0%})"

    table = Table(title="Rules changed: how the stored leads they matched converted")
    for label in ("change", "rule", "kind", "among", "matched", "converted (95%)",
                  "not matched", "converted (95%)", "evidence"):
        table.add_column(label)
    for row in rows:
        table.add_row(row["change"], escape(row["rule"]), row["kind"], row["population"],
                      str(row["matched"]),
                      converted(row["matched_rate"], row["matched_interval"]),
                      str(row["unmatched"]),
                      converted(row["unmatched_rate"], row["unmatched_interval"]),
                      row["evidence"])
    return table


@app.command("history")
def history(config: ConfigOption = None, as_json: JsonOption = False,
            connection: ConnectionOption = None) -> None:
    """The lead definitions adopted so far, oldest first."""
    from leadsync.connector.state import StateStore

    settings = load_settings(config, connection)
    store = StateStore(settings.state.url)
    rows = store.definition_history(settings.sync.connection)
    store.close()
    if as_json:
        typer.echo(json.dumps(rows, default=str, indent=2))
        return
    table = Table(title="Adopted lead definitions")
    for column in ("adopted at", "version", "name", "agreed by", "agreed on", "fingerprint"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["adopted_at"])[:19], row["version"], row["name"],
                      ", ".join(row["agreed_by"] or []), row["agreed_on"] or "",
                      row["fingerprint"])
    Console().print(table)
