"""Evaluation half of the sandbox SOQL engine: syntax tree, type checking, predicates, ordering.

``soql.parse`` builds the tree defined here; ``Query.check`` hands it to :func:`compile_where`
and :func:`compile_order`, which resolve every field against the org's describe types once and
return plain closures, so matching a record never re-reads the query text.

Values are normalised per field category before comparing:

* string-like fields (id, string, email, picklist, ...): lower-cased text; ``''`` counts as null,
  since Salesforce never stores empty text;
* numbers: int/float; booleans: ``bool`` (a missing checkbox is false);
* date fields: the ``YYYY-MM-DD`` text (ISO text orders like the date itself);
* dateTime fields: POSIX seconds of the instant, so offsets in literals and stored values are
  normalised before comparing.

Relative date literals (TODAY, LAST_N_DAYS:n, ...) are ranges of whole UTC days, evaluated when
the query is compiled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]
SortKey = tuple[Callable[[Record], Any], bool, bool]


class SoqlError(Exception):
    """A query Salesforce would refuse; ``error_code`` is the REST ``errorCode``."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message


def located(text: str, pos: int, error_code: str, message: str) -> SoqlError:
    """An error in Salesforce's shape: the offending line, a caret, row and column, then why."""
    pos = max(0, min(pos, len(text)))
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start:] if end < 0 else text[start:end]
    row, col = text.count("\n", 0, pos) + 1, pos - start + 1
    cut = max(0, col - 1 - 60)  # Salesforce shows only the tail of a long line
    caret = " " * (col - 1 - cut) + "^"
    return SoqlError(error_code,
                     f"\n{line[cut:]}\n{caret}\nERROR at Row:{row}:Column:{col}\n{message}")


# ---------------------------------------------------------------------------------------------
# Syntax tree


@dataclass(frozen=True)
class Literal:
    """A value as written. ``kind``: string, number, boolean, null, date, datetime, relative.

    ``value`` is the decoded Python value: text (escapes resolved), int/float, bool, None,
    ``"YYYY-MM-DD"``, POSIX seconds, or ``(NAME, n)`` for a relative date literal.
    ``raw`` is the source text (for strings: the body between the quotes, escapes intact).
    """

    kind: str
    value: Any
    raw: str
    pos: int


@dataclass(frozen=True)
class Comparison:
    """``field op value``; ``op`` is one of = != < <= > >= LIKE IN "NOT IN"."""

    field: str
    op: str
    values: tuple[Literal, ...]
    pos: int


@dataclass(frozen=True)
class BoolOp:
    """A run of conditions joined by one operator, ``AND`` or ``OR``."""

    op: str
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Comparison | BoolOp | Not


# ---------------------------------------------------------------------------------------------
# String literals

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f",
            '"': '"', "'": "'", "\\": "\\", "%": "%", "_": "_"}


def scan_string(body: str) -> list[tuple[str, bool]]:
    """Decode a quoted string's body into (character, was_escaped) pairs.

    Raises ``ValueError(offset)`` at an escape SOQL does not define.
    """
    out: list[tuple[str, bool]] = []
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch != "\\":
            out.append((ch, False))
            i += 1
            continue
        nxt = body[i + 1:i + 2]
        if nxt.lower() in _ESCAPES and nxt:
            out.append((_ESCAPES[nxt.lower()], True))
            i += 2
        elif nxt in ("u", "U") and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2:i + 6]):
            out.append((chr(int(body[i + 2:i + 6], 16)), True))
            i += 6
        else:
            raise ValueError(i)
    return out


def decode_string(body: str) -> str:
    """The text of a string literal outside LIKE, where ``\\%`` and ``\\_`` keep their backslash."""
    return "".join("\\" + c if esc and c in "%_" else c for c, esc in scan_string(body))


