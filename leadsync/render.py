"""How command results look on a terminal."""

from __future__ import annotations

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
