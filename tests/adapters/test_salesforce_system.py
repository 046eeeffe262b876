"""SalesforceSystem against HTTP faked with ``responses`` at the adapter's boundary.

The client is a real ``simple_salesforce.Salesforce``; only the HTTP under it is fake. Every
payload is shaped as the REST API documents it: query results (``totalSize``, ``done``,
``records`` with ``attributes``, ``nextRecordsUrl``), sObject Collections results, error bodies
(``[{"message", "errorCode"}]``) and the ``Sforce-Limit-Info`` header. No test sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses
from simple_salesforce import Salesforce

from leadsync.adapters.salesforce.system import SalesforceSystem, soql_literal
from leadsync.connector.budget import DailyBudget
from leadsync.connector.errors import (
    AuthError,
    ConfigError,
    RateLimited,
    ReserveReached,
    TransientError,
)
from leadsync.connector.models import Cursor, FieldInfo, WriteOp, WriteResult
from leadsync.connector.retry import RetryPolicy

INSTANCE = "https://acme.my.salesforce.com"
DATA = f"{INSTANCE}/services/data/v59.0"
QUERY, QUERY_ALL = f"{DATA}/query/", f"{DATA}/queryAll/"
UPDATE_URL = f"{DATA}/composite/sobjects"
UPSERT_URL = f"{DATA}/composite/sobjects/Lead/LeadSync_Id__c"
DESCRIBE_URL = f"{DATA}/sobjects/Lead/describe/"
TOOLING_FIELD_URL = f"{DATA}/tooling/sobjects/CustomField/"
LIMIT_INFO = {"Sforce-Limit-Info": "api-usage=18/15000"}
LOCATOR = "/services/data/v59.0/query/01gD0000002HU6KIAW"
UNTIL = datetime(2024, 3, 1, tzinfo=UTC)


# -- payloads, as Salesforce documents them --------------------------------------------------

def lead_id(n: int) -> str:
    return f"00Q5e00000{n:05d}AAA"


def lead(n: int, stamp: str = "2024-01-15T10:30:00.000+0000", **fields: Any) -> dict[str, Any]:
    record_id = lead_id(n)
    url = f"/services/data/v59.0/sobjects/Lead/{record_id}"
    return {"attributes": {"type": "Lead", "url": url}, "Id": record_id,
            "SystemModstamp": stamp, "IsDeleted": False, "IsConverted": False,
            "ConvertedContactId": None, "LeadSync_Id__c": f"ls-{n}",
            "Email": f"lead{n}@example.com", "LastName": f"Lead {n}", **fields}


def query_result(records: list[dict[str, Any]], next_url: str | None = None,
                 total: int | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"totalSize": len(records) if total is None else total,
                              "done": next_url is None, "records": records}
    if next_url:
        result["nextRecordsUrl"] = next_url
    return result


def error_body(code: str, message: str) -> list[dict[str, str]]:
    return [{"message": message, "errorCode": code}]


def upsert_ok(record_id: str, created: bool) -> dict[str, Any]:
    return {"id": record_id, "success": True, "errors": [], "created": created}


def save_ok(record_id: str) -> dict[str, Any]:
    return {"id": record_id, "success": True, "errors": []}


REQUIRED_LAST_NAME = {"success": False, "created": False, "errors": [{
    "statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [LastName]",
    "fields": ["LastName"]}]}


# -- helpers ------------------------------------------------------------------------------------

@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def no_sleep(seconds: float) -> None:
    """The retry policy's sleep: tests never wait."""


def make_system(retry_attempts: int = 4, daily_budget: DailyBudget | None = None
                ) -> SalesforceSystem:
    client = Salesforce(instance_url=INSTANCE, session_id="00Dxx!fake", version="59.0")
    return SalesforceSystem("salesforce", client,
                            retry=RetryPolicy(attempts=retry_attempts, sleep=no_sleep),
                            daily_budget=daily_budget)


def soql_of(request: Any) -> str:
    return parse_qs(urlparse(request.url).query)["q"][0]


