"""``leadsync errors ...``: the dead-letter queue, the records a system refused.

``list`` groups them by error type with counts (as HubSpot's Sync Health does), ``show`` prints
one whole, ``retry`` makes one (or all) due on the next pass, ``discard`` drops one until its
source changes. What each state means is ``connector.deadletter``'s.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leadsync.connector import deadletter
from leadsync.connector.store import ParkedRecord
from leadsync.options import ConfigOption, ConnectionOption, JsonOption, fail, load_settings

app = typer.Typer(help="Records a system refused: list, show, retry or discard them.",
                  no_args_is_help=True)

IdArgument = Annotated[int, typer.Argument(
    help="The record's number, from `leadsync errors list`.")]
REASON_WIDTH = 80  # characters of the reason a table row shows; `show` has it all


class _Queue:
    """The store, connection and policy of a config."""

    def __init__(self, config: Any, connection: str | None) -> None:
        from leadsync.connector.state import StateStore

        settings = load_settings(config, connection)
        self.connection = settings.sync.connection
        self.policy = deadletter.DeadLetterPolicy(max_attempts=settings.sync.max_attempts)
        self.store = StateStore(settings.state.url)
        self.now = datetime.now(UTC)

    def describe(self, item: ParkedRecord, whole: bool = False) -> dict[str, Any]:
        entry = item.entry()
        due_at = deadletter.next_attempt(entry, self.policy)
        row: dict[str, Any] = {
            "id": item.id, "email": item.email, "system": item.system, "code": item.code,
            "fields": list(item.fields), "reason": item.message, "attempts": item.attempts,
            "status": deadletter.state(entry, self.now, self.policy),
            "next_attempt_at": due_at.isoformat() if due_at else None,
            "source_id": item.record_id, "target_id": item.target_id, "key": item.key,
            "first_at": item.first_at.isoformat() if item.first_at else None,
            "last_at": item.last_at.isoformat() if item.last_at else None}
        if whole:
            row["payload"] = item.payload
        return row

    def find(self, parked_id: int) -> ParkedRecord:
        item = self.store.dead_letter(self.connection, parked_id)
        if item is None:
            self.store.close()
            raise fail(f"no refused record {parked_id} on connection {self.connection!r} "
                       f"(see leadsync errors list)", 1)
        return item


@app.command("list")
def list_errors(
    config: ConfigOption = None, as_json: JsonOption = False,
    connection: ConnectionOption = None,
    everything: Annotated[bool, typer.Option(
        "--all", help="Also the discarded records.")] = False,
) -> None:
    """The refused records, grouped by error type with counts: email, system, field, reason,
    attempts and status (waiting, due, needs action, discarded)."""
    queue = _Queue(config, connection)
    statuses = deadletter.OPEN_STATUSES if everything else (deadletter.PARKED,)
    rows = [queue.describe(item) for item in queue.store.dead_letters(queue.connection,
                                                                      statuses=statuses)]
    queue.store.close()
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row["code"]].append(row)
    ordered = sorted(groups.items(), key=lambda group: (-len(group[1]), group[0]))
    if as_json:
        typer.echo(json.dumps({"total": len(rows), "groups": [
            {"code": code, "count": len(items), "records": items}
            for code, items in ordered]}, indent=2))
        return
    if not rows:
        typer.echo("No refused records.")
        return
    table = Table(title=f"Refused records: {len(rows)}")
    for column in ("id", "email", "system", "field", "reason", "attempts", "status"):
        table.add_column(column)
    for code, items in ordered:
        table.add_section()
        table.add_row("", f"[bold]{escape(code)}[/bold]: {len(items)}")
        for row in items:
            table.add_row(str(row["id"]), escape(row["email"] or row["source_id"] or ""),
                          row["system"], escape(", ".join(row["fields"])),
                          escape(deadletter.truncate(row["reason"], REASON_WIDTH)),
                          str(row["attempts"]), row["status"])
    Console().print(table)


@app.command("show")
def show(parked_id: IdArgument, config: ConfigOption = None, as_json: JsonOption = False,
         connection: ConnectionOption = None) -> None:
    """One refused record, whole: ids, vendor code and message, attempts, what was sent."""
    queue = _Queue(config, connection)
    row = queue.describe(queue.find(parked_id), whole=True)
    queue.store.close()
    if as_json:
        typer.echo(json.dumps(row, indent=2, default=str))
        return
    table = Table(title=f"Refused record {parked_id}", show_header=False)
    table.add_column("")
    table.add_column("")
    for name, value in row.items():
        text = json.dumps(value, default=str) if isinstance(value, dict | list) else value
        table.add_row(name, escape("" if text is None else str(text)))
    Console().print(table)


@app.command("retry")
def retry(
    parked_id: Annotated[int | None, typer.Argument(
        help="The record's number, from `leadsync errors list`.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every parked record.")] = False,
    config: ConfigOption = None, as_json: JsonOption = False,
    connection: ConnectionOption = None,
) -> None:
    """Make a refused record (or --all) due now: the next pass tries it again."""
    if (parked_id is None) == (not every):
        raise fail("give a record's number or --all, not both")
    queue = _Queue(config, connection)
    if parked_id is not None:
        queue.find(parked_id)
    ids = None if parked_id is None else [parked_id]
    count = queue.store.retry_parked(queue.connection, ids)
    queue.store.close()
    if as_json:
        typer.echo(json.dumps({"due": count}))
        return
    typer.echo(f"{count} refused record{'s' if count != 1 else ''} will be tried again on the "
               f"next pass.")


@app.command("discard")
def discard(parked_id: IdArgument, config: ConfigOption = None, as_json: JsonOption = False,
            connection: ConnectionOption = None) -> None:
    """Drop a refused record: it is not tried again until it changes at its source."""
    queue = _Queue(config, connection)
    queue.find(parked_id)
    dropped = queue.store.discard_parked(queue.connection, parked_id)
    queue.store.close()
    if as_json:
        typer.echo(json.dumps({"discarded": dropped}))
        return
    typer.echo(f"Refused record {parked_id} discarded; it is tried again only when it changes "
               f"at its source." if dropped else f"Refused record {parked_id} was already "
               f"delivered.")
