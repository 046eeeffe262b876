"""HubSpotSystem against HTTP faked at the adapter's boundary, one level down.

``responses`` is not used here: it patches ``requests``, and hubspot-api-client does not use
``requests``. Its generated ``RESTClientObject`` sends every call through
``urllib3.PoolManager.request``, so the fake is a small stand-in for that pool manager
(``FakeHubSpotHttp``), installed on each ``ApiClient`` through the client's own ``api_factory``
option. The client's request building, status handling and model deserialisation all run for
real; only the bytes on the wire are made up, shaped as HubSpot documents them (search, batch
results with ``new`` and ``errors``, the error envelope with ``category`` or ``errorType``).
Time is fake too: the retry policy and the rolling windows get a clock and a sleep that only
count.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import urllib3
from hubspot import HubSpot

from leadsync.adapters.hubspot.changes import epoch_ms
from leadsync.adapters.hubspot.system import HubSpotSystem
from leadsync.connector.budget import RollingWindow
from leadsync.connector.errors import AuthError, ConfigError, RateLimited, TransientError
from leadsync.connector.models import Cursor, FieldInfo, WriteOp, WriteResult
from leadsync.connector.retry import RetryPolicy

HOST = "https://api.hubapi.com"
SEARCH = "/crm/v3/objects/contacts/search"
CONTACTS = "/crm/v3/objects/contacts"
UPSERT = "/crm/v3/objects/contacts/batch/upsert"
UPDATE = "/crm/v3/objects/contacts/batch/update"
READ = "/crm/v3/objects/contacts/batch/read"
CREATED = "2024-01-02T09:00:00.000Z"
T0 = datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
UNTIL = datetime(2024, 3, 1, tzinfo=UTC)
EARLIER = Cursor(T0 - timedelta(days=1))  # a cursor before every contact: reads search

Answer = tuple[int, Any, dict[str, str]] | Exception


# -- the fake pool manager ----------------------------------------------------------------------

@dataclass
class SeenRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    at: float  # the fake clock when it was sent
    timeout: Any = None  # the urllib3 timeout it was sent with


class FakeHubSpotHttp:
    """Stands in for the urllib3 pool manager under every ApiClient the HubSpot client makes.

    ``on(method, path, *answers)`` queues canned answers (the last one repeats); an answer is
    ``(status, json_body, headers)`` or an exception to raise as urllib3 would. A callable
    handler gets the request's JSON body (a GET's query) and returns an answer.
    """

    def __init__(self, clock: Callable[[], float] = lambda: 0.0) -> None:
        self.handlers: dict[tuple[str, str], list[Answer] | Callable[[Any], Answer]] = {}
        self.requests: list[SeenRequest] = []
        self.clock = clock

    def on(self, method: str, path: str, *answers: Answer) -> None:
        self.handlers[(method, path)] = list(answers)

    def on_call(self, method: str, path: str, handler: Callable[[Any], Answer]) -> None:
        self.handlers[(method, path)] = handler

    def sent(self, path: str) -> list[SeenRequest]:
        return [r for r in self.requests if r.path == path]

    # the one method RESTClientObject calls
    def request(self, method: str, url: str, body: Any = None, fields: Any = None,
                headers: Any = None, timeout: Any = None, **_: Any) -> urllib3.HTTPResponse:
        parsed = urlparse(url)
        query = parse_qs(parsed.query)
        for name, value in fields or []:  # a GET's query, a parameter repeated per value
            query.setdefault(name, []).append(str(value))
        payload = json.loads(body) if body else None
        self.requests.append(SeenRequest(method, parsed.path, query, payload, self.clock(),
                                         timeout))
        handler = self.handlers[(method, parsed.path)]
        if callable(handler):
            answer = handler(payload if method != "GET" else query)
        else:
            answer = handler.pop(0) if len(handler) > 1 else handler[0]
        if isinstance(answer, Exception):
            raise answer
        status, data, extra = answer
        text = data if isinstance(data, str) else json.dumps(data)
        content_type = "text/html" if isinstance(data, str) else "application/json;charset=utf-8"
        return urllib3.HTTPResponse(body=text.encode(), status=status, reason="",
                                    headers={"Content-Type": content_type, **extra},
                                    preload_content=True)

    def client(self) -> HubSpot:
        def api_factory(package: Any, api_name: str, config: dict[str, Any]) -> Any:
            configuration = package.Configuration()
            for key, value in config.items():
                setattr(configuration, key, value)
            api_client = package.ApiClient(configuration=configuration)
            api_client.rest_client.pool_manager = self
            return getattr(package, api_name)(api_client=api_client)

        return HubSpot(access_token="pat-na1-11111111-2222-3333-4444-555555555555", host=HOST,
                       api_factory=api_factory)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def http(time: FakeTime) -> FakeHubSpotHttp:
    fake = FakeHubSpotHttp(time.clock)
    fake.on("GET", CONTACTS, (200, {"results": []}, {}))  # the archived list: none
    return fake


def make_system(http: FakeHubSpotHttp, time: FakeTime, attempts: int = 4,
                window: tuple[int, float] = (150, 10.0),
                search_window: tuple[int, float] = (4, 1.0)) -> HubSpotSystem:
    return HubSpotSystem(
        "hubspot", http.client(), retry=RetryPolicy(attempts=attempts, sleep=lambda s: None),
        window=RollingWindow(*window, clock=time.clock, sleep=time.sleep),
        search_window=RollingWindow(*search_window, clock=time.clock, sleep=time.sleep))


# -- payloads, as HubSpot documents them ---------------------------------------------------------

def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def contact(n: int, modified: datetime = T0, **properties: str) -> dict[str, Any]:
    stamp = iso(modified)
    return {"id": str(1000 + n), "properties": {
        "createdate": CREATED, "email": f"c{n}@example.com", "hs_object_id": str(1000 + n),
        "lastmodifieddate": stamp, "leadsync_id": f"ls-{n}", **properties},
        "createdAt": CREATED, "updatedAt": stamp, "archived": False}


def error(status: int, category: str, message: str, **extra: Any) -> tuple[int, Any, dict]:
    return status, {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                    "category": category, **extra}, {}


RATE_LIMITED = (429, {"status": "error",
                      "message": "You have reached your ten_secondly_rolling limit.",
                      "errorType": "RATE_LIMIT",
                      "correlationId": "c033cdaa-2c40-4a64-ae48-b4cec88dad24",
                      "policyName": "TEN_SECONDLY_ROLLING"}, {})
UNAUTHENTICATED = error(401, "INVALID_AUTHENTICATION", "Authentication credentials not found. "
                        "This API supports OAuth 2.0 authentication and you can find more details "
                        "at https://developers.hubspot.com/docs/methods/auth/oauth-overview")


def batch(results: list[dict[str, Any]], errors: list[dict[str, Any]] | None = None
          ) -> tuple[int, Any, dict]:
    body: dict[str, Any] = {"status": "COMPLETE", "results": results,
                            "startedAt": "2024-01-15T10:30:00.000Z",
                            "completedAt": "2024-01-15T10:30:00.120Z"}
    if errors:
        body.update(errors=errors, numErrors=len(errors))
    return (207 if errors else 200), body, {}


def written(input_: dict[str, Any], n: int, new: bool | None = None) -> dict[str, Any]:
    """A batch result for one input: the record with the properties it was sent."""
    item = contact(n, **input_["properties"])
    if new is not None:
        item["new"] = new
    return item


class SearchIndex:
    """The search endpoint over some contacts: lastmodifieddate filters, one sort, and paging
    that stops at HubSpot's 10,000th result."""

    def __init__(self, contacts: list[dict[str, Any]]) -> None:
        self.rows = sorted(((self._modified(c), c) for c in contacts), key=lambda r: r[0])

    def __call__(self, body: dict[str, Any]) -> Answer:
        if not body["filterGroups"]:  # no filter: every contact, counted
            return 200, {"total": len(self.rows), "results": [c for _, c in self.rows][
                :body["limit"]]}, {}
        [group] = body["filterGroups"]
        assert body["sorts"] == [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]
        rows = [c for stamp, c in self.rows
                if all(self._matches(stamp, f) for f in group["filters"])]
        offset, limit = int(body.get("after") or 0), body["limit"]
        if offset >= 10_000:
            return error(400, "VALIDATION_ERROR", "Paging past 10000 results is not supported.")
        answer: dict[str, Any] = {"total": len(rows), "results": rows[offset:offset + limit]}
        if offset + limit < len(rows):
            answer["paging"] = {"next": {"after": str(offset + limit),
                                         "link": f"?after={offset + limit}"}}
        return 200, answer, {}

    @staticmethod
    def _modified(row: dict[str, Any]) -> int:
        stamp = datetime.fromisoformat(row["properties"]["lastmodifieddate"].replace("Z", "+00:00"))
        return int(epoch_ms(stamp))

    @staticmethod
    def _matches(value: int, f: dict[str, Any]) -> bool:
        assert f["propertyName"] == "lastmodifieddate"
        bound = int(f["value"])
        return {"GTE": value >= bound, "LTE": value <= bound}[f["operator"]]


