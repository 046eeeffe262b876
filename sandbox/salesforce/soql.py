"""SOQL for the Salesforce emulator: parse a query, check it against describe types, run it.

Written from the SOQL and SOSL Reference. Supported::

    SELECT field[, field.path ...] | COUNT()
    FROM sObject
    [WHERE condition]
    [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...]
    [LIMIT n] [OFFSET n]

A condition is ``field op value``, ``field [NOT] IN (values)``, ``field LIKE 'pattern'``,
``NOT condition`` or ``( condition )``, joined by AND or OR; like Salesforce, mixing AND and OR
without parentheses is refused. Values are quoted strings with SOQL escapes, numbers, true,
false, null, dates (2024-01-15), dateTimes with a zone (2024-01-15T10:30:00Z, ...+01:00,
...000+0000) and the relative date literals in ``soql_eval.RELATIVE_DATES[_N]``.

How the app uses it::

    query = parse(text)                 # SoqlError(MALFORMED_QUERY, ...) on bad syntax
    if query.sobject unknown: raise query.invalid_type_error()
    query.check(types)                  # once; INVALID_FIELD on unknown fields / wrong literals
    rows = query.execute(records, types)   # or matches() per record, then sort(), then slice

``types`` maps lower-cased field names and relationship paths (``"owner.email"``) to describe
types. Evaluation rules are described in ``soql_eval``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from leadsync.sandbox.salesforce.soql_eval import (
    RELATIVE_DATES,
    RELATIVE_DATES_N,
    BoolOp,
    Comparison,
    Literal,
    Node,
    Not,
    Predicate,
    SoqlError,
    SortKey,
    compile_order,
    compile_where,
    decode_string,
    located,
    scan_string,
    sort_records,
)

__all__ = ["BoolOp", "Comparison", "Literal", "Node", "Not", "Query", "SoqlError", "parse"]

MAX_OFFSET = 2000

# Reserved words may not name a field or object; they print unquoted in "unexpected token".
RESERVED = frozenset({"AND", "ASC", "DESC", "EXCLUDES", "FIRST", "FROM", "GROUP", "HAVING",
                      "IN", "INCLUDES", "LAST", "LIKE", "LIMIT", "NOT", "NULL", "NULLS", "OR",
                      "SELECT", "WHERE", "WITH", "ORDER", "BY", "OFFSET", "TRUE", "FALSE"})

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:?\d{2}))
      (?![\w:.+-])
  | (?P<date>\d{4}-\d{2}-\d{2})(?![\w:.+-])
  | (?P<number>-?(?:\d+(?:\.\d+)?|\.\d+))(?![\w.:+-])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?![\w.])
  | (?P<op><>|!=|<=|>=|=|<|>)
  | (?P<punct>[(),:])
  | (?P<quote>')
""", re.VERBOSE)


@dataclass(frozen=True)
class _Token:
    kind: str  # ident, number, date, datetime, string, op, punct, eof
    text: str  # as written (a string's body without quotes)
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        m = _TOKEN.match(text, i)
        if m is None:
            bad = re.match(r"\S+", text[i:])
            word = bad.group(0) if bad else text[i]
            raise located(text, i, "MALFORMED_QUERY", f"unexpected token: '{word}'")
        kind = m.lastgroup or ""
        if kind == "quote":
            j = i + 1
            while j < n and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise located(text, i, "MALFORMED_QUERY",
                              f"unexpected token: '{text[i:i + 20]}' (unterminated string)")
            body = text[i + 1:j]
            try:
                scan_string(body)
            except ValueError as exc:
                at = i + 1 + exc.args[0]
                raise located(text, at, "MALFORMED_QUERY",
                              f"Invalid string literal '{body}'. Illegal character sequence "
                              f"'{text[at:at + 2]}' in string literal.") from None
            tokens.append(_Token("string", body, i))
            i = j + 1
            continue
        if kind != "ws":
            tokens.append(_Token(kind, m.group(kind), i))
        i = m.end()
    tokens.append(_Token("eof", "<EOF>", n))
    return tokens


