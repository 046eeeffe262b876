"""Journey facts as they happen: the state store's merging upserts into ``journeys``.

Two writers add facts to a lead's journey (``connector.journey``), each with one upsert per page
of leads, in SQL both SQLite and PostgreSQL run (``INSERT ... ON CONFLICT DO UPDATE``):

- ``record_verdicts``: the sync's judging stage (``connector.journey_capture.verdict_row``).
  Who the lead is and where it came from take the latest value, a blank never erasing one;
  ``first_judged_at`` and ``mql_at`` keep their first value (an MQL is never moved later);
  ``returned_at`` takes the latest; the verdict (version, qualified, hot, excluded, grade, score,
  matched) takes the latest until the lead is converted, then stays as it was.
- ``record_sweep_facts``: the SLA sweep (``connector.journey_capture.sweep_facts``), in the
  transaction that saves its clocks. ``crm_id``, ``owner_id``, ``recycled_at`` and
  ``recycle_reason`` take the latest; ``handed_off_at``, ``accepted_at``, ``first_touch_at``,
  ``converted_at``, ``disqualified_at`` and ``mql_at`` keep their first value; ``recycle_count``
  never goes down. The verdict columns of a journey the sweep creates (a lead judged before
  journeys were kept) are set only on insert.

Either writer applied twice to the same facts leaves the row as once: a sweep or pass repeated
after a crash records nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func
from sqlalchemy.engine import Connection

from leadsync.connector.schema import journeys
from leadsync.connector.state_journeys import JourneyRows

_VERDICT = ("version", "qualified", "hot", "excluded", "grade", "score", "matched")
_WHO = ("email", "name", "source", "campaign")
_COLUMNS = [c.name for c in journeys.columns]

Sets = Callable[[Any], dict[str, Any]]  # the insert's ``excluded`` -> the SET clause


def _first(excluded: Any, name: str) -> Any:
    return func.coalesce(journeys.c[name], excluded[name])


def _latest(excluded: Any, name: str) -> Any:
    return func.coalesce(excluded[name], journeys.c[name])


def _verdict_sets(excluded: Any) -> dict[str, Any]:
    sets = {name: _latest(excluded, name) for name in _WHO}
    sets.update({name: _first(excluded, name) for name in ("first_judged_at", "mql_at")})
    sets["returned_at"] = _latest(excluded, "returned_at")
    open_ = journeys.c.converted_at.is_(None)  # a converted lead's verdict is frozen
    sets.update({name: case((open_, excluded[name]), else_=journeys.c[name])
                 for name in _VERDICT})
    sets["updated_at"] = excluded.updated_at
    return sets


def _sweep_sets(excluded: Any) -> dict[str, Any]:
    sets = {name: _latest(excluded, name)
            for name in ("crm_id", "owner_id", "recycled_at", "recycle_reason")}
    sets.update({name: _first(excluded, name) for name in (
        "email", "mql_at", "handed_off_at", "accepted_at", "first_touch_at", "converted_at",
        "disqualified_at")})
    sets["recycle_count"] = case((excluded.recycle_count > journeys.c.recycle_count,
                                  excluded.recycle_count), else_=journeys.c.recycle_count)
    sets["updated_at"] = excluded.updated_at
    return sets


class JourneyFacts(JourneyRows):
    """``journeys`` written fact by fact (see the module docstring)."""

    if TYPE_CHECKING:  # provided by StateStore
        def _tx(self, conn: Connection | None) -> Any: ...

        def _grew(self, table: Any, rows: int) -> None: ...

    def record_verdicts(self, connection: str, rows: Sequence[Mapping[str, Any]],
                        conn: Connection | None = None) -> None:
        """Merge the judging stage's facts (``journey_capture.verdict_row``) into journeys."""
        self._merge(connection, rows, _verdict_sets, conn)

    def record_sweep_facts(self, connection: str, rows: Sequence[Mapping[str, Any]],
                           conn: Connection | None = None) -> None:
        """Merge the SLA sweep's facts (``journey_capture.sweep_facts``) into journeys; call
        it in the transaction that saves the sweep's clocks."""
        self._merge(connection, rows, _sweep_sets, conn)

    def _merge(self, connection: str, rows: Sequence[Mapping[str, Any]], sets: Sets,
               conn: Connection | None) -> None:
        if not rows:
            return
        now = datetime.now(UTC)
        full = [_full_row(connection, row, now) for row in rows]
        self._grew(journeys, len(full))
        with self._tx(conn) as tx:
            for start in range(0, len(full), 500):
                statement = _insert(tx)
                tx.execute(statement.on_conflict_do_update(
                    index_elements=["connection", "key"], set_=sets(statement.excluded)),
                    full[start:start + 500])


def _insert(tx: Connection) -> Any:
    if tx.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert
        return postgresql_insert(journeys)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert
    return sqlite_insert(journeys)


def _full_row(connection: str, row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Every column (an executemany needs the same keys in each row), blanks where unknown."""
    full: dict[str, Any] = dict.fromkeys(_COLUMNS)
    full.update(row)
    full.update(connection=connection, updated_at=now)
    for flag in ("qualified", "hot", "excluded"):
        full[flag] = 1 if full[flag] else 0
    full["recycle_count"] = int(full["recycle_count"] or 0)
    if full["matched"] is not None:
        full["matched"] = list(full["matched"])
    return full
