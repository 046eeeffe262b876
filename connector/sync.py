"""One bidirectional, incremental sync pass between a marketing system and a CRM.

1. Read each side's changes since its cursor, up to the run's start (the bookmark never passes
   it), plus the records parked by earlier runs, re-read by id.
2. Match each changed record to its counterpart: stored link, then normalised email (links of
   earlier runs, then the records read in this run, then a live lookup on the other side).
3. Plan (``connector.plan``), then write each side in batches. After each confirmed batch the
   links, the ledger and the parked records are committed together, so a crash resumes without
   re-sending or losing anything.
4. Advance both cursors only when every batch was confirmed. A refused record does not hold
   the cursor back: it is parked with the vendor's code and retried on the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from leadsync.connector.mapping import FieldMapping
from leadsync.connector.models import Cursor, Record, WriteResult
from leadsync.connector.plan import SIDES, Pair, Plan, PlannedWrite, Side, derived_key, other, plan
from leadsync.connector.ports import System
from leadsync.connector.qualify import Qualifier
from leadsync.connector.state import Link, StateStore
from leadsync.connector.transforms import TransformContext, normalize_email

log = structlog.get_logger("leadsync.sync")


@dataclass
class SideSummary:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    calls: int = 0


@dataclass
class SyncResult:
    run_id: int | None
    dry_run: bool
    plan: Plan
    sides: dict[str, SideSummary] = field(default_factory=dict)
    status: str = "ok"
    evaluated: int = 0  # leads judged against the lead definition
    qualified: int = 0
    definition_version: str | None = None

    def as_dict(self) -> dict[str, Any]:
        summary: dict[str, Any] = {name: vars(side) for name, side in self.sides.items()}
        if self.definition_version is not None:
            summary["definition"] = {"version": self.definition_version,
                                     "evaluated": self.evaluated, "qualified": self.qualified,
                                     "kept_in_marketing": self.plan.held}
        return summary


Progress = Callable[[str, int, int], None]  # (what, done, total)


class SyncEngine:
    """Wires two systems, a mapping and a state store for one connection."""

    def __init__(self, marketing: System, crm: System, mapping: FieldMapping,
                 store: StateStore, connection: str = "default", batch_size: int = 200,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 qualifier: Qualifier | None = None) -> None:
        self.systems: dict[Side, System] = {"marketing": marketing, "crm": crm}
        self.mapping, self.store, self.connection = mapping, store, connection
        self.batch_size, self.clock, self.qualifier = batch_size, clock, qualifier
        self.names: dict[Side, str] = {side: self.systems[side].name for side in SIDES}

    def run(self, dry_run: bool = False, progress: Progress | None = None,
            full: bool = False) -> SyncResult:
        """One pass; ``full`` reads every record instead of the changes since the cursors
        (a new lead definition is adopted that way: every lead is judged again)."""
        until = self.clock()
        run_id = None if dry_run else self.store.start_run(self.connection, "sync")
        calls_before = {side: self.systems[side].calls_made for side in SIDES}
        result = SyncResult(run_id, dry_run, Plan(),
                            {self.names[side]: SideSummary() for side in SIDES})
        try:
            changes, cursors, full_read = self._read(until, result, full)
            pairs = self._pair(changes, full_read)
            contexts = self.contexts() if pairs else {}
            stamps, hold = self._judge(pairs, contexts, until, result)
            result.plan = plan(pairs, self.mapping, contexts, self.names, stamps, hold)
            for side in SIDES:
                result.sides[self.names[side]].unchanged = result.plan.unchanged[side]
            if not dry_run:
                self._park_refusals(result)
                failed: set[str] = set()
                for side in SIDES:
                    writes = [w for w in result.plan.for_side(side) if w.follows is None]
                    failed |= self._write(side, writes, result, progress)
                for side in SIDES:
                    writes = [w for w in result.plan.for_side(side)
                              if w.follows is not None and w.follows not in failed]
                    self._write(side, writes, result, progress)
                self._settle(pairs, result.plan)
                for side in SIDES:
                    cursor = cursors[side]
                    if cursor is not None:
                        self.store.save_cursor(self.connection, self.names[side], cursor)
        except BaseException:
            result.status = "failed"
            raise
        finally:
            for side in SIDES:
                calls = self.systems[side].calls_made - calls_before[side]
                result.sides[self.names[side]].calls = calls
            if run_id is not None:
                self.store.finish_run(run_id, result.status, result.as_dict())
        log.info("sync finished", connection=self.connection, dry_run=dry_run,
                 **{name: vars(s) for name, s in result.sides.items()})
        return result

    # reading
    def all_leads(self) -> list[Pair]:
        """Every lead in both systems, paired as a pass pairs them (for what-if reports)."""
        result = SyncResult(None, True, Plan(),
                            {self.names[side]: SideSummary() for side in SIDES})
        changes, _, whole = self._read(self.clock(), result, full=True)
        return [pair for pair in self._pair(changes, whole) if pair.changed]

    def _judge(self, pairs: list[Pair], contexts: dict[Side, TransformContext],
               now: datetime, result: SyncResult) -> tuple[dict[str, Any], set[str]]:
        """Each changed lead's verdict: the stamps to write, and who stays in marketing."""
        stamps: dict[str, Any] = {}
        hold: set[str] = set()
        if self.qualifier is None:
            return stamps, hold
        result.definition_version = self.qualifier.definition.version
        for pair in pairs:
            if not pair.changed:
                continue
            verdict = self.qualifier.evaluate(pair.records, now, contexts.get("crm"))
            result.evaluated += 1
            result.qualified += verdict.qualified
            stamps[pair.key] = self.qualifier.stamps(verdict, pair.records, now)
            if pair.records["crm"] is None and not self.qualifier.hands_over(verdict):
                hold.add(pair.key)
        return stamps, hold

    def _read(self, until: datetime, result: SyncResult, full: bool = False
              ) -> tuple[dict[Side, list[Record]], dict[Side, Cursor | None], dict[Side, bool]]:
        """Each side's changes; cursors move only to stamps the vendor gave, never our clock."""
        changes: dict[Side, list[Record]] = {}
        cursors: dict[Side, Cursor | None] = {}
        whole: dict[Side, bool] = {}  # sides read in full: what is not there does not exist
        for side in SIDES:
            system = self.systems[side]
            since = None if full else self.store.cursor(self.connection, self.names[side])
            whole[side] = since is None
            records: dict[str, Record] = {}
            cursor = since
            for page in system.read_changes(since, until, self.fields(side)):
                records.update((r.id, r) for r in page)
                cursor = (cursor or Cursor(page[0].modified_at)).advanced(page)
            for record in self._parked_sources(side):
                records.setdefault(record.id, record)
            changes[side] = list(records.values())
            cursors[side] = cursor
            result.sides[self.names[side]].read = len(changes[side])
        return changes, cursors, whole

    def fields(self, side: Side) -> list[str]:
        """The fields of ``side`` a pass reads: mapped, lead view, verdict, LeadSync's key."""
        system = self.systems[side]
        return [*self.mapping.fields_of(side), system.key_field]

    def _parked_sources(self, side: Side) -> list[Record]:
        """Records of ``side`` whose writes to the other side were refused before."""
        target = self.names[other(side)]
        ids = [p.record_id for p in self.store.parked(self.connection, target) if p.record_id]
        if not ids:
            return []
        system = self.systems[side]
        return system.lookup(system.id_field, ids, self.fields(side))

    # matching
    def _pair(self, changes: dict[Side, list[Record]], full: dict[Side, bool]) -> list[Pair]:
        pairs: dict[str, Pair] = {}
        by_id: dict[tuple[Side, str], Pair] = {}
        for side in SIDES:
            links = self.store.links_by_id(self.connection, side, [r.id for r in changes[side]])
            for record in changes[side]:
                link = links.get(record.id)
                pair = pairs.get(link.key) if link else None
                if pair is None and link is not None:
                    pair = pairs[link.key] = Pair(link.key, _empty(), link=link)
                if pair is None:
                    continue
                pair.records[side] = record
                pair.changed.add(side)
                by_id[(side, record.id)] = pair
        unmatched = {side: [r for r in changes[side] if (side, r.id) not in by_id]
                     for side in SIDES}
        self._match_by_email(pairs, by_id, unmatched, full)
        self._fill_counterparts(pairs)
        ledgers = self.store.ledger(self.connection, list(pairs))
        for key, pair in pairs.items():
            pair.ledger = ledgers.get(key, {})
        return list(pairs.values())

    def _match_by_email(self, pairs: dict[str, Pair], by_id: dict[tuple[Side, str], Pair],
                        unmatched: dict[Side, list[Record]], full: dict[Side, bool]) -> None:
        emails: dict[Side, dict[str, Record]] = {side: {} for side in SIDES}
        for side in SIDES:
            match_field = self.match_field(side)
            for record in unmatched[side]:
                email = normalize_email(record.fields.get(match_field))
                if email:
                    emails[side].setdefault(email, record)
        stored = self.store.links_by_email(
            self.connection, set(emails["marketing"]) | set(emails["crm"]))
        for side in SIDES:
            for record in unmatched[side]:
                email = normalize_email(record.fields.get(self.match_field(side)))
                link = stored.get(email) if email else None
                if link is not None and _id_of(link, side) in (None, record.id):
                    pair = pairs.setdefault(link.key, Pair(link.key, _empty(), link=link))
                elif email and email in emails[other(side)] and \
                        (other(side), emails[other(side)][email].id) in by_id:
                    pair = by_id[(other(side), emails[other(side)][email].id)]
                else:
                    pair = Pair(self._key_for(side, record), _empty())
                    pairs[pair.key] = pair
                if pair.records[side] is not None and pair.records[side].id != record.id:
                    continue  # a second record with the same email: first one wins the link
                pair.records[side] = record
                pair.changed.add(side)
                by_id[(side, record.id)] = pair
        for side in SIDES:
            target = other(side)
            if full[target]:
                continue  # the whole other side was read: no counterpart exists there
            wanted = {normalize_email(p.records[side].fields.get(self.match_field(side))): p
                      for p in pairs.values()
                      if p.records[side] is not None and p.records[target] is None
                      and p.linked_id(target) is None}
            wanted.pop(None, None)
            if not wanted:
                continue
            found = self.systems[target].lookup(self.match_field(target), list(wanted),
                                                self.fields(target))
            for record in found:
                pair = wanted.get(normalize_email(record.fields.get(self.match_field(target))))
                if pair is not None and pair.records[target] is None:
                    pair.records[target] = record

    def _fill_counterparts(self, pairs: dict[str, Pair]) -> None:
        """Read the current state of linked counterparts that did not change this run."""
        for side in SIDES:
            missing = {p.linked_id(side): p for p in pairs.values()
                       if p.records[side] is None and p.linked_id(side)}
            if not missing:
                continue
            system = self.systems[side]
            for record in system.lookup(system.id_field, list(missing), self.fields(side)):
                if record.id in missing:
                    missing[record.id].records[side] = record

    def match_field(self, side: Side) -> str:
        return self.mapping.match_marketing if side == "marketing" else self.mapping.match_crm

    def _key_for(self, side: Side, record: Record) -> str:
        key = record.fields.get(self.systems[side].key_field)
        return str(key) if key else derived_key(self.connection, side, record.id)

    def contexts(self) -> dict[Side, TransformContext]:
        """What transforms need going to each side: both systems' users."""
        users = {side: self.systems[side].users() for side in SIDES}
        return {target: TransformContext(
            source_users=users[other(target)],
            target_users_by_email={email.lower(): uid for uid, email in users[target].items()},
        ) for target in SIDES}

    # writing
    def _write(self, side: Side, writes: list[PlannedWrite], result: SyncResult,
               progress: Progress | None) -> set[str]:
        """Write in batches, committing each; the keys whose write was refused."""
        system, summary = self.systems[side], result.sides[self.names[side]]
        refused: set[str] = set()
        for start in range(0, len(writes), self.batch_size):
            batch = writes[start:start + self.batch_size]
            results = system.write([w.op for w in batch])
            refused |= {r.key for r in results if not r.ok}
            self._commit(side, batch, results, result.run_id, summary)
            if progress:
                progress(self.names[side], start + len(batch), len(writes))
        return refused

    def _commit(self, side: Side, batch: list[PlannedWrite], results: list[WriteResult],
                run_id: int | None, summary: SideSummary) -> None:
        target, counterpart = self.names[side], self.names[other(side)]
        links, written, read, delivered = [], {}, {}, []
        for planned, outcome in zip(batch, results, strict=True):
            if not outcome.ok:
                summary.failed += 1
                self.store.park(self.connection, run_id, target, planned.op.key,
                                planned.source.id, outcome.code, outcome.message,
                                outcome.fields, {"fields": dict(planned.op.fields)})
                log.warning("record refused", system=target, key=planned.op.key,
                            source_id=planned.source.id, code=outcome.code,
                            message=outcome.message, fields=list(outcome.fields))
                continue
            before = planned.current.fields if planned.current else {}
            written[planned.op.key] = {**_mapped(before, self.fields(side)),
                                       **planned.op.fields}
            if planned.follows is not None:
                summary.updated += 1
                continue  # a value carried back: the write it follows linked the pair
            if outcome.created or planned.create:
                summary.created += 1
            else:
                summary.updated += 1
            ids = {side: outcome.id or planned.op.target_id, other(side): planned.counterpart_id}
            origin: Side = side if planned.source.system == target else other(side)
            email = normalize_email(planned.source.fields.get(self.match_field(origin)))
            links.append(Link(planned.op.key, ids["marketing"], ids["crm"], email))
            if origin != side:  # the values read on the other side are now in step
                read[planned.op.key] = _mapped(planned.source.fields, self.fields(origin))
            delivered.append(planned.op.key)
        with self.store.transaction() as conn:
            self.store.save_links(self.connection, links, conn)
            self.store.record_values(self.connection, target, written, conn)
            self.store.record_values(self.connection, counterpart, read, conn)
            self.store.unpark(self.connection, target, delivered, conn)

    def _settle(self, pairs: list[Pair], planned: Plan) -> None:
        """Remember links and values of the pairs that needed no write.

        Pairs with a write or a refusal are left alone here: a confirmed write commits its own
        links and values, and a refused one must still look changed when it is retried.
        """
        busy = {w.op.key for w in planned.writes} | {r.key for r in planned.refusals}
        links, values = [], {side: {} for side in SIDES}
        for pair in pairs:
            if pair.key in busy:
                continue
            records = {side: pair.records[side] for side in SIDES}
            if any(r is not None and r.deleted for r in records.values()):
                continue
            ids = {side: r.id if r else pair.linked_id(side) for side, r in records.items()}
            source = records["marketing"] or records["crm"]
            assert source is not None
            side_of_source: Side = "marketing" if records["marketing"] else "crm"
            email = normalize_email(source.fields.get(self.match_field(side_of_source)))
            links.append(Link(pair.key, ids["marketing"], ids["crm"], email))
            for side, record in records.items():
                if record is not None:
                    values[side][pair.key] = _mapped(record.fields, self.fields(side))
        with self.store.transaction() as conn:
            self.store.save_links(self.connection, links, conn)
            for side in SIDES:
                self.store.record_values(self.connection, self.names[side], values[side], conn)

    def _park_refusals(self, result: SyncResult) -> None:
        for refusal in result.plan.refusals:
            summary = result.sides[self.names[refusal.side]]
            summary.failed += 1
            self.store.park(self.connection, result.run_id, self.names[refusal.side],
                            refusal.key, refusal.source.id, "INVALID_VALUE",
                            f"{refusal.field}: {refusal.message}", [refusal.field], {})
            log.warning("record refused", system=self.names[refusal.side], key=refusal.key,
                        source_id=refusal.source.id, field=refusal.field,
                        message=refusal.message)


def _empty() -> dict[Side, Record | None]:
    return {"marketing": None, "crm": None}


def _id_of(link: Link, side: Side) -> str | None:
    return link.marketing_id if side == "marketing" else link.crm_id


def _mapped(fields: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    return {name: fields.get(name) for name in names}
