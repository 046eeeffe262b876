"""The pure identity decisions: fates, notes, merge moves and the shared-email rule."""

from __future__ import annotations

from datetime import UTC, datetime

from leadsync.connector.identity import fate, moves, note_write, winner
from leadsync.connector.models import Record

T = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
SYSTEMS = {"marketing": "hubspot", "crm": "salesforce"}
NOTES = {"marketing": "leadsync_note", "crm": "LeadSync_Note__c"}


def lead(record_id: str, deleted: bool = False, read_only: bool = False,
         became: str | None = None) -> Record:
    return Record("salesforce", record_id, {}, T, deleted=deleted, read_only=read_only,
                  became=became)


def contact(record_id: str = "1", note: str | None = None) -> Record:
    return Record("hubspot", record_id, {"leadsync_note": note}, T)


def test_a_deleted_record_with_a_survivor_is_merged_and_one_without_is_deleted() -> None:
    assert fate("crm", lead("00Q1", deleted=True, became="00Q2")).note("salesforce") == (
        "merged in salesforce into 00Q2 on 2026-12-06")
    assert fate("crm", lead("00Q1", deleted=True)).note("salesforce") == (
        "deleted in salesforce on 2026-12-06")
    assert fate("crm", lead("00Q1")) is None


def test_a_converted_lead_is_noted_on_the_contact_with_the_contact_id() -> None:
    records = {"marketing": contact(), "crm": lead("00Q1", read_only=True, became="0031")}
    assert note_write(records, SYSTEMS, NOTES, "flag") == (
        "marketing", "leadsync_note", "converted in salesforce to 0031 on 2026-12-06")


def test_a_note_already_there_is_not_written_again_and_ignore_writes_none() -> None:
    records = {"marketing": contact(note="deleted in salesforce on 2026-12-06"),
               "crm": lead("00Q1", deleted=True)}
    assert note_write(records, SYSTEMS, NOTES, "flag") is None
    records["marketing"] = contact()
    assert note_write(records, SYSTEMS, NOTES, "ignore") is None


def test_a_note_is_cleared_when_both_records_are_live_again() -> None:
    records = {"marketing": contact(note="deleted in salesforce on 2026-12-06"),
               "crm": lead("00Q1")}
    assert note_write(records, SYSTEMS, NOTES, "flag") == ("marketing", "leadsync_note", None)


def test_the_link_moves_to_an_unlinked_survivor_only() -> None:
    assert [m.survivor for m in moves({"00Q1": "00Q2"}, {"00Q1": "k1"}, "crm")] == ["00Q2"]
    assert moves({"00Q1": "00Q2"}, {"00Q1": "k1", "00Q2": "k2"}, "crm") == []


def test_of_two_linked_losers_into_one_survivor_the_smaller_key_moves() -> None:
    found = moves({"00Q1": "00Q3", "00Q2": "00Q3"}, {"00Q1": "k2", "00Q2": "k1"}, "crm")
    assert [(m.key, m.loser) for m in found] == [("k1", "00Q2")]


def test_the_shared_email_goes_to_the_live_unconverted_oldest_record() -> None:
    old, new = lead("00Q000001"), lead("00Q000002")
    assert winner([new, old]) is old
    assert winner([lead("00Q000001", read_only=True), new]) is new
    assert winner([lead("00Q000001", deleted=True), new]) is new
