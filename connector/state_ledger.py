"""The state store's ledger: per lead and system, the values both sides were last seen or
made to agree on (a pass compares what each side holds with them to tell which side
changed a field since)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, Engine

from leadsync.connector.models import FieldValue
from leadsync.connector.schema import ledger
from leadsync.connector.state_bulk import among, bulk_upsert, chunks, lookup_size

# PostgreSQL's merge of the fields given into those remembered: a field given wins
_MERGED = {"fields": "CAST(CAST(ledger.fields AS JSONB) || CAST(EXCLUDED.fields AS JSONB) AS JSON)",
           "updated_at": "EXCLUDED.updated_at"}


class LedgerRows:
    """The ``ledger`` table: one JSON object of agreed fields per connection, key and system."""

    engine: Engine
    # the store's own helpers (``StateStore``)
    _tx: Callable[[Connection | None], AbstractContextManager[Connection]]
    _upsert: Callable[[Connection, Table, list[dict[str, Any]], list[str], list[str]], None]
    _grew: Callable[[Table, int], None]

    def ledger(self, connection: str, keys: Iterable[str]
               ) -> dict[str, dict[tuple[str, str], FieldValue]]:
        """For each key, the last value per (system, field) LeadSync read or wrote."""
        result: dict[str, dict[tuple[str, str], FieldValue]] = {}
        dialect = self.engine.dialect
        for chunk in chunks(list(keys), lookup_size(dialect)):
            with self.engine.connect() as conn:
                rows = conn.execute(select(ledger).where(
                    ledger.c.connection == connection, among(ledger.c.key, chunk, dialect)))
                for row in rows:
                    entry = result.setdefault(row.key, {})
                    entry.update({(row.system, name): value
                                  for name, value in (row.fields or {}).items()})
        return result

    def record_values(self, connection: str, system: str,
                      values: Mapping[str, Mapping[str, FieldValue]],
                      conn: Connection | None = None) -> None:
        """Remember ``values`` (key -> field -> value) as what ``system`` holds of the values
        both sides agree on.

        Each key's fields are merged into what was remembered for it on that system: a field
        not given keeps its value.
        """
        now = datetime.now(UTC)
        given = {key: fields for key, fields in values.items() if fields}
        if self.engine.dialect.name == "postgresql":  # merged by the upsert itself
            # jsonb refuses a NUL character that json keeps: those few are merged below
            nul = {key for key, fields in given.items() if _has_nul(fields)}
            self._merge_values(connection, system, {
                key: fields for key, fields in given.items() if key not in nul}, now, conn)
            given = {key: given[key] for key in nul}
        given = {key: dict(fields) for key, fields in given.items()}
        with self._tx(conn) as tx:
            for keys in chunks(list(given), 500):
                for row in tx.execute(select(ledger.c.key, ledger.c.fields).where(
                        ledger.c.connection == connection, ledger.c.system == system,
                        ledger.c.key.in_(keys))):
                    given[row.key] = {**(row.fields or {}), **given[row.key]}
            rows = [{"connection": connection, "key": key, "system": system,
                     "fields": fields, "updated_at": now} for key, fields in given.items()]
            for chunk in chunks(rows, 500):
                self._upsert(tx, ledger, chunk, ["connection", "key", "system"],
                             ["fields", "updated_at"])

    def _merge_values(self, connection: str, system: str,
                      given: Mapping[str, Mapping[str, FieldValue]], now: datetime,
                      conn: Connection | None) -> None:
        """PostgreSQL: one upsert that merges the fields given into those remembered
        (``jsonb ||``: a field given wins, one not given stays), no read before it."""
        rows = [{"connection": connection, "key": key, "system": system,
                 "fields": dict(fields), "updated_at": now} for key, fields in given.items()]
        self._grew(ledger, len(rows))
        with self._tx(conn) as tx:
            for chunk in chunks(rows, 500):
                bulk_upsert(tx, ledger, chunk, ["connection", "key", "system"], _MERGED)



def _has_nul(fields: Mapping[str, Any]) -> bool:
    return any(isinstance(value, str) and "\x00" in value for value in fields.values())
