"""The org's records in ``SystemModstamp`` order, kept up to date on every write.

Incremental reads ask for ``WHERE SystemModstamp >= X [AND SystemModstamp <= Y] ORDER BY
SystemModstamp, Id``. Instead of checking and sorting every record of the object for each such
query, ``query`` takes the records of the range from this index (binary search) and applies the
query's full WHERE and ORDER BY to them alone.

Entries are ``(SystemModstamp, creation number, Id)``: the stamp text (``2024-01-15T10:30:00.000
+0000``, always UTC with milliseconds, so text order is time order), then the number the id was
made from, which is the order records were created in, the order a scan meets them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from leadsync.sandbox.salesforce.ids import BASE62
from leadsync.sandbox.salesforce.validation import format_datetime

Entry = tuple[str, int, str]
_DIGIT = {ch: i for i, ch in enumerate(BASE62)}


def creation_number(record_id: str) -> int:
    """The number an id was made from (``ids.make_id``): its 10 base-62 digits after the
    prefix and the pod."""
    number = 0
    for ch in record_id[5:15]:
        number = number * 62 + _DIGIT.get(ch, 0)
    return number


class ModstampIndex:
    """One object's records, deleted ones included, by (SystemModstamp, creation number)."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def move(self, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        """A record was stored (``new``), replacing ``old``; either may be None."""
        before, after = _entry(old), _entry(new)
        if before == after:
            return
        if before is not None:
            at = bisect_left(self.entries, before)
            if at < len(self.entries) and self.entries[at] == before:
                del self.entries[at]
        if after is not None:
            if not self.entries or after > self.entries[-1]:
                self.entries.append(after)
            else:
                insort(self.entries, after)

    def rebuild(self, records: Iterable[dict[str, Any]]) -> None:
        self.entries = sorted(e for e in map(_entry, records) if e is not None)

    def between(self, low: float | None, high: float | None) -> list[str]:
        """Ids of the records stamped from ``low`` to ``high`` (POSIX seconds, inclusive, to the
        millisecond around them; None: unbounded), in index order."""
        start = 0 if low is None else bisect_left(self.entries, (stamp_text(low, up=False),))
        end = (len(self.entries) if high is None
               else bisect_right(self.entries, (stamp_text(high, up=True), float("inf"))))
        return [record_id for _, _, record_id in self.entries[start:end]]


def _entry(record: dict[str, Any] | None) -> Entry | None:
    if record is None or not isinstance(record.get("SystemModstamp"), str):
        return None
    record_id = str(record["Id"])
    return record["SystemModstamp"], creation_number(record_id), record_id


def stamp_text(seconds: float, up: bool) -> str:
    """The stamp text of a moment, rounded to the millisecond down (or up)."""
    millis = seconds * 1000
    whole = int(millis) if not up or millis == int(millis) else int(millis) + 1
    if not up and whole > millis:
        whole -= 1
    return format_datetime(datetime.fromtimestamp(whole / 1000, tz=UTC))
