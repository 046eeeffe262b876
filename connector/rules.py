"""The condition language of a lead definition, compiled once into plain closures.

A condition is a TOML table of exactly one form::

    { field = "title", matches = '\\b(vp|director)\\b' }    one test on one lead field
    { any = [...] }  { all = [...] }  { none = [...] }       a group of conditions
    { rule = "demo_request" }                                another rule's result

Field tests, by the field's declared type:

    string     equals not_equals in not_in contains starts_with ends_with matches present
    number     equals not_equals in not_in gt gte lt lte between present
    boolean    equals not_equals present
    date       equals not_equals gt gte lt lte between within_days older_than_days present
    datetime   (as date)

Meaning, decided once here and tested:

- Text is compared trimmed, NFKC-normalised and case-folded ("DIRECTOR", " director " and
  "Director" are equal; "STRASSE" equals "Straße"); ``case_sensitive = true`` keeps case.
  ``matches`` is a regular expression searched anywhere in the trimmed value, ignoring case
  unless ``case_sensitive = true``; anchor it with ``^...$`` to match the whole value. It runs
  in RE2 (``patterns``), in time linear in the value: backreferences and lookaround are refused
  at load, and ``\\w``, ``\\d``, ``\\s``, ``\\b`` are ASCII (``\\pL`` is any letter).
  ``contains``, ``starts_with`` and ``ends_with`` take one text or a list (any of them).
- A missing value is absent, ``None``, or empty/blank text. A value the field's type cannot read
  (``"lots"`` or ``"1,200"`` for a number, ``"2026-13-45"`` for a date) counts as missing too; the
  verdict lists such fields as unreadable. ``"1,200"`` is refused rather than guessed: the comma
  is a thousands separator in en-US and a decimal one in de-DE, and a guess can be off by 1,000.
- On a missing value every test is false except ``present = false``, ``not_equals`` and
  ``not_in`` (a missing title is not "Student"), and so ``none`` of tests on it is true. For
  "present and not X" write ``all = [{ field = F, present = true }, { field = F, not_equals = X}]``.
- Numbers given as text (``"250"``, ``" 1e3 "``) are read as numbers for number fields.
- ``between = [low, high]`` includes both ends. ``within_days = N`` is true for a date-time at or
  after ``now`` minus N days (so also for one after ``now``: clocks differ between systems);
  ``older_than_days = N`` is its exact opposite for a present value. Dates count calendar days
  from ``now``'s date. Date-times without an offset are taken as UTC; a date given to a
  date-time field is its midnight UTC.
- Booleans read true/false, yes/no, 1/0 (as text too).

Nothing from the file is evaluated as code: every condition becomes a closure over constants
prepared at load (folded text, frozensets, compiled patterns), reading a values list that an
evaluation fills once per lead.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from leadsync.connector.patterns import PatternError, compile_search

FIELD_TYPES = ("string", "number", "boolean", "date", "datetime")
_TIME_OPS = ("equals", "not_equals", "gt", "gte", "lt", "lte", "between", "within_days",
             "older_than_days", "present")
OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "string": ("equals", "not_equals", "in", "not_in", "contains", "starts_with", "ends_with",
               "matches", "present"),
    "number": ("equals", "not_equals", "in", "not_in", "gt", "gte", "lt", "lte", "between",
               "present"),
    "boolean": ("equals", "not_equals", "present"),
    "date": _TIME_OPS,
    "datetime": _TIME_OPS,
}
OPERATORS = tuple(dict.fromkeys(op for ops in OPERATORS_BY_TYPE.values() for op in ops))
GROUPS = ("any", "all", "none")
NOW, TODAY = 0, 1  # values[0]: now in POSIX seconds; values[1]: now's date as an ordinal

Values = list[Any]
Test = Callable[[Values, bytearray], bool]
Reader = Callable[[Any], Any]
_DAY = 86_400.0
_TRUE, _FALSE = frozenset({"true", "yes", "1"}), frozenset({"false", "no", "0"})
_WORDS = {"equals": "is", "not_equals": "is not", "in": "in", "not_in": "not in",
          "contains": "contains", "starts_with": "starts with", "ends_with": "ends with",
          "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


# Reading lead values: None for missing, ValueError for a value the type cannot read.

def read_exact(raw: Any) -> str | None:
    """Text trimmed and NFKC-normalised, case kept."""
    if raw.__class__ is not str:
        if isinstance(raw, bool):
            raw = "true" if raw else "false"
        elif isinstance(raw, int | float | str):
            raw = str(raw)
        else:
            raise ValueError(raw)
    text = raw.strip()
    if not text:
        return None
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def read_text(raw: Any) -> str | None:
    """Text trimmed, NFKC-normalised and case-folded: the form text is compared in."""
    if raw.__class__ is str and raw.isascii():
        text = raw.strip()
        return text.lower() if text else None
    exact = read_exact(raw)
    return exact.casefold() if exact else None


def read_number(raw: Any) -> float | int | None:
    kind = raw.__class__
    if kind is int:
        whole: int = raw
        return whole
    number: float
    if kind is float:
        number = raw
    elif kind is str:
        text = raw.strip()
        if not text:
            return None
        if "_" in text:
            raise ValueError(raw)
        number = float(text)
    elif isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise ValueError(raw)
    else:
        number = float(raw)
    if not math.isfinite(number):
        raise ValueError(raw)
    return number


def read_boolean(raw: Any) -> bool | None:
    if raw is True or raw is False:
        return raw
    if raw.__class__ is str:
        text = raw.strip().lower()
        if not text:
            return None
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
    elif raw.__class__ is int and raw in (0, 1):
        return raw == 1
    raise ValueError(raw)


def read_datetime(raw: Any) -> float | None:
    """POSIX seconds; text is ISO-8601 (``Z`` or an offset; none means UTC)."""
    if raw.__class__ is str:
        text = raw.strip()
        if not text:
            return None
        raw = datetime.fromisoformat(text)
    elif not isinstance(raw, datetime):
        if not isinstance(raw, date):
            raise ValueError(raw)
        raw = datetime(raw.year, raw.month, raw.day)
    if raw.tzinfo is None:
        raw = raw.replace(tzinfo=UTC)
    moment: datetime = raw
    return moment.timestamp()


def read_date(raw: Any) -> int | None:
    """A day ordinal; a date-time counts as the date written in it."""
    if raw.__class__ is str:
        text = raw.strip()
        if not text:
            return None
        raw = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    if isinstance(raw, datetime):
        return raw.date().toordinal()
    if isinstance(raw, date):
        return raw.toordinal()
    raise ValueError(raw)


READERS: dict[str, Reader] = {"string": read_text, "number": read_number,
                              "boolean": read_boolean, "date": read_date,
                              "datetime": read_datetime}


class Scope:
    """What conditions may name: the declared fields and the rules evaluated before them.

    It also lays out the values list: each (field, form) a condition reads gets one slot, so
    an evaluation reads and normalises each lead value once, whatever the number of rules.
    """

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = dict(fields)
        self.slots: dict[tuple[str, bool], int] = {}
        self.visible: dict[str, int] = {}  # rule name -> index of its result
        self.later: dict[str, str] = {}  # rules evaluated after the current one -> kind
        self.current = ""

    def slot(self, field: str, exact: bool = False) -> int:
        key = (field, exact and self.fields[field] == "string")
        if key not in self.slots:
            self.slots[key] = len(self.slots) + 2
        return self.slots[key]

    def size(self) -> int:
        return len(self.slots) + 2

    def plan(self) -> tuple[tuple[tuple[str, int, Reader], ...], tuple[tuple[str, int, int], ...]]:
        """How to fill the values list: (field, slot, reader) for fields read in one form, and
        (field, folded slot, exact slot) for text fields read in both, in slot order."""
        single, dual = [], []
        for (field, exact), slot in self.slots.items():
            other = self.slots.get((field, not exact))
            if other is None:
                single.append((field, slot, read_exact if exact else READERS[self.fields[field]]))
            elif exact:
                dual.append((field, other, slot))
        return tuple(single), tuple(dual)


@dataclass(frozen=True, slots=True)
class Condition:
    test: Test
    text: str  # how the condition reads in an explanation


class BadValue(Exception):
    """A test's value that does not fit its operator or field type; the message says why."""


