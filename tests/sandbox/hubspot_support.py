"""Helpers for the HubSpot emulator tests: calling the client and reading HubSpot's refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import ApiException as ContactsApiException
from hubspot.crm.contacts import SimplePublicObject, SimplePublicObjectInputForCreate


def refusal(call: Callable[..., Any], *args: Any,
            error: type[Exception] = ContactsApiException, **kwargs: Any) -> tuple[int, Any]:
    """The status and JSON body of the ApiException the client raises for ``call``."""
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    raised: Any = caught.value
    return raised.status, json.loads(raised.body)


def new_contact(hs: HubSpot, **properties: str) -> SimplePublicObject:
    return hs.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties=properties))


def assert_hubspot_error(body: dict[str, Any], category: str) -> None:
    """HubSpot's error envelope: status, message, correlationId (a UUID) and category."""
    assert body["status"] == "error"
    assert body["category"] == category
    assert isinstance(body["message"], str) and body["message"]
    assert len(body["correlationId"]) == 36
