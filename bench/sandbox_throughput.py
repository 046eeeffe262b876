"""Benchmark the sandbox itself, so later benchmarks know it is not their bottleneck.

Starts ``leadsync sandbox serve --people N --where both`` in its own process and drives it
through the real clients:
- a full read of every contact by CRM search, as the connector reads changes: sorted by
  ``lastmodifieddate``, 200 a page with ``after``, the window restarted at the last modification
  time whenever HubSpot's 10,000-result cap is reached;
- a full read of every lead by SOQL through ``queryAll``, ``ORDER BY SystemModstamp, Id``,
  2,000 a page followed by ``nextRecordsUrl``;
- writes: ``PATCH composite/sobjects/Lead/<ext id>``, 200 records a call (upsert), and
  ``POST /crm/v3/objects/contacts/batch/upsert``, 100 inputs a call, by email; half the calls
  create records, half update the same ones again.
Each line also says how many TCP connections the client opened for its requests (one, with
keep-alive).

Run by hand: ``python bench/sandbox_throughput.py [--people 10000] [--calls 50]``.
``--populate seed`` seeds with ``--seed N`` instead (Faker people, slower; for sandboxes
without ``--people``).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import urllib3
from hubspot import HubSpot
from hubspot.crm.contacts.exceptions import ApiException
from simple_salesforce import Salesforce

from leadsync.adapters.transport import ca_session

EXT_ID = "LeadSync_Id__c"
SEARCH_PAGE, SEARCH_CAP = 200, 10_000
UNTIL_MS = 4_102_444_800_000  # 2100-01-01
THROTTLED = [0]  # search answers 429 waited out so far
APIS: dict[str, Any] = {}  # the HubSpot client's API objects, made once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000, help="people in both systems")
    parser.add_argument("--calls", type=int, default=50, help="calls per write measurement")
    parser.add_argument("--populate", choices=("people", "seed"), default="people")
    args = parser.parse_args()
    ConnectCounter.install()
    populate = (["--people", str(args.people), "--where", "both", "--search-rate", "100000"]
                if args.populate == "people" else ["--seed", str(args.people)])
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "leadsync", "sandbox", "serve", "--rate-limit", "100000000",
         "--daily-api-limit", "100000000", *populate], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        print(f"sandbox ready with {args.people:,} people ({args.populate}) in "
              f"{time.perf_counter() - started:.1f} s; {rss_mb(process.pid)}")
        session = ca_session(info["ca_bundle"])
        sf = Salesforce(instance_url=info["salesforce"]["instance_url"],
                        session_id=info["salesforce"]["session_id"],
                        version=info["salesforce"]["api_version"], session=session)
        hs = HubSpot(access_token=info["hubspot"]["access_token"], host=info["hubspot"]["host"],
                     ssl_ca_cert=info["ca_bundle"])
        measure("HubSpot search full read", lambda: search_all(hs))
        measure("Salesforce SOQL full read (queryAll)", lambda: soql_all(sf))
        sf.toolingexecute("sobjects/CustomField/", method="POST", data={
            "FullName": f"Lead.{EXT_ID}",
            "Metadata": {"label": "LeadSync Id", "type": "Text", "length": 64,
                         "unique": True, "externalId": True}})
        half = args.calls // 2 or 1
        measure_calls("Salesforce composite upsert, 200 records", 200, args.calls,
                      lambda i: salesforce_upsert(sf, i % half))
        measure_calls("HubSpot batch upsert, 100 inputs", 100, args.calls,
                      lambda i: hubspot_upsert(hs, i % half))
        print(f"sandbox process: {rss_mb(process.pid)}")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)


def search_all(hs: HubSpot) -> tuple[int, int]:
    """Every contact by search, as the connector pages it; (records, requests)."""
    seen: set[str] = set()
    since: int | None = None
    requests = 0
    while True:
        filters: list[dict[str, Any]] = [{"propertyName": "lastmodifieddate", "operator": "LTE",
                                          "value": str(UNTIL_MS)}]
        if since is not None:
            filters.insert(0, {"propertyName": "lastmodifieddate", "operator": "GTE",
                               "value": str(since)})
        after: str | None = None
        restart = None
        while True:
            body: dict[str, Any] = {
                "filterGroups": [{"filters": filters}], "limit": SEARCH_PAGE,
                "properties": ["email", "lastmodifieddate", "firstname", "lastname"],
                "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]}
            if after is not None:
                body["after"] = after
            answer = searched(hs, body)
            requests += 1
            results = answer["results"]
            seen.update(r["id"] for r in results)
            paging = answer.get("paging")
            after = paging["next"]["after"] if paging else None
            if after is None:
                break
            if int(after) + SEARCH_PAGE > SEARCH_CAP:
                restart = epoch_ms(results[-1]["properties"]["lastmodifieddate"])
                break
        if restart is None:
            return len(seen), requests
        since = restart


def searched(hs: HubSpot, body: dict[str, Any]) -> dict[str, Any]:
    """One search; a 429 (a sandbox with the 5-a-second search limit) is waited out."""
    while True:
        try:
            answer: dict[str, Any] = search_api(hs).do_search(
                public_object_search_request=body).to_dict()
            return answer
        except ApiException as error:
            if error.status != 429:
                raise
            THROTTLED[0] += 1
            time.sleep(0.2)


def search_api(hs: HubSpot) -> Any:
    """The contacts search API, made once: the HubSpot client makes a new API object, with its
    own connection pool, each time ``hs.crm.contacts.search_api`` is read."""
    if "search" not in APIS:
        APIS["search"] = hs.crm.contacts.search_api
    return APIS["search"]


def batch_api(hs: HubSpot) -> Any:
    """The contacts batch API, made once (see ``search_api``)."""
    if "batch" not in APIS:
        APIS["batch"] = hs.crm.contacts.batch_api
    return APIS["batch"]


def epoch_ms(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def soql_all(sf: Salesforce) -> tuple[int, int]:
    """Every lead through queryAll, ordered as the connector reads; (records, requests)."""
    soql = ("SELECT Id, SystemModstamp, IsDeleted, Email, FirstName, LastName, Company "
            "FROM Lead WHERE SystemModstamp >= 2000-01-01T00:00:00Z AND "
            "SystemModstamp <= 2100-01-01T00:00:00Z ORDER BY SystemModstamp, Id")
    answer = sf.query_all_iter(soql, include_deleted=True)
    count = 0
    for _ in answer:
        count += 1
    return count, -(-count // 2000) or 1


def salesforce_upsert(sf: Salesforce, batch: int) -> None:
    records = [{"attributes": {"type": "Lead"}, EXT_ID: f"b{batch}-{i}", "LastName": f"Last{i}",
                "Company": "Bench Co", "Email": f"p{batch}.{i}@bench.example"}
               for i in range(200)]
    result = sf.restful(f"composite/sobjects/Lead/{EXT_ID}", method="PATCH",
                        json={"allOrNone": False, "records": records})
    assert all(item["success"] for item in result), result[:1]


def hubspot_upsert(hs: HubSpot, batch: int) -> None:
    inputs = [{"idProperty": "email", "id": f"p{batch}.{i}@bench.example",
               "properties": {"firstname": "Bench", "lastname": f"Last{i}"}} for i in range(100)]
    batch_api(hs).upsert(batch_input_simple_public_object_batch_input_upsert={"inputs": inputs})


class ConnectCounter:
    """Counts the TCP connections both clients open (urllib3 reconnects a pooled connection
    object when the server closed it, so the pools' own counts miss those)."""

    opened = 0

    @classmethod
    def install(cls) -> None:
        connect = urllib3.connection.HTTPSConnection.connect

        def counted(self: urllib3.connection.HTTPSConnection) -> None:
            cls.opened += 1
            connect(self)

        method = "connect"  # replaced on the class, for both clients' pools
        setattr(urllib3.connection.HTTPSConnection, method, counted)


def measure(name: str, read: Callable[[], tuple[int, int]]) -> None:
    opened, throttled = ConnectCounter.opened, THROTTLED[0]
    started = time.perf_counter()
    records, requests = read()
    elapsed = time.perf_counter() - started
    print(f"{name}: {records:,} records in {elapsed:.2f} s = {records / elapsed:,.0f} records/s, "
          f"{requests} requests, {elapsed / requests * 1000:.1f} ms/request, "
          f"{ConnectCounter.opened - opened} new connections, {THROTTLED[0] - throttled} "
          "answers 429 waited out")


def measure_calls(name: str, per_call: int, calls: int, call: Callable[[int], None]) -> None:
    call(0)  # warm up: connection, TLS handshake
    opened = ConnectCounter.opened
    started = time.perf_counter()
    for i in range(calls):
        call(i)
    elapsed = time.perf_counter() - started
    print(f"{name}: {calls} calls in {elapsed:.2f} s = {calls / elapsed:.1f} requests/s, "
          f"{calls * per_call / elapsed:,.0f} records/s, {elapsed / calls * 1000:.1f} ms/call, "
          f"{ConnectCounter.opened - opened} new connections")


def rss_mb(pid: int) -> str:
    """The resident memory of a process, from /proc (Linux)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        return (f"RSS {int(fields['VmRSS'].split()[0]) / 1024:,.0f} MB "
                f"(peak {int(fields['VmHWM'].split()[0]) / 1024:,.0f} MB)")
    except OSError:
        return "RSS unknown"


if __name__ == "__main__":
    main()
