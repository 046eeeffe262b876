"""Benchmark the sandbox itself, so later benchmarks know it is not their bottleneck.

Starts ``leadsync sandbox serve`` in its own process and drives it through the real clients:
- Salesforce: ``PATCH composite/sobjects/Lead/<ext id>``, 200 records a call (upsert);
- HubSpot: ``POST /crm/v3/objects/contacts/batch/upsert``, 100 inputs a call, by email.
Half the calls create records, half update the same ones again.

Run by hand: ``python bench/sandbox_throughput.py [--calls 50]``.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from hubspot import HubSpot
from simple_salesforce import Salesforce

from leadsync.adapters.transport import ca_session

EXT_ID = "LeadSync_Id__c"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=50, help="calls per measurement")
    args = parser.parse_args()
    process = subprocess.Popen(
        [sys.executable, "-m", "leadsync", "sandbox", "serve", "--rate-limit", "100000000",
         "--daily-api-limit", "100000000"], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        sf = Salesforce(instance_url=info["salesforce"]["instance_url"],
                        session_id=info["salesforce"]["session_id"],
                        version=info["salesforce"]["api_version"],
                        session=ca_session(info["ca_bundle"]))
        hs = HubSpot(access_token=info["hubspot"]["access_token"], host=info["hubspot"]["host"],
                     ssl_ca_cert=info["ca_bundle"])
        sf.toolingexecute("sobjects/CustomField/", method="POST", data={
            "FullName": f"Lead.{EXT_ID}",
            "Metadata": {"label": "LeadSync Id", "type": "Text", "length": 64,
                         "unique": True, "externalId": True}})
        report("Salesforce composite upsert, 200 records", 200, args.calls,
               lambda i: salesforce_upsert(sf, i % (args.calls // 2 or 1)))
        report("HubSpot batch upsert, 100 inputs", 100, args.calls,
               lambda i: hubspot_upsert(hs, i % (args.calls // 2 or 1)))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


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
    hs.crm.contacts.batch_api.upsert(batch_input_simple_public_object_batch_input_upsert={
        "inputs": inputs})


def report(name: str, per_call: int, calls: int, call: Callable[[int], None]) -> None:
    call(0)  # warm up: connection, TLS handshake
    started = time.perf_counter()
    for i in range(calls):
        call(i)
    elapsed = time.perf_counter() - started
    print(f"{name}: {calls} calls in {elapsed:.2f} s = {calls / elapsed:.1f} requests/s, "
          f"{calls * per_call / elapsed:,.0f} records/s, {elapsed / calls * 1000:.1f} ms/call")


if __name__ == "__main__":
    main()
