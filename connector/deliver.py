"""Stage 5 of a sync pass, delivery: a page's planned writes, sent to each side in batches.

Writes that lead go first, each side in batches of ``batch_size``; the values they carry back
(``PlannedWrite.follows``) go after, and only when the write they follow was confirmed; the
records the leading writes created are read back first (one lookup per side; none for those
the system's answer already held, as HubSpot's does), so what the system set on them itself
goes back in the same pass.

A side's batches go out up to ``parallel[side]`` at a time (the system's ``max_parallel``:
``[sync] parallel``, or ``[systems.<name>] max_parallel``), through a small thread pool whose
calls share the system's budgets; with 1 they go one after another in this thread. Each
batch's answer is handed, as it arrives, to a thread that commits it (``connector.commit``
through ``connector.commit_thread``: the batches waiting together in one transaction) while
this thread sends the next calls; every batch handed over is committed before a side's writes
return or raise. When a call raises (``ReserveReached``, a retry given up, anything), no
further batch is sent: the calls in flight are waited for, what they confirmed is committed,
then the error is raised. A batch in flight (or confirmed and not yet committed) when the
process is killed is sent again by the next pass, which changes nothing: every write is an
upsert by LeadSync's key or an update by id. The audit events of a side's batches are kept
before the first is sent (``Commit.sending_all``; those never sent are dropped), for the
commit to record once confirmed. Asked to stop (``stop`` answers True: the scheduler got
SIGTERM), it sends no further batch, commits what the calls in flight confirm, and raises
``Stopped``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import structlog

from leadsync.connector.commit import Commit, Confirmed, SideSummary
from leadsync.connector.commit_thread import CommitThread
from leadsync.connector.errors import Stopped
from leadsync.connector.models import SIDES, Record, Side, WriteResult
from leadsync.connector.plan import Pair, Plan, PlannedWrite
from leadsync.connector.ports import System
from leadsync.connector.progress import Progress

# the write carrying back what a created record holds as read back (``plan.plan_after_create``)
CarryBack = Callable[[Pair, Record, PlannedWrite], PlannedWrite | None]
Batch = list[PlannedWrite]
Confirm = Callable[[Batch, list[WriteResult]], None]
Created = dict[str, tuple[PlannedWrite, Record | None]]  # by the id made: write, as answered
Stop = Callable[[], bool]  # True once the run is asked to stop

log = structlog.get_logger("leadsync.deliver")


def max_parallel(system: System) -> int:
    """The write calls ``system`` takes at once: its ``max_parallel`` where it has one (the
    adapters do, from the config), else 1."""
    value = getattr(system, "max_parallel", 1)
    return value if isinstance(value, int) and value >= 1 else 1


class Deliver:
    """Sends planned writes to the systems of one connection and commits each batch."""

    def __init__(self, systems: Mapping[Side, System], names: Mapping[Side, str],
                 batch_size: int, commit: Commit, progress: Progress | None = None,
                 parallel: Mapping[Side, int] | None = None, stop: Stop | None = None) -> None:
        self.systems, self.names, self.batch_size = systems, names, batch_size
        self.commit, self.progress, self.stop = commit, progress, stop
        self.parallel = {side: max(1, (parallel or {}).get(side) or max_parallel(systems[side]))
                         for side in SIDES}
        # writes confirmed and planned so far in the pass, per side: "writing to <system>"
        self.written: dict[Side, int] = dict.fromkeys(SIDES, 0)
        self.planned: dict[Side, int] = dict.fromkeys(SIDES, 0)

    def deliver(self, planned: Plan, pairs: Sequence[Pair], summaries: Mapping[Side, SideSummary],
                carry_back: CarryBack | None = None) -> None:
        """Write one page's plan: leading writes, then those carried back after them.

        With ``carry_back``, the records the leading writes created are read back, and what
        they hold then (values the system set itself) is carried back in place of the values
        sent alone.
        """
        by_key = {pair.key: pair for pair in pairs}
        failed: set[str] = set()
        created: dict[Side, Created] = {}
        for side in SIDES:
            writes = [w for w in planned.for_side(side) if w.follows is None]
            refused, created[side] = self._write(side, writes, by_key, summaries[side])
            failed |= refused
        followers = [w for w in planned.writes if w.follows is not None and w.follows not in failed]
        if carry_back is not None:
            followers = self._read_back(created, followers, by_key, carry_back)
        for side in SIDES:
            self._write(side, [w for w in followers if w.side == side], by_key, summaries[side])

    def _read_back(self, created: Mapping[Side, Created],
                   followers: list[PlannedWrite], pairs: Mapping[str, Pair],
                   carry_back: CarryBack) -> list[PlannedWrite]:
        """The carried-back writes, planned again from the created records as read back (or
        as the system answered the write, when its answer held them)."""
        for side in SIDES:
            made = created[side]
            if not made:
                continue
            system = self.systems[side]
            read = {write.op.key: (record, write) for write, record in made.values()
                    if record is not None}
            unread = [made_id for made_id, (_, record) in made.items() if record is None]
            if unread:
                read.update((write.op.key, (record, write)) for record in system.lookup(
                    system.id_field, unread, self.commit.fields[side])
                    if (write := made.get(record.id, (None, None))[0]) is not None)
            followers = [w for w in followers if w.follows not in read]
            for key, (record, write) in read.items():
                back = carry_back(pairs[key], record, write)
                if back is not None:
                    followers.append(back)
        return followers

    def _write(self, side: Side, writes: list[PlannedWrite], pairs: Mapping[str, Pair],
               summary: SideSummary) -> tuple[set[str], Created]:
        """Write in batches, each committed once its answer arrives (``CommitThread``, all
        committed before this returns or raises); the keys whose write was refused, and the
        confirmed creates by the id of the record made."""
        refused: set[str] = set()
        created: Created = {}
        self.planned[side] += len(writes)
        batches = [writes[start:start + self.batch_size]
                   for start in range(0, len(writes), self.batch_size)]
        if not batches:
            return refused, created
        self.commit.sending_all(side, batches, pairs)
        sent: list[Batch] = []
        workers = min(self.parallel[side], len(batches))
        try:
            with CommitThread(self.commit, backlog=max(2, workers),
                              name=f"leadsync-commit-{self.names[side]}") as committing:

                def confirm(batch: Batch, results: list[WriteResult]) -> None:
                    refused.update(r.key for r in results if not r.ok)
                    created.update((r.id, (w, r.record))
                                   for w, r in zip(batch, results, strict=True)
                                   if r.ok and r.id and (r.created or w.create))
                    committing.put(Confirmed(side, batch, results, summary, pairs))
                    self.written[side] += len(batch)
                    if self.progress:
                        self.progress(f"writing to {self.names[side]}", self.written[side],
                                      self.planned[side])

                if workers <= 1:
                    for batch in batches:
                        self.check_stop()
                        sent.append(batch)
                        confirm(batch, self.systems[side].write([w.op for w in batch]))
                else:
                    self._in_parallel(side, iter(batches), workers, confirm, sent)
        finally:  # every batch handed over is committed by now
            self.commit.unsent(batches[len(sent):])
        return refused, created

    def check_stop(self) -> None:
        """Raise ``Stopped`` when the run is asked to stop."""
        if self.stop is not None and self.stop():
            raise Stopped()

    def _in_parallel(self, side: Side, batches: Iterator[Batch], workers: int,
                     confirm: Confirm, sent: list[Batch]) -> None:
        """Up to ``workers`` batches in flight; each answer confirmed as it arrives, the next
        batch sent first. After a failure nothing more is sent: the calls in flight are
        waited for and confirmed, then the first failure is raised."""
        system, name = self.systems[side], self.names[side]
        failure: BaseException | None = None
        with ThreadPoolExecutor(workers, thread_name_prefix=f"leadsync-{name}") as pool:
            in_flight: dict[Future[list[WriteResult]], Batch] = {}

            def send() -> None:
                nonlocal failure
                if self.stop is not None and self.stop():
                    failure = Stopped()
                    return
                batch = next(batches, None)
                if batch is not None:
                    sent.append(batch)
                    in_flight[pool.submit(system.write, [w.op for w in batch])] = batch

            for _ in range(workers):
                send()
            while in_flight:
                try:
                    answered, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                except BaseException as exc:  # interrupted: still confirm what is in flight
                    if failure is not None:
                        raise
                    failure = exc
                    continue
                arrived = [(future, in_flight.pop(future)) for future in answered]
                for error in (f.exception() for f in answered):
                    if error is not None and (failure is None or isinstance(failure, Stopped)):
                        failure = error
                        log.warning("delivery stopping", system=name, error=str(error),
                                    in_flight=len(in_flight))
                    elif error is not None and error is not failure:
                        log.warning("delivery call failed too", system=name, error=str(error))
                for future, batch in arrived:
                    if future.exception() is None:
                        if failure is None:
                            send()
                        confirm(batch, future.result())
        if failure is not None:
            raise failure
