"""One bidirectional, incremental sync pass between a marketing system and a CRM.

A pass is a pipeline of stages over pages, each in its own module with typed input and output:

1. change source (``connector.changes``): each side's changes since its cursor, up to the run's
   start (the bookmark never passes it), plus the records parked by earlier runs, re-read by id;
2. match (``connector.match``): each changed record with its counterpart, by stored link, then
   by normalised email (links of earlier runs, the records read in this run, a live lookup);
   one side's changes wait on disk while the other's are matched a page at a time, so a pass
   holds one page of pairs however many records changed;
3. judge (``connector.judge``): each changed lead against the lead definition, once, in its
   canonical form; the verdicts are recorded in the leads' journeys, a page at a time, before
   its writes go out (``connector.journey_capture``; a dry run records none);
4. plan (``connector.plan``): the writes that make both sides agree, with no I/O;
5. deliver (``connector.deliver``): each side's writes in batches, committed one by one;
6. commit (``connector.commit``): links, the ledger and parked records after each confirmed
   batch, so a crash resumes without re-sending or losing anything; both cursors advance only
   when every batch was confirmed. A refused record does not hold the cursor back: it is parked
   with the vendor's code and retried on the next run.

The engine records no run itself: the job around it does (``jobs.runs``), with the engine's
``SyncResult`` as the run's counts (``last``, kept even when a pass fails half-way).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import structlog

from leadsync.connector.changes import ChangeSource, parked_ids
from leadsync.connector.commit import Commit, SideSummary
from leadsync.connector.deadletter import DeadLetterPolicy
from leadsync.connector.decisions import decision
from leadsync.connector.deliver import CarryBack, Deliver, Stop
from leadsync.connector.errors import ReserveReached, Stopped
from leadsync.connector.identity import Duplicates, OnDelete, add_notes, note_field
from leadsync.connector.judge import Judge
from leadsync.connector.mapping import FieldMapping
from leadsync.connector.match import Matcher
from leadsync.connector.models import SIDES, Record, Side
from leadsync.connector.plan import Pair, Plan, PlannedWrite, other, plan, plan_after_create
from leadsync.connector.ports import System
from leadsync.connector.progress import Progress, named
from leadsync.connector.qualify import Qualifier
from leadsync.connector.shards import SyncShard
from leadsync.connector.store import Store
from leadsync.connector.transforms import TransformContext
from leadsync.connector.watch import Watch

__all__ = ["Progress", "SideSummary", "Stop", "SyncEngine", "SyncResult"]

log = structlog.get_logger("leadsync.sync")
KEPT_WRITES = 1_000  # a real run's result keeps this many of its writes; a dry run, all


@dataclass
class SyncResult:
    run_id: int | None
    dry_run: bool
    plan: Plan  # every page's plan: what a dry run would write; a sample of what a run wrote
    sides: dict[str, SideSummary] = field(default_factory=dict)
    status: str = "ok"
    evaluated: int = 0  # leads judged against the lead definition
    qualified: int = 0
    definition_version: str | None = None
    warnings: list[str] = field(default_factory=list)  # e.g. emails several records share

    def as_dict(self) -> dict[str, Any]:
        summary: dict[str, Any] = {name: vars(side) for name, side in self.sides.items()}
        if self.warnings:
            summary["warnings"] = list(self.warnings)
        if self.definition_version is not None:
            summary["definition"] = {"version": self.definition_version,
                                     "evaluated": self.evaluated, "qualified": self.qualified,
                                     "kept_in_marketing": self.plan.held}
        return summary


class SyncEngine:
    """Wires two systems, a mapping and a state store for one connection."""

    def __init__(self, marketing: System, crm: System, mapping: FieldMapping,
                 store: Store, connection: str = "default", batch_size: int = 200,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 qualifier: Qualifier | None = None, page_size: int = 2_000,
                 on_delete: OnDelete = "flag") -> None:
        self.systems: dict[Side, System] = {"marketing": marketing, "crm": crm}
        self.mapping, self.store, self.connection = mapping, store, connection
        self.batch_size, self.clock, self.qualifier = batch_size, clock, qualifier
        self.page_size = page_size  # pairs judged, planned and delivered at a time
        self.names: dict[Side, str] = {side: self.systems[side].name for side in SIDES}
        self.dead_letters = DeadLetterPolicy()  # when parked records are read again
        self.on_delete: OnDelete = on_delete  # deletes, merges, conversion: connector.identity
        self.notes: dict[Side, str] = {side: note_field(self.systems[side].kind)
                                       for side in SIDES}
        self._matcher: Matcher | None = None
        self.last: SyncResult | None = None  # the latest pass's result, as far as it went
        self.shard: SyncShard | None = None  # one shard of a sharded pass (connector.shards)

    def run(self, dry_run: bool = False, progress: Progress | None = None,
            full: bool = False, run_id: int | None = None, watch: Watch | None = None,
            job: str = "sync", stop: Stop | None = None) -> SyncResult:
        """One pass; ``full`` reads every record instead of the changes since the cursors
        (a new lead definition is adopted that way: every lead is judged again); ``run_id``
        the run the job recorded it as (``jobs.runs``), kept with what it parks. A ``watch``
        sees each page and batch (``connector.watch``); ``job`` names the pass in the log.
        Once ``stop`` answers True the pass ends between two write batches, status
        "stopped": what was confirmed is committed, the cursors stay, the next pass resumes.
        """
        until = self.clock()
        sources = self.sources(until, full, progress)
        matching = named(progress, "matching")
        job = self.shard.job if self.shard is not None else job
        calls_before = {side: self.systems[side].calls_made for side in SIDES}
        retries_before = {side: self.systems[side].retries_made for side in SIDES}
        summaries = {side: SideSummary() for side in SIDES}
        result = self.last = SyncResult(run_id, dry_run, Plan(),
                                        {self.names[side]: summaries[side] for side in SIDES})
        if self.qualifier is not None:
            result.definition_version = self.qualifier.definition.version
        commit = Commit(self.store, self.connection, self.names, self.fields, run_id,
                        self.printed, self.print_seed, watch, self.explain)
        deliver = Deliver(self.systems, self.names, self.batch_size, commit, progress,
                          stop=stop)
        judge = Judge(self.qualifier, until)
        contexts: dict[Side, TransformContext] = {}
        matched = 0
        try:
            for pairs in self._match(sources, echoes=not full):
                deliver.check_stop()
                if watch is not None:
                    pairs = watch.screen(pairs)
                matched += len(pairs)
                matching(matched, None)
                contexts = contexts or self.contexts()
                judged = judge.judge(pairs, contexts["crm"])
                planned = plan(pairs, self.mapping, contexts, self.names, judged.stamps,
                               judged.hold)
                add_notes(planned, pairs, self.names, self.notes, self.on_delete)
                if watch is not None:
                    watch.planned(pairs, planned)
                result.plan.extend(planned, None if dry_run else KEPT_WRITES)
                result.evaluated += judged.evaluated
                result.qualified += judged.qualified
                if not dry_run:
                    self.store.record_verdicts(self.connection, judged.journeys)
                    commit.refusals(planned, summaries, pairs)
                    commit.agreed(planned)
                    deliver.deliver(planned, pairs, summaries,
                                    self._carry_back(contexts, commit))
                    commit.settle(pairs, planned)
            if not dry_run:
                reached = {side: sources[side].cursor for side in SIDES}
                if self.shard is None:
                    commit.cursors(reached)
                else:  # the pass's finishing step moves them once every shard is complete
                    self.shard.run_id = run_id
                    self.shard.reached(reached)
            if self._matcher is not None:
                result.warnings = self._matcher.duplicates.warnings()
                for warning in result.warnings:
                    log.warning("records share an email", detail=warning)
        except Stopped:
            result.status = "stopped"  # confirmed batches committed, cursors held
        except ReserveReached:
            result.status = "reserve_reached"  # confirmed batches committed, cursors held
            raise
        except BaseException:
            result.status = "failed"
            raise
        finally:
            for side in SIDES:
                summaries[side].read = sources[side].read
                summaries[side].unchanged = result.plan.unchanged[side] + (
                    self._matcher.echoes[side] if self._matcher is not None else 0)
                summaries[side].calls = self.systems[side].calls_made - calls_before[side]
                summaries[side].retries = (self.systems[side].retries_made
                                           - retries_before[side])
        log.info(f"{job} finished", connection=self.connection, dry_run=dry_run,
                 **{name: vars(s) for name, s in result.sides.items()})
        return result

    def explain(self, pair: Pair | None, write: PlannedWrite, name: str) -> tuple[str, str]:
        """The rule that put field ``name`` in ``write``, and why (for the audit trail)."""
        return decision(pair, write, name, self.mapping, self.names, self.notes)

    def _carry_back(self, contexts: dict[Side, TransformContext], commit: Commit) -> CarryBack:
        """What a created record holds when read back, carried to the other side; the record
        as read back is what LeadSync remembers of it (``connector.echo``)."""
        def carry(pair: Pair, record: Record, write: PlannedWrite) -> PlannedWrite | None:
            commit.read_back(write.op.key, write.side, record)
            return plan_after_create(pair, record, write, self.mapping, contexts, self.names)
        return carry

    def sources(self, until: datetime, full: bool = False, progress: Progress | None = None
                ) -> dict[Side, ChangeSource]:
        """Each side's change source: since its cursor (from scratch when ``full``), plus the
        records parked on the other side; each tells ``progress`` the records it read."""
        return {side: ChangeSource(
            self.systems[side], self.fields(side),
            None if full else self.store.cursor(self.connection, self.names[side]), until,
            parked_ids(self.store, self.connection, self.names[other(side)],
                       self.dead_letters, datetime.now(UTC)),  # the store's clock
            progress=progress,
        ) for side in SIDES}

    def _match(self, sources: dict[Side, ChangeSource], echoes: bool = True
               ) -> Iterator[list[Pair]]:
        """The pairs of a pass; ``echoes``: own writes read back are dropped (not on a full
        pass, where every lead is judged again)."""
        matcher = self._matcher = Matcher(
            self.store, self.connection, self.systems, self.fields,
            {side: self.match_field(side) for side in SIDES}, self.page_size,
            self.printed if echoes else None, self.print_seed,
            self.shard.owns if self.shard is not None else None)
        return matcher.pairs({side: sources[side].pages() for side in SIDES},
                             {side: sources[side].whole for side in SIDES},
                             {side: frozenset(sources[side].ids) for side in SIDES})

    @property
    def duplicates(self) -> Duplicates:
        """The emails several records of one side share, as the last pass found them."""
        return self._matcher.duplicates if self._matcher is not None else Duplicates()

    def all_leads(self) -> list[Pair]:
        """Every lead in both systems, paired as a pass pairs them (for what-if reports)."""
        sources = self.sources(self.clock(), full=True)
        return [pair for page in self._match(sources, echoes=False) for pair in page
                if pair.changed]

    def fields(self, side: Side) -> list[str]:
        """The fields of ``side`` a pass reads: mapped, lead view, verdict, LeadSync's key."""
        system = self.systems[side]
        notes = [self.notes[side]] if self.on_delete == "flag" else []
        return [*self.mapping.fields_of(side), system.key_field, *notes]

    def printed(self, side: Side) -> list[str]:
        """The fields a record's fingerprint covers: those a pass reads, LeadSync's key aside
        (``connector.echo``)."""
        return [name for name in self.fields(side) if name != self.systems[side].key_field]

    @property
    def print_seed(self) -> str:
        """What a fingerprint depends on besides the fields: the mapping's rules and lead
        view, so that a changed mapping takes no record for an echo."""
        rules = tuple(replace(rule, line=0) for rule in self.mapping.rules)  # not its place
        return hashlib.blake2b(repr((rules, self.mapping.view, self.on_delete)).encode(),
                               digest_size=8).hexdigest()

    def match_field(self, side: Side) -> str:
        return self.mapping.match_marketing if side == "marketing" else self.mapping.match_crm

    def contexts(self) -> dict[Side, TransformContext]:
        """What transforms need going to each side: both systems' users."""
        users = {side: self.systems[side].users() for side in SIDES}
        return {target: TransformContext(
            source_users=users[other(target)],
            target_users_by_email={email.lower(): uid for uid, email in users[target].items()},
        ) for target in SIDES}