def any_of(tests: list[Test]) -> Test:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda v, m: a(v, m) or b(v, m)
    if len(tests) == 3:
        a, b, c = tests
        return lambda v, m: a(v, m) or b(v, m) or c(v, m)
    frozen = tuple(tests)

    def test(v: Values, m: bytearray) -> bool:
        for one in frozen:  # noqa: SIM110 - a loop is faster than any() over a generator
            if one(v, m):
                return True
        return False
    return test


def all_of(tests: list[Test]) -> Test:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda v, m: a(v, m) and b(v, m)
    if len(tests) == 3:
        a, b, c = tests
        return lambda v, m: a(v, m) and b(v, m) and c(v, m)
    frozen = tuple(tests)

    def test(v: Values, m: bytearray) -> bool:
        for one in frozen:  # noqa: SIM110 - a loop is faster than all() over a generator
            if not one(v, m):
                return False
        return True
    return test


def negate(test: Test) -> Test:
    return lambda v, m: not test(v, m)


# Constants from the file, in the form lead values are compared in.

def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"{type(value).__name__} {value}"


def _constant(kind: str, value: Any, exact: bool) -> Any:
    try:
        if kind == "string" and isinstance(value, str):
            text = read_exact(value) if exact else read_text(value)
            if text is None:
                raise BadValue("needs non-empty text; an empty value counts as missing, so test "
                           "it with present = true or false")
            return text
        if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
            return read_number(value)
        if kind == "boolean" and isinstance(value, bool):
            return value
        if kind == "date" and isinstance(value, str | date) and not isinstance(value, datetime):
            return read_date(value)
        if kind == "datetime" and isinstance(value, str | date):
            return read_datetime(value)
    except ValueError:
        pass
    wanted = {"string": "text", "number": "a number", "boolean": "true or false",
              "date": "a date like 2026-11-02", "datetime": "a date-time like "
              "2026-11-02T09:00:00Z or a date"}[kind]
    raise BadValue(f"needs {wanted}, not {_describe(value)}")


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, date) else str(value)


