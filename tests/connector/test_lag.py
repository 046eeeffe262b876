"""The lag on one side (``connector.lag``): the oldest change that is not LeadSync's own write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadsync.connector.echo import fingerprint
from leadsync.connector.lag import Lag, since_last_pass
from leadsync.connector.models import Record

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
NAMES = ["email", "lastname"]


def record(record_id: str, minutes_ago: int, lastname: str, deleted: bool = False) -> Record:
    return Record("hubspot", record_id, {"email": f"{record_id}@example.com",
                                         "lastname": lastname},
                  NOW - timedelta(minutes=minutes_ago), deleted=deleted)


def printed(item: Record) -> str:
    return fingerprint(item.fields, NAMES, "seed")


def test_own_writes_read_back_are_skipped_and_the_oldest_other_change_is_the_lag() -> None:
    own, edited, newer = record("1", 30, "Ada"), record("2", 20, "Grace"), record("3", 5, "Hedy")
    lag = Lag(NAMES, "seed")

    lag.add([own, edited], {"1": printed(own), "2": printed(record("2", 20, "Old"))})
    lag.add([newer], {})

    found = lag.as_dict(NOW)
    assert found["lag_seconds"] == 20 * 60 and found["bound"] == "exact"
    assert found["oldest_change_at"] == edited.modified_at.isoformat()
    assert (found["changes_read"], found["own_writes_skipped"]) == (3, 1)


def test_a_deleted_record_is_never_taken_for_an_own_write() -> None:
    gone = record("1", 10, "Ada", deleted=True)
    lag = Lag(NAMES, "seed")

    lag.add([gone], {"1": printed(gone)})

    assert lag.as_dict(NOW)["lag_seconds"] == 600


def test_nothing_but_own_writes_is_no_lag_when_all_was_read_and_unknown_otherwise() -> None:
    own = record("1", 10, "Ada")
    whole, partial = Lag(NAMES, "seed"), Lag(NAMES, "seed")
    for lag in (whole, partial):
        lag.add([own], {"1": printed(own)})
    partial.complete = False

    assert (whole.as_dict(NOW)["lag_seconds"], whole.as_dict(NOW)["bound"]) == (0, "exact")
    assert (partial.as_dict(NOW)["lag_seconds"], partial.as_dict(NOW)["bound"]) == (
        None, "at_least")


def test_a_read_stopped_early_gives_a_lower_bound() -> None:
    lag = Lag(NAMES, "seed")
    lag.add([record("1", 15, "Ada")], {})
    lag.complete = False

    assert lag.as_dict(NOW) | {"oldest_change_at": None} == {
        "lag_seconds": 900.0, "oldest_change_at": None, "bound": "at_least",
        "changes_read": 1, "own_writes_skipped": 0, "complete": False}


def test_a_changed_mapping_takes_no_record_for_an_own_write() -> None:
    own = record("1", 10, "Ada")
    lag = Lag(NAMES, "another mapping")

    lag.add([own], {"1": printed(own)})

    assert lag.own == 0 and lag.as_dict(NOW)["lag_seconds"] == 600


def test_offline_the_last_good_pass_bounds_the_lag_from_above() -> None:
    assert since_last_pass(NOW - timedelta(hours=1), NOW) == {
        "lag_seconds": 3600.0, "oldest_change_at": None, "bound": "at_most",
        "synced_before": (NOW - timedelta(hours=1)).isoformat()}
    assert since_last_pass(None, NOW)["lag_seconds"] is None
