"""Public groups and queues: what the org does on writes to Group and GroupMember, and which
records a group may own.

As the Object Reference describes them:

- A queue is a Group whose ``Type`` is ``Queue``; a public group's is ``Regular``.
- A Group created without a ``DeveloperName`` gets one made from its ``Name``; the name is unique
  among the groups of one type (``DUPLICATE_DEVELOPER_NAME``).
- Creating a GroupMember that matches an existing one returns the existing record.
- Only a queue may own records, and only of the objects queues support: leads (and tasks) here.
  Accounts, contacts and opportunities cannot be owned by a queue, which is why converting a
  queue-owned lead needs an ``ownerId``.
- Group and GroupMember are setup objects: a deleted one is gone (no recycle bin, no
  ``IsDeleted``), and deleting a group deletes its memberships.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from leadsync.sandbox.salesforce.errors import RecordError

if TYPE_CHECKING:
    from leadsync.sandbox.salesforce.org import SalesforceOrg

QUEUE = "Queue"
QUEUE_OWNED = frozenset({"Lead", "Task"})
DEVELOPER_NAME_LENGTH = 80
_WORD = re.compile(r"[A-Za-z0-9]+")

Record = dict[str, Any]


def developer_name(name: str | None) -> str | None:
    """The API name Salesforce makes from a label: its words joined by underscores."""
    text = "_".join(_WORD.findall(name or ""))
    if not text:
        return None
    if not text[0].isalpha():
        text = "X" + text
    return text[:DEVELOPER_NAME_LENGTH].rstrip("_")


def derive(sobject: str, record: Record) -> None:
    """Fields the org fills in: a group's DeveloperName when none was given."""
    if sobject == "Group" and not record.get("DeveloperName"):
        record["DeveloperName"] = developer_name(record.get("Name"))


def check(org: SalesforceOrg, sobject: str, record: Record,
          old: Record | None) -> list[RecordError]:
    """Why the org refuses this write of a record: its owner, or its group's API name."""
    errors = []
    owner = record.get("OwnerId")
    if owner and (old is None or old.get("OwnerId") != owner):
        found = org.locate(owner)
        if found is not None and found[0] == "Group" and (
                sobject not in QUEUE_OWNED or found[1].get("Type") != QUEUE):
            errors.append(RecordError("FIELD_INTEGRITY_EXCEPTION",
                                      f"Owner ID: id value of incorrect type: {owner}",
                                      ["OwnerId"]))
    if sobject == "Group":
        name = record.get("DeveloperName") or developer_name(record.get("Name"))
        clash = next((g["Id"] for g in _live(org, "Group")
                      if g["Id"] != record.get("Id") and g.get("Type") == record.get("Type")
                      and name and (g.get("DeveloperName") or "").lower() == name.lower()),
                     None)
        if clash is not None:
            errors.append(RecordError(
                "DUPLICATE_DEVELOPER_NAME",
                f"The API name {name} is already used by another group of type "
                f"{record.get('Type')}: {clash}", ["DeveloperName"]))
    return errors


def existing_member(org: SalesforceOrg, sobject: str, record: Record) -> str | None:
    """The id of the GroupMember this new one repeats, if any (the org returns that one)."""
    if sobject != "GroupMember":
        return None
    return next((m["Id"] for m in _live(org, "GroupMember")
                 if m.get("GroupId") == record.get("GroupId")
                 and m.get("UserOrGroupId") == record.get("UserOrGroupId")), None)


def memberships(org: SalesforceOrg, group_id: str) -> list[Record]:
    """The live memberships of a group, and those that make it a member of others."""
    return [m for m in _live(org, "GroupMember")
            if group_id in (m.get("GroupId"), m.get("UserOrGroupId"))]


def _live(org: SalesforceOrg, sobject: str) -> list[Record]:
    return [r for r in org.records[sobject].values() if not r.get("IsDeleted")]
