"""Sharded sync passes end to end: shards side by side against the sandbox orgs over HTTPS.

Two identical orgs (same seed) are synced, one by plain passes, the other by passes split into
two shards running at the same time in threads; both must end with the same records and values,
no duplicate, the same number of records created and updated (nothing written twice), and the
cursors a plain pass would have set, moved only once every shard is complete.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hubspot import HubSpot
from simple_salesforce import Salesforce

from leadsync.connector.config import Config
from leadsync.connector.errors import ConfigError, LockHeld
from leadsync.connector.models import SIDES, Cursor
from leadsync.connector.shards import PassOver, ShardedPass
from leadsync.connector.state import StateStore
from leadsync.connector.sync import SyncResult
from leadsync.demo import DEFINITION, sandbox_config
from leadsync.jobs.locking import locked
from leadsync.jobs.shards import finish_sync_shards, plan_sync_shards, run_sync_shard
from leadsync.jobs.sync import prepare, run_sync
from leadsync.sandbox.server import Sandbox
from leadsync.sandbox_connections import connections_config
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_sync_e2e import MAPPING, mutations
from tests.jobs.test_sync_recovery_e2e import contacts, leads

SEED = 60


def configure(sandbox: Sandbox, folder: Path, state: str) -> Config:
    folder.mkdir(exist_ok=True)
    config = sandbox_config(sandbox.info, folder, mapping=MAPPING, state="state.db")
    if state.startswith("sqlite"):
        return config
    return config.model_copy(update={"state": config.state.model_copy(update={"url": state})})


def writes(results: list[SyncResult]) -> dict[str, tuple[int, int]]:
    """Records created and updated on each system, over the results of one pass's shards."""
    return {name: (sum(r.sides[name].created for r in results),
                   sum(r.sides[name].updated for r in results))
            for name in results[0].sides}


def cursors(config: Config) -> dict[str, Cursor | None]:
    store = StateStore(config.state.url)
    try:
        return {name: store.cursor(config.sync.connection, name)
                for name in (config.marketing[0], config.crm[0])}
    finally:
        store.close()


def assert_reached(config: Config, before: dict[str, Cursor | None],
                   expected: dict[str, Cursor | None]) -> None:
    """The cursors moved, no further than a plain reader of the pass's changes would have:
    to the point every shard reached (a shard that read after another's writes stops earlier,
    and the next pass reads those records again, as echoes)."""
    after = cursors(config)
    for name, cursor in after.items():
        reader, old = expected[name], before[name]
        assert cursor is not None and reader is not None
        assert cursor.modified_at <= reader.modified_at
        assert old is None or cursor.modified_at >= old.modified_at


def expected_cursors(config: Config, until: datetime) -> dict[str, Cursor | None]:
    """The cursors one plain reader of every change up to ``until`` would set (read first)."""
    engine = prepare(config)
    try:
        sources = engine.sources(until)
        for side in SIDES:
            for _ in sources[side].pages():
                pass
        return {engine.names[side]: sources[side].cursor for side in SIDES}
    finally:
        engine.store.close()