def json_callback(answer: Callable[[Any], Any], status: int = 200
                  ) -> Callable[[Any], tuple[int, dict[str, str], str]]:
    """A ``responses`` callback answering JSON computed from the request, with limit info."""
    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        return status, dict(LIMIT_INFO), json.dumps(answer(request))
    return callback


def read_all(system: SalesforceSystem, since: Cursor | None = None) -> list[list[str]]:
    return [[r.id for r in page] for page in system.read_changes(since, UNTIL, ["Email"])]


# -- reading ------------------------------------------------------------------------------------

def test_paging_follows_next_records_url_until_done(http: responses.RequestsMock) -> None:
    http.get(QUERY_ALL, json=query_result([lead(1), lead(2)], f"{LOCATOR}-2000", total=5),
             headers=LIMIT_INFO)
    http.get(INSTANCE + f"{LOCATOR}-2000",
             json=query_result([lead(3), lead(4)], f"{LOCATOR}-4000", total=5), headers=LIMIT_INFO)
    http.get(INSTANCE + f"{LOCATOR}-4000", json=query_result([lead(5)], total=5),
             headers=LIMIT_INFO)
    system = make_system()

    pages = read_all(system)

    assert pages == [[lead_id(1), lead_id(2)], [lead_id(3), lead_id(4)], [lead_id(5)]]
    assert [urlparse(c.request.url).path for c in http.calls] == [
        "/services/data/v59.0/queryAll/", f"{LOCATOR}-2000", f"{LOCATOR}-4000"]
    assert system.calls_made == 3


def test_read_uses_query_all_so_deleted_rows_come_back_flagged_deleted(
        http: responses.RequestsMock) -> None:
    http.get(QUERY_ALL, json=query_result([lead(1), lead(2, IsDeleted=True)]), headers=LIMIT_INFO)

    [page] = make_system().read_changes(None, UNTIL, ["Email"])

    assert [(r.id, r.deleted) for r in page] == [(lead_id(1), False), (lead_id(2), True)]
    assert "attributes" not in page[0].fields
    assert page[0].modified_at == datetime(2024, 1, 15, 10, 30, tzinfo=UTC)


def test_read_selects_a_window_on_system_modstamp_ordered_by_system_modstamp_then_id(
        http: responses.RequestsMock) -> None:
    http.get(QUERY_ALL, json=query_result([]), headers=LIMIT_INFO)
    since = Cursor(datetime(2024, 2, 1, 8, 0, 0, 250000, tzinfo=UTC))

    assert read_all(make_system(), since) == []

    soql = soql_of(http.calls[0].request)
    assert soql.startswith("SELECT Id, SystemModstamp, IsDeleted, IsConverted, "
                           "ConvertedContactId, MasterRecordId, LeadSync_Id__c, Email FROM Lead "
                           "WHERE ")
    assert "SystemModstamp >= 2024-02-01T08:00:00.250Z AND " \
           "SystemModstamp <= 2024-03-01T00:00:00.000Z" in soql
    assert soql.endswith("ORDER BY SystemModstamp, Id")


def test_records_the_cursor_saw_at_its_boundary_are_dropped(
        http: responses.RequestsMock) -> None:
    boundary, later = "2024-02-01T08:00:00.000+0000", "2024-02-01T08:00:01.000+0000"
    http.get(QUERY_ALL, json=query_result([lead(1, boundary), lead(2, boundary),
                                           lead(3, later)]), headers=LIMIT_INFO)
    since = Cursor(datetime(2024, 2, 1, 8, tzinfo=UTC), frozenset({lead_id(1)}))

    assert read_all(make_system(), since) == [[lead_id(2), lead_id(3)]]


def test_a_page_holding_only_boundary_records_yields_nothing_but_paging_goes_on(
        http: responses.RequestsMock) -> None:
    boundary = "2024-02-01T08:00:00.000+0000"
    http.get(QUERY_ALL, json=query_result([lead(1, boundary)], f"{LOCATOR}-2000", total=2),
             headers=LIMIT_INFO)
    http.get(INSTANCE + f"{LOCATOR}-2000",
             json=query_result([lead(2, "2024-02-02T00:00:00.000+0000")], total=2),
             headers=LIMIT_INFO)
    since = Cursor(datetime(2024, 2, 1, 8, tzinfo=UTC), frozenset({lead_id(1)}))

    assert read_all(make_system(), since) == [[lead_id(2)]]


