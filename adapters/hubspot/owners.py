"""HubSpot owners, read in one place: the users of ``System.users`` and the reps and teams of
the SLA."""

from __future__ import annotations

from typing import Any

from leadsync.adapters.hubspot.calls import HubSpotCalls


def read_owners(calls: HubSpotCalls) -> list[dict[str, Any]]:
    """Every active owner, as ``/crm/v3/owners`` answers (teams included)."""
    return [owner for page in calls.pages("owners", calls.client.crm.owners.owners_api.get_page,
                                          limit=500)
            for owner in page.get("results", [])]
