"""Progress of the long phases: told by the engine and the jobs, drawn only on a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from leadsync.demo import DEFINITION, sandbox_config
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sync import prepare
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client
from tests.jobs.test_cli import leadsync, secrets_env
from tests.jobs.test_sla_e2e import HOT, SLA
from tests.jobs.test_sync_e2e import write_config

Step = tuple[str, int, "int | None"]


def last(steps: list[Step], phase: str) -> Step:
    told = [step for step in steps if step[0] == phase]
    assert told, f"{phase!r} never told; told: {sorted({s[0] for s in steps})}"
    return told[-1]


def test_a_pass_tells_records_read_leads_matched_and_writes_confirmed(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=30)
    steps: list[Step] = []

    result = prepare(write_config(sandbox, tmp_path)).run(
        progress=lambda *step: steps.append(step))

    for name, side in result.sides.items():
        assert last(steps, f"reading {name}") == (f"reading {name}", side.read, None)
        written = side.created + side.updated
        assert last(steps, f"writing to {name}") == (f"writing to {name}", written, written)
    _, matched, total = last(steps, "matching")
    assert matched > 0 and total is None
    reads = [done for phase, done, _ in steps if phase == "reading salesforce"]
    assert reads == sorted(reads)  # running totals, never reset page by page


def test_a_sweep_tells_leads_read_judged_and_effects_applied(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=SLA)
    hubspot_client(sandbox).crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": HOT})
    prepare(config).run()
    steps: list[Step] = []

    result = run_sweep(config, datetime.now(UTC) + timedelta(hours=3),
                       allow_future_writes=True, progress=lambda *step: steps.append(step))

    assert last(steps, "reading leads") == ("reading leads", 1, 1)
    assert last(steps, "judging leads") == ("judging leads", 1, 1)
    _, applied, total = last(steps, "applying effects")
    assert result.breaches == 1 and applied == total and applied >= 2  # a task, the stamps


def on_a_terminal(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run leadsync with stdout and stderr on a pseudo-terminal; its exit code and output."""
    controller, terminal = pty.openpty()
    with subprocess.Popen([sys.executable, "-m", "leadsync", *args], stdin=subprocess.DEVNULL,
                          stdout=terminal, stderr=terminal,
                          env={**os.environ, **env, "TERM": "xterm", "COLUMNS": "150"}) as run:
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = run.wait(timeout=120)
    os.close(controller)
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_sync_draws_progress_on_a_terminal_and_nothing_in_a_pipe(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=30)
    write_config(sandbox, tmp_path)
    config = str(tmp_path / "leadsync.toml")

    code, shown = on_a_terminal("sync", "--config", config, env=secrets_env(sandbox))

    assert code == 0, shown
    assert "reading hubspot" in shown and "writing to salesforce" in shown
    again = leadsync("sync", "--config", config, env=secrets_env(sandbox))
    assert again.returncode == 0, again.stderr
    assert "reading" not in again.stderr and "writing to" not in again.stderr


def test_json_on_a_terminal_draws_no_progress(make_sandbox: Callable[..., Sandbox],
                                              tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=10)
    write_config(sandbox, tmp_path)

    code, shown = on_a_terminal("sync", "--config", str(tmp_path / "leadsync.toml"), "--json",
                                "--log-format", "json", env=secrets_env(sandbox))

    assert code == 0, shown
    assert "reading hubspot" not in shown and '"exit_code": 0' in shown


def test_reconcile_draws_progress_on_a_terminal_and_nothing_in_a_pipe(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=30)
    write_config(sandbox, tmp_path)
    config = str(tmp_path / "leadsync.toml")

    code, shown = on_a_terminal("reconcile", "--config", config, env=secrets_env(sandbox))

    assert code == 0, shown
    assert "reading hubspot" in shown and "reading salesforce" in shown and "matching" in shown
    again = leadsync("reconcile", "--config", config, "--dry-run", env=secrets_env(sandbox))
    assert again.returncode == 0, again.stderr
    assert "reading" not in again.stderr and "matching" not in again.stderr
