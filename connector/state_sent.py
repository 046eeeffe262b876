"""The state store's writes on their way: audit events of batches sent, not yet confirmed.

Before a sync batch is sent, the audit events its writes will make are kept here under a
token (rows of ``job_state`` named ``audit.sent.<token>``; no table of their own). The commit
of the confirmed batch records the events in the audit trail and drops the row in the same
transaction. A row still here whose run is no longer running was left by a pass that died
between a call and its commit (``connector.commit`` settles it: the writes the next pass finds
delivered are audited then, once); the rows of a run still going are never touched by another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.engine import Connection, Engine

from leadsync.connector.schema import runs, settings_table

PREFIX = "audit.sent."


class SentWrites:
    """Audit events of sent batches, by token, until their commit."""

    engine: Engine
    _tx: Callable[[Connection | None], AbstractContextManager[Connection]]
    _upsert: Callable[[Connection, Table, list[dict[str, Any]], list[str], list[str]], None]

    def sent_writes(self, connection: str) -> dict[str, list[dict[str, Any]]]:
        """The events of every batch sent and never committed by a run that is no longer
        running (it finished, failed, or was killed and marked ``interrupted``), by token.
        A batch of a run still going (a shard beside this one, a reconcile) is its own."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(settings_table.c.name, settings_table.c.value).where(
                settings_table.c.connection == connection,
                settings_table.c.name.startswith(PREFIX, autoescape=True))).all()
            found = {name[len(PREFIX):]: list(value or []) for name, value in rows}
            run_ids = {_run_of(events) for events in found.values()} - {None}
            running = set(conn.execute(select(runs.c.id).where(
                runs.c.id.in_(sorted(run_ids)), runs.c.status == "running")).scalars()
            ) if run_ids else set()
        return {token: events for token, events in found.items()
                if _run_of(events) not in running}

    def put_sent(self, connection: str, token: str, events: Sequence[dict[str, Any]],
                 conn: Connection | None = None) -> None:
        """Keep the events of a batch about to be sent (JSON-safe dicts)."""
        with self._tx(conn) as tx:
            self._upsert(tx, settings_table, [{"connection": connection,
                                               "name": PREFIX + token, "value": list(events)}],
                         ["connection", "name"], ["value"])

    def drop_sent(self, connection: str, tokens: Iterable[str],
                  conn: Connection | None = None) -> None:
        names = [PREFIX + token for token in tokens]
        if not names:
            return
        with self._tx(conn) as tx:
            tx.execute(delete(settings_table).where(settings_table.c.connection == connection,
                                                    settings_table.c.name.in_(names)))


def _run_of(events: list[dict[str, Any]]) -> int | None:
    """The run that sent a batch (its events' ``run_id``)."""
    return events[0].get("details", {}).get("run_id") if events else None