def like_regex(body: str) -> re.Pattern[str]:
    """LIKE pattern: ``%`` any run, ``_`` one character, ``\\%``/``\\_`` literal; no case."""
    parts = []
    for c, esc in scan_string(body):
        if c == "%" and not esc:
            parts.append(".*")
        elif c == "_" and not esc:
            parts.append(".")
        else:
            parts.append(re.escape(c))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


# ---------------------------------------------------------------------------------------------
# Relative date literals

RELATIVE_DATES = frozenset({"YESTERDAY", "TODAY", "TOMORROW", "LAST_MONTH", "THIS_MONTH",
                            "NEXT_MONTH", "LAST_90_DAYS", "NEXT_90_DAYS", "LAST_YEAR",
                            "THIS_YEAR", "NEXT_YEAR"})
RELATIVE_DATES_N = frozenset({"LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO"})


def _month_start(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def date_range(name: str, n: int | None, today: date) -> tuple[date, date]:
    """The half-open range [start, end) of whole days a relative date literal stands for."""
    day = timedelta(days=1)
    k = 0 if n is None else n
    ranges: dict[str, Callable[[], tuple[date, date]]] = {
        "YESTERDAY": lambda: (today - day, today),
        "TODAY": lambda: (today, today + day),
        "TOMORROW": lambda: (today + day, today + 2 * day),
        "LAST_N_DAYS": lambda: (today - k * day, today + day),  # includes today
        "NEXT_N_DAYS": lambda: (today + day, today + (k + 1) * day),  # starts tomorrow
        "N_DAYS_AGO": lambda: (today - k * day, today - (k - 1) * day),
        "LAST_90_DAYS": lambda: (today - 90 * day, today + day),
        "NEXT_90_DAYS": lambda: (today + day, today + 91 * day),
        "LAST_MONTH": lambda: (_month_start(today, -1), _month_start(today, 0)),
        "THIS_MONTH": lambda: (_month_start(today, 0), _month_start(today, 1)),
        "NEXT_MONTH": lambda: (_month_start(today, 1), _month_start(today, 2)),
        "LAST_YEAR": lambda: (date(today.year - 1, 1, 1), date(today.year, 1, 1)),
        "THIS_YEAR": lambda: (date(today.year, 1, 1), date(today.year + 1, 1, 1)),
        "NEXT_YEAR": lambda: (date(today.year + 1, 1, 1), date(today.year + 2, 1, 1)),
    }
    return ranges[name]()


# ---------------------------------------------------------------------------------------------
# Field categories and value normalisation

_NUMBER_TYPES = frozenset({"int", "double", "currency", "percent", "long"})
_TYPE_NAMES = {"string": "string", "boolean": "boolean", "date": "date", "datetime": "dateTime"}


def category(sf_type: str) -> str:
    t = sf_type.lower()
    if t in _NUMBER_TYPES:
        return "number"
    return t if t in ("boolean", "date", "datetime") else "string"


def type_name(sf_type: str) -> str:
    """The type name Salesforce uses in filter error messages."""
    t = sf_type.lower()
    if t == "int":
        return "integer"
    return "double" if t in _NUMBER_TYPES else _TYPE_NAMES[category(t)]


def to_instant(v: Any) -> float | None:
    """POSIX seconds of a dateTime value (Salesforce text or datetime); naive means UTC."""
    if v is None or v == "":
        return None
    if isinstance(v, datetime):
        dt = v
    elif isinstance(v, date):
        dt = datetime(v.year, v.month, v.day)
    else:
        try:
            dt = datetime.fromisoformat(str(v))
        except ValueError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _norm_string(v: Any) -> str | None:
    if v is None or v == "":
        return None
    return v.lower() if isinstance(v, str) else str(v).lower()


def _norm_number(v: Any) -> float | int | None:
    if v is None or v == "":
        return None
    if isinstance(v, int | float):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _norm_bool(v: Any) -> bool:
    if isinstance(v, str):
        return v.lower() == "true"
    return bool(v)


def _norm_date(v: Any) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, datetime):
        v = v.date()
    return v.isoformat() if isinstance(v, date) else str(v)[:10]


