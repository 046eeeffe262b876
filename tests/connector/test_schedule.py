"""``[schedules]``: cron expressions in a time zone per job and connection, their defaults, the
errors that name the key, and the next run across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadsync.adapters.registry import load_builtin_kinds
from leadsync.connector.config import Config
from leadsync.connector.config_file import check_config, load_config
from leadsync.connector.schedule import Schedule, job_schedule, next_run
from tests.connector.test_config import VALID
from tests.connector.test_config_connections import TWO

SLA = """
[sla]
policies = [{ name = "all", match = {}, first_touch_within = "24h" }]
"""


@pytest.fixture(autouse=True)
def builtin_kinds() -> None:
    load_builtin_kinds()


def load(folder: Path, text: str) -> Config:
    path = folder / "leadsync.toml"
    path.write_text(text)
    return load_config(path, env={})


def problems(folder: Path, text: str) -> list[str]:
    path = folder / "leadsync.toml"
    path.write_text(text)
    return [line.removeprefix(f"{path}: ") for line in check_config(path, env={})]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def every(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """The occurrences in [start, end), one after another, as the scheduler meets them."""
    found, moment = [], start - timedelta(seconds=1)
    while (moment := schedule.next_after(moment)) < end:
        found.append(moment)
    return found


def test_with_nothing_set_sync_runs_every_15_minutes_and_reconcile_at_2_utc(
        tmp_path: Path) -> None:
    config = load(tmp_path, VALID)
    after = utc(2026, 12, 6, 12, 7)

    assert next_run(config, "default", "sync", after) == utc(2026, 12, 6, 12, 15)
    assert next_run(config, "default", "reconcile", after) == utc(2026, 12, 7, 2, 0)
    assert next_run(config, "default", "sla_sweep", after) is None  # no [sla]
    assert next_run(config, "default", "report", after) is None  # no default


def test_the_sla_sweep_runs_every_15_minutes_when_sla_is_set(tmp_path: Path) -> None:
    config = load(tmp_path, VALID + SLA)

    assert next_run(config, "default", "sla_sweep", utc(2026, 12, 6, 12, 0)) == utc(
        2026, 12, 6, 12, 15)


def test_a_bare_cron_is_read_in_the_time_zone_of_schedules(tmp_path: Path) -> None:
    config = load(tmp_path, VALID + """
[schedules]
time_zone = "America/New_York"
sync = "0 9 * * 1-5"
report = { cron = "0 7 * * 1", time_zone = "Europe/Berlin" }
""")
    friday_evening = utc(2026, 12, 4, 23, 0)

    # Monday 09:00 in New York (EST, UTC-5); the report at 07:00 in Berlin (CET, UTC+1)
    assert next_run(config, "default", "sync", friday_evening) == utc(2026, 12, 7, 14, 0)
    assert next_run(config, "default", "report", friday_evening) == utc(2026, 12, 7, 6, 0)
    assert next_run(config, "default", "sync", utc(2026, 7, 3, 23, 0)) == utc(
        2026, 7, 6, 13, 0)  # EDT in July: UTC-4
    assert next_run(config, "default", "reconcile", friday_evening) == utc(
        2026, 12, 5, 7, 0)  # the default 02:00, in the schedules' zone


def test_enabled_false_turns_a_job_off(tmp_path: Path) -> None:
    config = load(tmp_path, VALID + SLA + """
[schedules]
sla_sweep = { enabled = false }
reconcile = { cron = "0 3 * * *", enabled = false }
""")

    assert next_run(config, "default", "sla_sweep", utc(2026, 12, 6)) is None
    assert next_run(config, "default", "reconcile", utc(2026, 12, 6)) is None
    assert next_run(config, "default", "sync", utc(2026, 12, 6)) is not None


def test_a_connection_s_schedules_win_over_the_shared_ones_key_by_key(tmp_path: Path) -> None:
    text = TWO.replace("[connections.emea]", """[schedules]
time_zone = "America/New_York"
sync = "*/10 * * * *"
reconcile = { cron = "0 1 * * *", time_zone = "America/Chicago" }

[connections.emea.schedules]
time_zone = "Europe/Berlin"
sync = { enabled = false }