class ContactList:
    """The list endpoint, ``GET /crm/v3/objects/contacts``, over some live and some archived
    contacts: id order, at most 100 a page, ``paging.next.after`` naming where the next page
    starts."""

    def __init__(self, live: list[dict[str, Any]],
                 archived: list[dict[str, Any]] | None = None) -> None:
        self.live, self.archived = live, archived or []

    def __call__(self, query: dict[str, list[str]]) -> Answer:
        rows = self.archived if query.get("archived") == ["true"] else self.live
        limit, after = int(query["limit"][0]), int(query.get("after", ["0"])[0])
        if limit > 100:
            return error(400, "VALIDATION_ERROR", "limit must be at most 100")
        rows = sorted((r for r in rows if int(r["id"]) >= after), key=lambda r: int(r["id"]))
        answer: dict[str, Any] = {"results": rows[:limit]}
        if len(rows) > limit:
            answer["paging"] = {"next": {"after": rows[limit]["id"],
                                         "link": f"?after={rows[limit]['id']}"}}
        return 200, answer, {}


def archived_contact(n: int, archived_at: datetime) -> dict[str, Any]:
    """An archived contact as the archived list gives it: ``archivedAt`` is when."""
    return {**contact(n, T0), "archived": True, "archivedAt": iso(archived_at)}