def _texts(kind: str, value: Any, exact: bool) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) for item in items):
        raise BadValue("needs text or a non-empty list of texts")
    return tuple(_constant(kind, item, exact) for item in items)


def build_test(op: str, scope: Scope, field: str, kind: str, value: Any,
           exact: bool) -> tuple[Test, str]:
    """The closure for one field test, and how it reads."""
    if op == "present":
        if not isinstance(value, bool):
            raise BadValue(f"needs true or false, not {_describe(value)}")
        i = scope.slot(field)
        if value:
            return (lambda v, m: v[i] is not None), "is present"
        return (lambda v, m: v[i] is None), "is missing"
    if op == "matches":
        if not isinstance(value, str) or not value:
            raise BadValue("needs a regular expression as text")
        try:
            search = compile_search(value, ignore_case=not exact)
        except PatternError as exc:
            raise BadValue(str(exc)) from None
        i = scope.slot(field, exact=True)
        return ((lambda v, m: (x := v[i]) is not None and search(x)), f"matches /{value}/")
    if op in ("within_days", "older_than_days"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                0 <= value <= 100_000):
            raise BadValue(f"needs a number of days (0 or more), not {_describe(value)}")
        i = scope.slot(field)
        now, span = (NOW, value * _DAY) if kind == "datetime" else (TODAY, value)
        if op == "older_than_days":
            return ((lambda v, m: (x := v[i]) is not None and x < v[now] - span),
                    f"older than {value:g} days")
        return ((lambda v, m: (x := v[i]) is not None and x >= v[now] - span),
                f"within {value:g} days")
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise BadValue(f"needs two values [low, high], not {_describe(value)}")
        lo, hi = (_constant(kind, item, exact) for item in value)
        if lo > hi:
            raise BadValue(f"[{_show(value[0])}, {_show(value[1])}] is reversed: the low end "
                       "comes first")
        i = scope.slot(field)
        return ((lambda v, m: (x := v[i]) is not None and lo <= x <= hi),
                f"between {_show(value[0])} and {_show(value[1])}")
    i = scope.slot(field, exact)
    shown = f"{_WORDS[op]} {_show(value)}"
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise BadValue(f"needs a non-empty list, not {_describe(value)}")
        s = frozenset(_constant(kind, item, exact) for item in value)
        if op == "in":
            return (lambda v, m: v[i] in s), shown
        return (lambda v, m: v[i] not in s), shown
    if op in ("contains", "starts_with", "ends_with"):
        parts = _texts(kind, value, exact)
        if op == "starts_with":
            return (lambda v, m: (x := v[i]) is not None and x.startswith(parts)), shown
        if op == "ends_with":
            return (lambda v, m: (x := v[i]) is not None and x.endswith(parts)), shown
        if len(parts) == 1:
            part = parts[0]
            return (lambda v, m: (x := v[i]) is not None and part in x), shown
        return (lambda v, m: (x := v[i]) is not None and any(p in x for p in parts)), shown
    c = _constant(kind, value, exact)
    if op == "equals":
        return (lambda v, m: v[i] == c), shown
    if op == "not_equals":
        return (lambda v, m: v[i] != c), shown
    if op == "gt":
        return (lambda v, m: (x := v[i]) is not None and x > c), shown
    if op == "gte":
        return (lambda v, m: (x := v[i]) is not None and x >= c), shown
    if op == "lt":
        return (lambda v, m: (x := v[i]) is not None and x < c), shown
    return (lambda v, m: (x := v[i]) is not None and x <= c), shown


__all__ = ["FIELD_TYPES", "GROUPS", "NOW", "OPERATORS", "OPERATORS_BY_TYPE", "TODAY",
           "BadValue", "Condition", "Scope", "Test", "all_of", "any_of", "build_test", "negate",
           "read_boolean", "read_date", "read_datetime", "read_exact", "read_number",
           "read_text"]
