"""Who may see LeadSync's fields in the CRM: the permission sets ``leadsync install`` creates.

A field LeadSync creates is visible to no one until a permission set (or profile) grants it:
Salesforce gives new custom fields no field-level access. ``leadsync install`` therefore makes
two permission sets and grants them access to every field of LeadSync's on the lead (and the
key field of its SLA tasks):

- ``LeadSync_Fields`` ("LeadSync fields"): **read** on every LeadSync lead field, for reps,
  managers and anyone who works from list views and reports on them. Reps edit none of
  LeadSync's fields: LeadSync writes them all and would write over a rep's edit.
- ``LeadSync_Integration`` ("LeadSync integration"): **read and edit** on every LeadSync lead
  field and task field, for the user LeadSync logs in as.

Pure: the grants wanted and what the CRM holds (``FoundSet`` per permission set) in, what is to
be created out. Idempotent as the fields are: a set that exists is kept, a grant that exists is
kept, only the missing ones are created. A grant that exists with less access than wanted
(read where edit is wanted) is not changed: it is reported for the admin. Assignments
(``install --assign-to EMAIL``) are planned the same way: a user who has the set already is
left alone, an email that is no active user is an error naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from leadsync.connector.errors import ConfigError


@dataclass(frozen=True)
class PermissionSetSpec:
    name: str  # the API name (PermissionSet.Name)
    label: str
    description: str
    edit: bool  # grants edit as well as read
    tasks: bool  # grants the task fields too
    option: str  # the install option that assigns it to users


FIELDS_SET = PermissionSetSpec(
    "LeadSync_Fields", "LeadSync fields",
    "Read access to the fields LeadSync writes on leads (verdict, SLA deadlines and status), "
    "for reps, managers and their list views and reports.", edit=False, tasks=False,
    option="--assign-to")
INTEGRATION_SET = PermissionSetSpec(
    "LeadSync_Integration", "LeadSync integration",
    "Read and edit access to LeadSync's fields, for the user LeadSync logs in as.",
    edit=True, tasks=True, option="--integration-user")
PERMISSION_SETS = (FIELDS_SET, INTEGRATION_SET)


@dataclass(frozen=True)
class Grant:
    """Access to one field (``Lead.LeadSync_Status__c``) in one permission set."""

    set_name: str
    field: str
    edit: bool

    @property
    def sobject(self) -> str:
        return self.field.partition(".")[0]


@dataclass(frozen=True)
class Assignment:
    set_name: str
    email: str
    user_id: str


@dataclass(frozen=True)
class FoundSet:
    """A permission set as the CRM holds it: its id, field -> (read, edit), and assignees."""

    id: str
    fields: Mapping[str, tuple[bool, bool]] = field(default_factory=dict)
    assignees: frozenset[str] = frozenset()


@dataclass
class AccessPlan:
    sets_present: list[str] = field(default_factory=list)
    sets_to_create: list[PermissionSetSpec] = field(default_factory=list)
    present: list[Grant] = field(default_factory=list)
    create: list[Grant] = field(default_factory=list)
    assigned: list[Assignment] = field(default_factory=list)
    assign: list[Assignment] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    set_ids: dict[str, str] = field(default_factory=dict)  # the sets that exist, by name

    def writes(self) -> int:
        return len(self.sets_to_create) + len(self.create) + len(self.assign)

    def as_dict(self) -> dict[str, object]:
        def grants(items: Iterable[Grant]) -> list[dict[str, object]]:
            return [{"permission_set": g.set_name, "field": g.field,
                     "access": "read, edit" if g.edit else "read"} for g in items]

        def people(items: Iterable[Assignment]) -> list[dict[str, str]]:
            return [{"permission_set": a.set_name, "email": a.email, "user_id": a.user_id}
                    for a in items]
        return {"permission_sets": {"present": list(self.sets_present),
                                    "create": [s.name for s in self.sets_to_create]},
                "grants": {"present": grants(self.present), "create": grants(self.create)},
                "assignments": {"present": people(self.assigned), "create": people(self.assign)},
                "conflicts": list(self.conflicts)}


class FieldAccess(Protocol):
    """A CRM's permission sets (Salesforce: PermissionSet, FieldPermissions,
    PermissionSetAssignment); ``install`` is its only user."""

    def permission_sets(self, names: Sequence[str]) -> dict[str, FoundSet]:
        """The sets of these API names that exist, with their field access (read only)."""
        ...

    def user_ids(self, emails: Sequence[str]) -> dict[str, str]:
        """Active users by email (lower case) -> id (read only)."""
        ...

    def create_permission_set(self, spec: PermissionSetSpec) -> str:
        """Create the set (or find it, made by an attempt whose answer was lost); its id."""
        ...

    def grant(self, set_id: str, grants: Sequence[Grant]) -> list[str]:
        """Create these field permissions; the fields granted (one granted already counts)."""
        ...

    def assign(self, set_id: str, user_ids: Sequence[str]) -> list[str]:
        """Assign the set to these users; the user ids assigned (already assigned counts)."""
        ...


def wanted_grants(lead_fields: Sequence[str], task_fields: Sequence[str],
                  sobject: str = "Lead", task_object: str = "Task") -> list[Grant]:
    """Every grant of both sets, for LeadSync's fields of the lead and of its tasks."""
    grants = []
    for spec in PERMISSION_SETS:
        names = [f"{sobject}.{n}" for n in dict.fromkeys(lead_fields)]
        if spec.tasks:
            names += [f"{task_object}.{n}" for n in dict.fromkeys(task_fields)]
        grants += [Grant(spec.name, name, spec.edit) for name in names]
    return grants


def plan_access(grants: Sequence[Grant], found: Mapping[str, FoundSet],
                assign_to: Mapping[str, Sequence[str]] | None = None,
                users: Mapping[str, str] | None = None) -> AccessPlan:
    """The sets, grants and assignments to create. ``assign_to``: set name -> emails;
    ``users``: active users, lower-case email -> id. ``ConfigError`` for an email that is
    no active user, naming it."""
    plan = AccessPlan()
    for spec in PERMISSION_SETS:
        if spec.name in found:
            plan.sets_present.append(spec.name)
            plan.set_ids[spec.name] = found[spec.name].id
        else:
            plan.sets_to_create.append(spec)
    for grant in grants:
        current = found.get(grant.set_name)
        held = current.fields.get(grant.field) if current else None
        if held is None or not held[0]:
            plan.create.append(grant)
        elif grant.edit and not held[1]:
            plan.conflicts.append(f"permission set {grant.set_name} grants {grant.field} read "
                                  f"only, LeadSync needs edit there; LeadSync changes no "
                                  f"existing permission: give it Edit in Setup")
        else:
            plan.present.append(grant)
    users = users or {}
    for set_name, emails in (assign_to or {}).items():
        unknown = [e for e in emails if e.strip().lower() not in users]
        if unknown:
            option = next((s.option for s in PERMISSION_SETS if s.name == set_name), "")
            raise ConfigError(f"no active Salesforce user has the email "
                              f"{', '.join(unknown)}: cannot assign permission set {set_name}",
                              option)
        current = found.get(set_name)
        for email in dict.fromkeys(e.strip().lower() for e in emails):
            assignment = Assignment(set_name, email, users[email])
            if current is not None and users[email] in current.assignees:
                plan.assigned.append(assignment)
            else:
                plan.assign.append(assignment)
    return plan
