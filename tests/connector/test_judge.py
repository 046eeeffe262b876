"""Judging: each changed lead put in its canonical form once and judged; the verdict handed on."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from leadsync.connector.judge import Judge
from leadsync.connector.mapping import FieldRule
from leadsync.connector.models import Record, Side
from leadsync.connector.plan import Pair, plan
from leadsync.connector.qualify import Qualifier
from leadsync.connector.transforms import FieldValue, TransformContext
from tests.connector.test_qualify import DEFINITION, HOT_CONTACT, MAPPING, NOW, QUALIFIER, hubspot

CONTEXTS: dict[Side, TransformContext] = {"marketing": TransformContext(),
                                          "crm": TransformContext()}
NAMES: dict[Side, str] = {"marketing": "hubspot", "crm": "salesforce"}


def new_lead(contact: Record, key: str = "k1") -> Pair:
    return Pair(key, {"marketing": contact, "crm": None}, changed={"marketing"})


def test_without_a_qualifier_no_lead_is_judged() -> None:
    judgement = Judge(None, NOW).judge([new_lead(HOT_CONTACT)], CONTEXTS["crm"])
    assert judgement.evaluated == 0 and judgement.stamps == {} and judgement.hold == set()


def test_a_hot_lead_is_judged_with_stamps_for_both_sides_and_its_canonical_form_kept() -> None:
    judgement = Judge(QUALIFIER, NOW).judge([new_lead(HOT_CONTACT)], CONTEXTS["crm"])
    assert (judgement.evaluated, judgement.qualified) == (1, 1)
    assert judgement.verdicts["k1"].hot
    assert judgement.leads["k1"]["employees"] == 300  # "100-500", in its CRM form
    assert judgement.stamps["k1"]["crm"]["LeadSync_Qualified__c"] is True
    assert judgement.stamps["k1"]["marketing"]["leadsync_grade"] == judgement.verdicts["k1"].grade
    assert judgement.hold == set()


def test_an_unqualified_lead_only_marketing_has_stays_in_marketing_unless_handoff_is_all() -> None:
    student = hubspot(email="bob@gmail.com", company="Bob's", jobtitle="Student")
    assert Judge(QUALIFIER, NOW).judge([new_lead(student)], None).hold == {"k1"}
    everyone = Qualifier(DEFINITION, MAPPING, "all")
    assert Judge(everyone, NOW).judge([new_lead(student)], None).hold == set()


def test_a_pair_that_did_not_change_is_not_judged() -> None:
    pair = Pair("k1", {"marketing": HOT_CONTACT, "crm": None})
    assert Judge(QUALIFIER, NOW).judge([pair], None).evaluated == 0


def test_the_judge_and_the_planner_convert_a_marketing_value_to_its_crm_form_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    conversions: Counter[tuple[str, Side]] = Counter()
    convert = FieldRule.convert

    def counting(rule: FieldRule, value: FieldValue, target: Side,
                 ctx: TransformContext) -> FieldValue:
        conversions[(rule.crm, target)] += 1
        return convert(rule, value, target, ctx)

    monkeypatch.setattr(FieldRule, "convert", counting)
    pairs = [new_lead(HOT_CONTACT)]
    judgement = Judge(QUALIFIER, NOW).judge(pairs, CONTEXTS["crm"])
    planned = plan(pairs, MAPPING, CONTEXTS, NAMES, judgement.stamps, judgement.hold)
    [write] = planned.for_side("crm")
    assert write.side == "crm" and write.op.fields["NumberOfEmployees"] == 300
    assert conversions[("NumberOfEmployees", "crm")] == 1
    assert conversions[("Title", "crm")] == 1
    assert max(n for (_, target), n in conversions.items() if target == "crm") == 1


def test_a_lead_judged_later_gets_its_qualified_at_from_the_judges_instant() -> None:
    later = NOW + timedelta(days=1)
    judgement = Judge(QUALIFIER, later).judge([new_lead(HOT_CONTACT)], None)
    assert judgement.stamps["k1"]["crm"]["LeadSync_Qualified_At__c"] == "2026-11-24T12:00:00.000Z"
