"""Celery workers and beat as an admin starts them, for the end-to-end tests: real processes
(``celery -A leadsync.jobs.celery_app worker -c 1``) on the machine's Redis and PostgreSQL,
against sandbox orgs served by the test process.

``python -m tests.jobs.celery_support beat <seconds> <schedule file>`` runs beat with the
config's schedule at a test's pace (the default interval is 15 minutes).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from leadsync.connector.config import Config
from leadsync.connector.config_file import load_config
from leadsync.demo import DEFINITION, sandbox_config, sandbox_secrets
from leadsync.sandbox.server import Sandbox
from leadsync.sandbox_connections import connections_config as connections
from leadsync.sandbox_connections import connections_secrets
from tests.jobs.test_sla_e2e import SLA

REPO = Path(__file__).resolve().parents[2]
CELERY = [sys.executable, "-m", "celery", "-A", "leadsync.jobs.celery_app"]


def celery_config(sandbox: Sandbox, folder: Path, state_url: str, redis_url: str,
                  hubspot: str = "", sync: str = "", lock_expiry: int = 6,
                  visibility: int = 20) -> Config:
    """A config for the sandbox orgs with ``[scale]`` on ``redis_url`` (a queue of its own),
    the state in ``state_url``, the example lead definition and SLA; ``hubspot`` and ``sync``
    are more keys for ``[systems.hubspot]`` and ``[sync]``. Fields installed; written to
    ``folder/leadsync.toml``."""
    sandbox_config(sandbox.info, folder, state="state.db", definition=DEFINITION, extra=SLA)
    path = folder / "leadsync.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("[state]\n")
    end = text.index("\n", text.index("url = ", start)) + 1
    text = (text[:start] + f'[state]\nurl = "{state_url}"\nlock_expiry_seconds = {lock_expiry}\n'
            + text[end:])
    text = text.replace('kind = "hubspot"\n', f'kind = "hubspot"\n{hubspot}', 1)
    text = text.replace("[sync]\n", f"[sync]\n{sync}", 1)
    text += (f'\n[scale]\nredis_url = "{redis_url}"\nvisibility_timeout = {visibility}\n'
             f'queue = "test-{uuid.uuid4().hex[:12]}"\n')
    path.write_text(text, encoding="utf-8")
    return load_config(path, env=sandbox_secrets(sandbox.info))


def connection_secrets(orgs: dict[str, Sandbox]) -> dict[str, str]:
    """Each connection's secrets, as an admin passes them: one variable per system's key."""
    return connections_secrets({name: sandbox.info for name, sandbox in orgs.items()})


def connections_config(orgs: dict[str, Sandbox], folder: Path, state_url: str, redis_url: str,
                       hubspot: str = "", sync: str = "") -> Config:
    """One config with a connection per sandbox (``[connections.<name>]``, each its own
    portal and org), like ``celery_config``; the fields installed on every connection."""
    extra = (f'[definition]\nfile = "{DEFINITION.as_posix()}"\n' + SLA
             + f'\n[scale]\nredis_url = "{redis_url}"\nvisibility_timeout = 20\n'
               f'queue = "test-{uuid.uuid4().hex[:12]}"\n'
             # beat's test pace runs every job every few seconds; the reconcile (nightly in
             # use) holds the sync lock while it writes, and at that pace, on a loaded
             # machine, it kept the syncs from ever running: sync and SLA sweep only
             + '[schedules.reconcile]\nenabled = false\n')
    return connections(
        {name: sandbox.info for name, sandbox in orgs.items()}, folder, state_url=state_url,
        state="lock_expiry_seconds = 6\n", sync=sync, hubspot=hubspot, extra=extra)


class Processes:
    """Workers and beat for one config; every one started is stopped by ``stop_all``."""

    def __init__(self, config: Config, secrets: dict[str, str], folder: Path) -> None:
        assert config.source_path is not None
        self.folder = folder
        self.env = {**os.environ, **secrets, "LEADSYNC_CONFIG": str(config.source_path)}
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def _start(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(command, env=self.env, cwd=REPO, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.started[name] = process
        return process

    def worker(self, name: str) -> subprocess.Popen[bytes]:
        return self._start(name, [*CELERY, "worker", "-c", "1", "-n", f"{name}@%h",
                                  "--without-gossip", "--without-mingle", "-l", "info"])

    def beat(self, every: float) -> subprocess.Popen[bytes]:
        return self._start("beat", [sys.executable, "-m", "tests.jobs.celery_support", "beat",
                                    str(every), str(self.folder / "beat-schedule")])

    def kill(self, name: str) -> None:
        """SIGKILL to the process and its children: a machine lost."""
        process = self.started[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        """Beat first, then each worker's warm shutdown (SIGTERM to its main process: the
        job in hand ends first); whatever is left after 60 s is killed."""
        ordered = sorted(self.started.items(), key=lambda item: item[0] != "beat")
        for _, process in ordered:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=60)
            if process.poll() is None or _group_alive(process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)

    def owner_of(self, pid: int) -> str | None:
        """The started process ``pid`` is, or is a child of."""
        for name, process in self.started.items():
            if pid == process.pid or _parent(pid) == process.pid:
                return name
        return None

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted(self.folder.glob("*.log")))


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _parent(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next(int(line.split()[1]) for line in status.splitlines()
                if line.startswith("PPid:"))


def until(condition: Callable[[], Any], timeout: float, what: str,
          explain: Callable[[], str] = lambda: "") -> Any:
    """Poll ``condition`` until it gives something true (a deadlock guard: ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s\n{explain()}")
        time.sleep(0.2)


def overlapping(runs: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Pairs of runs of one job whose times overlap (a run still going has no end yet)."""
    found = []
    ordered = sorted(runs, key=lambda run: run["started_at"])
    for before, after in itertools.pairwise(ordered):
        if before["job"] == after["job"] and (before["finished_at"] is None
                                              or before["finished_at"] > after["started_at"]):
            found.append((before["id"], after["id"]))
    return found


def _beat(every: float, schedule: str) -> None:
    from leadsync.jobs import celery_app
    from leadsync.jobs.beat import beat_schedule

    app = celery_app.app
    app.conf.beat_schedule = beat_schedule(load_config(None), timedelta(seconds=every))
    app.start(["beat", "-s", schedule, "-l", "info"])


if __name__ == "__main__":
    if sys.argv[1] == "beat":
        _beat(float(sys.argv[2]), sys.argv[3])
