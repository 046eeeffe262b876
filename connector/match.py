"""Stage 2 of a sync pass, matching: each changed record with its counterpart, as a ``Pair``.

A record is matched by its stored link, then by LeadSync's own key (``LeadSync_Id__c`` on the
Lead, ``leadsync_id`` on the contact, or the key derived from the id of the record it came
from), so a lost state store re-links everyone, then by normalised email: the links of earlier
runs, then the records read in this run, then a live lookup on the other side (skipped when the
other side was read whole: a counterpart it did not give does not exist). Linked counterparts
that did not change are read by id, and each pair gets its ledger. Each record's email is
normalised once, here, and handed on with its pair (``Pair.email``).

Matching streams: one side's changes (the held side, the one whose first page is the
smaller) are read first into a ``Spool`` on disk; then the other side's are matched a page of
``page_size`` records at a time, each page with the held records that can pair with it (by
linked id, email or key, asked of the spool); last, the held records no page took are matched
in pages of their own. So a pass holds one page of pairs in memory, however many records
changed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from itertools import chain

from leadsync.connector.changes import Page
from leadsync.connector.echo import of_record
from leadsync.connector.identity import Duplicates, Tombstones, moves, rank, winner
from leadsync.connector.models import SIDES, Record, Side
from leadsync.connector.plan import Pair, derived_key, other
from leadsync.connector.ports import System
from leadsync.connector.spool import Spool
from leadsync.connector.store import Link, SyncState
from leadsync.connector.transforms import normalize_email


class Matcher:
    """Pairs changed records for one connection."""

    def __init__(self, store: SyncState, connection: str, systems: Mapping[Side, System],
                 fields: Callable[[Side], list[str]], match_fields: Mapping[Side, str],
                 page_size: int = 10_000,
                 printed: Callable[[Side], list[str]] | None = None, seed: str = "",
                 owns: Callable[[str], bool] | None = None) -> None:
        self.store, self.connection, self.systems = store, connection, systems
        self.fields, self.match_fields, self.page_size = fields, match_fields, page_size
        # the fields a fingerprint covers (``connector.echo``); None: no record is skipped
        self.printed = {side: printed(side) for side in SIDES} if printed else None
        self.seed = seed  # what fingerprints depend on besides the fields (the mapping)
        self.owns = owns  # a shard's pairs, by key (``connector.shards``); None: every pair
        self.echoes: dict[Side, int] = {side: 0 for side in SIDES}  # own writes read back
        self.duplicates = Duplicates()  # emails several records of one side hold (warnings)
        self._emails: dict[tuple[Side, str], str | None] = {}  # this batch's, normalised
        # this batch's links, looked up once for both uses of them: by the streamed records'
        # ids, and by the emails asked (those asked and not found included)
        self._linked: dict[Side, dict[str, Link]] = {}
        self._by_email: tuple[set[str], dict[str, Link]] = (set(), {})

    def pairs(self, changes: Mapping[Side, Iterable[Page]], whole: Mapping[Side, bool],
              asked: Mapping[Side, Collection[str]] | None = None) -> Iterator[list[Pair]]:
        """Pages of pairs for the changed records; ``whole`` tells the sides read in full,
        ``asked`` the ids asked for (parked records: never skipped as echoes)."""
        streams = {side: self._news(side, iter(changes[side]), (asked or {}).get(side, ()))
                   for side in SIDES}
        first = {side: next(streams[side], []) for side in SIDES}
        held: Side = "marketing" if len(first["marketing"]) < len(first["crm"]) else "crm"
        streamed = other(held)
        with Spool() as spool:
            for page in chain([first[held]], streams[held]):
                spool.add((record, self._normalised(held, record), self._key_for(held, record))
                          for record in page)
            for batch in _batches(chain([first[streamed]], streams[streamed]),
                                  self.page_size):
                self._emails, self._linked, self._by_email = {}, {}, (set(), {})
                candidates = self._known(held, spool.find(*self._wanted(streamed, batch)))
                pairs = self._pair_all({streamed: batch, held: candidates}, whole)
                spool.take([r.id for p in pairs if (r := p.records[held]) is not None])
                spool.take([r.id for r in candidates])
                if pairs:
                    yield pairs
            for leftovers in spool.leftovers(self.page_size):
                self._emails, self._linked, self._by_email = {}, {}, (set(), {})
                pairs = self._pair_all({held: self._known(held, leftovers), streamed: []},
                                       whole)
                if pairs:
                    yield pairs
        self._emails = {}

    def _news(self, side: Side, pages: Iterator[Page], asked: Collection[str]
              ) -> Iterator[Page]:
        """The pages without the records whose fingerprint is the one LeadSync remembers:
        its own writes read back, or changes to fields no pass reads (``connector.echo``)."""
        for page in pages:
            if self.printed is None or not page:
                yield page
                continue
            names, system = self.printed[side], self.systems[side].name
            known = self.store.fingerprints(self.connection, system, [r.id for r in page])
            news = [r for r in page if r.id not in known or r.id in asked
                    or of_record(r, names, self.seed) != known[r.id]]
            self.echoes[side] += len(page) - len(news)
            yield news

    def _known(self, side: Side, found: list[tuple[Record, str | None]]) -> list[Record]:
        """The records the spool gave, their emails (normalised when held) known again."""
        self._emails.update(((side, record.id), email) for record, email in found)
        return [record for record, _ in found]

    def _wanted(self, side: Side, batch: list[Record]
                ) -> tuple[list[str], list[str], list[str]]:
        """What the other side's held records that can pair with ``batch`` have: the ids
        linked to it (by id or email), the emails and the keys of its records."""
        there = other(side)
        emails = [e for r in batch if (e := self.email(side, r))]
        by_id = self._linked[side] = self.store.links_by_id(self.connection, side,
                                                            [r.id for r in batch])
        linked = [_id_of(link, there) for link in by_id.values()]
        linked += [_id_of(link, there) for link in self._links_by_email(emails).values()]
        keys = [self._key_for(side, r) for r in batch]
        return [i for i in linked if i], emails, keys

    def _links_by_email(self, emails: Iterable[str]) -> dict[str, Link]:
        """The links of these emails, each email looked up once a batch."""
        asked, found = self._by_email
        wanted = set(emails)
        missing = wanted - asked
        if missing:
            found.update(self.store.links_by_email(self.connection, missing))
            asked.update(missing)
        return {email: found[email] for email in wanted if email in found}

    def _pair_all(self, changed: Mapping[Side, list[Record]],
                  whole: Mapping[Side, bool]) -> list[Pair]:
        """Pair these changed records (one page of one side, what can pair with it on the
        other): by link, key and email, then live lookups and the linked counterparts."""
        records = {side: _latest([changed[side]]) for side in SIDES}
        pairs: dict[str, Pair] = {}
        by_id: dict[tuple[Side, str], Pair] = {}
        moved = self._merges(records, pairs)
        for side in SIDES:
            links = self._linked.pop(side, None)  # looked up for the batch (``_wanted``)
            if links is None:
                links = self.store.links_by_id(self.connection, side,
                                               [r.id for r in records[side]])
            links.update({record_id: link for (s, record_id), link in moved.items() if s == side})
            for record in records[side]:
                link = links.get(record.id)
                if link is None or (link.key in pairs and record.became is not None
                                    and _id_of(pairs[link.key].link or link, side) != record.id):
                    continue  # no link, or a merge's loser whose link moved to the survivor
                pair = pairs.get(link.key)
                if pair is None:
                    pair = pairs[link.key] = Pair(link.key, _empty(), link=link)
                self._place(pair, side, record, self.email(side, record))
                by_id[(side, record.id)] = pair
        unmatched = {side: [(r, self.email(side, r)) for r in records[side]
                            if (side, r.id) not in by_id] for side in SIDES}
        self._match_by_email(pairs, by_id, unmatched)
        takers = _takers(pairs)  # decided before a shard keeps its own, so all shards agree
        if self.owns is not None:  # a shard: the keys are settled, lookups are for its own
            pairs = {key: pair for key, pair in pairs.items() if self.owns(key)}
        self._look_up_by_email(pairs, whole, takers)
        self._fill_counterparts(pairs)
        ledgers = self.store.ledger(self.connection, list(pairs))
        for key, pair in pairs.items():
            pair.ledger = ledgers.get(key, {})
        return list(pairs.values())

    def _normalised(self, side: Side, record: Record) -> str | None:
        return normalize_email(record.fields.get(self.match_fields[side]))

    def email(self, side: Side, record: Record) -> str | None:
        """The record's match email, normalised once per record, kept on its pair."""
        known = (side, record.id)
        if known not in self._emails:
            self._emails[known] = self._normalised(side, record)
        return self._emails[known]

    @staticmethod
    def _place(pair: Pair, side: Side, record: Record, email: str | None) -> None:
        pair.place(side, record, email)
        pair.changed.add(side)

    def _match_by_email(self, pairs: dict[str, Pair], by_id: dict[tuple[Side, str], Pair],
                        unmatched: dict[Side, list[tuple[Record, str | None]]]) -> None:
        emails: dict[Side, dict[str, Record]] = {side: {} for side in SIDES}
        for side in SIDES:
            # A deleted or archived record no link pairs and without LeadSync's key was never
            # synced: there is nothing to follow, and matching it by email would flag a live
            # record on the other side as deleted.
            key_field = self.systems[side].key_field
            unmatched[side] = [(r, e) for r, e in unmatched[side]
                               if not r.deleted or r.fields.get(key_field)]
            sharing: dict[str, list[Record]] = {}
            for record, email in unmatched[side]:
                if email:
                    sharing.setdefault(email, []).append(record)
            for email, group in sharing.items():
                emails[side][email] = kept = winner(group)
                if len(group) > 1:
                    self.duplicates.add(self.systems[side].name, email, kept.id,
                                        [r.id for r in group if r is not kept])
            unmatched[side] = [(r, e) for r, e in unmatched[side]
                               if not e or emails[side][e] is r]
        stored = self._links_by_email(set(emails["marketing"]) | set(emails["crm"]))
        for side in SIDES:
            for record, email in unmatched[side]:
                link = stored.get(email) if email else None
                key = self._key_for(side, record)
                if link is not None and _id_of(link, side) in (None, record.id):
                    pair = pairs.setdefault(link.key, Pair(link.key, _empty(), link=link))
                elif key in pairs and pairs[key].records[side] is None:
                    pair = pairs[key]  # LeadSync's own key on both records: the same lead
                elif link is not None and key not in pairs:
                    # this email's lead is linked to another record on this side: it keeps it
                    self.duplicates.add(self.systems[side].name, str(email),
                                        str(_id_of(link, side)), [record.id])
                    continue
                elif email and email in emails[other(side)] and \
                        (other(side), emails[other(side)][email].id) in by_id:
                    pair = by_id[(other(side), emails[other(side)][email].id)]
                else:
                    pair = pairs[key] = Pair(key, _empty())
                held = pair.records[side]
                if held is not None and held.id != record.id:
                    if email:  # a second record with the same email: the linked one keeps it
                        self.duplicates.add(self.systems[side].name, email, held.id, [record.id])
                    continue
                self._place(pair, side, record, email)
                by_id[(side, record.id)] = pair

    def _look_up_by_email(self, pairs: dict[str, Pair], whole: Mapping[Side, bool],
                          takers: Mapping[tuple[Side, str], tuple[str, str]]) -> None:
        """Counterparts on the other side of records no link pairs, found live by email.

        A record found there that is linked to another lead sets aside every pair here
        wanting it (a duplicate); one that is not linked goes to the pair ``takers`` names for
        its email, the same in every shard, so no two leads ever pair with one record."""
        for side in SIDES:
            target = other(side)
            if whole[target]:
                continue  # the whole other side was read: no counterpart exists there
            wanted: dict[str, list[Pair]] = {}  # several leads here may share an email
            for p in pairs.values():
                if (address := _wanting(p, side)) is not None:
                    wanted.setdefault(address, []).append(p)
            if not wanted:
                continue
            found = self.systems[target].lookup(self.match_fields[target], list(wanted),
                                                self.fields(target))
            taken = self.store.links_by_id(self.connection, target, [r.id for r in found])
            for record in sorted(found, key=rank):
                email = self.email(target, record)
                for pair in () if email is None else wanted.get(email, ()):
                    self._counterpart(pairs, pair, side, record, email, taken,
                                      takers.get((side, str(email))))

    def _counterpart(self, pairs: dict[str, Pair], pair: Pair, side: Side, record: Record,
                     email: str | None, taken: Mapping[str, Link],
                     taker: tuple[str, str] | None) -> None:
        """Place ``record``, found by email on the other side, in ``pair``, unless another
        lead is linked to it (the pair is then set aside as a duplicate), another lead here
        takes it (``taker``), or the pair holds another record there already."""
        target = other(side)
        link = taken.get(record.id)
        if link is not None and link.key != pair.key:
            # the record that has this email there is linked to another lead here
            mine = pair.records[side]
            self.duplicates.add(self.systems[side].name, str(email),
                                str(_id_of(link, side)), [mine.id] if mine else [])
            pairs.pop(pair.key, None)
        elif link is None and taker is not None and taker[0] != pair.key:
            self.duplicates.add(self.systems[side].name, str(email), taker[1],
                                [r.id] if (r := pair.records[side]) else [])
        elif pair.records[target] is None:
            pair.place(target, record, email)
        elif (held_there := pair.records[target]) is not None and held_there.id != record.id:
            self.duplicates.add(self.systems[target].name, str(email), held_there.id,
                                [record.id])

    def _fill_counterparts(self, pairs: dict[str, Pair]) -> None:
        """Read the current state of linked counterparts that did not change this run."""
        for side in SIDES:
            missing = {linked: p for p in pairs.values()
                       if p.records[side] is None and (linked := p.linked_id(side))}
            if not missing:
                continue
            system = self.systems[side]
            for record in system.lookup(system.id_field, list(missing), self.fields(side)):
                if record.id in missing:
                    missing[record.id].place(side, record, self.email(side, record))
                    del missing[record.id]
            if missing and isinstance(system, Tombstones):  # deleted, archived, merged away
                for record in system.gone(list(missing), self.fields(side)):
                    if record.id in missing:
                        missing[record.id].place(side, record, None)

    def _merges(self, records: Mapping[Side, list[Record]], pairs: dict[str, Pair]
                ) -> dict[tuple[Side, str], Link]:
        """Follow the merges the changes show (``connector.identity.moves``): the links that
        move to a survivor, by (side, survivor id); a loser whose survivor is linked already
        gets its pair, with the loser as a deleted record, to be flagged on the other side."""
        moved: dict[tuple[Side, str], Link] = {}
        for side in SIDES:
            losers = {r.id: r.became for r in records[side] if r.deleted and r.became}
            survivors = {r.id: r for r in records[side] if not r.deleted}
            for record in survivors.values():
                losers.update({loser: record.id for loser in record.absorbed})
            if not losers:
                continue
            stored = self.store.links_by_id(self.connection, side,
                                            [*losers, *losers.values()])
            linked = {record_id: link.key for record_id, link in stored.items()}
            for move in moves({k: v for k, v in losers.items() if v}, linked, side):
                old = stored[move.loser]
                new = Link(old.key, move.survivor if side == "marketing" else old.marketing_id,
                           move.survivor if side == "crm" else old.crm_id, old.email)
                moved[(side, move.survivor)] = new
                pairs[new.key] = Pair(new.key, _empty(), link=new)
            read = {r.id for r in records[side]}
            for loser, survivor in losers.items():
                link = stored.get(loser)
                if link is None or link.key in pairs or loser in read or not survivor:
                    continue  # moved, or read as a deleted record: placed by its link
                stamp = survivors[survivor].modified_at if survivor in survivors else None
                if stamp is None:
                    continue
                gone = Record(self.systems[side].name, loser, {}, stamp, deleted=True,
                              became=survivor)
                pair = pairs[link.key] = Pair(link.key, _empty(), link=link)
                self._place(pair, side, gone, None)
        return moved

    def _key_for(self, side: Side, record: Record) -> str:
        key = record.fields.get(self.systems[side].key_field)
        return str(key) if key else derived_key(self.connection, side, record.id)


