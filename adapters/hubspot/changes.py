"""The contacts HubSpot changed, read the cheapest way for each job.

- A full read (no cursor): the list endpoint, ``GET /crm/v3/objects/contacts``, 100 a page in
  id order, paging with ``after``. It has no 10,000-result cap and is not held to the search's
  few calls a second. Contacts modified after ``until`` are left out: the cursor never passes
  the run's start, so the next pass reads them. Paging by id is stable while contacts change,
  so none is skipped or given twice; pages are not in time order, and the engine's cursor
  takes the latest stamp of each page (``Cursor.advanced``).
- An incremental read: CRM search on ``lastmodifieddate`` in [since, until], oldest first, 200
  a page with ``after``. Search stops at 10,000 results, so the window is moved forward to the
  last instant read (inclusive, ids already read there dropped) and paging starts again.
  When the first page's ``total`` says more than ``list_worth`` contacts changed and they are
  so many of the portal's (one more search counts those) that listing every contact is
  quicker at the documented limits (100 a call at 19 calls/s against 200 a call at 5
  searches/s: more than about half of them, as right after a big first sync), the list
  endpoint is read instead, and only the contacts modified in the window are given.
- Deletes: contacts archived up to ``until``, stamped with their ``archivedAt``. Search never
  finds them and the archived list can be neither filtered nor sorted by ``archivedAt``, so it
  is read whole, 100 a call (one call when there are none; HubSpot keeps them for 90 days),
  and only those archived since the cursor are given, a page at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from leadsync.adapters.hubspot.calls import HubSpotCalls, next_after
from leadsync.connector.errors import LeadSyncError
from leadsync.connector.models import Cursor, Record

LIST_PAGE = 100  # the list endpoint's largest page
SEARCH_PAGE = 200  # the search endpoint's
SEARCH_CAP = 10_000
LIST_RATE = LIST_PAGE * 19.0  # contacts a second the list endpoint gives at 190 calls / 10 s
SEARCH_RATE = SEARCH_PAGE * 5.0  # and the search, at 5 searches a second
MERGED = "hs_merged_object_ids"  # on a merge's survivor: the ids merged into it


def epoch_ms(value: datetime) -> str:
    return str(int(value.timestamp() * 1000))


def parse_timestamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def contact_record(system: str, item: dict[str, Any]) -> Record:
    """A contact as HubSpot answers it: stamped with ``archivedAt`` when archived, else with
    ``lastmodifieddate``."""
    properties = dict(item.get("properties") or {})
    archived = bool(item.get("archived", False))
    stamp = ((archived and item.get("archivedAt")) or properties.get("lastmodifieddate")
             or item.get("updatedAt"))
    properties.setdefault("hs_object_id", str(item["id"]))
    absorbed = tuple(i for i in str(properties.get(MERGED) or "").split(";") if i)
    return Record(system, str(item["id"]), properties, parse_timestamp(str(stamp)),
                  deleted=archived, absorbed=absorbed)


class ContactChanges:
    """Pages of one portal's contacts modified in [since, until], then those archived."""

    def __init__(self, system: str, calls: HubSpotCalls, list_worth: int | None = 4_000
                 ) -> None:
        self.system, self.calls = system, calls
        # changes above which listing every contact may beat searching them (None: never)
        self.list_worth = list_worth

    def read(self, since: Cursor | None, until: datetime, properties: list[str]
             ) -> Iterator[list[Record]]:
        live = (self._listed(until, properties) if since is None
                else self._searched(since, until, properties))
        yield from live
        yield from self._archived(since, until, properties)

    def _listed(self, until: datetime, properties: list[str], since: Cursor | None = None
                ) -> Iterator[list[Record]]:
        basic = self.calls.client.crm.contacts.basic_api
        for answer in self.calls.pages("list", basic.get_page, limit=LIST_PAGE,
                                       properties=properties):
            records = [r for item in answer.get("results", [])
                       if (r := self._record(item)).modified_at <= until
                       and (since is None or since.admits(r))]
            if records:
                yield records

    def _list_is_quicker(self, changed: int) -> bool:
        """Whether listing every contact takes less time than searching ``changed`` of them
        at the documented limits (one search counts the portal's contacts)."""
        if self.list_worth is None or changed <= self.list_worth:
            return False
        answer = self.calls("count", self.calls.client.crm.contacts.search_api.do_search,
                            public_object_search_request={"filterGroups": [], "limit": 1,
                                                          "properties": ["email"]},
                            search=True)
        everyone = int(answer.get("total") or 0)
        return everyone / LIST_RATE < changed / SEARCH_RATE

    def _searched(self, since: Cursor, until: datetime, properties: list[str]
                  ) -> Iterator[list[Record]]:
        cursor = start = since
        first = True
        while True:
            restart = None
            for page, after, total in self._search_window(cursor, until, properties):
                if first and self._list_is_quicker(total):
                    yield from self._listed(until, properties, since)
                    return
                first = False
                records = [r for r in page if cursor.admits(r)]
                if records:
                    yield records
                    cursor = cursor.advanced(records)
                if after is not None and int(after) + SEARCH_PAGE > SEARCH_CAP:
                    restart = cursor
                    break
            if restart is None:
                return
            if restart == start:
                raise LeadSyncError("more than 10,000 HubSpot contacts share one modification "
                                    "instant; the search API cannot page past them")
            start = restart

    def _search_window(self, since: Cursor, until: datetime, properties: list[str]
                       ) -> Iterator[tuple[list[Record], str | None, int]]:
        filters = [{"propertyName": "lastmodifieddate", "operator": "GTE",
                    "value": epoch_ms(since.modified_at)},
                   {"propertyName": "lastmodifieddate", "operator": "LTE",
                    "value": epoch_ms(until)}]
        search = self.calls.client.crm.contacts.search_api
        after: str | None = None
        while True:
            request: dict[str, Any] = {
                "filterGroups": [{"filters": filters}], "properties": properties,
                "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
                "limit": SEARCH_PAGE}
            if after is not None:
                request["after"] = after
            answer = self.calls("search", search.do_search,
                                public_object_search_request=request, search=True)
            nxt = next_after(answer)
            yield ([self._record(item) for item in answer.get("results", [])], nxt,
                   int(answer.get("total") or 0))
            if nxt is None:
                return
            after = nxt

    def _archived(self, since: Cursor | None, until: datetime, properties: list[str]
                  ) -> Iterator[list[Record]]:
        basic = self.calls.client.crm.contacts.basic_api
        for answer in self.calls.pages("archived", basic.get_page, limit=LIST_PAGE,
                                       properties=properties, archived="true"):
            records = [r for item in answer.get("results", [])
                       if (r := self._record(item)).modified_at <= until
                       and (since is None or since.admits(r))]
            if records:
                yield sorted(records, key=lambda r: (r.modified_at, r.id))

    def _record(self, item: dict[str, Any]) -> Record:
        return contact_record(self.system, item)
