"""Associations between records, with HubSpot's defined association type ids.

Each association is kept in both directions, as HubSpot reports it from either side: a call
associated to a contact with type 194 (call to contact) is also the contact's association to the
call with type 193 (contact to call). Emails use 198/197 and tasks 204/203 the same way.
"""

from __future__ import annotations

from typing import Any

from leadsync.sandbox.hubspot.errors import validation_error

# (from type, to type) -> HUBSPOT_DEFINED type id, and the name v3 reads show for it.
TYPE_IDS = {("contacts", "calls"): 193, ("calls", "contacts"): 194,
            ("contacts", "emails"): 197, ("emails", "contacts"): 198,
            ("contacts", "tasks"): 203, ("tasks", "contacts"): 204}
TYPE_NAMES = {193: "contact_to_call", 194: "call_to_contact",
              197: "contact_to_email", 198: "email_to_contact",
              203: "contact_to_task", 204: "task_to_contact"}
INVERSE = {193: 194, 194: 193, 197: 198, 198: 197, 203: 204, 204: 203}

# from type -> from id -> to type -> to id -> type ids
Edges = dict[str, dict[str, dict[str, dict[str, list[int]]]]]


class Associations:
    def __init__(self) -> None:
        self.edges: Edges = {}

    def check(self, from_type: str, to_type: str, category: str, type_id: int) -> None:
        expected = TYPE_IDS.get((from_type, to_type))
        if category != "HUBSPOT_DEFINED" or expected != type_id:
            raise validation_error(
                f"{category} association type {type_id} is not valid between {from_type} and "
                f"{to_type}" + (f"; use HUBSPOT_DEFINED {expected}" if expected else ""))

    def add(self, from_type: str, from_id: str, to_type: str, to_id: str, type_id: int) -> None:
        self._add(from_type, from_id, to_type, to_id, type_id)
        self._add(to_type, to_id, from_type, from_id, INVERSE[type_id])

    def targets(self, from_type: str, from_id: str, to_type: str) -> dict[str, list[int]]:
        """The associated ids of ``to_type``, in the order they were made, with their type ids."""
        return self.edges.get(from_type, {}).get(from_id, {}).get(to_type, {})

    def move(self, object_type: str, old_id: str, new_id: str) -> None:
        """Give everything associated with ``old_id`` to ``new_id`` (a merge)."""
        by_type = self.edges.get(object_type, {}).pop(old_id, {})
        for to_type, targets in by_type.items():
            for to_id, type_ids in targets.items():
                back = self.edges[to_type][to_id][object_type]
                back.pop(old_id, None)
                for type_id in type_ids:
                    self.add(object_type, new_id, to_type, to_id, type_id)

    def dump(self) -> list[list[Any]]:
        return [[f, fid, t, tid, type_id]
                for f, by_id in self.edges.items() for fid, by_type in by_id.items()
                for t, targets in by_type.items() for tid, type_ids in targets.items()
                for type_id in type_ids]

    def restore(self, rows: list[list[Any]]) -> None:
        self.edges = {}
        for from_type, from_id, to_type, to_id, type_id in rows:
            self._add(from_type, from_id, to_type, to_id, int(type_id))

    def _add(self, from_type: str, from_id: str, to_type: str, to_id: str, type_id: int) -> None:
        type_ids = (self.edges.setdefault(from_type, {}).setdefault(from_id, {})
                    .setdefault(to_type, {}).setdefault(to_id, []))
        if type_id not in type_ids:
            type_ids.append(type_id)
