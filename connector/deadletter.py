"""The dead-letter queue's policy: what a refused record keeps, and when it is tried again.

Pure: the store keeps the rows (``parked``), the sync asks ``due`` which parked records to read
again, and ``leadsync errors`` shows ``state``. No I/O here.

- A refusal is kept with the system that refused it, the vendor's code, its message cut to
  ``MESSAGE_LIMIT`` characters (saying so), the fields, the email and both ids.
- ``fingerprint`` hashes what was sent (or the source record's values): parked again with the
  same fingerprint counts one more attempt; with a new one (the source record changed) the count
  starts again at 1.
- A parked record is tried again on the next pass after its first refusal, then when its
  backoff has passed (``BACKOFF``, doubling per attempt, at most ``MAX_BACKOFF``), when
  ``leadsync errors retry`` asked for it, or when the config or mapping changed (the job makes
  every record due then). After ``max_attempts`` attempts with one fingerprint it needs action
  and is no longer tried by itself.
- A discarded record stays dropped until its source changes (a new fingerprint).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

MESSAGE_LIMIT = 300  # characters of a vendor's message kept (and logged)
VALUE_LIMIT = 1000  # characters of each sent value kept in the parked payload
BACKOFF = timedelta(minutes=15)
MAX_BACKOFF = timedelta(hours=24)
MAX_ATTEMPTS = 5

PARKED, DELIVERED, DISCARDED = "parked", "delivered", "discarded"
OPEN_STATUSES = (PARKED, DISCARDED)  # still in the queue
WAITING, DUE, NEEDS_ACTION = "waiting", "due", "needs action"  # what ``state`` says


@dataclass(frozen=True, slots=True)
class DeadLetterPolicy:
    max_attempts: int = MAX_ATTEMPTS  # ``[sync] max_attempts``
    backoff: timedelta = BACKOFF
    max_backoff: timedelta = MAX_BACKOFF

    def delay(self, attempts: int) -> timedelta:
        """How long after its last refusal a record that failed ``attempts`` times waits:
        refused once, it is tried on the next pass; then ``backoff``, doubling each time."""
        if attempts <= 1:
            return timedelta(0)
        return min(self.max_backoff, self.backoff * (1 << min(attempts - 2, 20)))


@dataclass(frozen=True, slots=True)
class Entry:
    """What the policy needs of a parked row."""

    status: str  # PARKED, DELIVERED or DISCARDED
    attempts: int
    last_at: datetime
    retry_at: datetime | None = None  # ``leadsync errors retry`` asked for it
    fingerprint: str = ""


def truncate(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """``message`` cut to about ``limit`` characters, saying how much was cut."""
    if len(message) <= limit:
        return message
    return f"{message[:limit]}... [{len(message) - limit:,} more characters cut]"


def clip_payload(payload: Mapping[str, Any], limit: int = VALUE_LIMIT) -> dict[str, Any]:
    """``payload`` with every long string value cut (a 100k value is not kept whole)."""
    def clip(value: Any) -> Any:
        if isinstance(value, str):
            return truncate(value, limit)
        if isinstance(value, Mapping):
            return {k: clip(v) for k, v in value.items()}
        return value
    return {key: clip(value) for key, value in payload.items()}


def fingerprint(values: Mapping[str, Any]) -> str:
    """A short, stable hash of ``values``: what was sent, or the source record's fields."""
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def after_refusal(previous: Entry | None, new_fingerprint: str) -> tuple[int, str]:
    """The attempts and status of a record refused (again): same input counts one more,
    new input starts again; a discarded record stays discarded until its input changes."""
    if previous is None or previous.status == DELIVERED:
        return 1, PARKED
    if previous.fingerprint != new_fingerprint:
        return 1, PARKED
    return previous.attempts + 1, previous.status


def state(entry: Entry, now: datetime, policy: DeadLetterPolicy) -> str:
    """WAITING, DUE or NEEDS_ACTION for a parked entry; its status otherwise."""
    if entry.status != PARKED:
        return entry.status
    if entry.retry_at is not None and entry.retry_at <= now:
        return DUE
    if entry.attempts >= policy.max_attempts:
        return NEEDS_ACTION
    return DUE if now >= entry.last_at + policy.delay(entry.attempts) else WAITING


def next_attempt(entry: Entry, policy: DeadLetterPolicy) -> datetime | None:
    """When an entry is tried again by itself; None when it needs action or is closed."""
    if entry.status != PARKED:
        return None
    if entry.retry_at is not None:
        return entry.retry_at
    if entry.attempts >= policy.max_attempts:
        return None
    return entry.last_at + policy.delay(entry.attempts)


def due(entries: Iterable[tuple[str, Entry]], now: datetime,
        policy: DeadLetterPolicy) -> list[str]:
    """The ids (in order, once) of the entries to try again now."""
    return list(dict.fromkeys(i for i, entry in entries if state(entry, now, policy) == DUE))