def side_by_side(config: Config, spec: ShardedPass) -> list[SyncResult]:
    """Every shard of ``spec`` at once, each in its own thread."""
    results: dict[int, SyncResult] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(spec.shards)

    def shard(index: int) -> None:
        try:
            start.wait()
            results[index] = run_sync_shard(config, spec, index)
        except BaseException as exc:  # raised again below
            errors.append(exc)

    threads = [threading.Thread(target=shard, args=(i,)) for i in range(spec.shards)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [results[i] for i in range(spec.shards)]


def edit(sf: Salesforce, hs: HubSpot) -> None:
    """Edits on both sides, the same in both orgs: titles in HubSpot, phones in Salesforce."""
    people = sorted((c.properties["email"], c.id)
                    for c in hs.crm.contacts.get_all(properties=["email"]))[:12]
    for i, (_, contact_id) in enumerate(people):
        hs.crm.contacts.basic_api.update(contact_id, simple_public_object_input={
            "properties": {"jobtitle": f"Sharded title {i}"}})
    rows = sorted((r["Email"], r["Id"]) for r in sf.query_all(
        "SELECT Id, Email FROM Lead WHERE IsConverted = false")["records"])[-12:]
    for i, (_, lead_id) in enumerate(rows):
        sf.Lead.update(lead_id, {"Phone": f"+1 555 02{i:02d}"})


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_two_shards_side_by_side_end_as_one_plain_pass_with_nothing_written_twice(
        store: str, make_sandbox: Callable[..., Sandbox], tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    state = request.getfixturevalue("postgres_url") if store == "postgresql" else "sqlite"
    plain_orgs, sharded_orgs = make_sandbox(seed=SEED), make_sandbox(seed=SEED)
    plain = configure(plain_orgs, tmp_path / "plain", "sqlite")
    sharded = configure(sharded_orgs, tmp_path / "sharded", state)
    clients = {"plain": (salesforce_client(plain_orgs), hubspot_client(plain_orgs)),
               "sharded": (salesforce_client(sharded_orgs), hubspot_client(sharded_orgs))}

    for round_ in (1, 2):  # the first sync; then edits on both sides
        if round_ == 2:
            for sf, hs in clients.values():
                edit(sf, hs)
        reference = run_sync(plain)
        spec = plan_sync_shards(sharded, 2)
        before, expected = cursors(sharded), expected_cursors(sharded, spec.until)
        results = side_by_side(sharded, spec)
        # both shards wrote (a shard reads the changes another has not yet written over)
        assert all(sum(s.created + s.updated for s in r.sides.values()) for r in results)
        assert finish_sync_shards(sharded, spec) == []
        assert_reached(sharded, before, expected)
        assert writes(results) == writes([reference])  # nothing written twice, nothing left
        assert all(r.status == "ok" for r in results)
        ends = {name: (leads(sf), contacts(hs)) for name, (sf, hs) in clients.items()}
        assert ends["sharded"] == ends["plain"]  # same records and values, no duplicate
    after = run_sync(sharded)  # a plain pass after the sharded ones: nothing left to do
    assert all(s.created == s.updated == 0 for s in after.sides.values())


def test_cursors_wait_for_every_shard_and_a_plain_sync_waits_for_the_pass(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=SEED)
    config = configure(sandbox, tmp_path, "sqlite")
    spec = plan_sync_shards(config, 2)
    with pytest.raises(LockHeld, match="sharded pass"):
        run_sync(config)  # a plain pass never runs beside a sharded one
    with pytest.raises(LockHeld):
        plan_sync_shards(config, 3)  # nor does a second sharded pass
    expected = expected_cursors(config, spec.until)

    first = run_sync_shard(config, spec, 1)
    assert first.sides["salesforce"].created > 0
    assert finish_sync_shards(config, spec) == [0]
    assert cursors(config) == {"hubspot": None, "salesforce": None}  # shard 0 is still to run
    again = run_sync_shard(config, spec, 1)  # a shard run twice writes nothing the second time
    assert all(s.created == s.updated == 0 for s in again.sides.values())

    run_sync_shard(config, spec, 0)
    assert finish_sync_shards(config, spec) == []
    assert_reached(config, {"hubspot": None, "salesforce": None}, expected)
    with pytest.raises(PassOver, match="already finished"):
        run_sync_shard(config, spec, 0)
    after = run_sync(config)  # the lock is given back: a plain pass runs, and has nothing to do
    assert all(s.created == s.updated == 0 for s in after.sides.values())


def test_a_pass_of_one_shard_is_a_plain_pass(make_sandbox: Callable[..., Sandbox],
                                             tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=SEED)
    config = configure(sandbox, tmp_path, "sqlite")
    spec = plan_sync_shards(config, 1, now=datetime.now(UTC))
    result = run_sync_shard(config, spec, 0)
    assert finish_sync_shards(config, spec) == []
    assert result.sides["salesforce"].created > 0 and result.sides["hubspot"].created > 0
    store = StateStore(config.state.url)
    try:
        [run] = store.runs("default", limit=1)
    finally:
        store.close()
    assert run["job"] == "sync:shard-0-of-1" and run["status"] == "ok"


def test_a_shard_runs_once_at_a_time(make_sandbox: Callable[..., Sandbox],
                                     tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=SEED)
    config = configure(sandbox, tmp_path, "sqlite")
    spec = plan_sync_shards(config, 2)
    before = sandbox.salesforce.mutations + sandbox.hubspot.mutations
    with locked(config, spec.shard_job(0)), \
            pytest.raises(LockHeld, match="sync:shard-0-of-2"):  # a first attempt runs
        run_sync_shard(config, spec, 0)
    assert sandbox.salesforce.mutations + sandbox.hubspot.mutations == before


def test_a_new_lead_definition_makes_the_sharded_pass_judge_every_lead_again(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=SEED)
    config = sandbox_config(sandbox.info, tmp_path, mapping=MAPPING, state="state.db",
                            definition=DEFINITION)
    spec = plan_sync_shards(config, 2)
    assert spec.full  # the definition is new: every record is read and judged
    results = side_by_side(config, spec)
    assert finish_sync_shards(config, spec) == []
    assert sum(r.evaluated for r in results) > 0
    again = plan_sync_shards(config, 2)
    assert not again.full  # adopted: the next pass reads the changes only
    side_by_side(config, again)
    assert finish_sync_shards(config, again) == []


def test_a_config_of_several_connections_shards_the_one_it_names(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    emea, amer = make_sandbox(seed=SEED), make_sandbox(seed=SEED)
    config = connections_config({"emea": emea.info, "amer": amer.info}, tmp_path,
                                state_url=f"sqlite:///{tmp_path / 'state.db'}")
    before = {"emea": mutations(emea), "amer": mutations(amer)}
    spec = plan_sync_shards(config, 2, connection="amer")
    assert spec.connection == "amer"
    side_by_side(config, spec)  # the config of both: each shard finds amer's in it
    assert finish_sync_shards(config, spec) == []
    assert mutations(amer) > before["amer"] and mutations(emea) == before["emea"]
    run_sync(config.for_connection("emea"))  # emea's lock is its own
    with pytest.raises(ConfigError, match="connection"):
        plan_sync_shards(config, 2)  # which one?
