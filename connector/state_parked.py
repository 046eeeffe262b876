"""The state store's dead-letter queue: the ``parked`` rows, in SQL (``StateStore`` has these).

What a row says and when it is tried again is ``connector.deadletter``'s to decide; this module
only reads and writes the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine, Row

from leadsync.connector import deadletter
from leadsync.connector.schema import parked
from leadsync.connector.state_bulk import among, chunks, lookup_size
from leadsync.connector.store import ParkedRecord

OPEN = deadletter.OPEN_STATUSES


class ParkedRows:
    """The ``parked`` table: park, unpark, read, retry and discard refused records."""

    engine: Engine

    def _tx(self, conn: Connection | None) -> Any:
        """A transaction: ``conn``'s when the caller has one open, else a new one (the
        store's own methods use this too)."""
        return nullcontext(conn) if conn is not None else self.engine.begin()

    def park(self, connection: str, run_id: int | None, system: str, key: str,
             record_id: str | None, code: str, message: str, fields: Sequence[str],
             payload: Mapping[str, Any], conn: Connection | None = None, *,
             email: str | None = None, target_id: str | None = None,
             fingerprint: str = "") -> None:
        """Park a refused record: the same input refused again counts another attempt, a new
        input starts the count again (``deadletter.after_refusal``)."""
        now = datetime.now(UTC)
        where = (parked.c.connection == connection, parked.c.system == system,
                 parked.c.key == key)
        values = dict(run_id=run_id, record_id=record_id, code=code,
                      message=deadletter.truncate(message), fields=list(fields),
                      payload=deadletter.clip_payload(payload), fingerprint=fingerprint,
                      last_at=now, retry_at=None, updated_at=now)
        if email is not None:
            values["email"] = email
        if target_id is not None:
            values["target_id"] = target_id
        with self._tx(conn) as tx:
            row = tx.execute(select(parked).where(*where)).first()
            attempts, status = deadletter.after_refusal(_entry(row) if row else None,
                                                        fingerprint)
            if row is None:
                tx.execute(insert(parked).values(connection=connection, system=system, key=key,
                                                 attempts=attempts, status=status,
                                                 created_at=now, **values))
                return
            if row.status == deadletter.DELIVERED:
                values["created_at"] = now  # refused anew: a new first time
            tx.execute(update(parked).where(*where).values(attempts=attempts, status=status,
                                                           **values))

    def unpark(self, connection: str, system: str, keys: Iterable[str],
               conn: Connection | None = None) -> None:
        """Mark parked (or discarded) records as delivered."""
        keys, dialect = list(keys), self.engine.dialect
        with self._tx(conn) as tx:
            for chunk in chunks(keys, lookup_size(dialect)):
                tx.execute(update(parked).where(
                    parked.c.connection == connection, parked.c.system == system,
                    among(parked.c.key, chunk, dialect), parked.c.status.in_(OPEN),
                ).values(status=deadletter.DELIVERED, retry_at=None,
                         updated_at=datetime.now(UTC)))

    def parked(self, connection: str, system: str | None = None) -> list[ParkedRecord]:
        """The records still parked (waiting, due or needing action), oldest first."""
        return self.dead_letters(connection, system, (deadletter.PARKED,))

    def parked_counts(self, connection: str) -> dict[tuple[str, str], int]:
        """How many records are still parked, by system and vendor code."""
        query = (select(parked.c.system, parked.c.code, func.count())
                 .where(parked.c.connection == connection,
                        parked.c.status == deadletter.PARKED)
                 .group_by(parked.c.system, parked.c.code))
        with self.engine.connect() as conn:
            return {(row[0], row[1]): int(row[2]) for row in conn.execute(query)}

    def dead_letters(self, connection: str, system: str | None = None,
                     statuses: Sequence[str] = OPEN) -> list[ParkedRecord]:
        query = select(parked).where(parked.c.connection == connection,
                                     parked.c.status.in_(list(statuses)))
        if system:
            query = query.where(parked.c.system == system)
        with self.engine.connect() as conn:
            return [_record(row) for row in conn.execute(query.order_by(parked.c.id))]

    def dead_letter(self, connection: str, parked_id: int) -> ParkedRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(parked).where(parked.c.connection == connection,
                                                    parked.c.id == parked_id)).first()
        return _record(row) if row else None

    def retry_parked(self, connection: str, ids: Sequence[int] | None = None,
                     at: datetime | None = None) -> int:
        """Make records due at ``at`` (now): ``ids``, or every parked one; how many."""
        query = update(parked).where(parked.c.connection == connection)
        if ids is None:
            query = query.where(parked.c.status == deadletter.PARKED)
        else:
            query = query.where(parked.c.id.in_(list(ids)), parked.c.status.in_(OPEN))
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            return int(conn.execute(query.values(status=deadletter.PARKED, retry_at=at or now,
                                                 updated_at=now)).rowcount)

    def discard_parked(self, connection: str, parked_id: int) -> bool:
        """Drop a record from the queue until its source changes; False if there is none."""
        with self.engine.begin() as conn:
            return bool(conn.execute(update(parked).where(
                parked.c.connection == connection, parked.c.id == parked_id,
                parked.c.status.in_(OPEN),
            ).values(status=deadletter.DISCARDED, retry_at=None,
                     updated_at=datetime.now(UTC))).rowcount)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _entry(row: Row[Any]) -> deadletter.Entry:
    return deadletter.Entry(row.status, row.attempts,
                            _aware(row.last_at or row.updated_at) or datetime.now(UTC),
                            _aware(row.retry_at), row.fingerprint or "")


def _record(row: Row[Any]) -> ParkedRecord:
    return ParkedRecord(
        id=row.id, system=row.system, key=row.key, record_id=row.record_id, code=row.code,
        message=row.message, fields=tuple(row.fields or ()), payload=row.payload or {},
        attempts=row.attempts, status=row.status, email=row.email, target_id=row.target_id,
        first_at=_aware(row.created_at), last_at=_aware(row.last_at or row.updated_at),
        retry_at=_aware(row.retry_at), fingerprint=row.fingerprint or "")
