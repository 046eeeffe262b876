"""Stage 6 of a sync pass, committing: what was confirmed becomes what LeadSync remembers.

After each confirmed batch, its links, the values both sides now agree on (the ledger: only
what a confirmed write carried, never an edit still on its way) and the parked records it
delivered are committed in one transaction, so a crash resumes without re-sending or
losing anything; a refused record is parked with the vendor's code and message. The same
transaction records each confirmed write in the lead's audit trail (``connector.write_audit``:
fields, before and after, the rule and the side that won), one batched insert per batch; the
events of a batch are kept before it is sent (``sending``), so that those of a pass that died
between a call and its commit are audited once by the next pass (``settle``). Pairs that
needed no write are settled (their links and values remembered) page by page, and the cursors
advance only once the whole pass is confirmed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import structlog

from leadsync.connector import deadletter
from leadsync.connector.echo import after_write, of_record
from leadsync.connector.models import SIDES, Cursor, Record, Side, WriteResult
from leadsync.connector.plan import Pair, Plan, PlannedWrite, other
from leadsync.connector.store import Link, SyncState
from leadsync.connector.watch import Watch
from leadsync.connector.write_audit import Explain, confirmed, intended, recovered

log = structlog.get_logger("leadsync.sync")


@dataclass
class SideSummary:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    calls: int = 0
    retries: int = 0  # of the calls, those that retried a failed one


class Confirmed(NamedTuple):
    """A batch written to ``side`` and the system's answer to it, to commit."""

    side: Side
    batch: Sequence[PlannedWrite]
    results: Sequence[WriteResult]
    summary: SideSummary
    pairs: Mapping[str, Pair]


@dataclass
class _Found:
    """What confirmed batches commit together: links, agreed values by system and key, the
    keys delivered by system (they leave the parked queue), audit events, kept tokens."""

    links: list[Link] = field(default_factory=list)
    values: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    delivered: dict[str, list[str]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)