[connections.emea]""")
    config = load(tmp_path, text)
    after = utc(2026, 12, 6, 12, 3)

    assert next_run(config, "emea", "sync", after) is None
    assert next_run(config, "amer", "sync", after) == utc(2026, 12, 6, 12, 10)
    # emea's zone applies to every job its table does not give a zone of its own
    assert next_run(config, "emea", "reconcile", after) == utc(2026, 12, 7, 0, 0)
    assert next_run(config, "amer", "reconcile", after) == utc(2026, 12, 7, 7, 0)
    one = config.for_connection("emea")  # what every job of emea is given
    assert next_run(one, "emea", "reconcile", after) == utc(2026, 12, 7, 0, 0)


def test_a_02_30_job_runs_once_on_the_spring_forward_day(tmp_path: Path) -> None:
    config = load(tmp_path, VALID + '[schedules]\ntime_zone = "America/New_York"\n'
                  'reconcile = "30 2 * * *"\n')
    schedule = job_schedule(config, "default", "reconcile")
    assert schedule is not None

    # 2026-03-08: New York's clocks go from 02:00 EST straight to 03:00 EDT
    found = every(schedule, utc(2026, 3, 7, 5, 0), utc(2026, 3, 10, 4, 0))

    assert found == [utc(2026, 3, 7, 7, 30),  # 02:30 EST
                     utc(2026, 3, 8, 7, 0),  # 03:00 EDT: the first minute after the gap
                     utc(2026, 3, 9, 6, 30)]  # 02:30 EDT


def test_a_01_30_job_runs_once_on_the_fall_back_day_and_every_30_minutes_keeps_going(
        tmp_path: Path) -> None:
    config = load(tmp_path, VALID + '[schedules]\ntime_zone = "America/New_York"\n'
                  'reconcile = "30 1 * * *"\nsync = "*/30 * * * *"\n')
    nightly = job_schedule(config, "default", "reconcile")
    often = job_schedule(config, "default", "sync")
    assert nightly is not None and often is not None

    # 2026-11-01: New York's clocks go from 02:00 EDT back to 01:00 EST; 01:30 comes twice
    assert every(nightly, utc(2026, 10, 31, 12, 0), utc(2026, 11, 2, 12, 0)) == [
        utc(2026, 11, 1, 5, 30),  # 01:30 EDT; not again at 01:30 EST (06:30 UTC)
        utc(2026, 11, 2, 6, 30)]  # 01:30 EST
    assert every(often, utc(2026, 11, 1, 4, 0), utc(2026, 11, 1, 8, 0)) == [
        utc(2026, 11, 1, 4, 0) + timedelta(minutes=30 * n) for n in range(8)]


def test_the_latest_occurrence_is_the_one_a_scheduler_down_for_hours_runs_once(
        tmp_path: Path) -> None:
    config = load(tmp_path, VALID + '[schedules]\ntime_zone = "America/New_York"\n'
                  'reconcile = "30 2 * * *"\n')
    sync = job_schedule(config, "default", "sync")
    nightly = job_schedule(config, "default", "reconcile")
    assert sync is not None and nightly is not None

    assert sync.latest(utc(2026, 12, 6, 12, 7)) == utc(2026, 12, 6, 12, 0)
    assert sync.latest(utc(2026, 12, 6, 12, 15)) == utc(2026, 12, 6, 12, 15)  # at: included
    assert nightly.latest(utc(2026, 3, 8, 12, 0)) == utc(2026, 3, 8, 7, 0)  # spring forward
    assert nightly.latest(utc(2026, 3, 8, 6, 59)) == utc(2026, 3, 7, 7, 30)
    fall_back = job_schedule(load(tmp_path, VALID + '[schedules]\ntime_zone = '
                                  '"America/New_York"\nreconcile = "30 1 * * *"\n'),
                             "default", "reconcile")
    assert fall_back is not None  # 06:45 UTC is 01:45 EST, the second 01:45 of 2026-11-01
    assert fall_back.latest(utc(2026, 11, 1, 6, 45)) == utc(2026, 11, 1, 5, 30)  # 01:30 EDT


@pytest.mark.parametrize(("schedules", "expected"), [
    ('sync = "61 * * * *"', "schedules.sync.cron: should be a cron expression of five fields"),
    ('sync = { cron = "* * * *" }', "schedules.sync.cron: should be a cron expression"),
    ('reconcile = "0 0 30 2 *"', "schedules.reconcile.cron: names a date that never comes"),
    ('time_zone = "Mars/Olympus"', "schedules.time_zone: should be an IANA time zone name"),
    ('reconcile = { cron = "0 2 * * *", time_zone = "EST5EDT6" }',
     "schedules.reconcile.time_zone: should be an IANA time zone name"),
    ('sycn = "*/5 * * * *"', 'schedules.sycn: unknown key; did you mean "sync"?'),
    ('sync = { cron = "*/5 * * * *", enable = false }',
     'schedules.sync.enable: unknown key; did you mean "enabled"?'),
    ('sla_sweep = "*/5 * * * *"', "schedules.sla_sweep: there is no [sla] table to sweep"),
    ("report = { enabled = true }", "schedules.report.cron: the report has no default"),
])
def test_a_bad_schedule_is_refused_naming_its_key(tmp_path: Path, schedules: str,
                                                    expected: str) -> None:
    found = problems(tmp_path, VALID + "[schedules]\n" + schedules + "\n")

    assert len(found) == 1 and found[0].startswith(expected), found


def test_a_bad_connection_schedule_is_refused_naming_the_connection(tmp_path: Path) -> None:
    zone = problems(tmp_path, TWO + '\n[connections.amer.schedules]\n'
                    'time_zone = "Moon/Tranquility"\n')
    sweep = problems(tmp_path, TWO + '\n[connections.amer.schedules]\n'
                     'sla_sweep = "*/5 * * * *"\n')

    assert [line.split(": ")[0] for line in zone] == ["connections.amer.schedules.time_zone"]
    assert [line.split(": ")[0] for line in sweep] == ["connections.amer.schedules.sla_sweep"]
