"""The journey facts of a judged lead, decided with no I/O (``connector.journey_capture``)."""

from __future__ import annotations

from datetime import UTC, datetime

from leadsync import shipped
from leadsync.connector.definition import RuleResult, Verdict
from leadsync.connector.journey_capture import verdict_row
from leadsync.connector.mapping import load_mapping

VIEW = load_mapping(shipped.mapping()).view
NOW = datetime(2026, 11, 2, 14, 30, tzinfo=UTC)
EARLIER = "2026-10-01T09:00:00.000Z"


def verdict(qualified: bool = True, **given: object) -> Verdict:
    results = (RuleResult("free_mail", "exclusion", False, 0, "email matches /.../"),
               RuleResult("senior_title", "fit", True, 20, "title matches /.../"),
               RuleResult("webinar", "engagement", True, 15, "lead_source in [...]"))
    values: dict[str, object] = {
        "qualified": qualified, "hot": False, "excluded": False, "grade": "B", "score": 35,
        "fit_points": 20, "reason": "MQL", "version": "v1", "results": results}
    values.update(given)
    return Verdict(**values)  # type: ignore[arg-type]


def stamps(qualified_at: str | None) -> dict[str, dict[str, object]]:
    return {"crm": {"LeadSync_Qualified_At__c": qualified_at},
            "marketing": {"leadsync_qualified_at": qualified_at}}


def test_a_qualified_lead_takes_its_stamp_as_mql_time_and_its_matched_rules() -> None:
    lead = {"email": " Ann@Acme.com ", "first_name": "Ann", "last_name": "Lee",
            "lead_source": "Webinar", "campaign": "Q4 Webinar"}
    row = verdict_row("k1", lead, verdict(), stamps(EARLIER), VIEW, NOW, returned=False)
    assert (row["email"], row["name"], row["source"], row["campaign"]) == (
        "ann@acme.com", "Ann Lee", "Webinar", "Q4 Webinar")
    assert row["mql_at"] == datetime(2026, 10, 1, 9, tzinfo=UTC)  # the stamp it carries
    assert row["returned_at"] is None and row["first_judged_at"] == NOW
    assert row["matched"] == ["senior_title", "webinar"]


def test_a_return_is_the_new_stamp_and_an_unqualified_lead_has_no_mql_time() -> None:
    lead = {"email": "ann@acme.com", "last_name": "Lee", "source": "Trade Show"}
    again = verdict_row("k1", lead, verdict(), stamps("2026-11-02T14:30:00.000Z"), VIEW, NOW,
                        returned=True)
    assert again["returned_at"] == again["mql_at"] == NOW
    assert again["name"] == "Lee" and again["source"] == "Trade Show"  # `source` when no
    # lead_source; a name from the parts there are
    cold = verdict_row("k2", {"email": None}, verdict(False, excluded=True), stamps(None),
                       VIEW, NOW, returned=False)
    assert cold["mql_at"] is None and cold["excluded"] is True
    assert cold["email"] is None and cold["name"] is None and cold["campaign"] is None