def test_converted_leads_come_back_read_only(http: responses.RequestsMock) -> None:
    converted = lead(2, IsConverted=True, ConvertedContactId="0035e00000AbCdEAAA")
    http.get(QUERY_ALL, json=query_result([lead(1), converted]), headers=LIMIT_INFO)

    [page] = make_system().read_changes(None, UNTIL, [])

    assert [(r.id, r.read_only) for r in page] == [(lead_id(1), False), (lead_id(2), True)]


# -- writing ------------------------------------------------------------------------------------

def test_writes_split_into_updates_by_id_and_upserts_by_the_external_id_in_op_order(
        http: responses.RequestsMock) -> None:
    http.patch(UPDATE_URL, json=[save_ok(lead_id(7))], headers=LIMIT_INFO)
    http.patch(UPSERT_URL, json=[upsert_ok(lead_id(8), True), upsert_ok(lead_id(9), False)],
               headers=LIMIT_INFO)
    ops = [WriteOp("ls-new", {"LastName": "New", "Company": "Acme"}),
           WriteOp("ls-7", {"Title": "CTO"}, target_id=lead_id(7)),
           WriteOp("ls-9", {"LastName": "Known"})]

    results = make_system().write(ops)

    assert results == [WriteResult("ls-new", True, lead_id(8), created=True),
                       WriteResult("ls-7", True, lead_id(7)),
                       WriteResult("ls-9", True, lead_id(9), created=False)]
    update, upsert = (json.loads(c.request.body) for c in http.calls)
    assert [c.request.method for c in http.calls] == ["PATCH", "PATCH"]
    assert update == {"allOrNone": False, "records": [
        {"attributes": {"type": "Lead"}, "Id": lead_id(7), "Title": "CTO",
         "LeadSync_Id__c": "ls-7"}]}
    assert upsert == {"allOrNone": False, "records": [
        {"attributes": {"type": "Lead"}, "LastName": "New", "Company": "Acme",
         "LeadSync_Id__c": "ls-new"},
        {"attributes": {"type": "Lead"}, "LastName": "Known", "LeadSync_Id__c": "ls-9"}]}


def test_writes_go_200_records_a_call(http: responses.RequestsMock) -> None:
    def answer(request: Any) -> list[dict[str, Any]]:
        records = json.loads(request.body)["records"]
        return [upsert_ok(lead_id(int(r["LeadSync_Id__c"][3:])), True) for r in records]

    http.add_callback(responses.PATCH, UPSERT_URL, callback=json_callback(answer))
    ops = [WriteOp(f"ls-{n}", {"LastName": f"L{n}"}) for n in range(201)]

    results = make_system().write(ops)

    assert [len(json.loads(c.request.body)["records"]) for c in http.calls] == [200, 1]
    assert [r.id for r in results] == [lead_id(n) for n in range(201)]
    assert all(r.ok and r.created for r in results)


def test_a_refused_record_is_a_failed_result_with_the_vendor_code_message_and_fields(
        http: responses.RequestsMock) -> None:
    http.patch(UPSERT_URL, json=[upsert_ok(lead_id(1), True), REQUIRED_LAST_NAME,
                                 upsert_ok(lead_id(3), False)], headers=LIMIT_INFO)
    ops = [WriteOp("ls-1", {"LastName": "One"}), WriteOp("ls-2", {"LastName": None}),
           WriteOp("ls-3", {"LastName": "Three"})]

    results = make_system().write(ops)

    assert results[1] == WriteResult("ls-2", False, None, code="REQUIRED_FIELD_MISSING",
                                     message="Required fields are missing: [LastName]",
                                     fields=("LastName",))
    assert [r.ok for r in results] == [True, False, True]
    assert len(http.calls) == 1  # a refused record is a result: nothing is retried


