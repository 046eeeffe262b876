"""One side's changed records of a pass, held on disk while the other side's are matched.

Matching pairs a record read on one side with one read on the other by email or by LeadSync's
key, so one side's changes must be at hand while the other's go by. A ``Spool`` holds them in a
temporary SQLite file (never in memory): the matcher asks it, page by page, for the records
that can pair with the page (by id, email or key), marks what it took, and finally reads the
records no page took, in the order they were read. A record read twice is held once, at its
latest version. The file is deleted on ``close``.
"""

from __future__ import annotations

import pickle
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from leadsync.connector.models import Record

_CHUNK = 500  # parameters per IN (...): well under SQLite's limit


class Spool:
    """Records of one side, by id, with the email and key they can be matched by."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="leadsync-spool-")
        self._db = sqlite3.connect(Path(self._folder.name) / "spool.db")
        self._db.executescript("""
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA cache_size = -16000;
            CREATE TABLE held (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, email TEXT,
                               key TEXT NOT NULL, taken INTEGER NOT NULL DEFAULT 0,
                               record BLOB NOT NULL);
            CREATE INDEX held_email ON held (email) WHERE email IS NOT NULL;
            CREATE INDEX held_key ON held (key);
        """)
        self.count = 0  # records added (a record read twice counts twice)

    def add(self, entries: Iterable[tuple[Record, str | None, str]]) -> None:
        """Hold records with their normalised email and their LeadSync key."""
        rows = [(record.id, email, key, pickle.dumps(record, pickle.HIGHEST_PROTOCOL))
                for record, email, key in entries]
        self._db.executemany(
            "INSERT INTO held (id, email, key, record) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET email = excluded.email, key = excluded.key, "
            "record = excluded.record, taken = 0", rows)
        self.count += len(rows)

    def find(self, ids: Iterable[str] = (), emails: Iterable[str] = (),
             keys: Iterable[str] = ()) -> list[tuple[Record, str | None]]:
        """The records not yet taken whose id, email or key is among these, in read order,
        each with its email."""
        found: dict[int, tuple[str | None, bytes]] = {}
        for column, values in (("id", ids), ("email", emails), ("key", keys)):
            found.update(self._untaken(column, values))
        return _loaded(found)

    def take(self, ids: Sequence[str]) -> None:
        """Mark these records as paired: ``leftovers`` will not give them."""
        for chunk, marks in _chunks(ids):
            self._db.execute(f"UPDATE held SET taken = 1 WHERE id IN ({marks})", chunk)

    def leftovers(self, size: int) -> Iterator[list[tuple[Record, str | None]]]:
        """The records no page took, about ``size`` at a time, in read order; a page also
        holds every other leftover that shares an email with it, so that the records one
        email is shared by are judged together. Each page is taken as it is given."""
        while True:
            rows = self._db.execute(
                "SELECT seq, email, record FROM held WHERE taken = 0 ORDER BY seq LIMIT ?",
                (size,)).fetchall()
            if not rows:
                return
            page = {seq: (email, blob) for seq, email, blob in rows}
            page.update(self._untaken("email", (email for _, email, _ in rows if email)))
            records = _loaded(page)
            self.take([record.id for record, _ in records])
            yield records

    def _untaken(self, column: str, values: Iterable[str]
                 ) -> Iterator[tuple[int, tuple[str | None, bytes]]]:
        """(seq, (email, record)) of the records not taken whose ``column`` is in ``values``."""
        for chunk, marks in _chunks(list(dict.fromkeys(values))):
            for seq, email, blob in self._db.execute(
                    f"SELECT seq, email, record FROM held WHERE taken = 0 AND {column} "
                    f"IN ({marks})", chunk):
                yield seq, (email, blob)

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _chunks(values: Sequence[str]) -> Iterator[tuple[list[str], str]]:
    """``values`` in chunks for ``IN (...)``, each with its placeholders."""
    for start in range(0, len(values), _CHUNK):
        chunk = list(values[start:start + _CHUNK])
        yield chunk, ",".join("?" * len(chunk))


def _loaded(rows: dict[int, tuple[str | None, bytes]]) -> list[tuple[Record, str | None]]:
    """The records of ``rows`` (seq -> email, pickled record), in read order."""
    return [(pickle.loads(rows[seq][1]), rows[seq][0]) for seq in sorted(rows)]
