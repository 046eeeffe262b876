"""Per-field conflict rules in the planner: every rule, with and without an agreed value.

Each row: the rule, what HubSpot and Salesforce hold, the value both last agreed on (None: no
ledger, a first contact), which side was modified last, and the write expected (the side it
goes to and the value), or None for no write.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadsync.connector.mapping import FieldMapping, FieldRule
from leadsync.connector.models import FieldValue, Record, Side
from leadsync.connector.plan import Pair, plan
from leadsync.connector.transforms import TransformContext

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NAMES: dict[Side, str] = {"marketing": "hubspot", "crm": "salesforce"}
CONTEXTS: dict[Side, TransformContext] = {"marketing": TransformContext(),
                                          "crm": TransformContext()}
NO_LEDGER = object()

ROWS: list[tuple[str, FieldValue, FieldValue, object, str, tuple[Side, FieldValue] | None]] = [
    # two_way: the side that edited it since both agreed; both: the later; ties: the CRM
    ("two_way", "B", "A", "A", "crm", ("crm", "B")),
    ("two_way", "A", "C", "A", "marketing", ("marketing", "C")),
    ("two_way", "B", "C", "A", "crm", ("marketing", "C")),
    ("two_way", "B", "C", "A", "marketing", ("crm", "B")),
    ("two_way", "B", "C", "A", "tie", ("marketing", "C")),
    ("two_way", "", "A", "A", "marketing", ("crm", None)),  # a deliberate clear goes across
    ("two_way", "A", "A", "A", "marketing", None),
    ("two_way", "", "C", NO_LEDGER, "marketing", ("marketing", "C")),  # blank never overwrites
    ("two_way", "B", "", NO_LEDGER, "crm", ("crm", "B")),
    ("two_way", "B", "C", NO_LEDGER, "marketing", ("crm", "B")),
    ("two_way", "B", "C", NO_LEDGER, "crm", ("marketing", "C")),
    ("two_way", "B", "C", NO_LEDGER, "tie", ("marketing", "C")),
    ("two_way", "", "", NO_LEDGER, "marketing", None),
    # prefer_crm_unless_blank: the CRM's value whenever it has one, else marketing's fills it
    ("prefer_crm_unless_blank", "B", "C", "A", "marketing", ("marketing", "C")),
    ("prefer_crm_unless_blank", "B", "C", NO_LEDGER, "marketing", ("marketing", "C")),
    ("prefer_crm_unless_blank", "B", "", "A", "crm", ("crm", "B")),
    ("prefer_crm_unless_blank", "B", "", NO_LEDGER, "crm", ("crm", "B")),
    ("prefer_crm_unless_blank", "", "", NO_LEDGER, "crm", None),
    # prefer_marketing_unless_blank: the mirror
    ("prefer_marketing_unless_blank", "B", "C", "A", "crm", ("crm", "B")),
    ("prefer_marketing_unless_blank", "B", "C", NO_LEDGER, "crm", ("crm", "B")),
    ("prefer_marketing_unless_blank", "", "C", "A", "marketing", ("marketing", "C")),
    ("prefer_marketing_unless_blank", "", "C", NO_LEDGER, "marketing", ("marketing", "C")),
    # always_crm: the CRM's value always; its blank only when it cleared the field
    ("always_crm", "B", "C", "A", "marketing", ("marketing", "C")),
    ("always_crm", "B", "C", NO_LEDGER, "marketing", ("marketing", "C")),
    ("always_crm", "A", "", "A", "crm", ("marketing", None)),
    ("always_crm", "B", "", NO_LEDGER, "crm", None),
    ("always_crm", "B", "A", "A", "marketing", ("marketing", "A")),  # marketing's edit undone
    # always_marketing: the mirror
    ("always_marketing", "B", "C", "A", "crm", ("crm", "B")),
    ("always_marketing", "B", "C", NO_LEDGER, "crm", ("crm", "B")),
    ("always_marketing", "", "A", "A", "marketing", ("crm", None)),
    ("always_marketing", "", "C", NO_LEDGER, "marketing", None),
    # fill_blank_only: a value goes only into a blank field
    ("fill_blank_only", "B", "", "A", "crm", ("crm", "B")),
    ("fill_blank_only", "", "C", NO_LEDGER, "marketing", ("marketing", "C")),
    ("fill_blank_only", "B", "C", "A", "marketing", None),
    ("fill_blank_only", "B", "C", NO_LEDGER, "marketing", None),
    # dont_sync: never written
    ("dont_sync", "B", "C", "A", "marketing", None),
    ("dont_sync", "B", "", NO_LEDGER, "marketing", None),
]


def mapping(conflict: str) -> FieldMapping:
    rule = FieldRule("jobtitle", "Title", "both", conflict=conflict)
    return FieldMapping(Path("m.toml"), "contacts", "Lead", "email", "Email", (rule,))


def pair(hubspot: FieldValue, salesforce: FieldValue, agreed: object, newer: str) -> Pair:
    later = T0 + timedelta(minutes=5)
    contact = Record("hubspot", "hs1", {"jobtitle": hubspot},
                     later if newer == "marketing" else T0)
    lead = Record("salesforce", "00Q1", {"Title": salesforce}, later if newer == "crm" else T0)
    ledger: dict[tuple[str, str], FieldValue] = {}
    if agreed is not NO_LEDGER:
        assert agreed is None or isinstance(agreed, str)
        ledger = {("hubspot", "jobtitle"): agreed, ("salesforce", "Title"): agreed}
    return Pair("k1", {"marketing": contact, "crm": lead}, changed={"marketing", "crm"},
                ledger=ledger)


@pytest.mark.parametrize(("conflict", "hubspot", "salesforce", "agreed", "newer", "expected"),
                         ROWS)
def test_each_conflict_rule_decides_which_value_goes_across(
        conflict: str, hubspot: FieldValue, salesforce: FieldValue, agreed: object, newer: str,
        expected: tuple[Side, FieldValue] | None) -> None:
    planned = plan([pair(hubspot, salesforce, agreed, newer)], mapping(conflict), CONTEXTS,
                   NAMES)
    writes = [(w.side, next(iter(w.op.fields.values()))) for w in planned.writes]
    assert writes == ([] if expected is None else [expected])


def test_a_value_both_sides_already_hold_is_recorded_as_agreed_without_a_write() -> None:
    planned = plan([pair("Dev", "Dev", NO_LEDGER, "crm")], mapping("two_way"), CONTEXTS, NAMES)
    assert planned.writes == []
    assert planned.agreed["k1"] == {"marketing": {"jobtitle": "Dev"}, "crm": {"Title": "Dev"}}


def test_a_write_carries_what_both_sides_will_agree_on_once_it_is_confirmed() -> None:
    [write] = plan([pair("B", "A", "A", "marketing")], mapping("two_way"), CONTEXTS,
                   NAMES).writes
    assert write.agreed == {"marketing": {"jobtitle": "B"}, "crm": {"Title": "B"}}


def test_a_placeholder_default_counts_as_blank_on_first_contact() -> None:
    rule = FieldRule("company", "Company", "both", default_to_crm="[not provided]")
    both = FieldMapping(Path("m.toml"), "contacts", "Lead", "email", "Email", (rule,))
    later = T0 + timedelta(minutes=5)
    blank = Pair("k1", {"marketing": Record("hubspot", "hs1", {"company": ""}, T0),
                        "crm": Record("salesforce", "00Q1", {"Company": "[not provided]"}, later)},
                 changed={"marketing", "crm"})
    assert plan([blank], both, CONTEXTS, NAMES).writes == []