# -- errors, retries, budgets -------------------------------------------------------------------

def test_401_invalid_session_is_an_auth_error_and_not_retried(
        http: responses.RequestsMock) -> None:
    http.get(QUERY_ALL, status=401,
             json=error_body("INVALID_SESSION_ID", "Session expired or invalid"))

    with pytest.raises(AuthError, match="INVALID_SESSION_ID"):
        read_all(make_system())
    assert len(http.calls) == 1


CONCURRENT_LIMIT = "ConcurrentRequests (Concurrent API Requests) Limit exceeded."


def test_a_concurrent_request_limit_is_rate_limited_retried_and_counted_as_a_retry(
        http: responses.RequestsMock) -> None:
    http.get(QUERY_ALL, status=403, headers=LIMIT_INFO,
             json=error_body("REQUEST_LIMIT_EXCEEDED", CONCURRENT_LIMIT))
    http.get(QUERY_ALL, json=query_result([lead(1)]), headers=LIMIT_INFO)
    system = make_system()

    assert read_all(system) == [[lead_id(1)]]
    assert len(http.calls) == 2 and system.calls_made == 2
    assert system.retries_made == 1


def test_a_concurrent_request_limit_every_time_ends_as_rate_limited(
        http: responses.RequestsMock) -> None:
    http.get(QUERY_ALL, status=403,
             json=error_body("REQUEST_LIMIT_EXCEEDED", CONCURRENT_LIMIT))

    with pytest.raises(RateLimited, match="REQUEST_LIMIT_EXCEEDED"):
        read_all(make_system(retry_attempts=3))
    assert len(http.calls) == 3


