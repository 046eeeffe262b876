"""HubSpot's side of the SLA, when HubSpot is the CRM: calls and emails on contacts, tasks for
managers, owners as reps, teams as queues.

Touches are calls whose ``hs_call_status`` is COMPLETED and emails sent by the team
(``hs_email_direction`` EMAIL, not bounced, failed or still scheduled), associated with the
contact, their ``hs_timestamp`` in the window. The contact's associations are read in batches
(v4 associations batch read), then the activities themselves (v3 batch read), so a sweep costs
a few calls per thousand leads whatever the portal holds. Meetings are not read yet.

HubSpot owners carry no manager and no time zone: escalations go to ``[sla] escalate_to`` and
"rep" calendars use the default calendar's zone.

Each task LeadSync makes carries its action's key in the task property ``leadsync_key``
(``TASK_KEY``), so that a task a sweep made before it died is found (``tasks_by_key``, a tasks
search) rather than made again; a create whose answer is lost is retried only after looking
for it. HubSpot's search index lags writes by a few seconds: a task made by a sweep that died
that recently may not be found yet (the sandbox has no lag).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from leadsync.adapters.hubspot.calls import HubSpotCalls, next_after
from leadsync.adapters.hubspot.changes import epoch_ms, parse_timestamp
from leadsync.adapters.hubspot.descriptor import CONTACT_PROCESS
from leadsync.adapters.hubspot.owners import read_owners
from leadsync.adapters.hubspot.system import _property_create
from leadsync.connector.errors import AuthError, ConfigError
from leadsync.connector.models import Activity, FieldInfo, TaskSpec, WriteResult
from leadsync.connector.routing import Rep

ASSOCIATION_BATCH = 1000  # inputs per v4 associations batch read
READ_BATCH = 100  # inputs per v3 batch read
TASK_TO_CONTACT = 204  # HUBSPOT_DEFINED association type
SEARCH_VALUES = 100  # values in one IN filter of a search
TASK_KEY = FieldInfo("leadsync_key", "string", label="LeadSync key")
SENT = {"", "SENT"}  # email statuses that reached the lead (a logged email may carry none)

_KINDS = {"calls": ("call", ["hs_timestamp", "hs_call_status", "hs_call_title",
                             "hubspot_owner_id"]),
          "emails": ("email", ["hs_timestamp", "hs_email_status", "hs_email_direction",
                               "hs_email_subject", "hubspot_owner_id"])}


def counts(object_type: str, properties: dict[str, Any]) -> bool:
    """Whether a call or email is a touch: completed, or sent by the team."""
    if object_type == "calls":
        return (properties.get("hs_call_status") or "").upper() == "COMPLETED"
    return ((properties.get("hs_email_direction") or "").upper() == "EMAIL"
            and (properties.get("hs_email_status") or "").upper() in SENT)


class HubSpotActivities:
    """Activities, tasks, owners and teams of one portal, through the same client and budgets."""

    process = CONTACT_PROCESS
    task_fields: tuple[FieldInfo, ...] = (TASK_KEY,)

    def __init__(self, calls: HubSpotCalls) -> None:
        self.calls = calls

    def read_activities(self, record_ids: Sequence[str], since: datetime,
                        until: datetime) -> list[Activity]:
        found: list[Activity] = []
        ids = list(dict.fromkeys(str(i) for i in record_ids))
        for object_type, (kind, properties) in _KINDS.items():
            owners = self._associated(ids, object_type)  # activity id -> contact ids
            for rows in self._read(object_type, list(owners), properties):
                for row in rows:
                    props = row.get("properties") or {}
                    if not counts(object_type, props) or not props.get("hs_timestamp"):
                        continue
                    at = parse_timestamp(props["hs_timestamp"])
                    if not since <= at <= until:
                        continue
                    subject = props.get("hs_call_title") or props.get("hs_email_subject") or ""
                    found += [Activity(str(row["id"]), contact, kind, at,
                                       props.get("hubspot_owner_id"), subject)
                              for contact in owners.get(str(row["id"]), [])]
        return found

    def _associated(self, contact_ids: list[str], object_type: str) -> dict[str, list[str]]:
        batch_api = self.calls.client.crm.associations.v4.batch_api
        found: dict[str, list[str]] = {}
        pending: list[dict[str, str]] = [{"id": i} for i in contact_ids]
        while pending:  # each contact's list is paged on its own: ask again from "after"
            more: list[dict[str, str]] = []
            for chunk in _chunks(pending, ASSOCIATION_BATCH):
                answer = self.calls(
                    f"contacts to {object_type}", batch_api.get_page,
                    from_object_type="contacts", to_object_type=object_type,
                    batch_input_public_fetch_associations_batch_request={"inputs": chunk})
                for result in answer.get("results", []):
                    contact = str(result["from"]["id"])
                    for target in result.get("to", []):
                        found.setdefault(str(target["toObjectId"]), []).append(contact)
                    after = ((result.get("paging") or {}).get("next") or {}).get("after")
                    if after:
                        more.append({"id": contact, "after": str(after)})
            pending = more
        return found

    def _read(self, object_type: str, ids: list[str], properties: list[str]
              ) -> Iterator[list[dict[str, Any]]]:
        batch_api = getattr(self.calls.client.crm.objects, object_type).batch_api
        for chunk in _chunks(ids, READ_BATCH):
            answer = self.calls(
                f"read {object_type}", batch_api.read,
                batch_read_input_simple_public_object_id={
                    "inputs": [{"id": i} for i in chunk], "properties": properties})
            yield answer.get("results", [])

    def create_tasks(self, tasks: Sequence[TaskSpec]) -> list[WriteResult]:
        """One call per task: HubSpot's batch create does not answer in input order (escalations
        are few)."""
        results: list[WriteResult] = []
        for task in tasks:
            try:
                results.append(self.calls.retry.run(
                    "HubSpot", "create task", partial(self._create_one, task, []),
                    self.calls.count_retry))
            except ConfigError as exc:  # refused: the task failed, with why
                if isinstance(exc, AuthError):
                    raise
                results.append(WriteResult(task.key, False, code=exc.code, message=exc.message))
        return results

    def _create_one(self, task: TaskSpec, tried: list[bool]) -> WriteResult:
        """One attempt; after a failed one, the task it made anyway (its answer lost) is looked
        for by key first."""
        if tried:
            found = self.tasks_by_key([task.key])
            if task.key in found:
                return WriteResult(task.key, True, found[task.key], created=False)
        tried.append(True)
        body = {"properties": {
            "hs_timestamp": epoch_ms(task.due or datetime.now(UTC)),
            "hs_task_subject": task.subject[:255], "hs_task_body": task.description,
            "hs_task_status": "NOT_STARTED", "hs_task_priority": "HIGH",
            "hs_task_type": "TODO", TASK_KEY.name: task.key,
            **({"hubspot_owner_id": task.owner_id} if task.owner_id else {})},
            "associations": [{"to": {"id": task.record_id}, "types": [{
                "associationCategory": "HUBSPOT_DEFINED",
                "associationTypeId": TASK_TO_CONTACT}]}]}
        answer = self.calls.once("create task", self.calls.client.crm.objects.tasks.basic_api
                                 .create, simple_public_object_input_for_create=body)
        return WriteResult(task.key, True, str(answer["id"]), created=True)

    def tasks_by_key(self, keys: Sequence[str]) -> dict[str, str]:
        """The tasks whose ``leadsync_key`` is one of these keys: key -> task id."""
        found: dict[str, str] = {}
        search_api = self.calls.client.crm.objects.tasks.search_api
        for chunk in _chunks(list(dict.fromkeys(keys)), SEARCH_VALUES):
            after: str | None = None
            while True:
                request: dict[str, Any] = {
                    "filterGroups": [{"filters": [{"propertyName": TASK_KEY.name,
                                                   "operator": "IN", "values": chunk}]}],
                    "properties": [TASK_KEY.name], "limit": 100,
                    **({"after": after} if after else {})}
                answer = self.calls("find tasks by key", search_api.do_search, search=True,
                                    public_object_search_request=request)
                for row in answer.get("results", []):
                    key = (row.get("properties") or {}).get(TASK_KEY.name)
                    if key:
                        found[str(key)] = str(row["id"])
                after = next_after(answer)
                if not after:
                    break
        return found

    def missing_task_fields(self, specs: Sequence[FieldInfo]) -> list[FieldInfo]:
        api = self.calls.client.crm.properties
        existing = {p["name"] for p in self.calls("task properties", api.core_api.get_all,
                                                  object_type="tasks").get("results", [])}
        return [spec for spec in specs if spec.name not in existing]

    def create_task_fields(self, specs: Sequence[FieldInfo]) -> list[str]:
        """Each as a task property, in a "leadsync" property group (made if missing)."""
        missing = list(specs)
        if not missing:
            return []
        api = self.calls.client.crm.properties
        groups = self.calls("task property groups", api.groups_api.get_all, object_type="tasks")
        if "leadsync" not in {g["name"] for g in groups.get("results", [])}:
            self.calls("create task property group", api.groups_api.create, object_type="tasks",
                       property_group_create={"name": "leadsync", "label": "LeadSync",
                                              "displayOrder": -1})
        for spec in missing:
            self.calls("create task property", api.core_api.create, object_type="tasks",
                       property_create=_property_create(spec))
        return [spec.name for spec in missing]

    def reps(self) -> list[Rep]:
        return [Rep(str(o["id"]), o.get("email") or "",
                    f"{o.get('firstName') or ''} {o.get('lastName') or ''}".strip(),
                    active=not o.get("archived", False)) for o in read_owners(self.calls)]

    def queue_members(self, name: str) -> list[str]:
        """The owners on the team of that name (HubSpot's teams are its queues)."""
        owners = read_owners(self.calls)
        teams = {str(t.get("name")) for o in owners for t in o.get("teams") or []}
        if name not in teams:
            raise ConfigError(f"HubSpot has no team named {name!r} (teams: "
                              f"{', '.join(sorted(teams)) or 'none'})", "sla.pool.queue")
        return sorted({str(o["id"]) for o in owners
                       if any(t.get("name") == name for t in o.get("teams") or [])})


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