def _wanting(pair: Pair, side: Side) -> str | None:
    """The email by which ``pair``, holding only its ``side`` record and linked to nothing on
    the other side, looks its counterpart up; None when it looks nothing up."""
    target = other(side)
    if pair.records[side] is None or pair.records[target] is not None \
            or pair.linked_id(target) is not None:
        return None
    return pair.email(side)


def _takers(pairs: Mapping[str, Pair]) -> dict[tuple[Side, str], tuple[str, str]]:
    """For each email several pairs look up by, the one pair that may take an unlinked
    record found with it: the smallest key, with its record's id."""
    wanting: dict[tuple[Side, str], list[tuple[str, str]]] = {}
    for key, pair in pairs.items():
        for side in SIDES:
            if (address := _wanting(pair, side)) is not None and \
                    (record := pair.records[side]) is not None:
                wanting.setdefault((side, address), []).append((key, record.id))
    return {where: min(keys) for where, keys in wanting.items() if len(keys) > 1}


def _latest(pages: Iterable[Page]) -> list[Record]:
    """Every record the pages give, once, in first-seen order, at its latest version."""
    records: dict[str, Record] = {}
    for page in pages:
        records.update((r.id, r) for r in page)
    return list(records.values())


def _batches(pages: Iterable[Page], size: int) -> Iterator[list[Record]]:
    """The records of ``pages`` in batches of ``size`` (the last may be smaller)."""
    batch: list[Record] = []
    for page in pages:
        batch += page
        while len(batch) >= size:
            yield batch[:size]
            batch = batch[size:]
    if batch:
        yield batch


def _empty() -> dict[Side, Record | None]:
    return {"marketing": None, "crm": None}


def _id_of(link: Link, side: Side) -> str | None:
    return link.marketing_id if side == "marketing" else link.crm_id
