"""Recognising LeadSync's own writes when they are read back, without asking the other side.

After a pass, LeadSync remembers a fingerprint of each record it saw or wrote, per system: a
short hash of the fields a pass reads (LeadSync's key aside), each value in a canonical form
that holds across vendors' spellings (None and "", 5 and "5.0", True and "true", one instant
however it is written). A record read again with the same fingerprint carries nothing LeadSync
does not know: it is its own write coming back, or a change to a field nobody syncs. The
matcher drops it before looking up its counterpart, so the pass after a big first sync reads
its own writes but fetches and writes nothing for them.

The fingerprint of a record LeadSync updated is predicted from the record as read and the
values written; a record it created is fingerprinted as read back. A prediction that misses
(a vendor that rewrites a value, a flow that sets another field) only costs the ordinary path
on the next pass: the record is matched and planned as any changed record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from leadsync.connector.models import FieldValue, Record
from leadsync.connector.values import instant

_NUMERIC_START = frozenset("0123456789-+.")
_BOOLEAN_TEXTS = frozenset(("true", "false", "True", "False", "TRUE", "FALSE"))


def canonical(value: FieldValue) -> str:
    """``value`` as one text for every way the systems write it (see ``values.values_equal``)."""
    if value is None or value == "":
        return ""
    if value.__class__ is str:
        text: str = value  # most values: text that is neither a number nor a date
        if text[0] not in _NUMERIC_START:
            return text.lower() if text in _BOOLEAN_TEXTS else text
    elif isinstance(value, bool):
        return "true" if value else "false"
    elif isinstance(value, int | float):
        return _number(float(value))
    text = str(value)
    if text[0] in _NUMERIC_START:
        try:
            return _number(float(text))
        except ValueError:
            pass
        moment = instant(text)
        if moment is not None:
            return str(int(moment.timestamp() * 1000))
    lowered = text.lower()
    return lowered if lowered in ("true", "false") else text


def _number(number: float) -> str:
    return str(int(number)) if number.is_integer() else repr(number)


def fingerprint(fields: Mapping[str, FieldValue], names: Sequence[str], seed: str = "") -> str:
    """The fingerprint of ``fields`` over ``names`` (a field not there counts as blank);
    ``seed`` names what else it depends on (the mapping: a new one makes every print new)."""
    text = "\x1f".join([seed, *[canonical(fields.get(name)) for name in names]])
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def of_record(record: Record, names: Sequence[str], seed: str = "") -> str | None:
    """A record's fingerprint; None for a record no pass should skip (deleted, converted,
    merged)."""
    if record.deleted or record.read_only or record.became or record.absorbed:
        return None
    return fingerprint(record.fields, names, seed)


def after_write(current: Record | None, written: Mapping[str, FieldValue],
                names: Sequence[str], seed: str = "") -> str | None:
    """The fingerprint ``current`` will have once ``written`` is confirmed on it; None when
    it was not read (nothing to predict from)."""
    if current is None or current.deleted or current.read_only:
        return None
    return fingerprint({**current.fields, **written}, names, seed)
