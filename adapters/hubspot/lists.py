"""HubSpot's side of recycling: static (MANUAL) contact lists that marketers nurture from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from leadsync.adapters.hubspot.calls import HubSpotCalls
from leadsync.connector.errors import NotFound

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
        lists = self.calls.client.crm.lists
        try:
            answer = self.calls("find list", lists.lists_api.get_by_name,
                                list_name=name, object_type_id=CONTACTS)
        except NotFound:
            answer = self.calls("create list", lists.lists_api.create,
                                list_create_request={"name": name, "objectTypeId": CONTACTS,
                                                     "processingType": "MANUAL"})
        self._ids[name] = str(answer["list"]["listId"])
        return self._ids[name]

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
