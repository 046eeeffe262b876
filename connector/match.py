"""Stage 2 of a sync pass, matching: each changed record with its counterpart, as a ``Pair``.

A record is matched by its stored link, then by LeadSync's own key (``LeadSync_Id__c`` on the
Lead, ``leadsync_id`` on the contact, or the key derived from the id of the record it came
from), so a lost state store re-links everyone, then by normalised email: the links of earlier
runs, then the records read in this run, then a live lookup on the other side (skipped when the
other side was read whole: a counterpart it did not give does not exist). Linked counterparts
that did not change are read by id, and each pair gets its ledger. Each record's email is
normalised once, here, and handed on with its pair (``Pair.email``).

Matching a record read on one side with one read on the other by email needs every changed
record at hand, so this stage takes the changes as pages but keeps the whole changed set (and
its pairs) until it has matched them; it gives the pairs on in pages of ``page_size``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from leadsync.connector.changes import Page
from leadsync.connector.models import SIDES, Record, Side
from leadsync.connector.plan import Pair, derived_key, other
from leadsync.connector.ports import System
from leadsync.connector.store import Link, SyncState
from leadsync.connector.transforms import normalize_email


class Matcher:
    """Pairs changed records for one connection."""

    def __init__(self, store: SyncState, connection: str, systems: Mapping[Side, System],
                 fields: Callable[[Side], list[str]], match_fields: Mapping[Side, str],
                 page_size: int = 10_000) -> None:
        self.store, self.connection, self.systems = store, connection, systems
        self.fields, self.match_fields, self.page_size = fields, match_fields, page_size

    def pairs(self, changes: Mapping[Side, Iterable[Page]],
              whole: Mapping[Side, bool]) -> Iterator[list[Pair]]:
        """Pages of pairs for the changed records; ``whole`` tells the sides read in full."""
        found = self._pair_all(changes, whole)  # what matching needed besides is let go here
        for start in range(0, len(found), self.page_size):
            yield found[start:start + self.page_size]

    def _pair_all(self, changes: Mapping[Side, Iterable[Page]],
                  whole: Mapping[Side, bool]) -> list[Pair]:
        records = {side: _latest(changes[side]) for side in SIDES}
        pairs: dict[str, Pair] = {}
        by_id: dict[tuple[Side, str], Pair] = {}
        for side in SIDES:
            links = self.store.links_by_id(self.connection, side, [r.id for r in records[side]])
            for record in records[side]:
                link = links.get(record.id)
                if link is None:
                    continue
                pair = pairs.get(link.key)
                if pair is None:
                    pair = pairs[link.key] = Pair(link.key, _empty(), link=link)
                self._place(pair, side, record, self.email(side, record))
                by_id[(side, record.id)] = pair
        unmatched = {side: [(r, self.email(side, r)) for r in records[side]
                            if (side, r.id) not in by_id] for side in SIDES}
        self._match_by_email(pairs, by_id, unmatched)
        self._look_up_by_email(pairs, whole)
        self._fill_counterparts(pairs)
        ledgers = self.store.ledger(self.connection, list(pairs))
        for key, pair in pairs.items():
            pair.ledger = ledgers.get(key, {})
        return list(pairs.values())

    def email(self, side: Side, record: Record) -> str | None:
        """The record's match email, normalised: called once per record, kept on its pair."""
        return normalize_email(record.fields.get(self.match_fields[side]))

    @staticmethod
    def _place(pair: Pair, side: Side, record: Record, email: str | None) -> None:
        pair.place(side, record, email)
        pair.changed.add(side)

    def _match_by_email(self, pairs: dict[str, Pair], by_id: dict[tuple[Side, str], Pair],
                        unmatched: dict[Side, list[tuple[Record, str | None]]]) -> None:
        emails: dict[Side, dict[str, Record]] = {side: {} for side in SIDES}
        for side in SIDES:
            for record, email in unmatched[side]:
                if email:
                    emails[side].setdefault(email, record)
        stored = self.store.links_by_email(
            self.connection, set(emails["marketing"]) | set(emails["crm"]))
        for side in SIDES:
            for record, email in unmatched[side]:
                link = stored.get(email) if email else None
                key = self._key_for(side, record)
                if link is not None and _id_of(link, side) in (None, record.id):
                    pair = pairs.setdefault(link.key, Pair(link.key, _empty(), link=link))
                elif key in pairs and pairs[key].records[side] is None:
                    pair = pairs[key]  # LeadSync's own key on both records: the same lead
                elif email and email in emails[other(side)] and \
                        (other(side), emails[other(side)][email].id) in by_id:
                    pair = by_id[(other(side), emails[other(side)][email].id)]
                else:
                    pair = pairs[key] = Pair(key, _empty())
                held = pair.records[side]
                if held is not None and held.id != record.id:
                    continue  # a second record with the same email: first one wins the link
                self._place(pair, side, record, email)
                by_id[(side, record.id)] = pair

    def _look_up_by_email(self, pairs: dict[str, Pair], whole: Mapping[Side, bool]) -> None:
        """Counterparts on the other side of records no link pairs, found live by email."""
        for side in SIDES:
            target = other(side)
            if whole[target]:
                continue  # the whole other side was read: no counterpart exists there
            wanted = {address: p for p in pairs.values()
                      if p.records[side] is not None and p.records[target] is None
                      and p.linked_id(target) is None
                      and (address := p.email(side)) is not None}
            if not wanted:
                continue
            found = self.systems[target].lookup(self.match_fields[target], list(wanted),
                                                self.fields(target))
            for record in found:
                email = self.email(target, record)
                pair = None if email is None else wanted.get(email)
                if pair is not None and pair.records[target] is None:
                    pair.place(target, record, email)

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

    def _key_for(self, side: Side, record: Record) -> str:
        key = record.fields.get(self.systems[side].key_field)
        return str(key) if key else derived_key(self.connection, side, record.id)


def _latest(pages: Iterable[Page]) -> list[Record]:
    """Every record the pages give, once, in first-seen order, at its latest version."""
    records: dict[str, Record] = {}
    for page in pages:
        records.update((r.id, r) for r in page)
    return list(records.values())


def _empty() -> dict[Side, Record | None]:
    return {"marketing": None, "crm": None}


def _id_of(link: Link, side: Side) -> str | None:
    return link.marketing_id if side == "marketing" else link.crm_id
