"""Fingerprints: one canonical form per value, whatever the vendor; what a write leaves.

The passes that use them are tested in ``test_sync`` (own writes read back)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadsync.connector.echo import after_write, canonical, fingerprint, of_record
from leadsync.connector.models import Record

NOW = datetime(2026, 12, 6, tzinfo=UTC)


@pytest.mark.parametrize(("one", "another"), [
    (None, ""), (5, "5"), (5, "5.0"), (2.5, "2.50"), (True, "true"), (False, "False"),
    ("2026-12-06T10:00:00Z", "2026-12-06T10:00:00.000+0000"),
])
def test_the_ways_vendors_write_one_value_have_one_canonical_form(one: object,
                                                                 another: object) -> None:
    assert canonical(one) == canonical(another)  # type: ignore[arg-type]


@pytest.mark.parametrize(("one", "another"), [
    ("Ada", "ada"), ("5", "6"), ("", "0"), ("2026-12-06T10:00:00Z", "2026-12-06T10:00:01Z"),
])
def test_different_values_keep_different_forms(one: str, another: str) -> None:
    assert canonical(one) != canonical(another)


def test_a_fingerprint_covers_the_named_fields_in_order_and_missing_is_blank() -> None:
    names = ["Email", "Company"]
    assert fingerprint({"Email": "a@x.com"}, names) == fingerprint(
        {"Email": "a@x.com", "Company": None, "Other": "ignored"}, names)
    assert fingerprint({"Email": "a@x.com", "Company": "A"}, names) != fingerprint(
        {"Email": "A", "Company": "a@x.com"}, names)


def test_a_write_is_predicted_on_the_record_as_read_and_odd_records_are_never_printed(
        ) -> None:
    read = Record("salesforce", "1", {"Email": "a@x.com", "Company": "Old"}, NOW)
    names = ["Email", "Company"]
    assert after_write(read, {"Company": "New"}, names) == fingerprint(
        {"Email": "a@x.com", "Company": "New"}, names)
    for odd in (Record("salesforce", "1", {}, NOW, deleted=True),
                Record("salesforce", "1", {}, NOW, read_only=True),
                Record("salesforce", "1", {}, NOW, became="2"),
                Record("salesforce", "1", {}, NOW, absorbed=("3",))):
        assert of_record(odd, names) is None
    assert after_write(None, {"Company": "New"}, names) is None
