"""The state store's fingerprints of the records it saw or wrote (``connector.echo``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, Engine

from leadsync.connector.schema import seen
from leadsync.connector.state_bulk import among, chunks, lookup_size

_CHUNK = 500


class SeenRecords:
    """The ``seen`` table: per system and record id, the record's last known fingerprint."""

    engine: Engine
    # the store's own transaction and upsert helpers (``ParkedRows._tx``, ``StateStore``)
    _tx: Callable[[Connection | None], AbstractContextManager[Connection]]
    _upsert: Callable[[Connection, Table, list[dict[str, Any]], list[str], list[str]], None]

    def fingerprints(self, connection: str, system: str, ids: Iterable[str]) -> dict[str, str]:
        """The fingerprints remembered for these record ids of ``system``, by id."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, str] = {}
        dialect = self.engine.dialect
        with self.engine.connect() as conn:
            for chunk in chunks(wanted, lookup_size(dialect)):
                found.update(conn.execute(select(seen.c.record_id, seen.c.fingerprint).where(
                    seen.c.connection == connection, seen.c.system == system,
                    among(seen.c.record_id, chunk, dialect))).all())
        return found

    def save_fingerprints(self, connection: str, system: str, prints: Mapping[str, str],
                          conn: Connection | None = None) -> None:
        """Remember these fingerprints (record id -> fingerprint) of ``system``'s records."""
        rows = [{"connection": connection, "system": system, "record_id": record_id,
                 "fingerprint": value} for record_id, value in prints.items()]
        if not rows:
            return
        with self._tx(conn) as tx:
            for start in range(0, len(rows), _CHUNK):
                self._upsert(tx, seen, rows[start:start + _CHUNK],
                             ["connection", "system", "record_id"], ["fingerprint"])
