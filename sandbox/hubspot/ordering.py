"""The orders a portal's records are read in, kept up to date on every write.

For each object type: the live records by (last modification, id), which is the order of a
search sorted by the modification date (``search``), and the live and archived record ids in
ascending order, which is the order of the list endpoint's pages. Each is a sorted list kept
with ``bisect``: a page is found by binary search and read in O(page), and a write moves one
entry (a record modified now goes to the end, where insertion is cheap).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from typing import Any

from leadsync.sandbox.hubspot import timestamps

SortKey = tuple[int, Any]  # search's sort key of one value: (0, 0) blank, (1, millis), (2, text)
Entry = tuple[SortKey, int]  # (sort key of the modification date, record id)
LOWEST: SortKey = (1, float("-inf"))  # below every date, above every blank
HIGHEST: SortKey = (1, float("inf"))  # above every date, below every unparseable text


def date_key(value: str) -> SortKey:
    """How search sorts a date or datetime value (as ``search._sort_key`` for those kinds)."""
    if not value:
        return (0, 0)
    moment = timestamps.millis(value)
    return (2, value) if moment is None else (1, moment)


class IdList:
    """Record ids in ascending order."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def add(self, record_id: int) -> None:
        if not self.ids or record_id > self.ids[-1]:
            self.ids.append(record_id)
        else:
            at = bisect_left(self.ids, record_id)
            if at == len(self.ids) or self.ids[at] != record_id:
                self.ids.insert(at, record_id)

    def discard(self, record_id: int) -> None:
        at = bisect_left(self.ids, record_id)
        if at < len(self.ids) and self.ids[at] == record_id:
            del self.ids[at]

    def page(self, after: int, limit: int) -> list[int]:
        """Up to ``limit`` ids from ``after`` on (inclusive), in order."""
        at = bisect_left(self.ids, after)
        return self.ids[at:at + limit]


class Ordering:
    """One object type's live records by modification and id, and its ids live and archived."""

    def __init__(self) -> None:
        self.by_modified: list[Entry] = []
        self._entry: dict[int, Entry] = {}
        self.live = IdList()
        self.archived = IdList()

    def put(self, record_id: int, modified: str) -> None:
        """A live record was created or written; ``modified`` is its modification date now."""
        entry = (date_key(modified), record_id)
        old = self._entry.get(record_id)
        if old == entry:
            return
        if old is not None:
            self._remove(old)
        if not self.by_modified or entry > self.by_modified[-1]:
            self.by_modified.append(entry)
        else:
            insort(self.by_modified, entry)
        self._entry[record_id] = entry
        self.live.add(record_id)

    def put_many(self, records: Iterable[tuple[int, str]]) -> None:
        """Many live records (id, modification date) at once: one sort, not an insert each."""
        for record_id, modified in records:
            old = self._entry.get(record_id)
            if old is not None:
                self._remove(old)
            self._entry[record_id] = (date_key(modified), record_id)
            self.live.add(record_id)
        self.by_modified = sorted(self._entry.values())

    def archive(self, record_id: int, listed: bool) -> None:
        """A record left the live ones; ``listed``: it shows in the archived list (not merged)."""
        old = self._entry.pop(record_id, None)
        if old is not None:
            self._remove(old)
        self.live.discard(record_id)
        if listed:
            self.archived.add(record_id)

    def range(self, low: SortKey, low_open: bool, high: SortKey,
              high_open: bool) -> tuple[int, int]:
        """The positions in ``by_modified`` of the records whose key is within the bounds."""
        # Entries are (key, id): (key, -1) sorts before every id of ``key``, (key, inf) after.
        start = bisect_right(self.by_modified, (low, float("inf")) if low_open else (low, -1))
        end = bisect_left(self.by_modified, (high, -1) if high_open else (high, float("inf")))
        return start, max(start, end)

    def _remove(self, entry: Entry) -> None:
        at = bisect_left(self.by_modified, entry)
        if at < len(self.by_modified) and self.by_modified[at] == entry:
            del self.by_modified[at]
