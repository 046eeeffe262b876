"""Each adapter's error table: vendor answers land on the kinds of LeadSync's error tree."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot.crm.contacts import ApiException
from simple_salesforce.exceptions import SalesforceError

from leadsync.adapters.hubspot import errors as hubspot_errors
from leadsync.adapters.salesforce import errors as salesforce_errors
from leadsync.connector.errors import (
    AuthError,
    BatchRefused,
    ConfigError,
    LeadSyncError,
    NotFound,
    RateLimited,
    RecordRefused,
    TransientError,
)


def hubspot_answer(status: int, category: str, message: str, **extra: Any) -> ApiException:
    exc = ApiException(status=status, reason="")
    exc.body = json.dumps({"status": "error", "category": category, "message": message,
                           **extra}).encode()
    return exc


def salesforce_answer(status: int, code: str, message: str) -> SalesforceError:
    content = json.dumps([{"errorCode": code, "message": message}]).encode()
    exc = SalesforceError("https://acme.my.salesforce.com/x", status, "Lead", content)
    exc.content = json.loads(content)  # simple-salesforce hands on the parsed body
    return exc


@pytest.mark.parametrize(("status", "category", "kind"), [
    (400, "VALIDATION_ERROR", BatchRefused), (409, "CONFLICT", BatchRefused),
    (401, "INVALID_AUTHENTICATION", AuthError), (403, "MISSING_SCOPES", ConfigError),
    (404, "OBJECT_NOT_FOUND", NotFound), (429, "RATE_LIMITS", RateLimited),
    (502, "BAD_GATEWAY", TransientError)])
def test_hubspot_statuses_map_to_their_kind_by_table(
        status: int, category: str, kind: type[LeadSyncError]) -> None:
    error = hubspot_errors.translate(hubspot_answer(status, category, "no"), "call")

    assert type(error) is kind
    assert not hasattr(error, "status")  # the kind says it; no status is patched on


def test_a_refused_hubspot_batch_carries_the_vendors_words_and_the_fields_it_named() -> None:
    error = hubspot_errors.translate(hubspot_answer(
        400, "VALIDATION_ERROR", "Property values were not valid",
        errors=[{"message": "BOGUS was not one of the allowed options",
                 "context": {"propertyName": ["hs_lead_status"]}}]), "batch update")

    assert isinstance(error, BatchRefused) and isinstance(error, ConfigError)
    refusal = error.refusal("ls-3")
    assert isinstance(refusal, RecordRefused)
    assert (refusal.key, refusal.code, refusal.vendor_message, refusal.fields) == (
        "ls-3", "VALIDATION_ERROR", "Property values were not valid", ("hs_lead_status",))


def test_a_hubspot_207_error_is_a_record_refused_with_its_category_and_properties() -> None:
    refusal = hubspot_errors.refusal("ls-2", {
        "status": "error", "category": "VALIDATION_ERROR", "message": "not an option",
        "context": {"propertyName": ["lifecyclestage"]}})

    assert (refusal.code, refusal.vendor_message, refusal.fields) == (
        "VALIDATION_ERROR", "not an option", ("lifecyclestage",))


@pytest.mark.parametrize(("status", "code", "kind"), [
    (401, "INVALID_SESSION_ID", AuthError), (403, "REQUEST_LIMIT_EXCEEDED", RateLimited),
    (403, "INSUFFICIENT_ACCESS", ConfigError), (400, "INVALID_FIELD", ConfigError),
    (404, "NOT_FOUND", NotFound), (503, "SERVER_UNAVAILABLE", TransientError)])
def test_salesforce_status_and_error_code_map_to_their_kind_by_table(
        status: int, code: str, kind: type[LeadSyncError]) -> None:
    error = salesforce_errors.translate(salesforce_answer(status, code, "no"), "query")

    assert type(error) is kind
    if isinstance(error, ConfigError):
        assert error.code == code


def test_a_salesforce_record_error_is_a_record_refused_with_its_status_code_and_fields() -> None:
    refusal = salesforce_errors.refusal("k1", {"statusCode": "STRING_TOO_LONG",
                                               "message": "Last Name: data value too large",
                                               "fields": ["LastName"]})

    assert (refusal.key, refusal.code, refusal.fields) == ("k1", "STRING_TOO_LONG",
                                                           ("LastName",))


def test_a_hubspot_207_error_naming_properties_only_in_its_message_names_them_as_fields() -> None:
    listed = ('[{"isValid":false,"message":"Carrier Pigeon was not one of the allowed options: '
              '[Web, Other]","error":"INVALID_OPTION","name":"lead_source"}]')
    refusal = hubspot_errors.refusal("ls-9", {
        "status": "error", "category": "VALIDATION_ERROR", "context": {"ids": ["ls-9"]},
        "message": f"Property values were not valid: {listed}"})

    assert refusal.fields == ("lead_source",)
    assert refusal.vendor_message == ("lead_source: Carrier Pigeon was not one of the allowed "
                                      "options: [Web, Other]")
