"""The spool: one side's changes held on disk, asked for by id, email or key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from leadsync.connector.models import Record
from leadsync.connector.spool import Spool

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def lead(record_id: str, email: str | None = None, **fields: str) -> Record:
    return Record("salesforce", record_id, {"Email": email, **fields}, NOW)


def test_records_are_found_by_id_email_or_key_in_read_order_until_taken() -> None:
    with Spool() as spool:
        spool.add([(lead("a", "a@x.com"), "a@x.com", "ka"), (lead("b"), None, "kb"),
                   (lead("c", "c@x.com"), "c@x.com", "kc")])
        found = spool.find(ids=["c"], emails=["a@x.com"], keys=["kb"])
        assert [(r.id, email) for r, email in found] == [("a", "a@x.com"), ("b", None),
                                                         ("c", "c@x.com")]
        spool.take(["a", "b"])
        assert [r.id for r, _ in spool.find(ids=["a", "b", "c"])] == ["c"]
        assert [[r.id for r, _ in page] for page in spool.leftovers(10)] == [["c"]]
        assert list(spool.leftovers(10)) == []


def test_a_record_read_twice_is_held_once_at_its_latest_version() -> None:
    with Spool() as spool:
        spool.add([(lead("a", "a@x.com", Company="Old"), "a@x.com", "ka")])
        spool.add([(lead("a", "a@x.com", Company="New"), "a@x.com", "ka")])
        [(record, _)] = spool.find(ids=["a"])
        assert record.fields["Company"] == "New"


def test_a_leftover_page_holds_every_leftover_of_its_emails() -> None:
    with Spool() as spool:
        spool.add([(lead(str(i), f"p{i % 3}@x.com"), f"p{i % 3}@x.com", f"k{i}")
                   for i in range(7)])
        pages = [[r.id for r, _ in page] for page in spool.leftovers(1)]
        assert pages == [["0", "3", "6"], ["1", "4"], ["2", "5"]]


def test_the_file_is_gone_once_closed() -> None:
    spool = Spool()
    folder = Path(spool._folder.name)
    spool.add([(lead("a"), None, "ka")])
    assert any(folder.iterdir())
    spool.close()
    assert not folder.exists()


def test_many_ids_are_asked_for_in_chunks() -> None:
    with Spool() as spool:
        spool.add((lead(str(i)), None, f"k{i}") for i in range(1_500))
        assert len(spool.find(ids=[str(i) for i in range(0, 1_500, 2)])) == 750
