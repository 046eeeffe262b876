"""HubSpot's side of recycling: static (MANUAL) contact lists that marketers nurture from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadsync.adapters.hubspot.calls import HubSpotCalls
from leadsync.connector.errors import BatchRefused, NotFound

CONTACTS = "0-1"  # HubSpot's object type id for contacts
CHUNK = 100


class HubSpotLists:
    def __init__(self, calls: HubSpotCalls) -> None:
        self.calls = calls
        self.on_recycle: Mapping[str, str] = {"hs_lead_status": "BAD_TIMING"}  # "Bad timing"
        self._ids: dict[str, str] = {}

    def list_id(self, name: str) -> str:
        """The id of the static contact list of that name, created if missing."""
        if name in self._ids:
            return self._ids[name]
        try:
            answer = self._find(name)
        except NotFound:
            answer = self._create(name)
        self._ids[name] = str(answer["list"]["listId"])
        return self._ids[name]

    def _find(self, name: str) -> Any:
        return self.calls("find list", self.calls.client.crm.lists.lists_api.get_by_name,
                          list_name=name, object_type_id=CONTACTS)

    def _create(self, name: str) -> Any:
        try:
            return self.calls("create list", self.calls.client.crm.lists.lists_api.create,
                              list_create_request={"name": name, "objectTypeId": CONTACTS,
                                                   "processingType": "MANUAL"})
        except BatchRefused as refused:
            # list names are unique: another process (a shard of the same sweep) may have
            # made it since this one looked; then it is that list
            try:
                return self._find(name)
            except NotFound:
                raise refused from None

    def add_to_list(self, list_name: str, record_ids: Sequence[str]) -> int:
        list_id = self.list_id(list_name)
        added = 0
        ids = list(dict.fromkeys(str(i) for i in record_ids))
        for start in range(0, len(ids), CHUNK):
            answer = self.calls("add to list", self.calls.client.crm.lists.memberships_api.add,
                                list_id=list_id, request_body=ids[start:start + CHUNK])
            added += len(answer.get("recordIdsAdded") or answer.get("recordsIdsAdded") or [])
        return added

    def members(self, list_name: str) -> list[str]:
        """The record ids in the list (for reports and tests)."""
        list_id = self.list_id(list_name)
        memberships = self.calls.client.crm.lists.memberships_api
        return [str(r["recordId"]) for page in self.calls.pages(
            "list members", memberships.get_page, list_id=list_id, limit=250)
            for r in page.get("results", [])]
