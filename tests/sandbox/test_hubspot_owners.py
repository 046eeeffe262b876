"""Owners' teams, as ``/crm/v3/owners`` reports them: one id per team name in the portal, one
primary team per owner, kept across a saved state."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from hubspot import HubSpot

from leadsync.sandbox.hubspot import HubSpotPortal
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client


def teams_by_email(hs: HubSpot) -> dict[str, list[tuple[str, str, bool]]]:
    return {o.email: [(t.name, t.id, t.primary) for t in o.teams or []]
            for o in hs.crm.owners.owners_api.get_page(limit=100).results}


def test_a_team_has_one_id_in_the_portal_and_each_team_its_own(sandbox: Sandbox,
                                                               hs: HubSpot) -> None:
    owners = sandbox.hubspot.owners
    at = sandbox.hubspot.stamp()
    owners.add("Ana", "Sdr", "ana@example.com", at, teams=("Inbound SDRs", "Sales"))
    owners.add("Ben", "Ae", "ben@example.com", at, teams=("Sales",))
    owners.add("Cy", "Csm", "cy@example.com", at, teams=("Support",))

    teams = teams_by_email(hs)

    [(sdr_name, sdr_id, sdr_primary), (sales_name, sales_id, sales_primary)] = teams[
        "ana@example.com"]
    assert (sdr_name, sdr_primary, sales_name, sales_primary) == (
        "Inbound SDRs", True, "Sales", False)
    assert teams["ben@example.com"] == [("Sales", sales_id, True)]
    [(_, support_id, _)] = teams["cy@example.com"]
    assert len({sdr_id, sales_id, support_id}) == 3
    assert all(i.isdigit() for i in (sdr_id, sales_id, support_id))


def test_an_owner_read_by_id_carries_the_same_teams(sandbox: Sandbox, hs: HubSpot) -> None:
    at = sandbox.hubspot.stamp()
    owner = sandbox.hubspot.owners.add("Ana", "Sdr", "ana@example.com", at,
                                       teams=("Inbound SDRs", "Sales"))

    read = hs.crm.owners.owners_api.get_by_id(owner["id"])

    assert [(t.name, t.id, t.primary) for t in read.teams] == teams_by_email(hs)[
        "ana@example.com"]


def test_owners_added_without_teams_are_on_the_sales_team(
        make_sandbox: Callable[..., Sandbox]) -> None:
    hs = hubspot_client(make_sandbox(seed=7))

    teams = teams_by_email(hs).values()

    assert len({tuple(t) for t in teams}) == 1
    assert next(iter(teams))[0][0] == "Sales" and next(iter(teams))[0][2] is True


def test_team_ids_survive_a_restart_and_new_owners_join_them(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    first = make_sandbox(state=state)
    at = first.hubspot.stamp()
    first.hubspot.owners.add("Ana", "Sdr", "ana@example.com", at, teams=("Inbound SDRs",))
    first.hubspot.owners.add("Ben", "Ae", "ben@example.com", at, teams=("Sales",))
    first.hubspot.touch()
    before = teams_by_email(hubspot_client(first))
    first.stop()

    second = make_sandbox(state=state)
    second.hubspot.owners.add("Dee", "Sdr", "dee@example.com", second.hubspot.stamp(),
                              teams=("Inbound SDRs", "Support"))
    after = teams_by_email(hubspot_client(second))

    assert {k: after[k] for k in before} == before
    [(_, sdr_id, _), (_, support_id, _)] = after["dee@example.com"]
    assert sdr_id == before["ana@example.com"][0][1]
    assert support_id not in {before["ana@example.com"][0][1], before["ben@example.com"][0][1]}


def test_a_state_where_all_teams_shared_one_id_gets_an_id_per_team() -> None:
    portal = HubSpotPortal(access_token="pat-a")
    at = portal.stamp()
    portal.owners.add("Ana", "Sdr", "ana@example.com", at, teams=("Inbound SDRs",))
    portal.owners.add("Ben", "Ae", "ben@example.com", at, teams=("Sales",))
    data = json.loads(json.dumps(portal.dump()))
    for owner in data["owners"]:  # as saved before teams had their own ids
        owner["teams"] = [{**t, "id": "5100001"} for t in owner["teams"]]

    fresh = HubSpotPortal(access_token="pat-b")
    fresh.restore(data)

    ids = [t["id"] for o in fresh.dump()["owners"] for t in o["teams"]]
    assert ids[0] == "5100001" and len(set(ids)) == 2
    assert fresh.owners.add("Cy", "Sdr", "cy@example.com", at,
                            teams=("Sales",))["teams"][0]["id"] == ids[1]
