"""``leadsync run`` as an admin runs it, against sandbox orgs over HTTPS: two schedulers started
side by side run each occurrence once; SIGTERM in the middle of a sync lets the batches in hand
finish, the command exits 0, and the next start finishes the job with nothing lost or written
twice (the end state of a sync nobody interrupted)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from leadsync.connector.state import StateStore
from leadsync.demo import sandbox_config, sandbox_secrets
from leadsync.jobs.sync import prepare
from leadsync.sandbox.server import Sandbox
from leadsync.sandbox_connections import connections_config, connections_secrets
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_sync_e2e import MAPPING
from tests.jobs.test_sync_recovery_e2e import contacts, leads

LEADSYNC = [sys.executable, "-m", "leadsync"]
# once a year: the occurrence due at start (1 January) is the only one a test meets
YEARLY = '\n[schedules]\nsync = "0 0 1 1 *"\nreconcile = { enabled = false }\n'
GUARD = 120.0  # seconds a step may take at most: a hang guard, never reached when it works
SEED = 60


def logged(stderr: str) -> list[dict[str, Any]]:
    """The log lines of a command run with ``--log-format json``."""
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def scheduled_runs(stderr: str) -> list[dict[str, Any]]:
    """The scheduler's one line per job run."""
    return [line for line in logged(stderr) if line.get("event") == "scheduled run"]


def sync_runs(url: str, connection: str) -> list[dict[str, Any]]:
    store = StateStore(url)
    try:
        return [run for run in store.runs(connection, limit=100) if run["job"] == "sync"]
    finally:
        store.close()


def test_two_schedulers_started_side_by_side_run_each_occurrence_once(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    emea, amer = make_sandbox(seed=20, latency_ms=20), make_sandbox(seed=20, latency_ms=20)
    infos = {"emea": emea.info, "amer": amer.info}
    config = connections_config(infos, tmp_path, state_url="sqlite:///state.db", extra=YEARLY)
    env = {**os.environ, **connections_secrets(infos)}
    command = [*LEADSYNC, "run", "--once", "--log-format", "json", "--config",
               str(tmp_path / "leadsync.toml")]

    both = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    answers = [process.communicate(timeout=GUARD) for process in both]

    assert [process.returncode for process in both] == [0, 0], answers
    said = {line["event"] for _, err in answers for line in logged(err)
            if line["level"] == "info"}
    assert said <= {"scheduler started", "scheduled run", "scheduler stopped"}  # quiet
    ran = [line for _, err in answers for line in scheduled_runs(err)]
    assert sorted((line["connection"], line["job"], line["outcome"]) for line in ran) == [
        ("amer", "sync", "ok"), ("emea", "sync", "ok")]  # each once, by one or the other
    for name in ("emea", "amer"):
        assert [run["status"] for run in sync_runs(config.state.url, name)] == ["ok"]

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=GUARD)
    assert again.returncode == 0, again.stderr
    assert scheduled_runs(again.stderr) == []  # this year's occurrence is done
    assert len(sync_runs(config.state.url, "emea")) == 1


def reference(make_sandbox: Callable[..., Sandbox], folder: Path) -> Any:
    """The same orgs synced by passes nobody interrupts."""
    sandbox = make_sandbox(seed=SEED)
    engine = prepare(sandbox_config(sandbox.info, folder, mapping=MAPPING, state="state.db"))
    for _ in range(4):
        result = engine.run()
        if all(side.created == side.updated == 0 for side in result.sides.values()):
            break
    engine.store.close()
    return leads(salesforce_client(sandbox)), contacts(hubspot_client(sandbox))


def test_sigterm_mid_sync_exits_0_after_the_batches_in_hand_and_the_next_start_finishes(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=SEED, latency_ms=150)
    folder = tmp_path / "stopped"
    folder.mkdir()
    config = sandbox_config(sandbox.info, folder, mapping=MAPPING, state="state.db",
                            extra=YEARLY)
    path = folder / "leadsync.toml"  # small batches one at a time: a pass of many batches
    path.write_text(path.read_text().replace("[sync]\n", "[sync]\nbatch_size = 5\n"
                                             "parallel = 1\n"))
    env = {**os.environ, **sandbox_secrets(sandbox.info)}
    command = [*LEADSYNC, "run", "--log-format", "json", "--config", str(path)]
    store = StateStore(config.state.url)  # made before the scheduler starts, read while it runs

    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + GUARD
    while store.count_links("default") == 0:  # the first batch is committed
        assert time.monotonic() < deadline and process.poll() is None, process.stderr
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=GUARD)

    assert process.returncode == 0, err
    [line] = scheduled_runs(err)
    assert (line["job"], line["outcome"]) == ("sync", "stopped")
    [run] = store.runs("default")
    assert run["status"] == "stopped"
    assert store.cursor("default", "salesforce") is None  # read again by the next pass
    assert store.cursor("default", "hubspot") is None
    linked = store.count_links("default")

    resumed = subprocess.run([*command, "--once"], env=env, capture_output=True, text=True,
                             timeout=GUARD)  # the stopped occurrence is not done: it runs
    assert resumed.returncode == 0, resumed.stderr
    assert [line["outcome"] for line in scheduled_runs(resumed.stderr)] == ["ok"]
    assert store.count_links("default") > linked
    for _ in range(3):  # then passes as usual, until one writes nothing
        idle = subprocess.run([*LEADSYNC, "sync", "--config", str(path)], env=env,
                              capture_output=True, text=True, timeout=GUARD)
        assert idle.returncode == 0, idle.stderr
        counts = store.runs("default", limit=1)[0]["summary"]["counts"]
        if all(side["created"] == side["updated"] == 0
               for name, side in counts.items() if name in ("hubspot", "salesforce")):
            break
    store.close()

    end = leads(salesforce_client(sandbox)), contacts(hubspot_client(sandbox))  # no duplicate
    assert end == reference(make_sandbox, tmp_path)  # nothing lost, nothing written twice
