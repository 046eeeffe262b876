"""Searches sorted by modification date, and the list endpoint, answered from the portal's
orders: page for page what a scan of every contact answers, through the HubSpot client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import PublicObjectSearchRequest

from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client

START = datetime(2024, 3, 1, tzinfo=UTC)


def ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


@pytest.fixture
def portal(make_sandbox: Callable[..., Sandbox]) -> tuple[Sandbox, HubSpot]:
    """60 contacts over 20 instants (three at each: ties), a few modified later, some archived
    and one merged away."""
    sandbox = make_sandbox(search_rate=1000, rate_limit=100_000)
    store = sandbox.hubspot.store
    with sandbox.hubspot.lock:
        made = [store.create("contacts", {"email": f"p{i}@example.com", "firstname": f"P{i}"},
                             at=START + timedelta(minutes=(i * 7) % 20)) for i in range(60)]
        later = START + timedelta(hours=1)
        sandbox.hubspot.now = lambda: later
        for record in made[5:60:9]:
            store.update("contacts", record, {"firstname": "Moved"})
        for record in made[3:60:11]:
            store.archive("contacts", record)
        store.merge("contacts", made[1], made[2])
    return sandbox, hubspot_client(sandbox)


def search(hs: HubSpot, groups: list[list[dict[str, Any]]], after: int | None, limit: int,
           sort: str = "ASCENDING") -> tuple[int, list[str], str | None]:
    request = PublicObjectSearchRequest(
        filter_groups=[{"filters": filters} for filters in groups], limit=limit,
        after=None if after is None else str(after), properties=["email"],
        sorts=[{"propertyName": "lastmodifieddate", "direction": sort}])
    answer = hs.crm.contacts.search_api.do_search(request)
    after_next = answer.paging.next.after if answer.paging else None
    return answer.total, [r.id for r in answer.results], after_next


def every_page(hs: HubSpot, groups: list[list[dict[str, Any]]],
               limit: int) -> list[tuple[int, list[str], str | None]]:
    pages, after = [], None
    while True:
        page = search(hs, groups, after, limit)
        pages.append(page)
        if page[2] is None:
            return pages
        after = int(page[2])


def f(operator: str, value: datetime, high: datetime | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"propertyName": "lastmodifieddate", "operator": operator,
                             "value": ms(value)}
    if high is not None:
        found["highValue"] = ms(high)
    return found


WINDOWS = [
    [],
    [f("GTE", START + timedelta(minutes=4))],
    [f("GT", START + timedelta(minutes=4))],
    [f("LTE", START + timedelta(minutes=12))],
    [f("LT", START + timedelta(minutes=12))],
    [f("GTE", START + timedelta(minutes=4)), f("LTE", START + timedelta(hours=2))],
    [f("EQ", START + timedelta(minutes=7))],
    [f("BETWEEN", START + timedelta(minutes=3), START + timedelta(minutes=9))],
    [f("GT", START + timedelta(minutes=9)), f("LT", START + timedelta(minutes=3))],
]


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("limit", [1, 7, 200])
def test_indexed_pages_equal_the_pages_of_a_scan(portal: tuple[Sandbox, HubSpot],
                                                 window: list[dict[str, Any]], limit: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox, hs = portal
    # The same search in two identical groups (ORed: the same contacts) is answered by a scan.
    scanned = every_page(hs, [window or [{"propertyName": "email", "operator": "HAS_PROPERTY"}]]
                         * 2, limit)

    def no_scan(*args: object) -> None:
        raise AssertionError("the indexed search scanned every contact")

    monkeypatch.setattr(sandbox.hubspot.store, "live", no_scan)
    indexed = every_page(hs, [window] if window else [], limit)

    assert indexed == scanned
    assert sum(len(ids) for _, ids, _ in indexed) == indexed[0][0]


def test_ties_come_in_id_order_and_modified_contacts_move_to_the_end(
        portal: tuple[Sandbox, HubSpot]) -> None:
    _, hs = portal

    total, ids, _ = search(hs, [], None, 200)

    first_instant = [int(i) for i in ids[:3]]
    assert first_instant == sorted(first_instant)
    moved = search(hs, [[f("GTE", START + timedelta(minutes=30))]], None, 200)
    assert moved[0] == 7 and moved[1] == ids[-7:]  # six updated, one merged into
    assert total == 60 - 6 - 1  # archived and merged-away contacts are never found


def test_a_descending_search_is_still_answered_by_a_scan(portal: tuple[Sandbox, HubSpot]) -> None:
    _, hs = portal

    total, ids, _ = search(hs, [[f("LTE", START + timedelta(hours=2))]], None, 200,
                           sort="DESCENDING")

    assert total == 53 and len(ids) == 53
    assert ids[:7] == search(hs, [[f("GTE", START + timedelta(minutes=30))]], None, 7)[1]


def test_the_list_pages_by_id_skipping_archived_contacts_and_lists_archived_ones_apart(
        portal: tuple[Sandbox, HubSpot]) -> None:
    sandbox, hs = portal
    store = sandbox.hubspot.store
    live = sorted(int(r["id"]) for r in store.live("contacts"))
    archived = sorted(int(r["id"]) for r in store.archived("contacts"))

    def all_pages(archived_too: bool) -> list[int]:
        seen, after = [], None
        while True:
            page = hs.crm.contacts.basic_api.get_page(limit=7, after=after,
                                                      archived=archived_too)
            seen += [int(r.id) for r in page.results]
            if page.paging is None:
                return seen
            after = page.paging.next.after

    assert all_pages(False) == live
    assert all_pages(True) == archived and len(archived) == 6
