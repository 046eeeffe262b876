"""The dead-letter policy: what a refused record keeps and when it is tried again (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadsync.connector.deadletter import (
    DELIVERED,
    DISCARDED,
    DUE,
    NEEDS_ACTION,
    PARKED,
    WAITING,
    DeadLetterPolicy,
    Entry,
    after_refusal,
    clip_payload,
    due,
    fingerprint,
    next_attempt,
    state,
    truncate,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
POLICY = DeadLetterPolicy(max_attempts=5)


def test_a_short_message_is_kept_whole() -> None:
    assert truncate("Required fields are missing: [LastName]") == \
        "Required fields are missing: [LastName]"


def test_a_100k_message_is_cut_to_a_few_hundred_characters_saying_it_was_cut() -> None:
    cut = truncate("x" * 100_000)
    assert len(cut) < 400
    assert cut.endswith("... [99,700 more characters cut]")


def test_long_values_in_what_was_sent_are_cut_and_the_rest_kept() -> None:
    clipped = clip_payload({"fields": {"Description": "y" * 100_000, "NumberOfEmployees": 12}})
    assert len(clipped["fields"]["Description"]) < 1100
    assert clipped["fields"]["NumberOfEmployees"] == 12


def test_the_fingerprint_is_stable_and_changes_with_any_value() -> None:
    assert fingerprint({"a": 1, "b": "x"}) == fingerprint({"b": "x", "a": 1})
    assert fingerprint({"a": 1, "b": "x"}) != fingerprint({"a": 1, "b": "y"})


def test_a_first_refusal_is_attempt_1_and_the_same_input_refused_again_counts_on() -> None:
    assert after_refusal(None, "f1") == (1, PARKED)
    assert after_refusal(Entry(PARKED, 3, T0, fingerprint="f1"), "f1") == (4, PARKED)


def test_a_changed_source_starts_the_count_again() -> None:
    assert after_refusal(Entry(PARKED, 5, T0, fingerprint="f1"), "f2") == (1, PARKED)


def test_a_discarded_record_stays_discarded_until_its_source_changes() -> None:
    assert after_refusal(Entry(DISCARDED, 2, T0, fingerprint="f1"), "f1") == (3, DISCARDED)
    assert after_refusal(Entry(DISCARDED, 2, T0, fingerprint="f1"), "f2") == (1, PARKED)


def test_a_record_refused_after_being_delivered_is_a_new_first_attempt() -> None:
    assert after_refusal(Entry(DELIVERED, 4, T0, fingerprint="f1"), "f1") == (1, PARKED)


def test_a_record_refused_once_is_due_on_the_next_pass() -> None:
    assert state(Entry(PARKED, 1, T0), T0 + timedelta(seconds=1), POLICY) == DUE


def test_the_wait_before_the_next_attempt_grows_with_the_attempts() -> None:
    delays = [POLICY.delay(n) for n in range(1, 6)]
    assert delays == [timedelta(0), timedelta(minutes=15), timedelta(minutes=30),
                      timedelta(hours=1), timedelta(hours=2)]
    assert POLICY.delay(40) == timedelta(hours=24)  # capped


def test_a_record_waits_out_its_backoff_then_is_due() -> None:
    entry = Entry(PARKED, 3, T0)
    assert state(entry, T0 + timedelta(minutes=29), POLICY) == WAITING
    assert state(entry, T0 + timedelta(minutes=30), POLICY) == DUE
    assert next_attempt(entry, POLICY) == T0 + timedelta(minutes=30)


def test_after_max_attempts_a_record_needs_action_and_is_not_tried_by_itself() -> None:
    entry = Entry(PARKED, 5, T0)
    assert state(entry, T0 + timedelta(days=30), POLICY) == NEEDS_ACTION
    assert next_attempt(entry, POLICY) is None
    assert state(entry, T0 + timedelta(days=30), DeadLetterPolicy(max_attempts=6)) == DUE


def test_a_retry_asked_for_makes_a_record_due_even_when_it_needs_action() -> None:
    entry = Entry(PARKED, 9, T0, retry_at=T0 + timedelta(minutes=1))
    assert state(entry, T0 + timedelta(minutes=1), POLICY) == DUE
    assert next_attempt(entry, POLICY) == T0 + timedelta(minutes=1)


def test_delivered_and_discarded_records_are_never_due() -> None:
    later = T0 + timedelta(days=9)
    assert state(Entry(DELIVERED, 1, T0), later, POLICY) == DELIVERED
    assert state(Entry(DISCARDED, 1, T0), later, POLICY) == DISCARDED
    assert next_attempt(Entry(DISCARDED, 1, T0), POLICY) is None


def test_due_names_each_due_record_once_in_order() -> None:
    entries = [("a", Entry(PARKED, 1, T0)), ("b", Entry(PARKED, 5, T0)),
               ("c", Entry(PARKED, 2, T0)), ("a", Entry(PARKED, 1, T0))]
    assert due(entries, T0 + timedelta(minutes=1), POLICY) == ["a"]
    assert due(entries, T0 + timedelta(minutes=15), POLICY) == ["a", "c"]
