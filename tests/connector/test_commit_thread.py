"""Confirmed batches committed from a thread of their own (``connector.commit_thread``): in the
order handed over, those waiting together in one transaction, never more than ``backlog``
waiting, a commit's failure raised to the sending thread; and what delivery keeps of the audit
events of batches it never sent.

Commits are held and released by events, never by sleeping."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from leadsync.connector.commit import Commit, Confirmed, SideSummary
from leadsync.connector.commit_thread import CommitThread
from leadsync.connector.errors import Stopped, TransientError
from leadsync.connector.mapping import FieldMapping
from tests.connector.test_deliver_parallel import GUARD, Systems, mapping  # noqa: F401


class HeldCommit:
    """Stands in for ``Commit``: notes each transaction's batches; the first waits for
    ``release``; ``fail_on`` (a batch's name) raises."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.transactions: list[list[str]] = []
        self.entered, self.release = threading.Event(), threading.Event()
        self.fail_on = fail_on

    def batches(self, items: Sequence[Confirmed]) -> None:
        names = [str(item.batch) for item in items]
        if not self.transactions and not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(GUARD)
        if self.fail_on in names:
            raise TransientError(f"state store unreachable committing {self.fail_on}")
        self.transactions.append(names)


def item(name: str) -> Confirmed:
    return Confirmed("crm", cast(Any, name), [], SideSummary(), {})


def thread_for(commit: HeldCommit, backlog: int) -> CommitThread:
    return CommitThread(cast(Commit, commit), backlog=backlog)


def test_batches_waiting_while_one_commits_are_committed_together_in_order() -> None:
    commit = HeldCommit()
    committing = thread_for(commit, backlog=4)
    committing.put(item("b1"))
    assert commit.entered.wait(GUARD)  # b1's transaction is under way
    for name in ("b2", "b3", "b4"):
        committing.put(item(name))
    commit.release.set()
    committing.close()

    assert commit.transactions == [["b1"], ["b2", "b3", "b4"]]


def test_no_more_than_the_backlog_waits_uncommitted() -> None:
    commit = HeldCommit()
    committing = thread_for(commit, backlog=2)
    committing.put(item("b1"))
    assert commit.entered.wait(GUARD)
    committing.put(item("b2"))
    committing.put(item("b3"))
    fourth = threading.Thread(target=committing.put, args=(item("b4"),))
    fourth.start()
    fourth.join(0.3)
    assert fourth.is_alive()  # two wait already: the sender waits with them
    commit.release.set()
    fourth.join(GUARD)
    committing.close()

    assert [name for names in commit.transactions for name in names] == ["b1", "b2", "b3", "b4"]


def test_a_failed_commit_is_raised_to_the_sender_and_nothing_after_it_is_committed() -> None:
    commit = HeldCommit(fail_on="b2")
    committing = thread_for(commit, backlog=4)
    committing.put(item("b1"))
    assert commit.entered.wait(GUARD)
    committing.put(item("b2"))
    commit.release.set()
    with pytest.raises(TransientError, match="committing b2"):
        committing.close()
    assert commit.transactions == [["b1"]]

    failing = HeldCommit(fail_on="b1")
    failing.release.set()
    later = thread_for(failing, backlog=1)
    later.put(item("b1"))
    with pytest.raises(TransientError):  # raised by a put (or the close), never swallowed
        later.put(item("b2"))
        later.close()


def test_closing_with_an_error_on_its_way_does_not_replace_it_with_a_failed_commit(
        ) -> None:
    commit = HeldCommit(fail_on="b1")
    commit.release.set()
    committing = thread_for(commit, backlog=2)
    committing.put(item("b1"))
    committing.close(raise_failure=False)  # no exception: the caller's own error goes up

    assert commit.transactions == []


def sent_rows(systems: Systems) -> dict[str, list[dict[str, Any]]]:
    """The audit events kept for batches sent and not committed, by token (every run)."""
    return systems.store.sent_writes("default")


def test_a_stop_leaves_no_kept_events_for_the_batches_it_never_sent(
        tmp_path: Path, mapping: FieldMapping) -> None:  # noqa: F811
    systems = Systems(tmp_path, parallel=1)
    sent: list[int] = []

    def stop_after_two() -> bool:
        return len(sent) >= 2

    systems.deliver.stop = stop_after_two
    systems.crm.hook = lambda keys: sent.append(1)

    with pytest.raises(Stopped):
        systems.run(systems.contacts(5), mapping)

    assert systems.linked() == {"k0", "k1"}
    assert sent_rows(systems) == {}  # k2..k4 were never sent: nothing kept for them


def test_a_batch_whose_call_failed_keeps_its_events_for_the_next_pass(
        tmp_path: Path, mapping: FieldMapping) -> None:  # noqa: F811
    systems = Systems(tmp_path, parallel=1)

    def k1_fails(keys: list[str]) -> None:
        if keys == ["k1"]:
            raise TransientError("Salesforce upsert: connection reset, retries given up")

    systems.crm.hook = k1_fails

    with pytest.raises(TransientError):
        systems.run(systems.contacts(4), mapping)

    assert systems.linked() == {"k0"}
    kept = sent_rows(systems)  # k1 may have been written: its outcome is unknown
    assert [[event["key"] for event in events] for events in kept.values()] == [["k1"]]


def test_a_commit_that_fails_mid_page_stops_the_sending_and_is_raised(
        tmp_path: Path, mapping: FieldMapping, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    systems = Systems(tmp_path, parallel=1)
    real = systems.store.record_events
    commits = 0

    def second_fails(*args: Any, **kwargs: Any) -> None:
        nonlocal commits
        commits += 1
        if commits == 2:
            raise TransientError("state store: server closed the connection")
        real(*args, **kwargs)

    monkeypatch.setattr(systems.store, "record_events", second_fails)

    with pytest.raises(TransientError, match="server closed"):
        systems.run(systems.contacts(8), mapping)

    committed, sent = systems.linked(), systems.events.keys("send", "salesforce")
    # the first transaction's batches, in order; those sent after it never committed
    assert committed == {f"k{i}" for i in range(len(committed))} and committed
    # the put after the failure raised it: sending stopped within the backlog
    assert len(committed) < len(sent) < 8


def test_every_batch_of_a_parallel_page_is_committed_and_audited_once(tmp_path: Path,
                                                        mapping: FieldMapping) -> None:  # noqa: F811
    systems = Systems(tmp_path, parallel=4, batch_size=3)

    systems.run(systems.contacts(20), mapping)

    assert systems.linked() == {f"k{i}" for i in range(20)}
    assert systems.summaries["crm"].created == 20
    assert sent_rows(systems) == {}
    written = {e["key"] for e in systems.store.events("default") if e["event"] == "sync_create"}
    assert written == {f"k{i}" for i in range(20)}