@dataclass
class Query:
    """A parsed SELECT. ``order_by`` items are (path, ascending, nulls_first), defaults resolved:
    ascending puts nulls first, descending puts them last."""

    sobject: str
    fields: list[str]
    is_count: bool
    where: Node | None
    order_by: list[tuple[str, bool, bool]]
    limit: int | None
    offset: int | None
    text: str = field(default="", repr=False, compare=False)
    sobject_pos: int = field(default=0, repr=False, compare=False)
    # every field reference with its position, in source order (for INVALID_FIELD carets)
    field_refs: list[tuple[str, int]] = field(default_factory=list, repr=False, compare=False)
    _compiled: tuple[Mapping[str, str], Predicate | None, list[SortKey]] | None = field(
        default=None, init=False, repr=False, compare=False)

    def referenced_fields(self) -> set[str]:
        """Every field path used in SELECT, WHERE and ORDER BY, spelled as written."""
        return {path for path, _ in self.field_refs}

    def invalid_type_error(self) -> SoqlError:
        """The INVALID_TYPE error for an sObject the org does not have (the app raises it)."""
        return located(self.text, self.sobject_pos, "INVALID_TYPE",
                       f"sObject type '{self.sobject}' is not supported. If you are attempting "
                       "to use a custom object, be sure to append the '__c' after the entity "
                       "name. Please reference your WSDL or the describe call for the "
                       "appropriate names.")

    def check(self, types: Mapping[str, str], now: datetime | None = None) -> None:
        """Resolve every field against ``types`` and compile WHERE and ORDER BY.

        The app calls this once per query, before ``matches``/``sort``; it raises
        INVALID_FIELD for an unknown field or a literal of the wrong type. ``now`` (default: the
        current UTC time) anchors relative date literals such as TODAY.
        """
        lowered = {k.lower(): v for k, v in types.items()}
        for path, pos in self.field_refs:
            if path.lower() not in lowered:
                raise self._unknown_field(path, pos, lowered)
        pred = None
        if self.where is not None:
            pred = compile_where(self.where, self.text, lowered, now or datetime.now(UTC))
        self._compiled = (types, pred, compile_order(self.order_by, lowered))

    def _unknown_field(self, path: str, pos: int, types: Mapping[str, str]) -> SoqlError:
        parts = path.split(".")
        if len(parts) > 1:
            prefix = ".".join(parts[:-1]).lower() + "."
            if not any(k.startswith(prefix) for k in types):
                return located(self.text, pos, "INVALID_FIELD",
                               f"Didn't understand relationship '{'.'.join(parts[:-1])}' in "
                               "field path. If you are attempting to use a custom relationship,"
                               " be sure to append the '__r' after the custom relationship "
                               "name. Please reference your WSDL or the describe call for the "
                               "appropriate names.")
            entity = parts[-2]
        else:
            entity = self.sobject
        return located(self.text, pos, "INVALID_FIELD",
                       f"No such column '{parts[-1]}' on entity '{entity}'. If you are "
                       "attempting to use a custom field, be sure to append the '__c' after "
                       "the custom field name. Please reference your WSDL or the describe call "
                       "for the appropriate names.")

    def _ready(self, types: Mapping[str, str]) -> tuple[Predicate | None, list[SortKey]]:
        c = self._compiled
        if c is None or (c[0] is not types and c[0] != types):
            self.check(types)
            c = self._compiled
            assert c is not None
        return c[1], c[2]

    def matches(self, record: Mapping[str, Any], types: Mapping[str, str]) -> bool:
        """Whether ``record`` satisfies WHERE (compiles on first use or when types change)."""
        pred, _ = self._ready(types)
        return pred is None or pred(record)

    def sort(self, records: Iterable[Mapping[str, Any]],
             types: Mapping[str, str]) -> list[Mapping[str, Any]]:
        """The records in ORDER BY order (stable; input order when there is no ORDER BY)."""
        _, keys = self._ready(types)
        return sort_records(records, keys)

    def execute(self, records: Iterable[Mapping[str, Any]],
                types: Mapping[str, str]) -> list[Mapping[str, Any]]:
        """WHERE, ORDER BY, OFFSET and LIMIT applied; for COUNT() take ``len`` of the result."""
        pred, keys = self._ready(types)
        rows = list(records) if pred is None else [r for r in records if pred(r)]
        rows = sort_records(rows, keys) if keys else rows
        start = self.offset or 0
        end = None if self.limit is None else start + self.limit
        return rows[start:end]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.refs: list[tuple[str, int]] = []

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        tok = self.peek()
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def error(self, tok: _Token, message: str | None = None) -> SoqlError:
        if message is None:
            shown = tok.text if tok.text.upper() in RESERVED else f"'{tok.text}'"
            message = f"unexpected token: {shown}"
        return located(self.text, tok.pos, "MALFORMED_QUERY", message)

    def is_word(self, tok: _Token, *words: str) -> bool:
        return tok.kind == "ident" and tok.text.upper() in words

    def word(self, *words: str) -> str:
        tok = self.take()
        if not self.is_word(tok, *words):
            raise self.error(tok)
        return tok.text.upper()

    def at_punct(self, ch: str, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok.kind == "punct" and tok.text == ch

    def punct(self, ch: str) -> None:
        tok = self.take()
        if tok.kind != "punct" or tok.text != ch:
            raise self.error(tok)

    def name(self, dotted: bool = True) -> _Token:
        tok = self.take()
        if (tok.kind != "ident" or tok.text.upper() in RESERVED
                or (not dotted and "." in tok.text)):
            raise self.error(tok)
        return tok

    def field_path(self) -> str:
        tok = self.name()
        self.refs.append((tok.text, tok.pos))
        return tok.text

    def unsigned(self) -> int:
        tok = self.take()
        if tok.kind != "number" or not tok.text.isdigit():
            raise self.error(tok)
        return int(tok.text)

    def query(self) -> Query:
        self.word("SELECT")
        fields: list[str] = []
        is_count = False
        if self.is_word(self.peek(), "COUNT") and self.at_punct("(", 1):
            self.take()
            self.take()
            if not self.at_punct(")"):
                raise self.error(self.peek(), "aggregate functions other than COUNT() are "
                                 "not supported by the sandbox")
            self.punct(")")
            is_count = True
        else:
            seen: set[str] = set()
            while True:
                tok = self.peek()
                path = self.field_path()
                if path.lower() in seen:
                    raise self.error(tok, f"duplicate field selected: {path}")
                seen.add(path.lower())
                fields.append(path)
                if not self.at_punct(","):
                    break
                self.take()
        self.word("FROM")
        # GROUP is reserved (GROUP BY) yet names the Group object, as SOQL allows.
        obj = self.take() if self.is_word(self.peek(), "GROUP") else self.name(dotted=False)
        where = None
        if self.is_word(self.peek(), "WHERE"):
            self.take()
            where = self.condition()
        order_by: list[tuple[str, bool, bool]] = []
        if self.is_word(self.peek(), "ORDER"):
            self.take()
            self.word("BY")
            order_by.append(self.order_item())
            while self.at_punct(","):
                self.take()
                order_by.append(self.order_item())
        limit = offset = None
        if self.is_word(self.peek(), "LIMIT"):
            self.take()
            limit = self.unsigned()
        if self.is_word(self.peek(), "OFFSET"):
            tok = self.take()
            offset = self.unsigned()
            if offset > MAX_OFFSET:
                raise located(self.text, tok.pos, "NUMBER_OUTSIDE_VALID_RANGE",
                              f"Maximum SOQL offset allowed is {MAX_OFFSET}")
        if self.peek().kind != "eof":
            raise self.error(self.peek())
        return Query(sobject=obj.text, fields=fields, is_count=is_count, where=where,
                     order_by=order_by, limit=limit, offset=offset, text=self.text,
                     sobject_pos=obj.pos, field_refs=self.refs)

    def order_item(self) -> tuple[str, bool, bool]:
        path = self.field_path()
        asc = True
        if self.is_word(self.peek(), "ASC", "DESC"):
            asc = self.take().text.upper() == "ASC"
        nulls_first = asc
        if self.is_word(self.peek(), "NULLS"):
            self.take()
            nulls_first = self.word("FIRST", "LAST") == "FIRST"
        return path, asc, nulls_first

    def condition(self) -> Node:
        items = [self.unary()]
        op: str | None = None
        while self.is_word(self.peek(), "AND", "OR"):
            tok = self.take()
            if op is not None and tok.text.upper() != op:
                raise self.error(tok)  # AND and OR mixed without parentheses
            op = tok.text.upper()
            items.append(self.unary())
        return items[0] if op is None else BoolOp(op, tuple(items))

    def unary(self) -> Node:
        tok = self.peek()
        if self.is_word(tok, "NOT"):
            self.take()
            return Not(self.unary())
        if self.at_punct("("):
            self.take()
            inner = self.condition()
            self.punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        pos = self.peek().pos
        path = self.field_path()
        tok = self.take()
        if tok.kind == "op":
            op = "!=" if tok.text == "<>" else tok.text
            return Comparison(path, op, (self.literal(),), pos)
        if self.is_word(tok, "LIKE"):
            return Comparison(path, "LIKE", (self.literal(),), pos)
        if self.is_word(tok, "NOT"):
            self.word("IN")
            return Comparison(path, "NOT IN", self.literal_list(), pos)
        if self.is_word(tok, "IN"):
            return Comparison(path, "IN", self.literal_list(), pos)
        if self.is_word(tok, "INCLUDES", "EXCLUDES"):
            raise self.error(tok, f"{tok.text.upper()} is not supported by the sandbox")
        raise self.error(tok)

    def literal_list(self) -> tuple[Literal, ...]:
        self.punct("(")
        if self.is_word(self.peek(), "SELECT"):
            raise self.error(self.peek(), "semi-join subqueries are not supported by the sandbox")
        values = [self.literal()]
        while self.at_punct(","):
            self.take()
            values.append(self.literal())
        self.punct(")")
        return tuple(values)

    def literal(self) -> Literal:
        tok = self.take()
        kind, text = tok.kind, tok.text
        try:
            if kind == "string":
                return Literal("string", decode_string(text), text, tok.pos)
            if kind == "number":
                value: Any = float(text) if "." in text else int(text)
                return Literal("number", value, text, tok.pos)
            if kind == "date":
                return Literal("date", date.fromisoformat(text).isoformat(), text, tok.pos)
            if kind == "datetime":
                return Literal("datetime", datetime.fromisoformat(text).timestamp(), text,
                               tok.pos)
        except ValueError:
            raise self.error(tok, f"invalid date: {text}") from None
        upper = text.upper()
        if kind == "ident" and upper in ("TRUE", "FALSE"):
            return Literal("boolean", upper == "TRUE", text, tok.pos)
        if kind == "ident" and upper == "NULL":
            return Literal("null", None, text, tok.pos)
        if kind == "ident" and upper in RELATIVE_DATES:
            return Literal("relative", (upper, None), text, tok.pos)
        if kind == "ident" and upper in RELATIVE_DATES_N:
            self.punct(":")
            n = self.unsigned()
            return Literal("relative", (upper, n), f"{text}:{n}", tok.pos)
        raise self.error(tok)


def parse(text: str) -> Query:
    """Parse one SOQL SELECT; raises SoqlError (MALFORMED_QUERY, NUMBER_OUTSIDE_VALID_RANGE)."""
    return _Parser(text).query()
