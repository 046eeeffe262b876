"""HubSpot's nurture lists against the sandbox portal: the list a recycle adds to is made
once, even by two processes that looked for it at the same moment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leadsync.adapters.hubspot.calls import HubSpotCalls
from leadsync.adapters.hubspot.lists import HubSpotLists
from leadsync.connector.errors import BatchRefused, NotFound
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client


class LateLooker(HubSpotLists):
    """A process that looked for the list just before another made it: it found none."""

    def __init__(self, calls: HubSpotCalls) -> None:
        super().__init__(calls)
        self.looked = 0

    def _find(self, name: str) -> Any:
        self.looked += 1
        if self.looked == 1:
            raise NotFound(f"no list named {name!r}")
        return super()._find(name)


def test_a_list_made_by_another_process_since_this_one_looked_is_used_not_refused(
        make_sandbox: Callable[..., Sandbox]) -> None:
    calls = HubSpotCalls(hubspot_client(make_sandbox()))
    first = HubSpotLists(calls).list_id("Recycled by LeadSync")

    late = LateLooker(calls)
    assert late.list_id("Recycled by LeadSync") == first
    assert late.looked == 2  # looked, was refused the create, looked again


def test_a_create_refused_for_another_reason_is_still_an_error(
        make_sandbox: Callable[..., Sandbox]) -> None:
    calls = HubSpotCalls(hubspot_client(make_sandbox()))

    with pytest.raises(BatchRefused):
        LateLooker(calls).list_id("")  # HubSpot refuses a list without a name
