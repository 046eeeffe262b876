"""Shards of a pass: ownership is a partition, the same in every process; cursors merge as one
reader's would."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from leadsync.connector.match import Matcher
from leadsync.connector.models import SIDES, Cursor, Record, Side
from leadsync.connector.plan import Pair
from leadsync.connector.shards import (
    ShardDone,
    ShardedPass,
    SyncShard,
    later,
    owner,
    reached_by_all,
)
from leadsync.connector.state import StateStore
from leadsync.connector.store import Link
from tests.connector.fakes import Clock, FakeSystem

MATCH_FIELDS: dict[Side, str] = {"marketing": "email", "crm": "Email"}
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@given(st.text(min_size=1), st.integers(min_value=1, max_value=64))
def test_every_key_is_owned_by_exactly_one_shard(key: str, shards: int) -> None:
    spec = ShardedPass.new("sync", "default", T0, shards)
    owners = [i for i in range(shards) if SyncShard(spec, i, None).owns(key)]  # type: ignore[arg-type]
    assert owners == [owner(key, shards)]


def test_ownership_is_the_same_in_another_process_whatever_its_hash_seed() -> None:
    keys = [f"key-{i}" for i in range(50)]
    here = [owner(key, 7) for key in keys]
    script = ("import sys; from leadsync.connector.shards import owner; "
              "print([owner(f'key-{i}', 7) for i in range(50)])")
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             check=True, env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout
        assert out.strip() == str(here)
    assert len(set(here)) > 1  # the keys spread over the shards


def test_a_pass_has_at_least_one_shard_and_names_its_shards_from_zero() -> None:
    with pytest.raises(ValueError, match="at least one shard"):
        ShardedPass.new("sync", "default", T0, 0)
    spec = ShardedPass.new("sync", "default", T0, 3, full=True)
    assert spec.shard_job(2) == "sync:shard-2-of-3"
    with pytest.raises(ValueError, match="shards 0 to 2, not 3"):
        spec.shard_job(3)
    assert ShardedPass.from_json(spec.as_json()) == spec


people = st.lists(st.tuples(st.sampled_from(["ada", "bob", "cy", "di", "ed", "fay", "gus"]),
                            st.sampled_from(["marketing", "crm", "both"]),
                            st.booleans()),  # linked by an earlier pass
                  max_size=12)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people, st.integers(min_value=1, max_value=4))
# Two contacts linked to leads of their own and a lead linked to a third, one email: every
# shard sets both contacts aside as duplicates, as the unsharded matching does.
@example(who=[("bob", "marketing", True), ("bob", "marketing", True), ("bob", "crm", True)],
         shards=2)
# Two linked contacts and an unlinked lead, one email: one contact takes the lead, the same
# one in every shard.
@example(who=[("bob", "marketing", True), ("bob", "marketing", True), ("bob", "crm", False)],
         shards=2)
def test_the_shards_of_a_pass_share_out_its_pairs_each_to_exactly_one(
        tmp_path_factory: pytest.TempPathFactory, who: list[tuple[str, str, bool]],
        shards: int) -> None:
    """Whatever the records, links and emails: the pairs every shard's matching keeps are
    exactly those of an unsharded matching, each kept by one shard, with the same records."""
    folder = tmp_path_factory.mktemp("shards")
    store = StateStore(f"sqlite:///{folder / 'state.db'}")
    clock = Clock()
    systems: dict[Side, FakeSystem] = {
        "marketing": FakeSystem("hubspot", clock, key_field="leadsync_id", id_field="id"),
        "crm": FakeSystem("salesforce", clock, key_field="LeadSync_Id__c", id_field="Id")}
    changed: dict[Side, list[Record]] = {side: [] for side in SIDES}
    for n, (name, where, linked) in enumerate(who):
        email = f"{name}@example.com"
        ids: dict[Side, str | None] = {"marketing": None, "crm": None}
        for side in SIDES:
            if where in (side, "both"):
                ids[side] = systems[side].add(**{MATCH_FIELDS[side]: email})
                changed[side].append(systems[side]._record(ids[side]))
        if linked:
            store.save_links("default", [Link(f"k{n}", ids["marketing"], ids["crm"], email)])

    def pairs(owns: SyncShard | None) -> dict[str, Pair]:
        matcher = Matcher(store, "default", systems, lambda side: [MATCH_FIELDS[side]],
                          MATCH_FIELDS, 5, owns=owns.owns if owns else None)
        found = matcher.pairs({side: [list(changed[side])] for side in SIDES},
                              {"marketing": False, "crm": False})
        return {pair.key: pair for page in found for pair in page}

    def ids(pair: Pair) -> tuple[str | None, ...]:
        return tuple(r.id if r else None for r in pair.records.values())

    try:
        whole = pairs(None)
        spec = ShardedPass.new("sync", "default", T0, shards)
        kept = [pairs(SyncShard(spec, i, store)) for i in range(shards)]
    finally:
        store.close()
    assert sum(len(k) for k in kept) == len(whole)  # none kept twice
    merged = {key: pair for k in kept for key, pair in k.items()}
    assert {k: ids(p) for k, p in merged.items()} == {k: ids(p) for k, p in whole.items()}
    for index, own in enumerate(kept):
        assert all(owner(key, shards) == index for key in own)


def at(seconds: int, *ids: str) -> Cursor:
    return Cursor(T0 + timedelta(seconds=seconds), frozenset(ids))


def test_the_cursors_of_the_shards_merge_to_the_point_every_shard_reached() -> None:
    assert reached_by_all([at(9, "b"), at(5, "a", "x"), at(5, "a", "y")]) == at(5, "a")
    assert reached_by_all([at(9, "b"), at(9, "b", "c")]) == at(9, "b")
    assert reached_by_all([at(9, "b"), None]) is None  # a shard with none: the cursor stays
    assert reached_by_all([]) is None
    assert later(at(3), at(9, "b")) == at(9, "b")
    assert later(None, at(1)) == at(1)
    assert later(at(10), at(9, "b")) is None  # a cursor never moves back
    assert later(at(10), None) is None


def test_a_shard_record_keeps_its_cursors_through_json(tmp_path: Path) -> None:
    done = ShardDone("p1", 1, {"marketing": at(4, "x"), "crm": None}, run_id=7)
    assert ShardDone.from_json(done.as_json()) == done
