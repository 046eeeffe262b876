"""One run of a job per connection at a time: the run lock around a job (``connector.lock``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from leadsync.connector.config import Config
from leadsync.connector.lock import RunLock
from leadsync.connector.state import StateStore


@contextmanager
def locked(config: Config, job: str) -> Iterator[RunLock]:
    """Hold ``job``'s lock on the config's connection for the block; ``LockHeld`` when another
    run holds it (nothing was done). The lock has its own store connection."""
    store = StateStore(config.state.url)
    try:
        with RunLock(store, job, config.sync.connection,
                     timedelta(seconds=config.state.lock_expiry_seconds)) as lock:
            yield lock
    finally:
        store.close()
