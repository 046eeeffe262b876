"""Stage 1 of a sync pass, the change source: one side's changed records, page by page.

A source reads the records of one system modified since a cursor (every record, without one),
up to the run's start, then the records asked for by id (the ones parked by earlier runs) that
the window did not already give. The next pages are read ahead, in a thread, while the pass
works on one (``connector.prefetch``). Its cursor moves as the pages are consumed, only to stamps
the vendor gave, never to our clock, and is saved only when the whole pass is confirmed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from leadsync.connector.deadletter import DeadLetterPolicy, due
from leadsync.connector.models import Cursor, Record
from leadsync.connector.ports import System
from leadsync.connector.prefetch import ahead
from leadsync.connector.progress import Progress
from leadsync.connector.store import SyncState

Page = list[Record]


class ChangeSource:
    """The changed records of one system: since ``since`` (all, when None), then ``ids``."""

    def __init__(self, system: System, fields: Sequence[str], since: Cursor | None,
                 until: datetime, ids: Sequence[str] = (), read_ahead: int = 2,
                 progress: Progress | None = None) -> None:
        self.system, self.fields, self.until, self.ids = system, list(fields), until, list(ids)
        self.progress = progress  # told "reading <system>" and the records read, page by page
        self.read_ahead = read_ahead  # pages fetched while the pass works on one (0: none)
        self.since = self.cursor = since
        self.whole = since is None  # every record is read: one not read does not exist there
        self.read = 0  # records given so far

    def pages(self) -> Iterator[Page]:
        """The pages, once: the window's as the system gives them, then the asked-for ids.

        Only the asked-for ids are remembered as they go by, so that reading a million
        records holds none of them; ``read`` counts the records given.
        """
        wanted = dict.fromkeys(self.ids)
        for page in ahead(self.system.read_changes(self.since, self.until, self.fields),
                          self.read_ahead, f"leadsync-read-{self.system.name}"):
            if page:
                self.cursor = (self.cursor or Cursor(page[0].modified_at)).advanced(page)
            for record in page:
                wanted.pop(record.id, None)
            self._count(len(page))
            yield page
        if wanted:
            found = self.system.lookup(self.system.id_field, list(wanted), self.fields)
            found = [record for record in found if wanted.pop(record.id, False) is None]
            self._count(len(found))
            yield found

    def _count(self, records: int) -> None:
        self.read += records
        if self.progress is not None:
            self.progress(f"reading {self.system.name}", self.read, None)


def parked_ids(store: SyncState, connection: str, target: str,
               policy: DeadLetterPolicy | None = None, now: datetime | None = None) -> list[str]:
    """The source ids of the records whose writes to ``target`` were refused and parked:
    with a ``policy``, only those it says are due ``now`` (``connector.deadletter``)."""
    entries = [(p.record_id, p.entry()) for p in store.parked(connection, target) if p.record_id]
    if policy is None or now is None:
        return list(dict.fromkeys(record_id for record_id, _ in entries))
    return due(entries, now, policy)
