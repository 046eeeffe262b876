"""CRM search on contacts and engagements: filters, query, sorting, paging and its limits."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import Filter, FilterGroup, PublicObjectSearchRequest

from leadsync.sandbox.server import Sandbox
from tests.sandbox.hubspot_support import assert_hubspot_error, new_contact, refusal


@pytest.fixture(autouse=True)
def unhurried(sandbox: Sandbox) -> None:
    """Each look at the portal's rate-limit clock is a second later: no search per-second 429s."""
    sandbox.hubspot.limits.clock = itertools.count(start=1_700_000_000).__next__


def where(*groups: list[Filter], **options: Any) -> PublicObjectSearchRequest:
    return PublicObjectSearchRequest(
        filter_groups=[FilterGroup(filters=filters) for filters in groups], **options)


def f(name: str, operator: str, value: str | None = None, **more: Any) -> Filter:
    return Filter(property_name=name, operator=operator, value=value, **more)


def found(hs: HubSpot, request: PublicObjectSearchRequest) -> list[str]:
    return sorted(r.properties["email"] for r in
                  hs.crm.contacts.search_api.do_search(request).results)


def people(hs: HubSpot) -> None:
    new_contact(hs, email="ann@acme.com", firstname="Ann", lifecyclestage="lead",
                jobtitle="VP of Sales")
    new_contact(hs, email="bob@acme.com", firstname="Bob", lifecyclestage="customer")
    new_contact(hs, email="cy@other.org", firstname="Cy", lifecyclestage="lead", company="Other")


def test_filters_are_anded_within_a_group_and_groups_are_ored(hs: HubSpot) -> None:
    people(hs)

    and_ = found(hs, where([f("lifecyclestage", "EQ", "lead"), f("company", "HAS_PROPERTY")]))
    or_ = found(hs, where([f("firstname", "EQ", "ann")], [f("firstname", "EQ", "Bob")]))

    assert and_ == ["cy@other.org"]
    assert or_ == ["ann@acme.com", "bob@acme.com"]


def test_every_documented_operator_filters_as_described(hs: HubSpot) -> None:
    people(hs)

    def only(filter_: Filter) -> list[str]:
        return found(hs, where([filter_]))

    assert only(f("lifecyclestage", "NEQ", "lead")) == ["bob@acme.com"]
    assert only(f("lifecyclestage", "IN", values=["customer", "other"])) == ["bob@acme.com"]
    assert only(f("lifecyclestage", "NOT_IN", values=["customer"])) == ["ann@acme.com",
                                                                        "cy@other.org"]
    assert only(f("company", "NOT_HAS_PROPERTY")) == ["ann@acme.com", "bob@acme.com"]
    assert only(f("email", "CONTAINS_TOKEN", "*@acme.com")) == ["ann@acme.com", "bob@acme.com"]
    assert only(f("jobtitle", "CONTAINS_TOKEN", "sales")) == ["ann@acme.com"]
    assert only(f("email", "NOT_CONTAINS_TOKEN", "*@acme.com")) == ["cy@other.org"]
    assert only(f("firstname", "LT", "b")) == ["ann@acme.com"]
    assert only(f("firstname", "GTE", "bob")) == ["bob@acme.com", "cy@other.org"]


def test_datetime_filters_take_epoch_millis_or_iso(sandbox: Sandbox, hs: HubSpot) -> None:
    moments = [datetime(2024, 1, day, 10, 30, tzinfo=UTC) for day in (10, 15, 20)]
    for i, moment in enumerate(moments):
        sandbox.hubspot.now = lambda moment=moment: moment
        new_contact(hs, email=f"d{i}@example.com")
    millis = str(int(moments[1].timestamp() * 1000))

    assert found(hs, where([f("createdate", "EQ", millis)])) == ["d1@example.com"]
    assert found(hs, where([f("createdate", "GT", "2024-01-15T10:30:00.000Z")])) == [
        "d2@example.com"]
    assert found(hs, where([f("lastmodifieddate", "BETWEEN", "2024-01-09T00:00:00Z",
                              high_value=millis)])) == ["d0@example.com", "d1@example.com"]
    assert found(hs, where([f("createdate", "LTE", "1705314600000")])) == ["d0@example.com",
                                                                          "d1@example.com"]


