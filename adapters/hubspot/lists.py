"""HubSpot's side of recycling: static (MANUAL) contact lists that marketers nurture from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from leadsync.adapters.hubspot.system import HubSpotSystem
from leadsync.connector.errors import ConfigError

CONTACTS = "0-1"  # HubSpot's object type id for contacts
CHUNK = 100


class HubSpotLists:
    on_recycle: ClassVar[dict[str, str]] = {"hs_lead_status": "BAD_TIMING"}  # "Bad timing"

    def __init__(self, system: HubSpotSystem) -> None:
        self.system = system
        self._ids: dict[str, str] = {}

    def list_id(self, name: str) -> str:
        """The id of the static contact list of that name, created if missing."""
        if name in self._ids:
            return self._ids[name]
        lists = self.system.client.crm.lists
        try:
            answer = self.system._call("find list", lists.lists_api.get_by_name,
                                       list_name=name, object_type_id=CONTACTS)
        except ConfigError as exc:
            if getattr(exc, "status", None) != 404:
                raise
            answer = self.system._call("create list", lists.lists_api.create,
                                       list_create_request={"name": name,
                                                            "objectTypeId": CONTACTS,
                                                            "processingType": "MANUAL"})
        self._ids[name] = str(answer["list"]["listId"])
        return self._ids[name]

    def add_to_list(self, list_name: str, record_ids: Sequence[str]) -> int:
        list_id = self.list_id(list_name)
        added = 0
        ids = list(dict.fromkeys(str(i) for i in record_ids))
        for start in range(0, len(ids), CHUNK):
            answer = self.system._call("add to list",
                                       self.system.client.crm.lists.memberships_api.add,
                                       list_id=list_id, request_body=ids[start:start + CHUNK])
            added += len(answer.get("recordIdsAdded") or answer.get("recordsIdsAdded") or [])
        return added

    def members(self, list_name: str) -> list[str]:
        """The record ids in the list (for reports and tests)."""
        list_id = self.list_id(list_name)
        found: list[str] = []
        after = None
        while True:
            kwargs = {"list_id": list_id, "limit": 250, **({"after": after} if after else {})}
            answer = self.system._call("list members",
                                       self.system.client.crm.lists.memberships_api.get_page,
                                       **kwargs)
            found += [str(r["recordId"]) for r in answer.get("results", [])]
            after = ((answer.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return found