def test_a_spent_daily_allowance_stops_at_once_as_reserve_reached_without_retrying(
        http: responses.RequestsMock) -> None:
    http.get(QUERY_ALL, status=403, headers=LIMIT_INFO,
             json=error_body("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))
    system = make_system(retry_attempts=6)

    with pytest.raises(ReserveReached, match="next one resumes"):
        read_all(system)
    assert len(http.calls) == 1 and system.retries_made == 0


def test_403_for_missing_access_is_a_config_error_and_not_retried(
        http: responses.RequestsMock) -> None:
    http.get(QUERY_ALL, status=403, json=error_body(
        "INSUFFICIENT_ACCESS", "insufficient access rights on object id"))

    with pytest.raises(ConfigError, match="INSUFFICIENT_ACCESS") as raised:
        read_all(make_system())
    assert not isinstance(raised.value, AuthError)
    assert len(http.calls) == 1


@pytest.mark.parametrize(("status", "body"), [
    (500, error_body("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this "
                     "ErrorId if you contact support: 1234567890-12345 (-123456789)")),
    (503, error_body("SERVER_UNAVAILABLE",
                     "Server temporarily unavailable. Please try again later.")),
], ids=["500", "503"])
def test_server_errors_are_retried_until_the_call_succeeds(
        http: responses.RequestsMock, status: int, body: Any) -> None:
    http.get(QUERY_ALL, status=status, json=body)
    http.get(QUERY_ALL, status=status, json=body)
    http.get(QUERY_ALL, json=query_result([lead(1)]), headers=LIMIT_INFO)

    assert read_all(make_system()) == [[lead_id(1)]]
    assert len(http.calls) == 3


def test_server_errors_past_the_last_attempt_raise_a_transient_error(
        http: responses.RequestsMock) -> None:
    http.get(QUERY_ALL, status=503, json=error_body(
        "SERVER_UNAVAILABLE", "Server temporarily unavailable. Please try again later."))

    with pytest.raises(TransientError, match="503"):
        read_all(make_system(retry_attempts=3))
    assert len(http.calls) == 3


def test_connection_errors_are_retried_until_the_call_succeeds(
        http: responses.RequestsMock) -> None:
    http.patch(UPSERT_URL, body=requests.ConnectionError("Connection reset by peer"))
    http.patch(UPSERT_URL, body=requests.Timeout("Read timed out."))
    http.patch(UPSERT_URL, json=[upsert_ok(lead_id(1), True)], headers=LIMIT_INFO)

    results = make_system().write([WriteOp("ls-1", {"LastName": "One"})])

    assert results == [WriteResult("ls-1", True, lead_id(1), created=True)]
    assert len(http.calls) == 3


def test_malformed_query_is_a_config_error_and_not_retried(
        http: responses.RequestsMock) -> None:
    http.get(QUERY_ALL, status=400, json=error_body(
        "MALFORMED_QUERY", "\nFROM Lead WHERE SystemModstamp <= \n^\nERROR at Row:1:Column:61\n"
        "unexpected token: '<EOF>'"))

    with pytest.raises(ConfigError, match="MALFORMED_QUERY") as raised:
        read_all(make_system())
    assert not isinstance(raised.value, AuthError)
    assert len(http.calls) == 1


def test_every_call_is_counted_retries_included(http: responses.RequestsMock) -> None:
    http.get(QUERY_ALL, status=503, json=error_body("SERVER_UNAVAILABLE", "Unavailable"))
    http.get(QUERY_ALL, json=query_result([lead(1)], f"{LOCATOR}-2000", total=2),
             headers=LIMIT_INFO)
    http.get(INSTANCE + f"{LOCATOR}-2000", json=query_result([lead(2)], total=2),
             headers=LIMIT_INFO)
    http.patch(UPSERT_URL, json=[upsert_ok(lead_id(3), True)], headers=LIMIT_INFO)
    system = make_system()

    read_all(system)
    system.write([WriteOp("ls-3", {"LastName": "Three"})])

    assert system.calls_made == len(http.calls) == 4


def test_the_daily_budget_observes_sforce_limit_info_and_refuses_past_its_share(
        http: responses.RequestsMock) -> None:
    http.get(QUERY_ALL, json=query_result([lead(1)], f"{LOCATOR}-2000", total=3),
             headers={"Sforce-Limit-Info": "api-usage=7400/15000"})
    http.get(INSTANCE + f"{LOCATOR}-2000", json=query_result([lead(2)], f"{LOCATOR}-4000",
                                                             total=3),
             headers={"Sforce-Limit-Info": "api-usage=7500/15000"})
    http.get(INSTANCE + f"{LOCATOR}-4000", json=query_result([lead(3)], total=3),
             headers={"Sforce-Limit-Info": "api-usage=7501/15000"})
    budget = DailyBudget(share=0.5)
    system = make_system(daily_budget=budget)
    pages = system.read_changes(None, UNTIL, [])

    assert [r.id for r in next(pages)] == [lead_id(1)]
    assert (budget.used, budget.allowed) == (7400, 15000)
    assert [r.id for r in next(pages)] == [lead_id(2)]
    with pytest.raises(ReserveReached, match="7,500 of 15,000") as raised:
        next(pages)
    assert len(http.calls) == 2  # the budget refused before calling Salesforce again
    assert (raised.value.used, raised.value.allowed, raised.value.reserve) == (7500, 15000, 0.5)


# -- lookups, schema, users ---------------------------------------------------------------------

@pytest.mark.parametrize(("value", "literal"), [
    ("O'Brien", r"'O\'Brien'"),
    ("back\\slash", r"'back\\slash'"),
    ("\\'", r"'\\\''"),
    ("plain@example.com", "'plain@example.com'"),
    (None, "null"),
    (True, "true"),
    (42, "42"),
    (datetime(2024, 1, 15, 10, 30, 0, 123456, tzinfo=UTC), "2024-01-15T10:30:00.123Z"),
])
def test_soql_literal_escapes_quotes_and_backslashes(value: Any, literal: str) -> None:
    assert soql_literal(value) == literal


def test_lookup_asks_100_values_a_query_without_deleted_rows(
        http: responses.RequestsMock) -> None:
    def answer(request: Any) -> dict[str, Any]:
        soql = soql_of(request)
        emails = soql[soql.index("IN (") + 4:-1].split(", ")
        return query_result([lead(int(e.strip("'")[4:].split("@")[0])) for e in emails[:1]])

    http.add_callback(responses.GET, QUERY, callback=json_callback(answer))
    emails = [f"lead{n}@example.com" for n in range(250)]

    found = make_system().lookup("Email", [*emails, "lead0@example.com", ""], ["Email"])

    queries = [soql_of(c.request) for c in http.calls]
    assert [q.count("@example.com") for q in queries] == [100, 100, 50]
    assert all(urlparse(c.request.url).path.endswith("/query/") for c in http.calls)
    assert "FROM Lead WHERE Email IN ('lead0@example.com', 'lead1@example.com', " in queries[0]
    asked = [e for q in queries for e in q[q.index("IN (") + 4:-1].split(", ")]
    assert asked == [f"'{e}'" for e in emails]  # each value once, blanks left out
    assert [r.id for r in found] == [lead_id(0), lead_id(100), lead_id(200)]


def test_lookup_by_id_retrieves_2000_records_a_call_and_leaves_out_those_not_found(
        http: responses.RequestsMock) -> None:
    def answer(request: Any) -> list[Any]:
        asked = json.loads(request.body)
        assert "Email" in asked["fields"] and "Id" in asked["fields"]
        # as Salesforce documents it: one entry per id, in order, null where none is found
        return [lead(int(i[10:15])) if int(i[10:15]) % 2 == 0 else None for i in asked["ids"]]

    http.add_callback(responses.POST, f"{DATA}/composite/sobjects/Lead",
                      callback=json_callback(answer))
    ids = [lead_id(n) for n in range(2500)]

    found = make_system().lookup("Id", [*ids, ids[0], ""], ["Email"])

    assert [len(json.loads(c.request.body)["ids"]) for c in http.calls] == [2000, 500]
    assert [r.id for r in found] == [lead_id(n) for n in range(0, 2500, 2)]


def test_lookup_escapes_the_values_it_asks_for(http: responses.RequestsMock) -> None:
    http.get(QUERY, json=query_result([]), headers=LIMIT_INFO)

    make_system().lookup("Email", ["o'brien@example.com"], [])

    assert soql_of(http.calls[0].request).endswith(
        r"FROM Lead WHERE Email IN ('o\'brien@example.com')")


DESCRIBE = {
    "name": "Lead", "label": "Lead", "custom": False, "createable": True, "updateable": True,
    "fields": [
        {"name": "Id", "type": "id", "label": "Lead ID", "length": 18, "nillable": False,
         "createable": False, "updateable": False, "defaultedOnCreate": True, "unique": False,
         "externalId": False, "restrictedPicklist": False, "picklistValues": []},
        {"name": "LastName", "type": "string", "label": "Last Name", "length": 80,
         "nillable": False, "createable": True, "updateable": True, "defaultedOnCreate": False,
         "unique": False, "externalId": False, "restrictedPicklist": False, "picklistValues": []},
        {"name": "Status", "type": "picklist", "label": "Status", "length": 255,
         "nillable": False, "createable": True, "updateable": True, "defaultedOnCreate": True,
         "unique": False, "externalId": False, "restrictedPicklist": True, "picklistValues": [
             {"active": True, "defaultValue": True, "label": "Open - Not Contacted",
              "validFor": None, "value": "Open - Not Contacted"},
             {"active": True, "defaultValue": False, "label": "Working - Contacted",
              "validFor": None, "value": "Working - Contacted"},
             {"active": False, "defaultValue": False, "label": "Retired",
              "validFor": None, "value": "Retired"}]},
        {"name": "LeadSource", "type": "picklist", "label": "Lead Source", "length": 255,
         "nillable": True, "createable": True, "updateable": True, "defaultedOnCreate": False,
         "unique": False, "externalId": False, "restrictedPicklist": False, "picklistValues": [
             {"active": True, "defaultValue": False, "label": "Web", "validFor": None,
              "value": "Web"}]},
        {"name": "LeadSync_Id__c", "type": "string", "label": "LeadSync Id", "length": 64,
         "nillable": True, "createable": True, "updateable": True, "defaultedOnCreate": False,
         "unique": True, "externalId": True, "restrictedPicklist": False, "picklistValues": []},
    ],
}


def test_describe_maps_fields_to_field_info(http: responses.RequestsMock) -> None:
    http.get(DESCRIBE_URL, json=DESCRIBE, headers=LIMIT_INFO)

    fields = make_system().describe()

    assert fields["LastName"] == FieldInfo("LastName", "string", "Last Name", length=80,
                                           required=True)
    assert fields["Status"].options == ("Open - Not Contacted", "Working - Contacted")
    assert not fields["Status"].required  # defaulted on create
    assert fields["LeadSource"].options == ()  # not restricted: any value goes
    assert fields["Id"].updateable is False and not fields["Id"].required
    assert fields["LeadSync_Id__c"].unique


def test_create_fields_creates_each_field_through_the_tooling_api(
        http: responses.RequestsMock) -> None:
    http.post(TOOLING_FIELD_URL, status=201, headers=LIMIT_INFO,
              json={"id": "00N5e00000AbCdEEAZ", "success": True, "errors": [], "warnings": [],
                    "infos": []})
    http.get(DESCRIBE_URL, json=DESCRIBE, headers=LIMIT_INFO)
    system = make_system()
    specs = [FieldInfo("LeadSync_Id__c", "string", label="LeadSync Id", length=64, unique=True),
             FieldInfo("Score__c", "picklist", options=("A", "B"))]

    created = system.create_fields(specs)

    assert created == ["LeadSync_Id__c", "Score__c"]
    posts = [json.loads(c.request.body) for c in http.calls if c.request.method == "POST"]
    assert posts == [
        {"FullName": "Lead.LeadSync_Id__c", "Metadata": {
            "label": "LeadSync Id", "type": "Text", "length": 64, "unique": True,
            "externalId": True, "caseSensitive": False}},
        {"FullName": "Lead.Score__c", "Metadata": {
            "label": "Score", "type": "Picklist", "valueSet": {
                "restricted": True, "valueSetDefinition": {"value": [
                    {"fullName": "A", "label": "A", "default": False},
                    {"fullName": "B", "label": "B", "default": False}]}}}}]
    assert system.describe()["LeadSync_Id__c"].unique  # described again after creating


def test_create_fields_with_nothing_asked_makes_no_call(http: responses.RequestsMock) -> None:
    assert make_system().create_fields([]) == []
    assert len(http.calls) == 0


def test_users_are_active_users_by_id_with_their_email(http: responses.RequestsMock) -> None:
    http.get(QUERY, headers=LIMIT_INFO, json=query_result([
        {"attributes": {"type": "User", "url": "/services/data/v59.0/sobjects/User/0055e000001"
                                               "AbCdAAK"},
         "Id": "0055e000001AbCdAAK", "Email": "rep@acme.example"},
        {"attributes": {"type": "User", "url": "/services/data/v59.0/sobjects/User/0055e000001"
                                               "AbCeAAK"},
         "Id": "0055e000001AbCeAAK", "Email": None}]))

    assert make_system().users() == {"0055e000001AbCdAAK": "rep@acme.example"}
    assert soql_of(http.calls[0].request) == "SELECT Id, Email FROM User WHERE IsActive = true"


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-01-15T10:30:00.000+0000", datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
    ("2024-01-15T10:30:00.250+0200", datetime(2024, 1, 15, 8, 30, 0, 250_000, tzinfo=UTC)),
])
def test_salesforce_date_times_are_read_as_aware_utc(text: str, expected: datetime) -> None:
    from leadsync.adapters.salesforce.system import parse_datetime

    parsed = parse_datetime(text)
    assert parsed == expected and parsed.tzinfo == UTC


@pytest.mark.parametrize("text", ["2024-01-15", "2024-01-15T10:30:00.000", "soon"])
def test_a_value_that_is_not_a_salesforce_date_time_is_refused(text: str) -> None:
    from leadsync.adapters.salesforce.system import parse_datetime

    with pytest.raises(ValueError):
        parse_datetime(text)
