"""How far behind a connection is on one side: the age of the oldest change not yet synced.

An admin's first question about a sync ("is it keeping up?") is answered from the system's own
modification times, as HubSpot's and Marketo's sync pages do: the changes after the stored
cursor are read, oldest first, and the oldest one LeadSync does not recognise as its own write
(``connector.echo``: the record holds exactly what LeadSync last saw or wrote there) is the
lag. Reading every pending change could cost many calls, so ``status`` reads one or two pages
at most; when it stopped before the end the figure is a lower bound ("at least"), and when
every change it read was LeadSync's own it cannot say (None). Without a run to read from, the
last successful pass bounds it from above: every change made before that pass started was
synced (parked records aside, which ``status`` counts apart).

This module decides; ``jobs.status`` reads the pages and the fingerprints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadsync.connector.echo import of_record
from leadsync.connector.models import Record

EXACT, AT_LEAST, AT_MOST = "exact", "at_least", "at_most"


@dataclass
class Lag:
    """The changes read past one side's cursor, and the oldest among them not LeadSync's."""

    names: Sequence[str]  # the fields a fingerprint covers (``SyncEngine.printed``)
    seed: str = ""  # what fingerprints depend on besides them (``SyncEngine.print_seed``)
    read: int = 0  # changes read
    own: int = 0  # of those, LeadSync's own writes read back
    oldest: datetime | None = None  # the oldest change that is not
    complete: bool = True  # every change past the cursor was read

    def add(self, page: Sequence[Record], prints: Mapping[str, str]) -> None:
        """A page of changes, with the fingerprints remembered for its records (by id)."""
        for record in page:
            self.read += 1
            mine = of_record(record, self.names, self.seed)
            if mine is not None and prints.get(record.id) == mine:
                self.own += 1
            elif self.oldest is None or record.modified_at < self.oldest:
                self.oldest = record.modified_at

    def as_dict(self, now: datetime) -> dict[str, Any]:
        """``lag_seconds`` (None: no change found that LeadSync has not synced, or, when the
        read stopped early, unknown) and how far the figure can be trusted (``bound``)."""
        if self.oldest is None:
            seconds = 0.0 if self.complete else None
        else:
            seconds = max((now - self.oldest).total_seconds(), 0.0)
        return {"lag_seconds": seconds,
                "oldest_change_at": self.oldest.isoformat() if self.oldest else None,
                "bound": EXACT if self.complete else AT_LEAST,
                "changes_read": self.read, "own_writes_skipped": self.own,
                "complete": self.complete}


def since_last_pass(started_at: datetime | None, now: datetime) -> dict[str, Any]:
    """The lag as far as the runs tell it, without asking the system: at most the time since
    the last successful pass started (None: no pass yet)."""
    seconds = None if started_at is None else max((now - started_at).total_seconds(), 0.0)
    return {"lag_seconds": seconds, "oldest_change_at": None, "bound": AT_MOST,
            "synced_before": started_at.isoformat() if started_at else None}
