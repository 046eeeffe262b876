"""An in-memory system implementing the port, for engine tests without HTTP.

End-to-end tests run the real adapters against the sandbox; this fake exists so the planning
and cursor rules can be tested quickly and exhaustively. It keeps the rules of the ``System``
port that make sense without HTTP: ``tests/adapters/test_conformance.py`` runs them on it too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from leadsync.connector.models import Cursor, FieldInfo, FieldValue, Record, WriteOp, WriteResult


class Clock:
    def __init__(self, start: datetime = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def tick(self, seconds: float = 1) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def __call__(self) -> datetime:
        return self.now


Validator = Callable[[dict[str, FieldValue]], tuple[str, str, list[str]] | None]


class FakeSystem:
    def __init__(self, name: str, clock: Clock, key_field: str = "key",
                 id_field: str = "id", page_size: int = 3,
                 validator: Validator | None = None) -> None:
        self.name = self.kind = name
        self.key_field, self.id_field = key_field, id_field
        self.clock, self.page_size, self.validator = clock, page_size, validator
        self.records: dict[str, dict[str, FieldValue]] = {}
        self.modified: dict[str, datetime] = {}
        self.deleted: set[str] = set()
        self.read_only: set[str] = set()
        self.user_emails: dict[str, str] = {}
        self.fields: dict[str, FieldInfo] = {}  # what create_fields created, as described
        self.write_calls = 0
        self.calls = 0
        self._next = 1

    @property
    def calls_made(self) -> int:
        return self.calls

    @property
    def retries_made(self) -> int:
        return 0

    def budget(self) -> dict[str, float]:
        return {}

    def add(self, **fields: FieldValue) -> str:
        """A record created by a user of this system."""
        record_id = f"{self.name[:2]}{self._next}"
        self._next += 1
        self.records[record_id] = dict(fields)
        self.modified[record_id] = self.clock.tick()
        return record_id

    def edit(self, record_id: str, **fields: FieldValue) -> None:
        self.records[record_id].update(fields)
        self.modified[record_id] = self.clock.tick()

    def _record(self, record_id: str) -> Record:
        return Record(self.name, record_id, dict(self.records[record_id]),
                      self.modified[record_id], record_id in self.deleted,
                      record_id in self.read_only)

    def read_changes(self, since: Cursor | None, until: datetime,
                     fields: Sequence[str]) -> Iterator[list[Record]]:
        start = since.modified_at if since else datetime.min.replace(tzinfo=UTC)
        ordered = sorted((r for r in self.records if start <= self.modified[r] <= until),
                         key=lambda r: (self.modified[r], r))
        records = [self._record(r) for r in ordered]
        if since:
            records = [r for r in records if since.admits(r)]
        for i in range(0, len(records), self.page_size):
            self.calls += 1
            yield records[i:i + self.page_size]

    def lookup(self, field: str, values: Sequence[FieldValue], fields: Sequence[str]
               ) -> list[Record]:
        self.calls += 1
        wanted = {str(v).lower() for v in values}
        return [self._record(r) for r, f in self.records.items() if r not in self.deleted
                and str(r if field == self.id_field else f.get(field)).lower() in wanted]

    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        self.write_calls += 1
        self.calls += 1
        results = []
        for op in ops:
            fields = {**op.fields, self.key_field: op.key}
            target = op.target_id or next(
                (r for r, f in self.records.items() if f.get(self.key_field) == op.key), None)
            merged = {**self.records.get(target, {}), **fields} if target else fields
            refused = self.validator(merged) if self.validator else None
            if refused:
                code, message, names = refused
                results.append(WriteResult(op.key, False, code=code, message=message,
                                           fields=tuple(names)))
                continue
            if target:
                self.edit(target, **fields)
                results.append(WriteResult(op.key, True, target, created=False))
            else:
                new_id = self.add(**fields)
                results.append(WriteResult(op.key, True, new_id, created=True))
        return results

    def describe(self) -> dict[str, FieldInfo]:
        return dict(self.fields)

    def users(self) -> dict[str, str]:
        self.calls += 1
        return dict(self.user_emails)

    def create_fields(self, specs: Sequence[FieldInfo]) -> list[str]:
        self.fields.update((spec.name, spec) for spec in specs)
        return [spec.name for spec in specs]
