"""Salesforce record ids: a three-character key prefix, a 15-character case-sensitive body and,
in the 18-character form the API returns, a three-character case-safe checksum suffix.

The suffix encodes, for each 5-character chunk of the 15-character id, which characters are
upper-case letters: bit i set when character i is in A-Z, the 5-bit number then read as one
character of ``A..Z0..5``. An id is accepted in either form; the org stores the 18-character one.
"""

from __future__ import annotations

import re
import string

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
SUFFIX_ALPHABET = string.ascii_uppercase + "012345"
POD = "8d"  # two characters standing for the instance, as in 0015g00000...
_ID = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")


def _suffix(id15: str) -> str:
    out = []
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(id15[chunk * 5:chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        out.append(SUFFIX_ALPHABET[bits])
    return "".join(out)


def make_id(prefix: str, number: int) -> str:
    """The 18-character id of the ``number``-th record with this key prefix."""
    body = []
    for _ in range(10):
        number, digit = divmod(number, 62)
        body.append(BASE62[digit])
    id15 = prefix + POD + "".join(reversed(body))
    return id15 + _suffix(id15)


def is_id(text: str) -> bool:
    """Whether ``text`` has the shape of a 15- or 18-character id."""
    return bool(_ID.fullmatch(text))


def to_18(text: str) -> str | None:
    """The 18-character form of a 15- or 18-character id; None if ``text`` is not shaped so.

    An 18-character id is matched on its first 15 characters, so its suffix may be any case.
    """
    if not is_id(text):
        return None
    id15 = text[:15]
    return id15 + _suffix(id15)
