"""Under 10% faults, lost answers included (a write applied, its answer never sent), sweeps and
sync passes repeated until they settle do nothing twice: counted at the sandbox orgs and at a
real local webhook receiver. A sweep makes few write calls, so sweeps are also run under 30%
lost answers alone. Retries do not wait here (``no_backoff``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from leadsync.demo import sandbox_config
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.http import FaultInjector
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_sla_effects_e2e import (
    PHASES,
    Receiver,
    handed_off,
    no_backoff,
    receiver,
)

__all__ = ["no_backoff", "receiver"]  # fixtures shared with the stop-and-repeat tests
FAULTS = 0.1
SEEDS = 6
TRIES = 30


def settle(run: Callable[[], object]) -> int:
    """Run until a run completes; how many it took."""
    for attempt in range(1, TRIES + 1):
        try:
            run()
        except Exception:  # a fault the retries did not get through: run again
            continue
        return attempt
    raise AssertionError(f"not settled in {TRIES} runs")


@pytest.mark.parametrize(("rate", "kinds"), [(FAULTS, FaultInjector.ALL_KINDS),
                                             (0.3, ("lost",))])
def test_sweeps_under_faults_with_lost_answers_repeated_until_settled_do_each_effect_once(
        rate: float, kinds: tuple[str, ...], make_sandbox: Callable[..., Sandbox],
        tmp_path: Path, receiver: Receiver, no_backoff: None) -> None:
    (tmp_path / "baseline").mkdir()
    clean = handed_off(make_sandbox, tmp_path / "baseline", receiver)
    for offset in PHASES.values():
        run_sweep(clean.config, clean.handoff + offset, allow_future_writes=True)
    expected = clean.counts()
    lost = 0
    for seed in range(1, SEEDS + 1):
        receiver.keys.clear()
        (tmp_path / f"seed-{seed}").mkdir()
        orgs = handed_off(make_sandbox, tmp_path / f"seed-{seed}", receiver,
                          fault_kinds=kinds, random_seed=seed)
        orgs.sandbox.set_fault_rate(rate)

        tries = [settle(partial(run_sweep, orgs.config, orgs.handoff + offset,
                                allow_future_writes=True))
                 for offset in PHASES.values()]

        orgs.sandbox.set_fault_rate(0.0)
        lost += orgs.sandbox.faults_drawn()["lost"]
        assert orgs.counts() == expected, f"seed {seed}, after {tries} sweeps"
    assert lost > 0  # answers were lost, writes applied without the sweep knowing


def test_a_sync_under_faults_with_lost_answers_repeated_until_idle_duplicates_nobody(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path, no_backoff: None) -> None:
    sandbox = make_sandbox(seed=400, fault_kinds=FaultInjector.ALL_KINDS, random_seed=4)
    config = sandbox_config(sandbox.info, tmp_path)
    # many write calls, so that some answers are lost
    config = config.model_copy(update={"sync": config.sync.model_copy(
        update={"batch_size": 10})})
    run_sync(config, dry_run=True)  # LeadSync's fields made before the faults start
    sandbox.set_fault_rate(FAULTS)
    passes, idle = 0, False
    while not idle:
        passes += 1
        assert passes <= TRIES, "the sync never went idle"
        try:
            result = run_sync(config)
        except Exception:
            continue
        idle = all(side.created == side.updated == side.failed == 0
                   for side in result.sides.values())
    sandbox.set_fault_rate(0.0)
    assert sandbox.faults_drawn()["lost"] > 0

    leads = Counter(str(r["Email"]).lower() for r in salesforce_client(sandbox).query_all(
        "SELECT Email FROM Lead WHERE Email != null")["records"])
    contacts: Counter[str] = Counter()
    for contact in hubspot_client(sandbox).crm.contacts.get_all(properties=["email"]):
        contacts[str(contact.properties.get("email") or "").lower()] += 1
    duplicated = {e: n for e, n in (leads + contacts).items() if e and
                  (leads[e] > 1 or contacts[e] > 1)}
    assert duplicated == {}, f"after {passes} passes"