NORMALISERS: dict[str, Callable[[Any], Any]] = {
    "string": _norm_string, "number": _norm_number, "boolean": _norm_bool,
    "date": _norm_date, "datetime": to_instant,
}


def _sort_string(v: Any) -> str | None:
    # Salesforce orders English text by the UTF-8 values of the upper-cased characters.
    if v is None or v == "":
        return None
    return v.upper() if isinstance(v, str) else str(v).upper()


SORT_KEYS: dict[str, Callable[[Any], Any]] = {**NORMALISERS, "string": _sort_string}


_MISSING = object()


def make_getter(path: str) -> Callable[[Record], Any]:
    """Read a field or dotted relationship path, matching keys case-insensitively.

    The key's spelling found in the first record is remembered, so the common case is one
    ``dict.get``. A missing key, or a missing or null parent on the path, reads as None.
    """
    parts = path.split(".")
    lowers = [p.lower() for p in parts]
    hints = list(parts)

    def lookup(d: Any, i: int) -> Any:
        if not isinstance(d, Mapping):
            return None
        v = d.get(hints[i], _MISSING)
        if v is not _MISSING:
            return v
        for k in d:
            if isinstance(k, str) and k.lower() == lowers[i]:
                hints[i] = k
                return d[k]
        return None

    if len(parts) == 1:
        def get_one(rec: Record) -> Any:
            v = rec.get(hints[0], _MISSING)
            return lookup(rec, 0) if v is _MISSING else v
        return get_one

    def get_path(rec: Record) -> Any:
        cur: Any = rec
        for i in range(len(parts)):
            cur = lookup(cur, i)
            if cur is None:
                return None
        return cur
    return get_path


# ---------------------------------------------------------------------------------------------
# Compilation


class _Compiler:
    def __init__(self, text: str, types: Mapping[str, str], now: datetime) -> None:
        self.text = text
        self.types = types
        self.today = now.astimezone(UTC).date()

    def node(self, node: Node) -> Predicate:
        if isinstance(node, Not):
            inner = self.node(node.item)
            return lambda r: not inner(r)
        if isinstance(node, BoolOp):
            preds = tuple(self.node(item) for item in node.items)
            if node.op == "AND":
                def conj(r: Record) -> bool:  # loops beat all()/any() generators per record
                    for p in preds:  # noqa: SIM110
                        if not p(r):
                            return False
                    return True
                return conj

            def disj(r: Record) -> bool:
                for p in preds:  # noqa: SIM110
                    if p(r):
                        return True
                return False
            return disj
        return self.comparison(node)

    def _mismatch(self, c: Comparison, sf_type: str) -> SoqlError:
        name = type_name(sf_type)
        quoted = "be enclosed in quotes" if name == "string" else "not be enclosed in quotes"
        return located(self.text, c.pos, "INVALID_FIELD",
                       f"value of filter criterion for field '{c.field}' must be of type "
                       f"{name} and should {quoted}")

    def literal(self, c: Comparison, lit: Literal, sf_type: str) -> Any:
        """The literal normalised like the field's values; a (lo, hi) tuple for a date range."""
        cat = category(sf_type)
        if lit.kind == "null":
            return None
        if lit.kind == "relative":
            if cat not in ("date", "datetime"):
                raise self._mismatch(c, sf_type)
            lo, hi = date_range(lit.value[0], lit.value[1], self.today)
            if cat == "date":
                return (lo.isoformat(), hi.isoformat())
            return (to_instant(lo), to_instant(hi))
        if lit.kind != cat:  # literal kinds are named like the field categories
            raise self._mismatch(c, sf_type)
        return NORMALISERS[cat](lit.value) if cat == "string" else lit.value

    def comparison(self, c: Comparison) -> Predicate:
        sf_type = self.types[c.field.lower()]
        cat = category(sf_type)
        get = make_getter(c.field)
        norm = NORMALISERS[cat]
        op = c.op
        if op == "LIKE":
            lit = c.values[0]
            if cat != "string":
                raise located(self.text, c.pos, "INVALID_FIELD",
                              f"invalid operator on field '{c.field}': LIKE needs a text field")
            if lit.kind == "null":
                return lambda r: False
            if lit.kind != "string":
                raise self._mismatch(c, sf_type)
            match = like_regex(lit.raw).fullmatch

            def like(r: Record) -> bool:
                v = get(r)
                return v is not None and match(v if isinstance(v, str) else str(v)) is not None
            return like
        values = [self.literal(c, lit, sf_type) for lit in c.values]
        if any(isinstance(v, tuple) for v in values):
            return self._ranged(get, norm, op, values)
        if op in ("IN", "NOT IN"):
            members = frozenset(values)
            if op == "IN":
                return lambda r: norm(get(r)) in members
            return lambda r: norm(get(r)) not in members
        x = values[0]
        if op == "=":
            return lambda r: norm(get(r)) == x
        if op == "!=":
            return lambda r: norm(get(r)) != x
        if x is None:  # ordering against null is never true
            return lambda r: False
        cmp = {"<": lambda v: v < x, "<=": lambda v: v <= x,
               ">": lambda v: v > x, ">=": lambda v: v >= x}[op]

        def ordered(r: Record) -> bool:
            v = norm(get(r))
            return v is not None and cmp(v)
        return ordered

    @staticmethod
    def _ranged(get: Callable[[Record], Any], norm: Callable[[Any], Any], op: str,
                values: list[Any]) -> Predicate:
        """Comparisons where a value is a date-literal range [lo, hi)."""
        def equal(v: Any, x: Any) -> bool:
            if isinstance(x, tuple):
                return v is not None and x[0] <= v < x[1]
            return v == x

        if op in ("=", "!=", "IN", "NOT IN"):
            negate = op in ("!=", "NOT IN")
            return lambda r: negate ^ any(equal(norm(get(r)), x) for x in values)
        lo, hi = values[0]
        cmp = {"<": lambda v: v < lo, "<=": lambda v: v < hi,
               ">": lambda v: v >= hi, ">=": lambda v: v >= lo}[op]

        def ordered(r: Record) -> bool:
            v = norm(get(r))
            return v is not None and cmp(v)
        return ordered


