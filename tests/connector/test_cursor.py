"""Cursor rules: the window start is inclusive and boundary duplicates are dropped by id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from leadsync.connector.models import Cursor, Record

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def rec(id_: str, seconds: int) -> Record:
    return Record("hubspot", id_, {}, T0 + timedelta(seconds=seconds))


def test_a_record_at_the_boundary_not_yet_seen_is_admitted() -> None:
    cursor = Cursor(T0, frozenset({"a"}))
    assert cursor.admits(rec("b", 0))
    assert not cursor.admits(rec("a", 0))
    assert not cursor.admits(rec("c", -1))
    assert cursor.admits(rec("a", 1))


def test_advancing_to_a_later_instant_keeps_only_the_ids_seen_there() -> None:
    cursor = Cursor(T0, frozenset({"a"})).advanced([rec("b", 5), rec("c", 5), rec("d", 2)])
    assert cursor == Cursor(T0 + timedelta(seconds=5), frozenset({"b", "c"}))


def test_advancing_at_the_same_instant_adds_to_the_boundary_set() -> None:
    cursor = Cursor(T0, frozenset({"a"})).advanced([rec("b", 0)])
    assert cursor == Cursor(T0, frozenset({"a", "b"}))


def test_a_cursor_survives_json() -> None:
    cursor = Cursor(T0, frozenset({"x", "y"}))
    assert Cursor.from_json(cursor.to_json()) == cursor


@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 5)), max_size=40),
       st.integers(1, 7))
def test_reading_in_any_page_split_sees_each_latest_version_exactly_once(
        changes: list[tuple[str, int]], page: int) -> None:
    # A system holds each id at its latest modification time; reads come in pages ordered by
    # (time, id) and may be cut anywhere. Every record must be admitted once, in one pass.
    latest: dict[str, int] = {}
    for id_, seconds in changes:
        latest[id_] = max(seconds, latest.get(id_, 0))
    ordered = sorted((rec(i, s) for i, s in latest.items()), key=lambda r: (r.modified_at, r.id))
    cursor, seen = Cursor(T0 - timedelta(seconds=1)), []
    while True:
        window = [r for r in ordered if r.modified_at >= cursor.modified_at]
        batch = [r for r in window if cursor.admits(r)][:page]
        if not batch:
            break
        seen.extend(r.id for r in batch)
        cursor = cursor.advanced(batch)
    assert sorted(seen) == sorted(latest)