def test_query_searches_default_text_properties(hs: HubSpot) -> None:
    people(hs)

    assert found(hs, PublicObjectSearchRequest(query="other")) == ["cy@other.org"]
    assert found(hs, PublicObjectSearchRequest(query="ann@acme.com")) == ["ann@acme.com"]


def test_results_carry_requested_properties_and_sort_by_one_property(hs: HubSpot) -> None:
    people(hs)

    answer = hs.crm.contacts.search_api.do_search(PublicObjectSearchRequest(
        properties=["firstname", "lifecyclestage"],
        sorts=[{"propertyName": "firstname", "direction": "DESCENDING"}]))
    by_string = hs.crm.contacts.search_api.do_search(PublicObjectSearchRequest(
        sorts=["firstname"]))

    assert [r.properties["firstname"] for r in answer.results] == ["Cy", "Bob", "Ann"]
    assert set(answer.results[0].properties) == {"firstname", "lifecyclestage", "createdate",
                                                 "lastmodifieddate", "hs_object_id"}
    assert [r.properties["firstname"] for r in by_string.results] == ["Ann", "Bob", "Cy"]
    status, _ = refusal(hs.crm.contacts.search_api.do_search,
                        PublicObjectSearchRequest(sorts=["firstname", "lastname"]))
    assert status == 400


def test_search_pages_with_after_and_reports_the_total(hs: HubSpot) -> None:
    for i in range(25):
        new_contact(hs, email=f"s{i:02}@example.com")

    emails, after, totals = [], None, set()
    while True:
        page = hs.crm.contacts.search_api.do_search(
            PublicObjectSearchRequest(limit=10, after=after, properties=["email"]))
        emails += [r.properties["email"] for r in page.results]
        totals.add(page.total)
        if page.paging is None:
            break
        after = page.paging.next.after
    assert emails == [f"s{i:02}@example.com" for i in range(25)]
    assert totals == {25}


def test_search_excludes_archived_contacts(hs: HubSpot) -> None:
    gone = new_contact(hs, email="gone@example.com")
    new_contact(hs, email="here@example.com")
    hs.crm.contacts.basic_api.archive(gone.id)

    assert found(hs, PublicObjectSearchRequest()) == ["here@example.com"]


def test_search_refuses_more_than_200_a_page(hs: HubSpot) -> None:
    status, body = refusal(hs.crm.contacts.search_api.do_search,
                           PublicObjectSearchRequest(limit=201))

    assert status == 400
    assert_hubspot_error(body, "VALIDATION_ERROR")


def test_search_refuses_too_many_groups_or_filters(hs: HubSpot) -> None:
    one = [f("firstname", "HAS_PROPERTY")]
    six_groups = where(*[one] * 6)
    seven_in_a_group = where(one * 7)
    nineteen_in_all = where(one * 6, one * 6, one * 6, one)

    for request in (six_groups, seven_in_a_group, nineteen_in_all):
        status, body = refusal(hs.crm.contacts.search_api.do_search, request)
        assert status == 400
        assert_hubspot_error(body, "VALIDATION_ERROR")
    assert hs.crm.contacts.search_api.do_search(where(one * 6, one * 6, one * 6)).total == 0


def test_search_refuses_filters_on_unknown_properties(hs: HubSpot) -> None:
    status, _ = refusal(hs.crm.contacts.search_api.do_search,
                        where([f("no_such_property", "EQ", "x")]))

    assert status == 400


def test_search_cannot_page_past_10000_results(sandbox: Sandbox, hs: HubSpot) -> None:
    portal = sandbox.hubspot
    with portal.lock:
        for i in range(10_001):
            portal.store.create("contacts", {"email": f"bulk{i}@example.com"})

    near_end = hs.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(limit=200, after="9800"))
    status, body = refusal(hs.crm.contacts.search_api.do_search,
                           PublicObjectSearchRequest(limit=200, after="10000"))

    assert near_end.total == 10_001 and len(near_end.results) == 200
    assert near_end.paging.next.after == "10000"
    assert status == 400
    assert_hubspot_error(body, "VALIDATION_ERROR")
