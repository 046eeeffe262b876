"""Judging a lead wherever it lives: the canonical view, the stamps, the handoff rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from leadsync.connector.definition_file import load_definition
from leadsync.connector.mapping import Skip, load_mapping
from leadsync.connector.models import Record
from leadsync.connector.qualify import Qualifier
from leadsync.connector.transforms import TransformContext, TransformError

ROOT = Path(__file__).parents[2]
MAPPING = load_mapping(ROOT / "mappings" / "hubspot_salesforce.toml")
DEFINITION = load_definition(ROOT / "definitions" / "example.toml")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
QUALIFIER = Qualifier(DEFINITION, MAPPING)


def hubspot(**properties: object) -> Record:
    return Record("hubspot", "101", properties, NOW - timedelta(hours=1))


def salesforce(**fields: object) -> Record:
    return Record("salesforce", "00Q1", fields, NOW - timedelta(hours=1))


def crm_form(contact: Record) -> Record:
    """The Salesforce lead the sync would create from this contact."""
    fields: dict[str, object] = {}
    for rule in MAPPING.rules_to("crm"):
        try:
            value = rule.convert(contact.fields.get(rule.marketing), "crm", TransformContext())
        except (Skip, TransformError):
            continue
        if value is not None:
            fields[rule.crm] = value
    return salesforce(**fields)


HOT_CONTACT = hubspot(email="ada@analytical.example", jobtitle="VP of Engineering",
                      company="Analytical Engines", country="GB", numemployees="100-500",
                      industry="Technology", lead_source="Demo Request", hubspotscore="72",
                      notes_last_updated=(NOW - timedelta(days=2)).isoformat())


def test_the_canonical_lead_takes_marketing_values_in_their_crm_form() -> None:
    lead = QUALIFIER.lead({"marketing": HOT_CONTACT, "crm": None})
    assert lead["title"] == "VP of Engineering"
    assert lead["employees"] == 300  # "100-500" through the mapping's value map
    assert lead["score"] == "72"
    assert lead["is_customer"] is None


def test_true_when_reads_a_yes_no_field_from_a_picklist() -> None:
    lead = QUALIFIER.lead({"marketing": hubspot(lifecyclestage="customer"), "crm": None})
    assert lead["is_customer"] is True
    lead = QUALIFIER.lead({"marketing": hubspot(lifecyclestage="lead"), "crm": None})
    assert lead["is_customer"] is False


def test_crm_values_fill_what_marketing_lacks_and_latest_activity_wins() -> None:
    contact = hubspot(email="a@b.example", notes_last_updated="2026-11-01T10:00:00.000Z")
    lead = salesforce(Email="a@b.example", Title="Director", LastActivityDate="2026-11-20")
    canonical = QUALIFIER.lead({"marketing": contact, "crm": lead})
    assert canonical["title"] == "Director"
    assert canonical["last_activity"] == "2026-11-20"


def test_a_hot_lead_is_handed_over_and_stamped_on_both_sides() -> None:
    records = {"marketing": HOT_CONTACT, "crm": None}
    verdict = QUALIFIER.evaluate(records, NOW)
    assert verdict.qualified and verdict.hot and QUALIFIER.hands_over(verdict)
    stamps = QUALIFIER.stamps(verdict, records, NOW)
    assert stamps["crm"]["LeadSync_Qualified__c"] is True
    assert stamps["marketing"]["leadsync_grade"] == verdict.grade
    assert stamps["crm"]["LeadSync_Reason__c"] == verdict.reason
    assert stamps["crm"]["LeadSync_Definition_Version__c"] == "2026.11-1"
    assert stamps["crm"]["LeadSync_Qualified_At__c"] == "2026-11-23T12:00:00.000Z"
    assert stamps["crm"]["LeadSync_Flag__c"] is None


def test_an_unqualified_lead_stays_in_marketing_unless_handoff_is_all() -> None:
    contact = hubspot(email="bob@gmail.com", company="Bob's", jobtitle="Student")
    verdict = QUALIFIER.evaluate({"marketing": contact, "crm": None}, NOW)
    assert not verdict.qualified and not QUALIFIER.hands_over(verdict)
    assert Qualifier(DEFINITION, MAPPING, "all").hands_over(verdict)


def test_qualified_at_is_kept_from_the_first_time() -> None:
    lead = salesforce(Email="ada@analytical.example",
                      LeadSync_Qualified_At__c="2026-10-01T09:00:00.000+0000")
    records = {"marketing": HOT_CONTACT, "crm": lead}
    stamps = QUALIFIER.stamps(QUALIFIER.evaluate(records, NOW), records, NOW)
    assert stamps["crm"]["LeadSync_Qualified_At__c"] == "2026-10-01T09:00:00.000+0000"


def test_a_handed_off_lead_that_stops_qualifying_is_flagged_not_taken_away() -> None:
    contact = hubspot(email="ada@gmail.com", company="Analytical Engines")
    lead = salesforce(Email="ada@gmail.com", LeadSync_Qualified__c=True,
                      LeadSync_Qualified_At__c="2026-10-01T09:00:00.000+0000")
    records = {"marketing": contact, "crm": lead}
    verdict = QUALIFIER.evaluate(records, NOW)
    stamps = QUALIFIER.stamps(verdict, records, NOW)
    assert not verdict.qualified
    assert stamps["crm"]["LeadSync_Flag__c"].startswith(
        "No longer qualifies since 2026-11-23: Not qualified (excluded, no grade): "
        "free-mail address")
    assert stamps["crm"]["LeadSync_Qualified__c"] is False
    # the flag keeps its first date on later passes
    flagged = salesforce(**{**lead.fields, "LeadSync_Flag__c": stamps["crm"]["LeadSync_Flag__c"]})
    later = QUALIFIER.stamps(verdict, {"marketing": contact, "crm": flagged},
                             NOW + timedelta(days=3))
    assert later["crm"]["LeadSync_Flag__c"] == stamps["crm"]["LeadSync_Flag__c"]


TITLES = ["VP Sales", "Director of IT", "Student", "Marketing Manager", "Founder & CEO",
          "Geschäftsführer", "  head of DATA ", "Intern", "", "Account Executive"]
DOMAINS = ["acme.example", "gmail.com", "rivalmetrics.com", "initech.de"]
RANGES = ["1-5", "5-25", "25-50", "50-100", "100-500", "500-1000", "1000+", ""]
SOURCES = ["Demo Request", "Free Trial", "Webinar", "Web", "Contact Sales", "Trade Show", ""]
INDUSTRIES = ["Technology", "Finance", "Retail", "Education", " insurance ", ""]
COUNTRIES = ["US", "DE", "FR", "IR", "BR", "", "gb"]


@settings(max_examples=300, deadline=None)
@given(title=st.sampled_from(TITLES), domain=st.sampled_from(DOMAINS),
       company=st.sampled_from(["Acme", "", "n/a", "Initech GmbH", "Ünïcode Ltd"]),
       employees=st.sampled_from(RANGES), source=st.sampled_from(SOURCES),
       industry=st.sampled_from(INDUSTRIES), country=st.sampled_from(COUNTRIES),
       first=st.text(max_size=5), last=st.text(min_size=1, max_size=8))
def test_a_lead_gets_the_same_verdict_from_its_hubspot_form_and_its_salesforce_form(
        title: str, domain: str, company: str, employees: str, source: str, industry: str,
        country: str, first: str, last: str) -> None:
    # The fields both systems carry; the score and activity dates live on one side only.
    properties = {"email": f"p@{domain}", "jobtitle": title, "company": company,
                  "numemployees": employees, "lead_source": source, "industry": industry,
                  "country": country, "firstname": first, "lastname": last}
    contact = hubspot(**{k: v for k, v in properties.items() if v != ""})
    from_hubspot = QUALIFIER.evaluate({"marketing": contact, "crm": None}, NOW)
    from_salesforce = QUALIFIER.evaluate({"marketing": None, "crm": crm_form(contact)}, NOW)
    assert from_hubspot == from_salesforce


def test_the_placeholder_the_crm_required_counts_as_no_value() -> None:
    lead = QUALIFIER.lead({"marketing": None,
                           "crm": salesforce(Email="a@b.example", Company="[not provided]")})
    assert lead["company"] is None
    verdict = QUALIFIER.definition.evaluate(lead, NOW)
    assert not verdict.qualified and "missing company" in verdict.reason


def recycled(contact: Record, at: datetime, qualified_at: datetime, **more: object) -> dict:
    lead = crm_form(contact)
    lead.fields.update(LeadSync_Qualified__c=True, LeadSync_Recycled_At__c=at.isoformat(),
                       LeadSync_Qualified_At__c=qualified_at.isoformat())
    marketing = hubspot(**{**contact.fields, **more})
    return {"marketing": marketing, "crm": lead}


def test_a_recycled_lead_does_not_qualify_again_on_the_same_facts() -> None:
    records = recycled(HOT_CONTACT, NOW - timedelta(days=1), NOW - timedelta(days=12))
    verdict = QUALIFIER.evaluate(records, NOW)
    assert not verdict.qualified and not verdict.hot
    assert verdict.reason.startswith("Recycled for nurture on 2026-11-22")
    stamps = QUALIFIER.stamps(verdict, records, NOW)
    assert stamps["crm"]["LeadSync_Flag__c"] is None  # recycled, not a lead that went cold
    assert stamps["crm"]["LeadSync_Qualified_At__c"] == (NOW - timedelta(days=12)).isoformat()
    assert not QUALIFIER.hands_over(verdict)


def test_engaging_after_the_recycle_qualifies_it_again_with_a_new_qualified_at() -> None:
    records = recycled(HOT_CONTACT, NOW - timedelta(days=1), NOW - timedelta(days=12),
                       recent_conversion_date=(NOW - timedelta(hours=3)).isoformat())
    verdict = QUALIFIER.evaluate(records, NOW)
    assert verdict.qualified
    stamps = QUALIFIER.stamps(verdict, records, NOW)
    assert stamps["crm"]["LeadSync_Qualified_At__c"] == "2026-11-23T12:00:00.000Z"
    assert stamps["marketing"]["leadsync_qualified_at"] == "2026-11-23T12:00:00.000Z"


def test_engagement_before_the_recycle_does_not_count_nor_does_a_date_of_the_same_day() -> None:
    at = NOW - timedelta(hours=2)
    for engaged in ((at - timedelta(minutes=1)).isoformat(), at.date().isoformat()):
        records = recycled(HOT_CONTACT, at, NOW - timedelta(days=12),
                           recent_conversion_date=engaged)
        assert not QUALIFIER.evaluate(records, NOW).qualified, engaged


def test_a_lead_handed_off_again_after_its_recycle_is_not_held_back_by_the_old_recycle() -> None:
    records = recycled(HOT_CONTACT, NOW - timedelta(days=5), NOW - timedelta(days=2))
    verdict = QUALIFIER.evaluate(records, NOW)
    assert verdict.qualified
    stamps = QUALIFIER.stamps(verdict, records, NOW)
    assert stamps["crm"]["LeadSync_Qualified_At__c"] == (NOW - timedelta(days=2)).isoformat()


def test_without_engaged_at_the_last_activity_tells_engagement(tmp_path: Path) -> None:
    text = (ROOT / "mappings" / "hubspot_salesforce.toml").read_text()
    line = 'engaged_at = { marketing = "recent_conversion_date" }\n'
    assert line in text
    path = tmp_path / "no_engaged_at.toml"
    path.write_text(text.replace(line, ""))
    qualifier = Qualifier(DEFINITION, load_mapping(path))
    at = NOW - timedelta(days=3)
    old = recycled(HOT_CONTACT, at, NOW - timedelta(days=12))  # active 2 days ago: after it
    assert qualifier.evaluate(old, NOW).qualified
    assert not QUALIFIER.evaluate(old, NOW).qualified  # engaged_at is what counts when mapped


def test_a_bare_date_counts_only_once_it_begins_after_the_recycle_in_every_zone() -> None:
    at = datetime(2026, 3, 4, 23, 0, tzinfo=UTC)  # 08:00 on the 5th in Tokyo
    for engaged, qualifies in (("2026-03-05", False), ("2026-03-06", True)):
        records = recycled(HOT_CONTACT, at, at - timedelta(days=12),
                           recent_conversion_date=engaged)
        assert QUALIFIER.evaluate(records, at + timedelta(days=3)).qualified is qualifies
