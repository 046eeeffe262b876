"""The state store's journeys and past SLA clocks: what reports read (``connector.journey``).

``put_journeys`` replaces whole rows (the writers merge first-time facts before calling it, or
use their own upserts); ``journeys`` reads a connection's. ``archive_clock`` keeps a clock a new
one is about to replace; ``clock_cycles`` gives every clock, past and current, numbered by cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from leadsync.connector.journey import ClockCycle, Journey
from leadsync.connector.schema import clock_history, clocks, insert_unless_present, journeys

_CHANGING = [c.name for c in journeys.columns if c.name not in ("connection", "key")]


class JourneyRows:
    """The ``journeys`` and ``clock_history`` tables."""

    engine: Engine

    if TYPE_CHECKING:  # provided by StateStore
        def _tx(self, conn: Connection | None) -> Any: ...

        def _upsert(self, tx: Connection, table: Any, rows: list[dict[str, Any]],
                    keys: list[str], changing: list[str]) -> None: ...

    def put_journeys(self, connection: str, items: Iterable[Journey],
                     conn: Connection | None = None) -> None:
        """Insert or replace whole journeys."""
        now = datetime.now(UTC)
        rows = []
        for item in items:
            row = item.as_row()
            row.update(connection=connection, updated_at=row.get("updated_at") or now)
            for flag in ("qualified", "hot", "excluded"):
                row[flag] = 1 if row[flag] else 0
            rows.append(row)
        if not rows:
            return
        with self._tx(conn) as tx:
            for start in range(0, len(rows), 500):
                self._upsert(tx, journeys, rows[start:start + 500], ["connection", "key"],
                             _CHANGING)

    def journeys(self, connection: str, keys: Iterable[str] | None = None) -> list[Journey]:
        """The connection's journeys (those of ``keys`` when given), by key."""
        query = select(journeys).where(journeys.c.connection == connection)
        if keys is not None:
            wanted = list(keys)
            if not wanted:
                return []
            query = query.where(journeys.c.key.in_(wanted))
        with self.engine.connect() as conn:
            return [Journey.from_row(row)
                    for row in conn.execute(query.order_by(journeys.c.key)).mappings()]

    def archive_clock(self, connection: str, key: str, stored: dict[str, Any],
                      conn: Connection | None = None) -> None:
        """Keep ``stored`` (as ``clocks`` gives it: crm_id, owner_id, status, clock) as the
        lead's next past cycle; call it in the transaction that saves the clock replacing it,
        so a crash keeps both or neither."""
        with self._tx(conn) as tx:
            count = tx.execute(select(func.count()).select_from(clock_history).where(
                clock_history.c.connection == connection,
                clock_history.c.key == key)).scalar() or 0
            tx.execute(insert_unless_present(tx, clock_history).values(
                connection=connection, key=key, cycle=count + 1, crm_id=stored["crm_id"],
                owner_id=stored.get("owner_id"), status=stored["status"],
                clock=stored["clock"], closed_at=datetime.now(UTC)))

    def clock_cycles(self, connection: str) -> list[ClockCycle]:
        """Every SLA clock of the connection: past ones, then the current one, by lead."""
        with self.engine.connect() as conn:
            past = conn.execute(select(clock_history).where(
                clock_history.c.connection == connection).order_by(
                    clock_history.c.key, clock_history.c.cycle)).mappings().all()
            now = conn.execute(select(clocks).where(
                clocks.c.connection == connection).order_by(clocks.c.key)).mappings().all()
        cycles: dict[str, list[ClockCycle]] = {}
        for row in past:
            cycles.setdefault(row["key"], []).append(ClockCycle(
                row["key"], row["cycle"], row["crm_id"], row["owner_id"], row["status"],
                row["clock"], current=False))
        for row in now:
            earlier = cycles.setdefault(row["key"], [])
            earlier.append(ClockCycle(row["key"], len(earlier) + 1, row["crm_id"],
                                      row["owner_id"], row["status"], row["clock"]))
        return [cycle for key in sorted(cycles) for cycle in cycles[key]]


def journeys_by_key(items: Sequence[Journey]) -> dict[str, Journey]:
    return {item.key: item for item in items}
