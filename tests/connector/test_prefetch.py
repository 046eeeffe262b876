"""Reading ahead: pages fetched in a thread while the pass works, bounded, errors handed on."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from leadsync.connector.prefetch import ahead


def test_items_come_in_order_and_all_of_them() -> None:
    assert list(ahead(iter(range(50)), depth=2)) == list(range(50))
    assert list(ahead(iter(range(5)), depth=0)) == list(range(5))


def test_no_more_than_depth_items_are_fetched_ahead_of_the_caller() -> None:
    fetched: list[int] = []
    caught_up = threading.Event()

    def source() -> Iterator[int]:
        for i in range(10):
            fetched.append(i)
            if len(fetched) == 4:
                caught_up.set()
            yield i

    pages = ahead(source(), depth=2)
    assert next(pages) == 0
    caught_up.wait(timeout=5)
    # one given, two waiting in the queue, one more fetched and waiting for room
    assert len(fetched) <= 1 + 2 + 1
    assert list(pages) == list(range(1, 10))


def test_an_error_while_reading_is_raised_to_the_caller_at_its_place() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ConnectionError("reset")

    got: list[int] = []
    with pytest.raises(ConnectionError, match="reset"):
        for item in ahead(source(), depth=2):
            got.append(item)
    assert got == [1, 2]


def test_a_caller_that_stops_early_stops_the_reading() -> None:
    started = threading.Event()
    fetched: list[int] = []

    def endless() -> Iterator[int]:
        i = 0
        while True:
            started.set()
            fetched.append(i)
            yield i
            i += 1

    pages = ahead(endless(), depth=1, name="leadsync-read-test")
    assert next(pages) == 0
    pages.close()  # the pass failed: the generator is closed
    assert not any(t.name == "leadsync-read-test" for t in threading.enumerate())
    assert len(fetched) < 10
