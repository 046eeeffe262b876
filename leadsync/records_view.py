"""How ``sla ghosts`` and ``audit`` show leads to people: names and emails first, ids second,
times in the rep's zone with the zone shown.

Tables are laid out for an 80-100 column terminal: the lead's email and the rep's name never
wrap or get cut (they are what a manager reads), the ids fold onto a second line instead of
being cut to an unreadable prefix. ``--json`` keeps ISO-8601 instants and adds the names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leadsync.connector.people import Directory, person
from leadsync.connector.store import ParkedRecord
from leadsync.connector.timefmt import local
from leadsync.connector.write_audit import EVENTS

_EMAIL_MAX = 50  # an email longer than this may wrap; shorter ones never do


def ghost_rows(rows: list[dict[str, Any]], people: Directory) -> list[dict[str, Any]]:
    """Ghosts as ``--json`` gives them: the owner's name, email and zone added."""
    return [{**row, "owner_name": people.name(row["owner"]),
             "owner_email": people.email(row["owner"]),
             "zone": people.zone(row["owner"], row["calendar"])} for row in rows]


def render_ghosts(console: Console, rows: list[dict[str, Any]], people: Directory,
                  moment: datetime) -> None:
    """One table per rep: each lead by email and name, why it is a ghost, since when."""
    console.print(f"[bold]Ghost leads as of {people.when(moment, None)}: {len(rows)}[/bold]")
    by_rep: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        by_rep.setdefault(row["owner"], []).append(row)
    for owner, items in by_rep.items():
        zone = people.zone(owner, items[0]["calendar"])
        label = people.label(owner)
        if people.rep(owner) is not None:
            label += f" ({owner})"
        console.print(f"\n[bold]{escape(label)}[/bold]: {len(items)}, times in {zone}")
        table = Table(box=box.HORIZONTALS, show_lines=True, show_edge=False)
        table.add_column("lead (email, name, id)", no_wrap=True, min_width=_width(items))
        table.add_column("ghost", no_wrap=True)
        table.add_column("overdue since (policy)", no_wrap=True)
        for row in items:
            due = row["first_touch_by"] if row["kind"] == "untouched" else row["cadence_end"]
            lead = "\n".join(escape(part) for part in (
                row["email"] or row["key"], row["name"] or "", row["crm_id"] or "") if part)
            touches = f"{row['calls']} call{'s' * (row['calls'] != 1)}, " \
                      f"{row['emails']} email{'s' * (row['emails'] != 1)}"
            table.add_row(lead, f"{row['kind']}, {row['status']}\n{row['age_days']}d old\n"
                          f"{touches}",
                          f"{people.when(_instant(due), owner, row['calendar'])}\n"
                          f"{escape(row['policy'])}")
        console.print(table)


def audit_rows(events: list[dict[str, Any]], parked: Sequence[ParkedRecord],
               people: Directory, owner: str | None, calendar: str | None,
               name: str | None) -> list[dict[str, Any]]:
    """A lead's events and parked records, oldest first, as ``--json`` gives them: ``at`` in
    ISO-8601, ``at_local`` in the rep's zone, the lead's name and its owner's."""
    rows = [{**event, "at": event["at"].isoformat() if event["at"] else None}
            for event in events]
    rows += [{"key": p.key, "email": p.email, "at": _iso(p.last_at or p.first_at),
              "event": "parked", "policy": None,
              "reason": f"{p.system} refused it: {p.code} {p.message}",
              "details": {"system": p.system, "record_id": p.target_id or p.record_id,
                          "fields": list(p.fields), "attempts": p.attempts,
                          "status": p.status}} for p in parked]
    rows.sort(key=lambda row: row["at"] or "")
    extra = {"name": name, "owner_id": owner, "owner_name": people.name(owner),
             "owner_email": people.email(owner), "zone": people.zone(owner, calendar)}
    return [{**row, **extra, "at_local": people.when(_instant(row["at"]), owner, calendar)}
            for row in rows]


def render_audit(console: Console, email: str, rows: list[dict[str, Any]],
                 people: Directory) -> None:
    """A lead's whole story: SLA events, the sync's writes field by field, parked records."""
    first = rows[0]
    who = person(first["name"], email)
    owner = person(first["owner_name"], first["owner_email"]) or first["owner_id"] or "none"
    if first["owner_name"] or first["owner_email"]:
        owner += f" ({first['owner_id']})"
    console.print(f"[bold]History of {escape(who)}[/bold]\nowner: {escape(owner)}\n"
                  f"times in {first['zone']}")
    table = Table()
    table.add_column("at", no_wrap=True)
    table.add_column("event", no_wrap=True)
    table.add_column("what", overflow="fold", ratio=1)
    zone = first["zone"]
    for row in rows:
        table.add_row(row["at_local"], row["event"], escape(_what(row, people, zone)))
    console.print(table)


def _what(row: Mapping[str, Any], people: Directory, zone: str) -> str:
    details = row.get("details") or {}
    if row["event"] not in EVENTS:
        lines = [_readable(row["reason"] or "", people, zone)]
        if row["policy"]:
            lines[0] = f"{row['policy']}: {lines[0]}"
        lines += [f"{name}: {_readable(str(value), people, zone)}"
                  for name, value in details.items() if value not in (None, "", [], {})]
        return "\n".join(line for line in lines if line)
    lines = [f"{details.get('system')} {details.get('record_id') or ''} "
             f"from {details.get('from')} (run {details.get('run_id')})"]
    for change in details.get("fields", []):
        before = f"{_value(change['before'])} -> " if "before" in change else ""
        lines.append(f"{change['field']}: {before}{_value(change['after'])} "
                     f"[{change['rule']}, {change['winner']} won]")
        if "before" in change and change.get("why"):
            lines.append(f"  ({change['why']})")
    return "\n".join(lines)


_ISO = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)")


def _readable(text: str, people: Directory, zone: str) -> str:
    """``text`` with its ISO-8601 instants in ``zone`` and CRM user ids named."""
    def instant(match: re.Match[str]) -> str:
        value = match.group(0).replace("Z", "+00:00")
        if re.search(r"[+-]\d{4}$", value):
            value = f"{value[:-2]}:{value[-2:]}"
        try:
            return local(datetime.fromisoformat(value), zone)
        except ValueError:
            return match.group(0)

    text = _ISO.sub(instant, text)
    return people.label(text) if people.rep(text) is not None else text


def _value(value: Any) -> str:
    return "(blank)" if value in (None, "") else repr(value)


def _width(items: list[dict[str, Any]]) -> int:
    return min(_EMAIL_MAX, max(len(row["email"] or row["key"]) for row in items))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _instant(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
