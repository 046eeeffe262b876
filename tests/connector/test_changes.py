"""The change source: a side's changed records in pages, its cursor, the records asked for by id."""

from __future__ import annotations

from leadsync.connector.changes import ChangeSource, parked_ids
from leadsync.connector.models import Cursor
from leadsync.connector.state import StateStore
from tests.connector.fakes import Clock, FakeSystem


def system_with(count: int, clock: Clock) -> tuple[FakeSystem, list[str]]:
    system = FakeSystem("hubspot", clock, page_size=2)
    return system, [system.add(email=f"p{i}@example.com") for i in range(count)]


def test_without_a_cursor_every_record_is_read_and_the_side_counts_as_read_whole() -> None:
    clock = Clock()
    system, ids = system_with(5, clock)
    source = ChangeSource(system, ["email"], None, clock.tick())
    pages = list(source.pages())
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [r.id for page in pages for r in page] == ids
    assert source.whole and source.read == 5


def test_the_cursor_moves_with_each_page_consumed_to_the_last_stamp_the_vendor_gave() -> None:
    clock = Clock()
    system, ids = system_with(3, clock)
    until = clock.tick(60)
    source = ChangeSource(system, ["email"], None, until)
    pages = source.pages()
    first = next(pages)
    assert source.cursor == Cursor(first[-1].modified_at, frozenset({first[-1].id}))
    list(pages)
    assert source.cursor is not None and source.cursor.modified_at == system.modified[ids[-1]]
    assert source.cursor.modified_at < until  # never our clock


def test_since_a_cursor_only_later_changes_are_read_and_the_side_is_not_whole() -> None:
    clock = Clock()
    system, ids = system_with(3, clock)
    cursor = Cursor(system.modified[ids[1]], frozenset({ids[1]}))
    source = ChangeSource(system, ["email"], cursor, clock.tick())
    assert [r.id for page in source.pages() for r in page] == [ids[2]]
    assert not source.whole


def test_records_asked_for_by_id_come_after_the_window_and_only_if_it_did_not_give_them() -> None:
    clock = Clock()
    system, ids = system_with(3, clock)
    cursor = Cursor(system.modified[ids[2]], frozenset({ids[2]}))
    source = ChangeSource(system, ["email"], cursor, clock.tick(), ids=[ids[0], ids[0]])
    assert [[r.id for r in page] for page in source.pages()] == [[ids[0]]]
    assert source.read == 1


def test_an_id_the_window_already_gave_is_not_looked_up_again() -> None:
    clock = Clock()
    system, ids = system_with(1, clock)
    source = ChangeSource(system, ["email"], None, clock.tick(), ids=ids)
    assert [[r.id for r in page] for page in source.pages()] == [ids]
    assert system.calls == 1  # the one page read, no lookup


def test_parked_ids_are_the_source_records_of_writes_refused_by_the_target(tmp_path) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    store.park("default", None, "salesforce", "k1", "hs1", "CODE", "refused", [], {})
    store.park("default", None, "hubspot", "k2", "00Q1", "CODE", "refused", [], {})
    assert parked_ids(store, "default", "salesforce") == ["hs1"]