def compile_where(node: Node, text: str, types: Mapping[str, str], now: datetime) -> Predicate:
    """Type-check ``node`` against ``types`` (lower-cased paths) and return its predicate."""
    return _Compiler(text, types, now).node(node)


def compile_order(order_by: Iterable[tuple[str, bool, bool]],
                  types: Mapping[str, str]) -> list[SortKey]:
    """One (key function, ascending, nulls_first) per ORDER BY item; the key is None for null."""
    keys: list[SortKey] = []
    for path, asc, nulls_first in order_by:
        get = make_getter(path)
        conv = SORT_KEYS[category(types.get(path.lower(), "string"))]
        keys.append((_sort_key(get, conv), asc, nulls_first))
    return keys


def _sort_key(get: Callable[[Record], Any], conv: Callable[[Any], Any]) -> Callable[[Record], Any]:
    return lambda r: conv(get(r))


def sort_records(records: Iterable[Record], keys: list[SortKey]) -> list[Record]:
    """Stable multi-key sort.

    Each key column is replaced by integer ranks (direction and null placement folded in), so
    one sort over tuples of ints orders by every key at once.
    """
    rows = list(records)
    if not keys:
        return rows
    columns: list[list[int]] = []
    for key, asc, nulls_first in keys:
        values = [key(r) for r in rows]
        distinct = sorted({v for v in values if v is not None}, reverse=not asc)
        rank = {v: i for i, v in enumerate(distinct)}
        null_rank = -1 if nulls_first else len(distinct)
        columns.append([null_rank if v is None else rank[v] for v in values])
    ranks: list[Any] = columns[0] if len(columns) == 1 else list(zip(*columns, strict=True))
    return [rows[i] for i in sorted(range(len(rows)), key=ranks.__getitem__)]
