"""The port every system adapter implements: a handful of methods, nothing vendor-specific.

An adapter *has* a vendor client and implements ``System``; it subclasses nothing. The engine
only ever talks to systems through this protocol, so a new system (Marketo, Dynamics) is a new
adapter package and nothing else: its descriptor (``adapters/descriptor.py``) says which of
these ports it implements, and ``adapters/registry.py`` builds them for the jobs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from leadsync.connector.models import (
    Activity,
    Cursor,
    FieldInfo,
    FieldValue,
    Record,
    SalesProcess,
    TaskSpec,
    WriteOp,
    WriteResult,
)

if TYPE_CHECKING:
    from leadsync.connector.routing import Rep


class System(Protocol):
    """One side of a connection: a marketing platform or a CRM."""

    name: str  # the config's name for it, e.g. "hubspot"
    kind: str  # the adapter, e.g. "hubspot", "salesforce"
    key_field: str  # the unique field that holds LeadSync's key, e.g. "LeadSync_Id__c"
    id_field: str  # the field ``lookup`` takes to find records by their own id

    def read_changes(self, since: Cursor | None, until: datetime,
                     fields: Sequence[str]) -> Iterator[list[Record]]:
        """Pages of records modified in [since, until], deletes included; oldest first from a
        cursor, in any order on a full read (``since`` None).

        Records the cursor has already seen at its boundary are not yielded. Pages are
        confirmed by the caller one at a time, so a crash loses nothing.
        """
        ...

    def lookup(self, field: str, values: Sequence[FieldValue], fields: Sequence[str]
               ) -> list[Record]:
        """Live records whose ``field`` equals one of ``values``: emails when matching, ids,
        ``True`` for a checkbox. ``None`` and ``""`` match nothing and are skipped."""
        ...

    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Idempotent upserts, one result per op in order; a refused record is a result."""
        ...

    def describe(self) -> dict[str, FieldInfo]:
        """The fields of the lead object, by name."""
        ...

    def users(self) -> dict[str, str]:
        """The system's users or owners, id -> email (owners are matched across by email)."""
        ...

    def create_fields(self, specs: Sequence[FieldInfo]) -> list[str]:
        """Create these fields (``leadsync install`` asks only for missing ones; nothing else
        creates fields); the names created. An existing field is never changed."""
        ...

    @property
    def calls_made(self) -> int:
        """API calls made so far through this adapter (for summaries and budgets)."""
        ...

    @property
    def retries_made(self) -> int:
        """Of those, the calls that were retries of a failed one (for summaries)."""
        ...

    def budget(self) -> dict[str, float]:
        """The API allowance as the vendor last reported it, in plain numbers: ``daily_limit``,
        ``daily_used``, ``daily_left`` where it counts calls a day, ``window_limit``,
        ``window_left`` and ``window_seconds`` where it counts them in a rolling window; a
        key it did not report (no call answered yet) is left out. Makes no call."""
        ...


class Activities(Protocol):
    """The CRM side of the SLA: touches logged on leads, tasks for people, the reps."""

    process: SalesProcess  # where the CRM keeps owner, status and conversion on a lead
    task_fields: tuple[FieldInfo, ...]  # LeadSync's own task fields: the key each task carries

    def read_activities(self, record_ids: Sequence[str], since: datetime,
                        until: datetime) -> list[Activity]:
        """Completed calls, emails and meetings held on these records in [since, until]."""
        ...

    def create_tasks(self, tasks: Sequence[TaskSpec]) -> list[WriteResult]:
        """Open tasks (e.g. an escalation for a manager), one result per task, in order; each
        carries its ``key`` on the task, and a retry never makes a second task of one key."""
        ...

    def tasks_by_key(self, keys: Sequence[str]) -> dict[str, str]:
        """The tasks that carry these keys, key -> task id (made by a sweep that died)."""
        ...

    def missing_task_fields(self, specs: Sequence[FieldInfo]) -> list[FieldInfo]:
        """Those of LeadSync's task fields (``task_fields``) the CRM lacks (read only)."""
        ...

    def create_task_fields(self, specs: Sequence[FieldInfo]) -> list[str]:
        """Create these task fields (``leadsync install --apply`` only); the names created."""
        ...

    def reps(self) -> list[Rep]:
        """The people who own leads: id, email, name, time zone, manager, active."""
        ...

    def queue_members(self, name: str) -> list[str]:
        """The user ids of a CRM queue or team (by name or API name), in a stable order;
        ``ConfigError`` naming the queue when there is none of that name."""
        ...


class Lists(Protocol):
    """The marketing side of recycling: static lists marketers nurture from."""

    on_recycle: Mapping[str, str]  # what a recycled record is set to by default (lead status)

    def add_to_list(self, list_name: str, record_ids: Sequence[str]) -> int:
        """Add records to the static list of that name, creating it if missing; how many."""
        ...


class Notifier(Protocol):
    """Where SLA events go besides the CRM (a webhook): one event, one delivery."""

    def notify(self, key: str, event: Mapping[str, object]) -> WriteResult:
        """Deliver ``event``; ``key`` is the action's deterministic key, the same for the same
        event in every run, so that the receiver can drop a repeat. A failure is a result."""
        ...