class Commit:
    """Commits one run's confirmed work for one connection."""

    def __init__(self, store: SyncState, connection: str, names: Mapping[Side, str],
                 fields: Callable[[Side], list[str]], run_id: int | None,
                 printed: Callable[[Side], list[str]] | None = None, seed: str = "",
                 watch: Watch | None = None, explain: Explain | None = None) -> None:
        self.store, self.connection, self.names = store, connection, names
        self.explain = explain  # the rule and reason of each written field, for the audit
        self.run_id, self.watch = run_id, watch  # the watch sees each batch once committed
        self.fields = {side: fields(side) for side in SIDES}
        # the fields a fingerprint covers (``connector.echo``); None: none are remembered
        self.printed = {side: printed(side) for side in SIDES} if printed else None
        self.seed = seed  # what fingerprints depend on besides the fields (the mapping)
        # this page's fingerprints of written pairs, by key: remembered once every write of
        # the pair is confirmed (``settle``), so a record with an edit still on its way is
        # never taken for an echo
        # (fingerprinted only then: records as read, with the values written on them)
        self._written: dict[str, dict[Side, dict[str, tuple[Record, dict[str, Any]]]]] = {}
        self._as_read: dict[str, dict[Side, dict[str, Record]]] = {}
        self._unsure: set[str] = set()  # keys with a refused write this page
        # the ids confirmed this page, by key and side: a later batch of the same pair whose
        # write was planned before the other side's record existed (a lead of the CRM alone,
        # updated there after its contact was created) links it, rather than unlink it
        self._ids: dict[str, dict[Side, str]] = {}
        # the audit events of the batches sent and not yet committed: token, events
        self._sent: dict[int, tuple[str, list[dict[str, Any]]]] = {}
        # those an earlier pass left (it died between a call and its commit), by lead key:
        # token, index in its batch, event; loaded at the first page
        self._left: dict[str, list[tuple[str, int, dict[str, Any]]]] | None = None
        self._left_rows: dict[str, list[dict[str, Any] | None]] = {}

    def sending(self, side: Side, batch: Sequence[PlannedWrite],
                pairs: Mapping[str, Pair]) -> None:
        """Keep the audit events of ``batch`` before it is sent to ``side`` (call just
        before the call; ``batch`` commits them once confirmed)."""
        self.sending_all(side, [batch], pairs)

    def sending_all(self, side: Side, batches: Sequence[Sequence[PlannedWrite]],
                    pairs: Mapping[str, Pair]) -> None:
        """Keep the audit events of each of ``batches`` before any is sent, in one
        transaction. Those of a batch never sent are dropped by ``unsent``; left behind (a
        pass killed), the next pass drops them, finding their values not delivered."""
        kept = []
        for batch in batches:
            events = intended(side, batch, pairs, self.names, self.explain, self.run_id)
            kept.append((batch, uuid.uuid4().hex, events))
        with self.store.transaction() as conn:
            for _, token, events in kept:
                self.store.put_sent(self.connection, token, events, conn)
        self._sent.update((id(batch), (token, events)) for batch, token, events in kept)

    def unsent(self, batches: Iterable[Sequence[PlannedWrite]]) -> None:
        """Forget the audit events kept for ``batches``: they were never sent."""
        tokens = [self._sent.pop(id(batch))[0] for batch in batches if id(batch) in self._sent]
        self.store.drop_sent(self.connection, tokens)

    def read_back(self, key: str, side: Side, record: Record) -> None:
        """A record a write created, as read back: its fingerprint once the pair settles."""
        if self.printed is not None:
            self._written.setdefault(key, {}).setdefault(side, {})[record.id] = (record, {})

    def refusals(self, planned: Plan, summaries: Mapping[Side, SideSummary],
                 pairs: Iterable[Pair] = ()) -> None:
        """Park the records the plan itself refused (a value no transform accepts)."""
        by_key = {pair.key: pair for pair in pairs}
        for refusal in planned.refusals:
            summaries[refusal.side].failed += 1
            pair = by_key.get(refusal.key)
            self.store.park(self.connection, self.run_id, self.names[refusal.side],
                            refusal.key, refusal.source.id, "INVALID_VALUE",
                            f"{refusal.field}: {refusal.message}", [refusal.field], {},
                            email=pair.email(other(refusal.side)) if pair else None,
                            target_id=pair.linked_id(refusal.side) if pair else None,
                            fingerprint=deadletter.fingerprint(refusal.source.fields))
            log.warning("record refused", system=self.names[refusal.side], key=refusal.key,
                        source_id=refusal.source.id, field=refusal.field,
                        message=deadletter.truncate(refusal.message))

    def batch(self, side: Side, batch: Sequence[PlannedWrite], results: Sequence[WriteResult],
              summary: SideSummary, pairs: Mapping[str, Pair]) -> None:
        """Commit one confirmed batch written to ``side``: links, values, parked records."""
        self.batches([Confirmed(side, batch, results, summary, pairs)])

    def batches(self, confirmed_batches: Sequence[Confirmed]) -> None:
        """Commit confirmed batches, in the order given, in one transaction."""
        found = _Found()
        for item in confirmed_batches:
            self._collect(found, item)
        with self.store.transaction() as conn:
            self.store.save_links(self.connection, found.links, conn)
            for system, values in found.values.items():
                self.store.record_values(self.connection, system, values, conn)
            for system, keys in found.delivered.items():
                self.store.unpark(self.connection, system, keys, conn)
            self.store.record_events(self.connection, found.events, conn)
            self.store.drop_sent(self.connection, found.tokens, conn)
        if self.watch is not None:
            for item in confirmed_batches:
                self.watch.confirmed(item.side, item.batch, item.results)

    def _collect(self, found: _Found, item: Confirmed) -> None:
        """What one confirmed batch commits, added to ``found``; its refusals parked."""
        side, batch, results, summary, pairs = item
        target, counterpart = self.names[side], self.names[other(side)]
        written = found.values.setdefault(target, {})  # agreed values, as the target holds
        read = found.values.setdefault(counterpart, {})  # the same, as the other side holds
        delivered = found.delivered.setdefault(target, [])
        for planned, outcome in zip(batch, results, strict=True):
            if not outcome.ok:
                self._unsure.add(planned.op.key)
                summary.failed += 1
                pair = pairs.get(planned.op.key)
                came_from = side if planned.source.system == target else other(side)
                self.store.park(self.connection, self.run_id, target, planned.op.key,
                                planned.source.id, outcome.code, outcome.message,
                                outcome.fields, {"fields": dict(planned.op.fields)},
                                email=pair.email(came_from) if pair else None,
                                target_id=planned.op.target_id,
                                fingerprint=deadletter.fingerprint(planned.op.fields))
                log.warning("record refused", system=target, key=planned.op.key,
                            source_id=planned.source.id, code=outcome.code,
                            message=deadletter.truncate(outcome.message),
                            fields=list(outcome.fields))
                continue
            _agree(written, read, planned)
            self._predict(side, planned)
            if planned.follows is not None:
                summary.updated += 1
                continue  # a value carried back: the write it follows linked the pair
            if outcome.created or planned.create:
                summary.created += 1
            else:
                summary.updated += 1
            known = self._ids.setdefault(planned.op.key, {})
            ids = {side: outcome.id or planned.op.target_id or known.get(side),
                   other(side): planned.counterpart_id or known.get(other(side))}
            known.update((s, i) for s, i in ids.items() if i)
            origin: Side = side if planned.source.system == target else other(side)
            email = pairs[planned.op.key].email(origin)
            found.links.append(Link(planned.op.key, ids["marketing"], ids["crm"], email))
            delivered.append(planned.op.key)
        token, events = self._sent.pop(id(batch), ("", []))
        if not token:  # sent without ``sending`` (a caller of its own)
            events = intended(side, batch, pairs, self.names, self.explain, self.run_id)
        else:
            found.tokens.append(token)
        found.events.extend(confirmed(events, batch, results, datetime.now(UTC)))

    def _predict(self, side: Side, planned: PlannedWrite) -> None:
        """The fingerprints a confirmed write leaves: the target as read with the values
        written (a created record is fingerprinted when read back), and the record it came
        from, as read, when that is on the other side."""
        if self.printed is None:
            return
        key = planned.op.key
        if planned.current is not None and not planned.create:
            on_side = self._written.setdefault(key, {}).setdefault(side, {})
            current, written = on_side.get(planned.current.id, (planned.current, {}))
            on_side[planned.current.id] = (current, {**written, **planned.op.fields})
        source = planned.source
        if source.system != self.names[side]:
            self._as_read.setdefault(key, {}).setdefault(other(side), {}).setdefault(
                source.id, source)

    def agreed(self, planned: Plan) -> None:
        """Remember the fields both sides of a pair were seen to hold alike (``Plan.agreed``):
        call before delivering, so a pass stopped during its writes keeps what it learnt."""
        values: dict[Side, dict[str, dict[str, Any]]] = {side: {} for side in SIDES}
        for key, sides in planned.agreed.items():
            for side, fields in sides.items():
                values[side][key] = dict(fields)
        with self.store.transaction() as conn:
            for side in SIDES:
                self.store.record_values(self.connection, self.names[side], values[side], conn)

    def settle(self, pairs: Iterable[Pair], planned: Plan) -> None:
        """Remember the links of the pairs that needed no write; a parked one among them has
        nothing left to deliver (both sides came to agree), so it leaves the queue.

        Pairs with a write or a refusal are left alone here: a confirmed write commits its own
        links and values, and the fields of a refused one are not agreed, so they still look
        edited when it is retried.
        """
        busy = {w.op.key for w in planned.writes} | {r.key for r in planned.refusals}
        links, settled = [], []
        seen: dict[Side, list[Record]] = {side: [] for side in SIDES}
        for pair in pairs:
            if pair.key in busy:
                continue
            settled.append(pair.key)
            records = {side: pair.records[side] for side in SIDES}
            for side, record in records.items():
                if record is not None:
                    seen[side].append(record)
            if any(r is not None and r.deleted for r in records.values()):
                continue
            ids = {side: r.id if r else pair.linked_id(side) for side, r in records.items()}
            side_of_source: Side = "marketing" if records["marketing"] else "crm"
            email = pair.email(side_of_source)
            links.append(Link(pair.key, ids["marketing"], ids["crm"], email))
        prints = self._prints(seen, busy - {r.key for r in planned.refusals})
        self._ids.clear()  # the page is settled: its links are stored
        found, kept, dropped = self._left_behind(pairs, planned)
        with self.store.transaction() as conn:
            self.store.record_events(self.connection, found, conn)
            for token, remaining in kept.items():
                self.store.put_sent(self.connection, token, remaining, conn)
            self.store.drop_sent(self.connection, dropped, conn)
            self.store.save_links(self.connection, links, conn)
            for side in SIDES:
                self.store.unpark(self.connection, self.names[side], settled, conn)
                self.store.save_fingerprints(self.connection, self.names[side], prints[side],
                                             conn)

    def _left_behind(self, pairs: Iterable[Pair], planned: Plan
                     ) -> tuple[list[dict[str, Any]], dict[str, list[Any]], list[str]]:
        """The events an earlier pass left for this page's leads (it died between a call and
        its commit): those of values both sides now hold, to record; the batches' rows to
        keep (with what is left of them) and to drop. A value not found delivered was either
        planned again (its own commit audits it) or changed since: its event goes."""
        if self._left is None:
            self._left = {}
            for token, events in self.store.sent_writes(self.connection).items():
                self._left_rows[token] = list(events)
                for index, event in enumerate(events):
                    self._left.setdefault(event["key"], []).append((token, index, event))
            if self._left_rows:
                log.info("writes left by an interrupted pass", batches=len(self._left_rows),
                         leads=len(self._left))
        if not self._left:
            return [], {}, []
        by_name = {name: side for side, name in self.names.items()}
        found, touched = [], set()
        now = datetime.now(UTC)
        for pair in pairs:
            for token, index, event in self._left.pop(pair.key, []):
                touched.add(token)
                self._left_rows[token][index] = None
                side = by_name.get(event["details"]["system"])
                if side is None:
                    continue
                holds = planned.agreed.get(pair.key, {}).get(side, {})
                record = pair.records[side]
                done = recovered(event, holds, record.id if record else None, now)
                if done is not None:
                    found.append(done)
        kept = {t: [e for e in self._left_rows[t] if e is not None] for t in touched}
        dropped = [t for t, events in kept.items() if not events]
        return found, {t: e for t, e in kept.items() if e}, dropped

    def _prints(self, seen: Mapping[Side, list[Record]], written: set[str]
                ) -> dict[Side, dict[str, str]]:
        """This page's fingerprints to remember: the settled records as read, and those of
        the written pairs whose writes were all confirmed (as read, then as written)."""
        prints: dict[Side, dict[str, str]] = {side: {} for side in SIDES}
        if self.printed is not None:
            for side in SIDES:
                names = self.printed[side]
                prints[side].update((r.id, value) for r in seen[side]
                                    if (value := of_record(r, names, self.seed)) is not None)
            for key in written - self._unsure:
                for side, records in self._as_read.get(key, {}).items():
                    prints[side].update((r.id, value) for r in records.values()
                                        if (value := of_record(r, self.printed[side],
                                                                self.seed)))
                for side, changed in self._written.get(key, {}).items():
                    for record_id, (record, values) in changed.items():
                        after = after_write(record, values, self.printed[side], self.seed)
                        if after is not None:
                            prints[side][record_id] = after
                        else:
                            prints[side].pop(record_id, None)
        self._written, self._as_read, self._unsure = {}, {}, set()
        return prints

    def cursors(self, cursors: Mapping[Side, Cursor | None]) -> None:
        """Advance each side's cursor: call only once every batch of the pass is confirmed."""
        for side in SIDES:
            cursor = cursors[side]
            if cursor is not None:
                self.store.save_cursor(self.connection, self.names[side], cursor)


def _agree(written: dict[str, dict[str, Any]], read: dict[str, dict[str, Any]],
           planned: PlannedWrite) -> None:
    """Add what a confirmed write makes both sides agree on, as each side holds it."""
    key = planned.op.key
    written.setdefault(key, {}).update(planned.agreed[planned.side])
    read.setdefault(key, {}).update(planned.agreed[other(planned.side)])
