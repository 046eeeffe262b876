"""Reading ahead: the next pages of a change source fetched while this one is worked on.

A pass reads a page, matches, plans and writes it, then reads the next; the read calls of one
system then wait for the write calls of the other. ``ahead`` fetches up to ``depth`` pages in
a thread of its own while the caller works, so reading overlaps writing; memory stays bounded
by ``depth`` pages. An error the reading raises is raised to the caller at that page; a caller
that stops early (a failed pass) stops the reading too.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar, cast

T = TypeVar("T")
_DONE = object()


def ahead(items: Iterable[T], depth: int = 2, name: str = "leadsync-read") -> Iterator[T]:
    """``items`` as they are, fetched up to ``depth`` ahead in another thread."""
    if depth < 1:
        yield from items
        return
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the caller, raised there
            put(_Failure(exc))

    reader = threading.Thread(target=fetch, name=name, daemon=True)
    reader.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield cast(T, item)
    finally:
        stop.set()
        reader.join(timeout=5)


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error
