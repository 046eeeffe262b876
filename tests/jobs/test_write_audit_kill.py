"""The sync's audit trail under ``kill -9``: passes killed at random moments (the first sync's
creates, then rounds of edits on both sides), run until idle; every record LeadSync created and
every edit it carried across has exactly one audit event, none missing and none twice.

The orgs are served by ``leadsync sandbox serve`` in another process, slowed down so that a
kill lands mid-pass, between a call and its commit among other places (as in
``test_sync_kill_e2e``).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from leadsync.connector.state import StateStore
from leadsync.demo import sandbox_config, sandbox_secrets
from tests.jobs.test_sync_e2e import MAPPING
from tests.jobs.test_sync_kill_e2e import LEADSYNC, MAX_PASSES, ROUNDS, Edits, clients, idle
from tests.jobs.test_sync_kill_e2e import served as served  # the fixture


def sent(state: Path) -> bool:
    """Whether a pass keeps the events of a batch it sent and has not committed yet."""
    if not state.exists():
        return False
    with sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=1) as db:
        try:
            return db.execute("SELECT 1 FROM job_state WHERE name LIKE 'audit.sent.%'"
                              ).fetchone() is not None
        except sqlite3.OperationalError:
            return False  # being created


def ids(sf: Any, hs: Any) -> tuple[set[str], set[str]]:
    return ({r["Id"] for r in sf.query_all("SELECT Id FROM Lead")["records"]},
            {c.id for c in hs.crm.contacts.get_all()})


def test_killed_passes_leave_one_audit_event_per_create_and_per_edit_carried(
        served: dict[str, Any], tmp_path: Path) -> None:
    sf, hs = clients(served)
    edits = Edits(sf, hs)
    leads_before, contacts_before = ids(sf, hs)
    sandbox_config(served, tmp_path, mapping=MAPPING, state="state.db")
    env = {**os.environ, **sandbox_secrets(served)}
    command = [*LEADSYNC, "sync", "--config", str(tmp_path / "leadsync.toml")]
    moments = random.Random(11)

    def killed_pass(moment: float) -> bool:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(moment)
        process.send_signal(signal.SIGKILL)
        return process.wait() == -signal.SIGKILL

    def killed_in_flight() -> bool:
        """Killed while a batch is in flight: once its events are kept (just before the call),
        and before the slowed-down answer comes back; the org still makes the write."""
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        for _ in range(3000):
            if sent(tmp_path / "state.db") or process.poll() is not None:
                break
            time.sleep(0.01)
        time.sleep(0.03)  # the call is on its way; its answer takes 100 ms or more
        process.send_signal(signal.SIGKILL)
        return process.wait() == -signal.SIGKILL

    def until_idle() -> None:
        for _ in range(MAX_PASSES):
            subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
            if idle(tmp_path / "state.db"):
                return
        raise AssertionError(f"not idle after {MAX_PASSES} passes")

    killed = killed_pass(moments.uniform(2.0, 8.0))
    until_idle()
    in_flight = 0
    for round_ in range(1, ROUNDS + 1):
        edits.apply(round_)
        if round_ % 2:
            killed += killed_pass(moments.uniform(1.0, 2.5))
        else:
            in_flight += killed_in_flight()
    until_idle()
    assert killed >= 1 and in_flight >= 1

    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        events = [e for e in store.events("default") if e["event"].startswith("sync_")]
        left = store.sent_writes("default")
    finally:
        store.close()
    leads_after, contacts_after = ids(sf, hs)
    created = Counter((e["details"]["system"], e["details"]["record_id"]) for e in events
                      if e["event"] == "sync_create")
    assert set(created.values()) == {1}  # none twice
    assert {i for s, i in created if s == "salesforce"} == leads_after - leads_before
    assert {i for s, i in created if s == "hubspot"} == contacts_after - contacts_before

    written = Counter((e["details"]["system"], f["field"], f["after"]) for e in events
                      if e["event"] == "sync_write" for f in e["details"]["fields"])
    titles, phones = edits.expected()
    assert {title: written["salesforce", "Title", title] for title in titles.values()} == \
        dict.fromkeys(titles.values(), 1)
    assert {phone: written["hubspot", "phone", phone] for phone in phones.values()} == \
        dict.fromkeys(phones.values(), 1)
    assert left == {}  # nothing kept of a batch whose fate is still unknown
    recovered = sum("note" in e["details"] for e in events)
    assert recovered >= 1  # the writes made by a call whose pass was killed in flight
    print(f"killed {killed + in_flight} of {ROUNDS + 1} passes ({in_flight} with a batch in "
          f"flight); {len(events)} write events, {recovered} recorded by the pass after")