def read_ids(system: HubSpotSystem, since: Cursor | None = None) -> list[list[str]]:
    return [[r.id for r in page] for page in system.read_changes(since, UNTIL, ["firstname"])]


# -- reading ------------------------------------------------------------------------------------

def test_search_pages_with_after_until_there_is_no_next_page(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    contacts = [contact(n, T0 + timedelta(seconds=n)) for n in range(450)]
    http.on_call("POST", SEARCH, SearchIndex(contacts))
    system = make_system(http, time)

    pages = read_ids(system, EARLIER)

    assert [len(p) for p in pages] == [200, 200, 50]
    assert [i for p in pages for i in p] == [c["id"] for c in contacts]
    bodies = [r.body for r in http.sent(SEARCH)]
    assert [b.get("after") for b in bodies] == [None, "200", "400"]
    assert all(b["limit"] == 200 for b in bodies)
    assert http.sent(CONTACTS)[0].query["archived"] == ["true"]  # then the archived list
    assert bodies[0]["properties"] == ["email", "lastmodifieddate", "leadsync_id",
                                       "hs_merged_object_ids", "firstname"]
    assert bodies[0]["filterGroups"] == [{"filters": [
        {"propertyName": "lastmodifieddate", "operator": "GTE",
         "value": epoch_ms(EARLIER.modified_at)},
        {"propertyName": "lastmodifieddate", "operator": "LTE", "value": epoch_ms(UNTIL)}]}]
    assert system.calls_made == 4


def test_search_reads_from_the_cursor_inclusive_and_drops_the_ids_it_saw_there(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    later = T0 + timedelta(milliseconds=1)
    http.on_call("POST", SEARCH, SearchIndex(
        [contact(0, T0 - timedelta(seconds=1)), contact(1), contact(2), contact(3, later)]))
    since = Cursor(T0, frozenset({"1001"}))

    assert read_ids(make_system(http, time), since) == [["1002", "1003"]]
    filters = http.requests[0].body["filterGroups"][0]["filters"]
    assert filters[0] == {"propertyName": "lastmodifieddate", "operator": "GTE",
                          "value": epoch_ms(T0)}


def test_records_carry_their_lastmodifieddate_and_id(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    http.on_call("GET", CONTACTS, ContactList([contact(7, T0, firstname="Ada")]))

    [[record]] = make_system(http, time).read_changes(None, UNTIL, ["firstname"])

    assert (record.id, record.modified_at, record.deleted) == ("1007", T0, False)
    assert record.fields["firstname"] == "Ada" and record.fields["hs_object_id"] == "1007"


def test_the_10000_result_cap_restarts_the_window_at_the_last_instant_read(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    # Three contacts share each instant, so the 10,000th result's instant straddles the cap.
    contacts = [contact(n, T0 + timedelta(milliseconds=n // 3)) for n in range(10_450)]
    http.on_call("POST", SEARCH, SearchIndex(contacts))
    system = make_system(http, time)
    system.changes.list_worth = None  # searched, however many of the portal's changed

    ids = [i for page in read_ids(system, EARLIER) for i in page]

    assert ids == [c["id"] for c in contacts]  # none lost, none twice, in order
    bodies = [r.body for r in http.sent(SEARCH)]
    assert max(int(b.get("after") or 0) for b in bodies) == 9_800  # never asked past the cap
    restart = bodies[50]
    assert restart.get("after") is None
    assert restart["filterGroups"][0]["filters"][0] == {
        "propertyName": "lastmodifieddate", "operator": "GTE",
        "value": epoch_ms(T0 + timedelta(milliseconds=9_999 // 3))}
    assert len(bodies) == 50 + 3  # 10,000 in 50 pages, then 451 from the boundary instant


def test_most_of_a_portal_changed_is_listed_not_searched_and_only_the_window_given(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    """Right after a big first sync nearly every contact changed: 100 a call at 19 calls/s
    beats 200 a call at 5 searches/s, so the list endpoint is read, filtered to the window."""
    before = T0 - timedelta(seconds=1)
    contacts = [contact(n, T0 + timedelta(seconds=n)) for n in range(450)]
    contacts += [contact(450 + n, before) for n in range(20)]  # not changed since the cursor
    http.on_call("POST", SEARCH, SearchIndex(contacts))
    http.on_call("GET", CONTACTS, ContactList(contacts))
    system = make_system(http, time)
    system.changes.list_worth = 100

    pages = read_ids(system, Cursor(T0, frozenset({"1000"})))

    assert sorted(i for p in pages for i in p) == [c["id"] for c in contacts[1:450]]
    counted = http.sent(SEARCH)[1].body
    assert len(http.sent(SEARCH)) == 2 and counted["limit"] == 1  # first page, then the count
    assert counted["filterGroups"] == []
    assert len(http.sent(CONTACTS)) == 5 + 1  # 470 listed 100 a call, then the archived


def test_a_few_changes_in_a_big_portal_are_searched(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    contacts = [contact(n, T0 + timedelta(seconds=n)) for n in range(450)]
    contacts += [contact(450 + n, T0 - timedelta(days=2)) for n in range(1_000)]
    http.on_call("POST", SEARCH, SearchIndex(contacts))
    system = make_system(http, time)
    system.changes.list_worth = 100

    pages = read_ids(system, EARLIER)

    assert [i for p in pages for i in p] == [c["id"] for c in contacts[:450]]
    assert len(http.sent(SEARCH)) == 3 + 1  # three pages and the count; no list


def test_a_full_read_pages_the_list_endpoint_100_at_a_time_and_never_searches(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    # ids and modification times in different orders: pages come in id order
    contacts = [contact(n, T0 + timedelta(seconds=(n * 37) % 250)) for n in range(250)]
    http.on_call("GET", CONTACTS, ContactList(contacts))
    system = make_system(http, time)

    pages = list(system.read_changes(None, UNTIL, ["firstname"]))

    assert [len(p) for p in pages] == [100, 100, 50]
    assert [r.id for p in pages for r in p] == [c["id"] for c in contacts]
    assert not http.sent(SEARCH)
    listed, archived = http.sent(CONTACTS)[:3], http.sent(CONTACTS)[3:]
    assert [q.query.get("after") for q in listed] == [None, ["1100"], ["1200"]]
    assert all(q.query["limit"] == ["100"] and "archived" not in q.query for q in listed)
    assert listed[0].query["properties"] == ["email", "lastmodifieddate", "leadsync_id",
                                             "hs_merged_object_ids", "firstname"]
    assert [q.query["archived"] for q in archived] == [["true"]]  # one call: none archived
    assert system.calls_made == 4


def test_a_full_read_leaves_out_contacts_modified_after_until_for_the_next_pass(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    until = T0 + timedelta(minutes=10)
    contacts = [contact(n, T0 + timedelta(minutes=n % 3 * 10)) for n in range(150)]
    http.on_call("GET", CONTACTS, ContactList(contacts))
    http.on_call("POST", SEARCH, SearchIndex(contacts))
    system = make_system(http, time)

    pages = list(system.read_changes(None, until, ["firstname"]))
    cursor = None
    for page in pages:  # as the engine's change source moves its cursor
        cursor = (cursor or Cursor(page[0].modified_at)).advanced(page)

    read = [r for p in pages for r in p]
    assert {r.id for r in read} == {c["id"] for n, c in enumerate(contacts) if n % 3 < 2}
    assert all(r.modified_at <= until for r in read)
    # the latest stamp of id-ordered pages, with every id read at it
    assert cursor is not None and cursor.modified_at == until
    assert cursor.seen_at_boundary == {c["id"] for n, c in enumerate(contacts) if n % 3 == 1}
    later = [r.id for p in system.read_changes(cursor, UNTIL, ["firstname"]) for r in p]
    assert sorted(later) == sorted(c["id"] for n, c in enumerate(contacts) if n % 3 == 2)


def test_archived_contacts_are_given_after_the_live_ones_stamped_when_archived(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    gone = [archived_contact(n, T0 + timedelta(hours=n)) for n in range(150)]
    http.on_call("GET", CONTACTS, ContactList([contact(900)], gone))
    system = make_system(http, time)

    pages = list(system.read_changes(None, T0 + timedelta(hours=120), ["firstname"]))

    assert [[r.id for r in p] for p in pages[:1]] == [["1900"]]
    archived = [r for p in pages[1:] for r in p]
    assert [len(p) for p in pages[1:]] == [100, 21]  # a page at a time, as listed
    assert all(r.deleted for r in archived)
    assert [r.modified_at for r in archived] == [T0 + timedelta(hours=n) for n in range(121)]
    assert system.calls_made == 1 + 2


def test_an_incremental_read_gives_only_contacts_archived_since_the_cursor(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    since = Cursor(T0 + timedelta(hours=2), frozenset({"1002"}))
    gone = [archived_contact(n, T0 + timedelta(hours=n)) for n in range(5)]
    http.on_call("GET", CONTACTS, ContactList([], gone))
    http.on_call("POST", SEARCH, SearchIndex([]))
    system = make_system(http, time)

    pages = list(system.read_changes(since, T0 + timedelta(hours=3), ["firstname"]))

    assert [[r.id for r in p] for p in pages] == [["1003"]]  # not before, not after until
    assert system.calls_made == 2  # one search, one page of the archived list


def test_lookup_reads_by_the_property_in_batches_of_100(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    def answer(body: dict[str, Any]) -> Answer:
        first = body["inputs"][0]["id"]
        return batch([contact(int(first[1:].split("@")[0]))])

    http.on_call("POST", READ, answer)
    emails = [f"c{n}@example.com" for n in range(150)]

    found = make_system(http, time).lookup("email", [*emails, "", "c0@example.com"], ["email"])

    assert [r.id for r in found] == ["1000", "1100"]
    bodies = [r.body for r in http.sent(READ)]
    assert [len(b["inputs"]) for b in bodies] == [100, 50]
    assert bodies[0]["idProperty"] == "email" and bodies[0]["inputs"][0] == {"id": emails[0]}
    # live records only: HubSpot's default, so no "archived" flag is sent (the client would
    # spell it "False", as Python does)
    assert all("archived" not in r.query for r in http.sent(READ))


def test_lookup_by_a_shared_property_searches_page_by_page_keyed_on_the_record_id(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    qualified = [contact(n, leadsync_qualified="true") for n in range(450)]

    def answer(body: dict[str, Any]) -> Answer:
        match, after = body["filterGroups"][0]["filters"]
        assert match == {"propertyName": "leadsync_qualified", "operator": "EQ",
                         "value": "true"}
        rows = [c for c in qualified if int(c["id"]) > int(after["value"])][:body["limit"]]
        return 200, {"total": len(rows), "results": rows}, {}

    http.on_call("POST", SEARCH, answer)

    found = make_system(http, time).lookup("leadsync_qualified", [True], ["leadsync_qualified"])

    assert [r.id for r in found] == [c["id"] for c in qualified]
    bodies = [r.body for r in http.sent(SEARCH)]
    assert [b["filterGroups"][0]["filters"][1]["value"] for b in bodies] == ["0", "1199", "1399"]
    assert all(b["sorts"] == [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
               and "after" not in b for b in bodies)  # never near the 10,000-result cap


# -- writing ------------------------------------------------------------------------------------

def test_upserts_by_the_key_property_report_new_as_created(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    def answer(body: dict[str, Any]) -> Answer:
        inputs = body["inputs"]
        return batch([written(inputs[1], 2, new=False), written(inputs[0], 1, new=True)])

    http.on_call("POST", UPSERT, answer)
    ops = [WriteOp("ls-1", {"email": "ada@example.com", "firstname": "Ada"}),
           WriteOp("ls-2", {"email": "grace@example.com", "vip": True, "score": None})]

    results = make_system(http, time).write(ops)

    assert [(r.key, r.ok, r.id, r.created) for r in results] == [
        ("ls-1", True, "1001", True), ("ls-2", True, "1002", False)]
    # the created contact as HubSpot answered: the engine need not read it back
    made = results[0].record
    assert made is not None and made.id == "1001" and made.fields["email"] == "ada@example.com"
    assert results[1].record is None
    [sent] = http.sent(UPSERT)
    assert sent.body == {"inputs": [
        {"idProperty": "leadsync_id", "id": "ls-1", "properties": {
            "email": "ada@example.com", "firstname": "Ada", "leadsync_id": "ls-1"}},
        {"idProperty": "leadsync_id", "id": "ls-2", "properties": {
            "email": "grace@example.com", "vip": "true", "score": "", "leadsync_id": "ls-2"}}]}


def test_known_records_are_updated_by_id_and_new_ones_upserted_results_in_op_order(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    http.on_call("POST", UPDATE, lambda body: batch([written(body["inputs"][0], 5)]))
    http.on_call("POST", UPSERT, lambda body: batch([written(body["inputs"][0], 6, new=True)]))
    ops = [WriteOp("ls-6", {"firstname": "New"}),
           WriteOp("ls-5", {"firstname": "Known"}, target_id="1005")]

    results = make_system(http, time).write(ops)

    assert results == [WriteResult("ls-6", True, "1006", created=True),
                       WriteResult("ls-5", True, "1005", created=False)]
    assert http.sent(UPDATE)[0].body == {"inputs": [
        {"id": "1005", "properties": {"firstname": "Known", "leadsync_id": "ls-5"}}]}


def test_an_update_that_resets_a_lifecycle_stage_clears_it_first_and_puts_it_back_if_refused(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    def update(body: dict[str, Any]) -> Answer:
        refused = [i for i in body["inputs"] if i["properties"].get("industry") == "bad"]
        if refused:
            return error(400, "VALIDATION_ERROR", "Property values were not valid: industry")
        return batch([written(i, int(i["id"]) - 1000) for i in body["inputs"]])

    http.on_call("POST", UPDATE, update)
    http.on_call("POST", READ, lambda body: batch([
        contact(int(i["id"]) - 1000, lifecyclestage="salesqualifiedlead")
        for i in body["inputs"]]))
    ops = [WriteOp("ls-5", {"lifecyclestage": "lead"}, target_id="1005",
                   reset=("lifecyclestage",)),
           WriteOp("ls-6", {"lifecyclestage": "lead"}, target_id="1006"),  # no reset asked
           WriteOp("ls-7", {"lifecyclestage": "lead", "industry": "bad"}, target_id="1007",
                   reset=("lifecyclestage",))]

    results = make_system(http, time).write(ops)

    assert [r.ok for r in results] == [True, True, False]
    bodies = [r.body["inputs"] for r in http.sent(UPDATE)]
    assert bodies[0] == [{"id": "1005", "properties": {"lifecyclestage": ""}},
                         {"id": "1007", "properties": {"lifecyclestage": ""}}]
    assert bodies[-1] == [{"id": "1007", "properties": {"lifecyclestage": "salesqualifiedlead"}}]
    assert [i["id"] for i in http.sent(READ)[0].body["inputs"]] == ["1005", "1007"]


def test_writes_go_100_inputs_a_call(http: FakeHubSpotHttp, time: FakeTime) -> None:
    def answer(body: dict[str, Any]) -> Answer:
        return batch([written(i, int(i["id"][3:]), new=True) for i in body["inputs"]])

    http.on_call("POST", UPSERT, answer)
    ops = [WriteOp(f"ls-{n}", {"firstname": f"F{n}"}) for n in range(250)]

    results = make_system(http, time).write(ops)

    assert [len(r.body["inputs"]) for r in http.sent(UPSERT)] == [100, 100, 50]
    assert [r.id for r in results] == [str(1000 + n) for n in range(250)]
    assert all(r.ok and r.created for r in results)


def test_per_input_errors_of_a_207_are_reported_and_the_rest_written(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    def answer(body: dict[str, Any]) -> Answer:
        first, refused, third = body["inputs"]
        return batch([written(first, 1, new=True), written(third, 3, new=False)], errors=[{
            "status": "error", "category": "VALIDATION_ERROR",
            "message": "Property values were not valid: lifecyclestage 'sideways' is not one "
                       "of the allowed options",
            "context": {"ids": [refused["id"]]}, "errors": [], "links": {}}])

    http.on_call("POST", UPSERT, answer)
    ops = [WriteOp("ls-1", {}), WriteOp("ls-2", {"lifecyclestage": "sideways"}),
           WriteOp("ls-3", {})]

    results = make_system(http, time).write(ops)

    assert [r.ok for r in results] == [True, False, True]
    assert (results[1].key, results[1].code) == ("ls-2", "VALIDATION_ERROR")
    assert "lifecyclestage 'sideways'" in results[1].message
    assert len(http.sent(UPSERT)) == 1


def test_a_batch_refused_whole_is_split_until_the_bad_input_stands_alone(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    problem = {"isValid": False, "message": "BOGUS was not one of the allowed options: "
               "[label: \"New\"\nvalue: \"NEW\"\n...]", "error": "INVALID_OPTION",
               "name": "hs_lead_status"}

    def answer(body: dict[str, Any]) -> Answer:
        inputs = body["inputs"]
        if any(i["properties"].get("hs_lead_status") == "BOGUS" for i in inputs):
            return error(400, "VALIDATION_ERROR",
                         f"Property values were not valid: {json.dumps([problem])}",
                         errors=[{"message": problem["message"], "code": "INVALID_OPTION",
                                  "context": {"propertyName": ["hs_lead_status"]}}])
        return batch([written(i, int(i["id"]) - 1000) for i in inputs])

    http.on_call("POST", UPDATE, answer)
    ops = [WriteOp(f"ls-{n}", {"hs_lead_status": "BOGUS" if n == 3 else "NEW"},
                   target_id=str(1000 + n)) for n in range(5)]

    results = make_system(http, time).write(ops)

    assert [r.ok for r in results] == [True, True, True, False, True]
    assert [r.id for r in results] == ["1000", "1001", "1002", "1003", "1004"]
    refused = results[3]
    assert (refused.key, refused.code, refused.fields) == (
        "ls-3", "VALIDATION_ERROR", ("hs_lead_status",))
    assert refused.message.startswith("hs_lead_status: BOGUS was not one of the allowed options")
    sizes = [len(r.body["inputs"]) for r in http.sent(UPDATE)]
    assert sizes == [5, 2, 3, 1, 2, 1, 1]  # halved until the bad input was alone


def test_a_batch_refused_for_anything_but_its_inputs_is_raised_not_split(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    http.on("POST", UPSERT, error(403, "MISSING_SCOPES", "This app hasn't been granted all "
                                  "required scopes to make this call.",
                                  errors=[{"message": "One or more of the following scopes are "
                                           "required.", "context": {
                                               "requiredGranularScopes":
                                                   ["crm.objects.contacts.write"]}}]))

    with pytest.raises(ConfigError, match="MISSING_SCOPES"):
        make_system(http, time).write([WriteOp("ls-1", {}), WriteOp("ls-2", {})])
    assert len(http.requests) == 1


# -- errors, retries, budgets -------------------------------------------------------------------

def test_401_is_an_auth_error_and_not_retried(http: FakeHubSpotHttp, time: FakeTime) -> None:
    http.on("POST", SEARCH, UNAUTHENTICATED)

    with pytest.raises(AuthError, match="INVALID_AUTHENTICATION"):
        read_ids(make_system(http, time), EARLIER)
    assert len(http.requests) == 1


def test_429_is_retried_until_the_call_succeeds(http: FakeHubSpotHttp, time: FakeTime) -> None:
    http.on("POST", SEARCH, RATE_LIMITED, RATE_LIMITED,
            (200, {"total": 1, "results": [contact(1)]}, {}))
    system = make_system(http, time)

    assert read_ids(system, EARLIER) == [["1001"]]
    searches = http.sent(SEARCH)
    assert len(searches) == 3 and system.calls_made == 4  # and the archived list


def test_429_that_names_a_wait_is_retried_after_the_retry_after_header(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    limited = (429, RATE_LIMITED[1], {"Retry-After": "2"})
    http.on("POST", SEARCH, limited, (200, {"total": 0, "results": []}, {}))
    waits: list[float] = []
    system = make_system(http, time)
    system.calls.retry = RetryPolicy(attempts=3, sleep=waits.append)

    read_ids(system, EARLIER)

    assert len(waits) == 1 and 2.0 <= waits[0] <= 2.25


def test_429_every_time_ends_as_rate_limited(http: FakeHubSpotHttp, time: FakeTime) -> None:
    http.on("POST", SEARCH, RATE_LIMITED)

    with pytest.raises(RateLimited, match="RATE_LIMIT"):
        read_ids(make_system(http, time, attempts=3), EARLIER)
    assert len(http.requests) == 3


@pytest.mark.parametrize("answer", [
    error(500, "INTERNAL_ERROR", "internal error"),
    (502, "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>", {}),
    error(503, "SERVICE_UNAVAILABLE", "Service Unavailable"),
    urllib3.exceptions.ProtocolError("Connection aborted.",
                                     ConnectionResetError(104, "Connection reset by peer")),
], ids=["500", "502-html", "503", "connection-reset"])
def test_server_errors_and_dropped_connections_are_retried_until_the_call_succeeds(
        http: FakeHubSpotHttp, time: FakeTime, answer: Answer) -> None:
    http.on("POST", UPSERT, answer, answer,
            batch([written({"properties": {}}, 1, new=True)]))

    results = make_system(http, time).write([WriteOp("ls-1", {})])

    assert results == [WriteResult("ls-1", True, "1001", created=True)]
    assert len(http.requests) == 3


def test_server_errors_past_the_last_attempt_raise_a_transient_error(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    http.on("POST", SEARCH, error(503, "SERVICE_UNAVAILABLE", "Service Unavailable"))

    with pytest.raises(TransientError, match="503"):
        read_ids(make_system(http, time, attempts=2), EARLIER)
    assert len(http.requests) == 2


def test_the_rolling_windows_pace_calls_before_hubspot_has_to_refuse_them(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    contacts = [contact(n, T0 + timedelta(seconds=n)) for n in range(1_200)]
    http.on_call("POST", SEARCH, SearchIndex(contacts))
    system = make_system(http, time, window=(4, 10.0), search_window=(2, 1.0))

    assert sum(len(p) for p in read_ids(system, EARLIER)) == 1_200

    stamps = [r.at for r in http.requests]
    assert len(stamps) == 7  # 6 searches, the archived list
    assert all(sum(1 for s in stamps if t <= s < t + 10.0) <= 4 for t in stamps)
    assert all(sum(1 for s in stamps if t <= s < t + 1.0) <= 2 for t in stamps)
    assert time.slept and time.now >= 10.0  # it waited, on the fake clock only


# -- schema, users ------------------------------------------------------------------------------

def test_describe_maps_properties_to_field_info(http: FakeHubSpotHttp, time: FakeTime) -> None:
    def prop(name: str, type_: str, field_type: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "label": name.title(), "type": type_, "fieldType": field_type,
                "groupName": "contactinformation", "description": "", "options": [],
                "displayOrder": -1, "hasUniqueValue": False, "hidden": False,
                "formField": True, "calculated": False, "externalOptions": False,
                "createdAt": CREATED, "updatedAt": CREATED, "archived": False,
                "modificationMetadata": {"archivable": True, "readOnlyDefinition": True,
                                         "readOnlyValue": False}, **extra}

    http.on("GET", "/crm/v3/properties/contacts", (200, {"results": [
        prop("email", "string", "text"),
        prop("leadsync_id", "string", "text", hasUniqueValue=True),
        prop("hs_lead_status", "enumeration", "radio", options=[
            {"label": "New", "value": "NEW", "displayOrder": 0, "hidden": False},
            {"label": "Open", "value": "OPEN", "displayOrder": 1, "hidden": False}]),
        prop("lastmodifieddate", "datetime", "date", modificationMetadata={
            "archivable": True, "readOnlyDefinition": True, "readOnlyValue": True}),
    ]}, {}))

    fields = make_system(http, time).describe()

    assert fields["leadsync_id"].unique and not fields["email"].unique
    assert fields["hs_lead_status"].options == ("NEW", "OPEN")
    assert fields["lastmodifieddate"].updateable is False and fields["email"].updateable


def test_create_fields_creates_the_group_and_the_properties(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    http.on("GET", "/crm/v3/properties/contacts/groups", (200, {"results": [
        {"name": "contactinformation", "label": "Contact information", "displayOrder": 0,
         "archived": False}]}, {}))
    group = {"name": "leadsync", "label": "LeadSync", "displayOrder": -1, "archived": False}
    http.on("POST", "/crm/v3/properties/contacts/groups", (201, group, {}))
    http.on_call("POST", "/crm/v3/properties/contacts", lambda body: (201, {
        **body, "description": "", "options": [], "displayOrder": -1, "hidden": False,
        "formField": False, "calculated": False, "externalOptions": False,
        "createdAt": CREATED, "updatedAt": CREATED, "archived": False}, {}))

    created = make_system(http, time).create_fields(
        [FieldInfo("leadsync_id", "string", label="LeadSync Id", length=64, unique=True)])

    assert created == ["leadsync_id"]
    assert http.sent("/crm/v3/properties/contacts/groups")[1].body == {
        "name": "leadsync", "label": "LeadSync", "displayOrder": -1}
    assert http.requests[-1].body == {
        "name": "leadsync_id", "label": "LeadSync Id", "type": "string", "fieldType": "text",
        "groupName": "leadsync", "hasUniqueValue": True}


def test_users_are_owners_by_id_with_their_email_over_every_page(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    def owner(n: int, email: str | None) -> dict[str, Any]:
        return {"id": str(n), "email": email, "firstName": "F", "lastName": "L",
                "userId": 9000 + n, "createdAt": CREATED, "updatedAt": CREATED,
                "archived": False, "type": "PERSON"}

    http.on("GET", "/crm/v3/owners/",
            (200, {"results": [owner(1, "a@acme.example"), owner(2, None)],
                   "paging": {"next": {"after": "2", "link": "?after=2"}}}, {}),
            (200, {"results": [owner(3, "c@acme.example")]}, {}))

    assert make_system(http, time).users() == {"1": "a@acme.example", "3": "c@acme.example"}
    assert [r.query.get("after") for r in http.requests] == [None, ["2"]]


def test_the_budget_is_what_the_last_answers_rate_limit_headers_said(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    limits = {"X-HubSpot-RateLimit-Daily": "500000",
              "X-HubSpot-RateLimit-Daily-Remaining": "499000",
              "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
              "X-HubSpot-RateLimit-Max": "190", "X-HubSpot-RateLimit-Remaining": "185"}
    oauth = {"X-HubSpot-RateLimit-Max": "110", "X-HubSpot-RateLimit-Remaining": "100"}
    http.on("GET", "/crm/v3/owners/", (200, {"results": []}, limits),
            (200, {"results": []}, oauth))
    system = make_system(http, time)

    system.users()
    assert system.budget() == {"daily_limit": 500_000, "daily_left": 499_000,
                               "daily_used": 1_000, "window_limit": 190, "window_left": 185,
                               "window_seconds": 10.0}
    system.users()  # an answer without the daily headers (OAuth apps have no daily limit)
    assert system.budget()["window_left"] == 100
    assert system.budget()["daily_left"] == 499_000  # the last one reported stands
