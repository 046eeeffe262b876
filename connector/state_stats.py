"""The state store's tables keep PostgreSQL's statistics fresh while a bulk load grows them.

PostgreSQL plans each query from its tables' statistics, which autovacuum refreshes a minute or
more after a table changed. A first sync grows the ledger, the links and the fingerprints from
nothing in seconds; planned with an empty table's statistics, a lookup of a page's keys read
every row of the connection (24 ms a lookup at 40,000 rows, against 0.5 ms once analyzed), so
a first sync slowed as it went. As PostgreSQL advises after a bulk load, the store analyzes a
table itself, once its transaction is committed, each time this process has written as many
rows to it as it held when last analyzed (at least ``FIRST``): a handful of ``ANALYZE`` over a
first sync of any size, and at most one in a pass that changes little. A database user that
may not analyze (PostgreSQL lets the table's owner) gets one warning, and autovacuum does it.
SQLite plans by its indexes without statistics and is left alone.
"""

from __future__ import annotations

import threading

import structlog
from sqlalchemy import Table, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

log = structlog.get_logger("leadsync.state")

FIRST = 1_000  # rows written to a table before its first analysis in a process


class TableStatistics:
    """Counts the rows written to each table and analyzes those that grew (PostgreSQL)."""

    engine: Engine

    def _start_statistics(self) -> None:
        self._stats_on = self.engine.dialect.name == "postgresql"
        self._written: dict[str, int] = {}
        self._due_at: dict[str, int] = {}
        self._stats_lock = threading.Lock()

    def _grew(self, table: Table, rows: int) -> None:
        """``rows`` were written to ``table`` (inserted or updated) in a transaction."""
        if self._stats_on and rows:
            with self._stats_lock:
                self._written[table.name] = self._written.get(table.name, 0) + rows

    def _refresh_statistics(self) -> None:
        """Analyze the tables written to enough since their last analysis: call once the
        transaction that wrote them has committed."""
        if not self._stats_on:
            return
        with self._stats_lock:
            due = [name for name, count in self._written.items()
                   if count >= self._due_at.get(name, FIRST)]
            for name in due:
                self._written[name] = 0
        for name in due:
            if self._stats_on:  # off after a refusal: one warning, not one per table
                self._due_at[name] = max(FIRST, self._analyze(name))

    def _analyze(self, name: str) -> int:
        """``ANALYZE`` one of the store's tables; the rows it now holds, as PostgreSQL
        estimates them. A store whose user may not analyze it is left to autovacuum."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text(f'ANALYZE "{name}"'))
                rows = conn.execute(text("SELECT reltuples FROM pg_class "
                                         "WHERE oid = to_regclass(:name)"),
                                    {"name": name}).scalar()
                conn.commit()
        except DBAPIError as exc:
            return self._leave_to_autovacuum(name, str(getattr(exc, "orig", exc)))
        if rows is None or rows < 0:  # PostgreSQL skipped it: only the owner may analyze
            return self._leave_to_autovacuum(name, "the database user does not own the table")
        return int(rows)

    def _leave_to_autovacuum(self, name: str, why: str) -> int:
        log.warning("cannot refresh the state store's statistics; autovacuum will",
                    table=name, error=why.splitlines()[0] if why else "")
        self._stats_on = False
        return FIRST
