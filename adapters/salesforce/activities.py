"""Salesforce's side of the SLA: Tasks and Events on leads, tasks for managers, the reps.

Touches are completed Tasks (``TaskSubtype`` Call or Email; ``Type`` when the subtype is the
generic "Task") and held Events, on the lead (``WhoId``), at or after a given instant.

Each task LeadSync makes carries its action's key in ``LeadSync_Key__c``, a custom activity
field (created on Activity, so Tasks and Events both have it; ``TASK_KEY``), so that a task a
sweep made before it died is found (``tasks_by_key``) rather than made again. A create whose
answer is lost is retried only after looking for the tasks it may have made.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from leadsync.adapters.salesforce.calls import SalesforceCalls
from leadsync.adapters.salesforce.descriptor import LEAD_PROCESS
from leadsync.adapters.salesforce.system import _metadata, parse_datetime, soql_literal
from leadsync.connector.errors import ConfigError
from leadsync.connector.models import Activity, FieldInfo, TaskSpec, WriteResult
from leadsync.connector.routing import Rep

CHUNK = 150  # ids per SOQL IN list: keeps the query URL well under Salesforce's 16,000 chars
TASK_FIELDS = "Id, WhoId, TaskSubtype, Type, CompletedDateTime, CreatedDate, OwnerId, Subject"
EVENT_FIELDS = "Id, WhoId, StartDateTime, OwnerId, Subject"
USER_PREFIX = "005"  # queue members that are users (not nested groups or roles)
KEY_CHUNK = 100  # keys (up to ~80 characters each) per SOQL IN list
TASK_KEY = FieldInfo("LeadSync_Key__c", "string", label="LeadSync Key", length=255)


def task_kind(row: dict[str, Any]) -> str | None:
    subtype = (row.get("TaskSubtype") or "").lower()
    if subtype in ("call", "email"):
        return subtype
    kind = (row.get("Type") or "").lower()
    return kind if kind in ("call", "email") else None


class SalesforceActivities:
    """Activities, tasks and reps of one org, through the same client and budgets."""

    process = LEAD_PROCESS
    task_fields: tuple[FieldInfo, ...] = (TASK_KEY,)

    def __init__(self, calls: SalesforceCalls) -> None:
        self.calls = calls

    def read_activities(self, record_ids: Sequence[str], since: datetime,
                        until: datetime) -> list[Activity]:
        found: list[Activity] = []
        for chunk in _chunks(list(dict.fromkeys(record_ids)), CHUNK):
            ids = ", ".join(soql_literal(i) for i in chunk)
            tasks = (f"SELECT {TASK_FIELDS} FROM Task WHERE WhoId IN ({ids}) AND IsClosed = true "
                     f"AND CompletedDateTime >= {soql_literal(since)} "
                     f"AND CompletedDateTime <= {soql_literal(until)}")
            for rows in self.calls.query(tasks, include_deleted=False):
                for row in rows:
                    kind = task_kind(row)
                    if kind:
                        found.append(Activity(row["Id"], row["WhoId"], kind,
                                              parse_datetime(row["CompletedDateTime"]),
                                              row.get("OwnerId"), row.get("Subject") or ""))
            events = (f"SELECT {EVENT_FIELDS} FROM Event WHERE WhoId IN ({ids}) "
                      f"AND StartDateTime >= {soql_literal(since)} "
                      f"AND StartDateTime <= {soql_literal(until)}")
            for rows in self.calls.query(events, include_deleted=False):
                found += [Activity(row["Id"], row["WhoId"], "meeting",
                                   parse_datetime(row["StartDateTime"]), row.get("OwnerId"),
                                   row.get("Subject") or "") for row in rows]
        return found

    def create_tasks(self, tasks: Sequence[TaskSpec]) -> list[WriteResult]:
        results: list[WriteResult] = []
        for chunk in _chunks(list(tasks), 200):
            made: dict[str, WriteResult] = {}
            self.calls.retry.run("Salesforce", "create tasks",
                                 partial(self._create_missing, chunk, made, []),
                                 self.calls.count_retry)
            results += [made[task.key] for task in chunk]
        return results

    def _create_missing(self, chunk: list[TaskSpec], made: dict[str, WriteResult],
                        tried: list[bool]) -> None:
        """One attempt at creating ``chunk``; after a failed one, the tasks it made anyway
        (its answer lost) are found by key first and only the others are created."""
        if tried:
            found = self.tasks_by_key([t.key for t in chunk if t.key not in made])
            made.update({key: WriteResult(key, True, task_id, created=False)
                         for key, task_id in found.items()})
        tried.append(True)
        todo = [task for task in chunk if task.key not in made]
        if not todo:
            return
        records = [{"attributes": {"type": "Task"}, "WhoId": task.record_id,
                    "Subject": task.subject[:255], "Description": task.description,
                    "Status": "Not Started", "Priority": "High",
                    "ActivityDate": (task.due or datetime.now(UTC)).date().isoformat(),
                    TASK_KEY.name: task.key,
                    **({"OwnerId": task.owner_id} if task.owner_id else {})}
                   for task in todo]
        answer = self.calls.once("create tasks", self.calls.client.restful,
                                 "composite/sobjects", method="POST",
                                 json={"allOrNone": False, "records": records})
        for task, item in zip(todo, answer or [], strict=True):
            error = (item.get("errors") or [{}])[0]
            made[task.key] = WriteResult(task.key, bool(item.get("success")), item.get("id"),
                                         created=bool(item.get("success")),
                                         code=str(error.get("statusCode", "")),
                                         message=str(error.get("message", "")))

    def tasks_by_key(self, keys: Sequence[str]) -> dict[str, str]:
        """The tasks that carry these keys in ``LeadSync_Key__c``: key -> task id."""
        found: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(keys)), KEY_CHUNK):
            soql = (f"SELECT Id, {TASK_KEY.name} FROM Task WHERE {TASK_KEY.name} IN "
                    f"({', '.join(soql_literal(k) for k in chunk)})")
            for rows in self.calls.query(soql, include_deleted=False):
                found.update({row[TASK_KEY.name]: row["Id"] for row in rows})
        return found

    def missing_task_fields(self, specs: Sequence[FieldInfo]) -> list[FieldInfo]:
        answer = self.calls("describe Task", self.calls.client.restful,
                            "sobjects/Task/describe/") or {}
        existing = {f["name"] for f in answer.get("fields", [])}
        return [spec for spec in specs if spec.name not in existing]

    def create_task_fields(self, specs: Sequence[FieldInfo]) -> list[str]:
        """Each as a custom activity field (Salesforce keeps Task fields on Activity)."""
        for spec in specs:
            self.calls("create field", self.calls.client.toolingexecute,
                       "sobjects/CustomField/", method="POST",
                       data={"FullName": f"Activity.{spec.name}", "Metadata": _metadata(spec)})
        return [spec.name for spec in specs]

    def reps(self) -> list[Rep]:
        reps: list[Rep] = []
        soql = "SELECT Id, Email, Name, TimeZoneSidKey, ManagerId, IsActive FROM User"
        for rows in self.calls.query(soql, include_deleted=False):
            reps += [Rep(row["Id"], row.get("Email") or "", row.get("Name") or "",
                         row.get("TimeZoneSidKey"), row.get("ManagerId"),
                         bool(row.get("IsActive", True))) for row in rows]
        return reps

    def queue_members(self, name: str) -> list[str]:
        """The users of the queue with that API name (or else label), by id; members that are
        groups or roles are not expanded."""
        soql = (f"SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Queue' AND "
                f"(DeveloperName = {soql_literal(name)} OR Name = {soql_literal(name)})")
        queues = [row for rows in self.calls.query(soql, include_deleted=False)
                  for row in rows]
        exact = [q for q in queues if q.get("DeveloperName") == name] or queues
        if not exact:
            raise ConfigError(f"Salesforce has no queue named {name!r} (API name or label)",
                              "sla.pool.queue")
        if len(exact) > 1:
            raise ConfigError(f"{len(exact)} Salesforce queues are labelled {name!r}; name one "
                              f"by its API name: {', '.join(q['DeveloperName'] for q in exact)}",
                              "sla.pool.queue")
        members = (f"SELECT UserOrGroupId FROM GroupMember "
                   f"WHERE GroupId = {soql_literal(exact[0]['Id'])}")
        ids = {row["UserOrGroupId"] for rows in self.calls.query(
            members, include_deleted=False) for row in rows}
        return sorted(i for i in ids if str(i).startswith(USER_PREFIX))


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
