"""How command results look: tables on a terminal, one JSON document with ``--json``."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from leadsync.connector.sync import SyncResult


def summary_table(result: SyncResult) -> Table:
    title = "Dry run: nothing written" if result.dry_run else f"Sync run {result.run_id}"
    table = Table(title=title)
    table.add_column("system")
    for column in ("read", "created", "updated", "unchanged", "failed", "API calls", "retries"):
        table.add_column(column, justify="right")
    for name, side in result.sides.items():
        table.add_row(name, str(side.read), str(side.created), str(side.updated),
                      str(side.unchanged), str(side.failed), str(side.calls), str(side.retries))
    if result.definition_version is not None:
        table.caption = (f"Lead definition {result.definition_version}: {result.evaluated} leads "
                         f"judged, {result.qualified} qualified, {result.plan.held} kept in "
                         f"marketing for nurture (not qualified)")
    return table


def plan_table(result: SyncResult, limit: int = 50) -> Table:
    table = Table(title=f"Planned writes ({len(result.plan.writes)})")
    for column in ("to", "action", "key", "fields"):
        table.add_column(column)
    for write in result.plan.writes[:limit]:
        action = "create" if write.create else "update"
        fields = ", ".join(f"{k}={v!r}" for k, v in write.op.fields.items())
        table.add_row(write.side, action, write.op.key[:12], escape(fields))
    for refusal in result.plan.refusals[:limit]:
        table.add_row(refusal.side, "refused", refusal.key[:12],
                      escape(f"{refusal.field}: {refusal.message}"))
    return table


def sync_document(result: SyncResult, exit_code: int) -> dict[str, Any]:
    """A pass's result for ``leadsync sync --json``: the run, each system's counts (as the
    run history keeps them), warnings and the lead definition's tally; a dry run's plan whole
    (every planned write and refusal), since it is what a dry run is asked for."""
    document: dict[str, Any] = {
        "ok": exit_code == 0, "exit_code": exit_code, "run_id": result.run_id,
        "dry_run": result.dry_run, "status": result.status,
        "systems": {name: vars(side) for name, side in result.sides.items()},
        "warnings": list(result.warnings)}
    summary = result.as_dict()
    if "definition" in summary:
        document["definition"] = summary["definition"]
    if result.dry_run:
        document["plan"] = {
            "writes": [{"to": w.side, "system": _system(result, w.side),
                        "action": "create" if w.create else "update", "key": w.op.key,
                        "id": w.op.target_id, "fields": dict(w.op.fields)}
                       for w in result.plan.writes],
            "refused": [{"to": r.side, "system": _system(result, r.side), "key": r.key,
                         "field": r.field, "message": r.message}
                        for r in result.plan.refusals],
            "unchanged": dict(result.plan.unchanged), "kept_in_marketing": result.plan.held}
    return document


def _system(result: SyncResult, side: str) -> str:
    """The system name of a side: the result's systems are in side order (marketing, CRM)."""
    names = list(result.sides)
    return names[0 if side == "marketing" else 1] if len(names) == 2 else side
