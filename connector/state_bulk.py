"""The state store's many rows at once, on PostgreSQL.

Writes: the rows of a chunk travel as one JSON document and ``json_populate_recordset`` turns
them back into rows of the table on the server. A plain ``executemany`` sends, and PostgreSQL
executes, one statement per row: six a record in a first sync (ledger twice, links,
fingerprints twice, audit), most of the server's work per record. One statement per chunk
does the same writes for a fraction of it, and the client serialises the chunk once, with
orjson (arrays in psycopg's text format are escaped element by element in Python, slower
than the statements they save).

What lands is what ``executemany`` wrote: a JSON column given ``None`` holds JSON ``null``, as
SQLAlchemy's JSON type stores it. A chunk holding a NUL character (PostgreSQL's JSON parser
refuses ``\\u0000`` where text must come out of it) is written by ``executemany``.

Lookups (``among``): thousands of ids, emails or keys bind one array, ``column = ANY(...)``,
instead of one parameter each. SQLite keeps ``IN`` and ``executemany``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from functools import lru_cache
from operator import itemgetter
from typing import Any, TypeVar

import orjson
from sqlalchemy import ARRAY, JSON, String, Table, any_, bindparam, cast, insert, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.elements import ColumnElement, TextClause

T = TypeVar("T")


def bulk_upsert(tx: Connection, table: Table, rows: Sequence[Mapping[str, Any]],
                keys: Sequence[str], changing: Mapping[str, str] | Sequence[str]) -> None:
    """INSERT ... ON CONFLICT (``keys``) DO UPDATE, one statement for ``rows`` (which all
    have the same columns).

    ``changing`` names the columns a conflict updates to the new row's value, or maps each to
    the SQL expression it takes (``EXCLUDED.<column>`` is the new row's). A key given twice
    keeps its last row, as one statement per row in order would.
    """
    if not rows:
        return
    key_of = itemgetter(*keys)
    last = list({key_of(row): row for row in rows}.values())
    updates = (dict(changing) if isinstance(changing, Mapping)
               else {name: f"EXCLUDED.{_quoted(tx.dialect, name)}" for name in changing})
    statement = _statement(tx.dialect, table, tuple(rows[0]), tuple(keys),
                           tuple(updates.items()))
    document = _document(last)
    if document is None:
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        plain = postgresql_insert(table)
        tx.execute(plain.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: text(expression) for name, expression in updates.items()}), last)
    else:
        tx.execute(statement, {"rows": document})


def bulk_insert(tx: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT of ``rows`` (which all have the same columns), in one statement."""
    if not rows:
        return
    document = _document(rows)
    if document is None:
        tx.execute(insert(table), list(rows))
    else:
        tx.execute(_statement(tx.dialect, table, tuple(rows[0]), (), ()), {"rows": document})


def among(column: ColumnElement[Any], values: list[str], dialect: Dialect
          ) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``column = ANY(array)``, one parameter that the
    server plans once instead of one per value (several times cheaper at thousands of
    values, on both ends)."""
    if dialect.name == "postgresql":
        return column == any_(cast(bindparam(None, values, type_=ARRAY(String)),
                                   ARRAY(String)))
    return column.in_(values)


def lookup_size(dialect: Dialect) -> int:
    """How many values one lookup takes: SQLite binds each one (at most 32,766 a
    statement, and fewer on older builds), PostgreSQL one array."""
    return 5_000 if dialect.name == "postgresql" else 500


def chunks(items: list[T], size: int) -> Iterator[list[T]]:
    """``items`` in slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


@lru_cache(maxsize=128)
def _statement(dialect: Dialect, table: Table, names: tuple[str, ...], keys: tuple[str, ...],
               updates: tuple[tuple[str, str], ...]) -> TextClause:
    columns = ", ".join(_quoted(dialect, name) for name in names)
    values = ", ".join(
        f"COALESCE({_quoted(dialect, name)}, 'null'::json)"
        if isinstance(table.c[name].type, JSON) else _quoted(dialect, name) for name in names)
    sql = (f"INSERT INTO {_quoted(dialect, table.name)} ({columns}) SELECT {values} "
           f"FROM json_populate_recordset(NULL::{_quoted(dialect, table.name)}, "
           f"CAST(:rows AS JSON))")
    if keys:
        conflict = ", ".join(_quoted(dialect, name) for name in keys)
        sets = ", ".join(f"{_quoted(dialect, name)} = {expression}"
                         for name, expression in updates)
        sql += f" ON CONFLICT ({conflict}) DO UPDATE SET {sets}"
    return text(sql)


def _document(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """The rows as one JSON array; None when one holds a NUL character.

    orjson writes it several times faster than the standard library (a first sync sends
    kilobytes a record: the audit events twice, once before the call and once confirmed);
    what it refuses (an integer past 64 bits, a lone surrogate) goes through ``json``, which
    refuses a type neither knows, as SQLAlchemy's JSON type would."""
    try:
        document = orjson.dumps(rows, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        document = json.dumps(rows, default=_isoformat)
    return None if "\\u0000" in document else document


def _isoformat(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be written to the state store")


def _quoted(dialect: Dialect, name: str) -> str:
    return str(dialect.identifier_preparer.quote(name))
