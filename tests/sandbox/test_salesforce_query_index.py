"""Queries bounded on SystemModstamp and ordered by it, answered from the org's index: the same
records in the same order as a scan of every record, through simple-salesforce."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from simple_salesforce import Salesforce

from leadsync.sandbox.server import Sandbox
from tests.conftest import salesforce_client

SELECT = "SELECT Id, SystemModstamp, LastName, IsDeleted FROM Lead"


@pytest.fixture(scope="module")
def org() -> Iterator[tuple[Sandbox, Salesforce, list[str]]]:
    """450 leads: 400 made in two collection calls (many sharing a stamp), some updated one by
    one, some deleted; and the distinct stamps, in order."""
    sandbox = Sandbox().start()
    sf = salesforce_client(sandbox)
    made = []
    for batch in range(2):
        records = [{"attributes": {"type": "Lead"}, "LastName": f"L{batch}-{i:03d}",
                    "Company": "Indexed"} for i in range(200)]
        made += [r["id"] for r in sf.restful("composite/sobjects", method="POST",
                                             json={"allOrNone": True, "records": records})]
    made += [sf.Lead.create({"LastName": f"One {i}", "Company": "Indexed"})["id"]
             for i in range(50)]
    for lead_id in made[10:400:37]:
        sf.Lead.update(lead_id, {"Title": "Moved"})
    for lead_id in made[5:450:53]:
        sf.Lead.delete(lead_id)
    stamps = sorted({r["SystemModstamp"] for r in sf.query_all(
        "SELECT SystemModstamp FROM Lead", include_deleted=True)["records"]})
    yield sandbox, sf, stamps
    sandbox.stop()


def soql_time(stamp: str, shift_ms: float = 0.0) -> str:
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z") + timedelta(
        milliseconds=shift_ms)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def rows(sf: Salesforce, where: str, order: str, deleted: bool,
         tail: str = "") -> list[tuple[str, str]]:
    found = sf.query_all(f"{SELECT} WHERE {where} ORDER BY {order}{tail}",
                         include_deleted=deleted, headers={"Sforce-Query-Options":
                                                           "batchSize=200"})["records"]
    return [(r["Id"], r["SystemModstamp"]) for r in found]


def windows(stamps: list[str]) -> list[str]:
    low, mid, high = stamps[1], stamps[len(stamps) // 2], stamps[-2]
    return [
        f"SystemModstamp >= {soql_time(low)}",
        f"SystemModstamp > {soql_time(low)}",
        f"SystemModstamp <= {soql_time(high)}",
        f"SystemModstamp < {soql_time(high)}",
        f"SystemModstamp >= {soql_time(low)} AND SystemModstamp <= {soql_time(mid)}",
        f"SystemModstamp = {soql_time(mid)}",
        f"SystemModstamp > {soql_time(low, 0.4)} AND SystemModstamp < {soql_time(high, -0.4)}",
        f"SystemModstamp >= {soql_time(low)} AND LastName LIKE 'L1%'",
        f"SystemModstamp > {soql_time(high)} AND SystemModstamp < {soql_time(low)}",
    ]


@pytest.mark.parametrize("deleted", [False, True])
@pytest.mark.parametrize("order", ["SystemModstamp, Id", "SystemModstamp",
                                   "SystemModstamp, LastName DESC"])
def test_indexed_results_equal_a_scan(org: tuple[Sandbox, Salesforce, list[str]], order: str,
                                      deleted: bool) -> None:
    _, sf, stamps = org
    for where in windows(stamps):
        # An OR of the condition with itself selects the same records, and is scanned.
        scanned = rows(sf, f"({where}) OR ({where})", order, deleted)
        indexed = rows(sf, where, order, deleted)

        assert indexed == scanned, where
    everything = rows(sf, windows(stamps)[0], order, deleted)
    assert len(everything) > 300
    assert [s for _, s in everything] == sorted(s for _, s in everything)


def test_limit_offset_and_count_from_the_index(org: tuple[Sandbox, Salesforce, list[str]]
                                               ) -> None:
    _, sf, stamps = org
    where = f"SystemModstamp >= {soql_time(stamps[0])}"

    whole = rows(sf, where, "SystemModstamp, Id", False)
    part = rows(sf, where, "SystemModstamp, Id", False, " LIMIT 30 OFFSET 20")
    count = sf.query(f"SELECT COUNT() FROM Lead WHERE {where}")["totalSize"]

    assert part == whole[20:50]
    assert count == len(whole)


def test_an_index_scan_does_not_touch_records_outside_the_range(
        org: tuple[Sandbox, Salesforce, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox, sf, stamps = org
    seen: list[str] = []
    original = sandbox.salesforce.modstamps["Lead"].between

    def between(low: float | None, high: float | None) -> list[str]:
        found = original(low, high)
        seen.extend(found)
        return found

    monkeypatch.setattr(sandbox.salesforce.modstamps["Lead"], "between", between)
    where = f"SystemModstamp >= {soql_time(stamps[-3])}"

    found = rows(sf, where, "SystemModstamp, Id", True)

    assert len(seen) == len(found) < 100
