"""The Query and QueryAll resources: SOQL run over the org's records, paged by query locators.

A result holds at most the batch size (2,000 unless ``Sforce-Query-Options: batchSize=N`` asks
for 200 to 2,000) records; the rest wait behind ``nextRecordsUrl``
(``/services/data/vXX.X/query/01g...-2000``) until read. ``query`` leaves out deleted records,
``queryAll`` includes them. Records carry ``attributes`` and the selected fields under their
canonical names; a relationship path such as ``Owner.Email`` comes back as a nested object with
its own attributes.

A query's whole result is computed once, when it is run, and held behind its locator; records
are shaped for the answer a page at a time. A query bounded on ``SystemModstamp`` and ordered by
it first reads only the records of that range, from the org's ``modstamps`` index.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from leadsync.sandbox.http import json_response
from leadsync.sandbox.salesforce import ids, soql
from leadsync.sandbox.salesforce.errors import ApiError
from leadsync.sandbox.salesforce.modstamps import stamp_text
from leadsync.sandbox.salesforce.schema import Field, SObjectType, target_of

if TYPE_CHECKING:
    from leadsync.sandbox.salesforce.org import SalesforceOrg

DEFAULT_BATCH = 2000
MIN_BATCH = 200
MAX_OPEN_CURSORS = 50
_BATCH = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)
_LOCATOR = re.compile(r"(01g[A-Za-z0-9]{15})-(\d+)")

Record = dict[str, Any]


@dataclass
class Source:
    """Where a query reads: the objects, their live and deleted rows, and record lookup."""

    sobject: Callable[[str], SObjectType | None]
    target: Callable[[Field], SObjectType]
    rows: Callable[[str, bool], Iterable[Record]]
    locate: Callable[[str], tuple[str, Record] | None]
    url_base: str  # "/services/data/v59.0/sobjects" or ".../tooling/sobjects"
    # the rows stamped within (low, high) seconds, by (SystemModstamp, creation): an index
    stamped: Callable[[str, bool, float | None, float | None], list[Record]] | None = None


Row = Mapping[str, Any]  # a stored record, or a view of one with its relationships
Shape = Callable[[Row], Record]


class Cursors:
    """Open query locators, each holding the whole result until evicted (oldest first)."""

    def __init__(self) -> None:
        self._open: OrderedDict[str, tuple[list[Row], int, Shape]] = OrderedDict()
        self._count = 0

    def open(self, rows: list[Row], batch: int, shape: Shape) -> str:
        self._count += 1
        locator = ids.make_id("01g", self._count)
        self._open[locator] = (rows, batch, shape)
        while len(self._open) > MAX_OPEN_CURSORS:
            self._open.popitem(last=False)
        return locator

    def get(self, locator: str) -> tuple[list[Row], int, Shape] | None:
        return self._open.get(locator)

    def clear(self) -> None:
        self._open.clear()


def batch_size(request: Request) -> int:
    m = _BATCH.search(request.headers.get("Sforce-Query-Options", ""))
    return min(max(int(m.group(1)), MIN_BATCH), DEFAULT_BATCH) if m else DEFAULT_BATCH


def run(source: Source, cursors: Cursors, text: str, include_deleted: bool, batch: int,
        endpoint: str) -> dict[str, Any]:
    """The first page of a query's result; raises ApiError for a query the org refuses."""
    try:
        query = soql.parse(text)
        sobject = source.sobject(query.sobject)
        if sobject is None:
            raise query.invalid_type_error()
        types, chains = _types(source, sobject, query.referenced_fields())
        query.check(types)
        found: list[Row] | None = None
        if not chains:
            found = _from_index(source, sobject.name, query, types, include_deleted)
        if found is None:
            rows: Iterable[Record] = source.rows(sobject.name, include_deleted)
            if chains:
                rows = [_with_relationships(source, r, sobject, chains) for r in rows]
            found = query.execute(rows, types)
    except soql.SoqlError as error:
        raise ApiError(400, error.error_code, error.message) from None
    if query.is_count:
        return {"totalSize": len(found), "done": True, "records": []}

    def shape(record: Row) -> Record:
        return _shape(source, sobject, record, query.fields)

    return page(cursors, found, batch, endpoint, 0, source.url_base, shape)


def _from_index(source: Source, sobject: str, query: soql.Query, types: dict[str, str],
                include_deleted: bool) -> list[Row] | None:
    """The query's result from the SystemModstamp index, or None when it cannot be used: WHERE
    must bound SystemModstamp with AND and ORDER BY must start with SystemModstamp ascending."""
    order = [(path.lower(), ascending) for path, ascending, _ in query.order_by]
    if source.stamped is None or not order or order[0] != ("systemmodstamp", True):
        return None
    bounds = _stamp_bounds(query.where)
    if bounds is None:
        return None
    low, high, only_stamps = bounds
    candidates: list[Row] = list(source.stamped(sobject, include_deleted, low, high))
    if only_stamps:
        # Records strictly inside the (millisecond-rounded) range meet every bound; only those
        # on its edges need the WHERE.
        edges = {stamp_text(low, up=False) if low is not None else None,
                 stamp_text(high, up=True) if high is not None else None}
        rows = [r for r in candidates if r["SystemModstamp"] not in edges
                or query.matches(r, types)]
    else:
        rows = [r for r in candidates if query.matches(r, types)]
    if order == [("systemmodstamp", True), ("id", True)]:
        # Ids sort as upper-cased text; the index holds equal stamps in creation order.
        if any(a["SystemModstamp"] == b["SystemModstamp"] for a, b in pairwise(rows)):
            rows.sort(key=lambda r: (r["SystemModstamp"], str(r["Id"]).upper()))
    elif order != [("systemmodstamp", True)]:
        rows = query.sort(rows, types)
    start = query.offset or 0
    return rows[start:None if query.limit is None else start + query.limit]


def _stamp_bounds(where: soql.Node | None) -> tuple[float | None, float | None, bool] | None:
    """The widest (low, high) POSIX seconds the AND-ed SystemModstamp comparisons of WHERE
    allow (the query's own WHERE still decides), and whether WHERE is only such comparisons;
    None when nothing bounds it."""
    low: float | None = None
    high: float | None = None
    conjuncts = [where] if where is not None else []
    bounded, only_stamps = False, True
    while conjuncts:
        node = conjuncts.pop()
        if isinstance(node, soql.BoolOp) and node.op == "AND":
            conjuncts.extend(node.items)
            continue
        if not (isinstance(node, soql.Comparison) and node.field.lower() == "systemmodstamp"
                and node.op in (">", ">=", "<", "<=", "=")
                and node.values[0].kind == "datetime"):
            only_stamps = False
            continue
        moment = float(node.values[0].value)
        if node.op in (">", ">=", "="):
            low = moment if low is None else max(low, moment)
        if node.op in ("<", "<=", "="):
            high = moment if high is None else min(high, moment)
        bounded = True
    return (low, high, only_stamps) if bounded else None


def page(cursors: Cursors, rows: list[Row], batch: int, endpoint: str, offset: int,
         url_base: str, shape: Shape, locator: str | None = None) -> dict[str, Any]:
    end = offset + batch
    body: dict[str, Any] = {"totalSize": len(rows), "done": end >= len(rows)}
    if end < len(rows):
        locator = locator or cursors.open(rows, batch, shape)
        api_root = url_base.rsplit("/sobjects", 1)[0]
        body["nextRecordsUrl"] = f"{api_root}/{endpoint}/{locator}-{end}"
    body["records"] = [shape(record) for record in rows[offset:end]]
    return body


def more(cursors: Cursors, locator_text: str, endpoint: str, url_base: str) -> dict[str, Any]:
    """A later page: ``01g...-2000`` is the locator and the offset of the page's first row."""
    m = _LOCATOR.fullmatch(locator_text)
    held = cursors.get(m.group(1)) if m else None
    if m is None or held is None or int(m.group(2)) > len(held[0]):
        raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    rows, batch, shape = held
    return page(cursors, rows, batch, endpoint, int(m.group(2)), url_base, shape, m.group(1))


def _types(source: Source, sobject: SObjectType,
           paths: Iterable[str]) -> tuple[dict[str, str], list[tuple[str, ...]]]:
    """Describe types by lower-cased field and path, and the relationship chains the paths use."""
    types = {name.lower(): f.type for name, f in sobject.fields.items()}
    chains: list[tuple[str, ...]] = []
    for path in paths:
        parts = path.split(".")
        current, prefix, chain = sobject, "", []
        for part in parts[:-1]:
            f = current.relationship(part)
            if f is None:
                break
            current = source.target(f)
            prefix += part.lower() + "."
            chain.append(f.relationship_name or part)
            types.update({prefix + name.lower(): g.type for name, g in current.fields.items()})
            if tuple(chain) not in chains:
                chains.append(tuple(chain))
    return types, chains


def _with_relationships(source: Source, record: Record, sobject: SObjectType,
                        chains: list[tuple[str, ...]]) -> Record:
    """A view of ``record`` with each referenced relationship as a nested record."""
    view = dict(record)
    for chain in chains:
        holder, current = view, sobject
        for name in chain:
            f = current.relationship(name)
            if f is None or not isinstance(holder, dict):
                break
            if name not in holder:
                holder[name] = _related(source, f, holder.get(f.name))
            holder, current = holder[name], source.target(f)
    return view


def _related(source: Source, f: Field, record_id: Any) -> Record | None:
    found = source.locate(record_id) if isinstance(record_id, str) else None
    if found is None:
        return None
    sobject, record = found
    attributes = {"type": sobject, "url": f"{source.url_base}/{sobject}/{record['Id']}"}
    if not f.polymorphic:
        return {"attributes": attributes, **record}
    entity = source.target(f)
    nested = {name: record.get(name) for name in entity.fields}
    # The Name entity's Type: the object's name, or "Queue" for a queue (a Group).
    nested["Type"] = "Queue" if sobject == "Group" and record.get("Type") == "Queue" else sobject
    return {"attributes": attributes, **nested}


def _shape(source: Source, sobject: SObjectType, record: Mapping[str, Any],
           fields: list[str]) -> Record:
    """The record as the API returns it: attributes, then the selected fields as selected."""
    out: Record = {"attributes": {"type": sobject.name,
                                  "url": f"{source.url_base}/{sobject.name}/{record['Id']}"}}
    for path in fields:
        parts = path.split(".")
        holder_in: Any = record
        holder_out = out
        current = sobject
        for part in parts[:-1]:
            f = current.relationship(part)
            assert f is not None and f.relationship_name is not None
            name = f.relationship_name
            holder_in = holder_in.get(name) if isinstance(holder_in, dict) else None
            if holder_in is None:
                holder_out[name] = None
                break
            if not isinstance(holder_out.get(name), dict):
                holder_out[name] = {"attributes": holder_in["attributes"]}
            holder_out = holder_out[name]
            current = source.target(f)
        else:
            g = current.field(parts[-1])
            assert g is not None
            holder_out[g.name] = holder_in.get(g.name) if isinstance(holder_in, dict) else None
    return out


def org_source(org: SalesforceOrg) -> Source:
    """The org's data records as a query source."""
    def rows(name: str, include_deleted: bool) -> Iterable[Record]:
        records = org.records[name].values()
        if include_deleted and "IsDeleted" in org.objects[name].fields:
            return records
        return [r for r in records if not r.get("IsDeleted")]  # setup objects: gone for good

    def target(f: Field) -> SObjectType:
        name = target_of(f)
        return org.name_entity if name == org.name_entity.name else org.objects[name]

    def stamped(name: str, include_deleted: bool, low: float | None,
                high: float | None) -> list[Record]:
        table = org.records[name]
        found = [table[i] for i in org.modstamps[name].between(low, high)]
        if include_deleted and "IsDeleted" in org.objects[name].fields:
            return found
        return [r for r in found if not r.get("IsDeleted")]

    return Source(sobject=org.sobject, target=target, rows=rows, locate=org.locate,
                  url_base=f"/services/data/v{org.api_version}/sobjects", stamped=stamped)


def handle_query(org: SalesforceOrg, request: Request, include_deleted: bool) -> Response:
    text = request.args.get("q")
    endpoint = "queryAll" if include_deleted else "query"
    if not text:
        raise ApiError(400, "MALFORMED_QUERY", "A query string must be provided.")
    body = run(org_source(org), org.cursors, text, include_deleted, batch_size(request), endpoint)
    return json_response(body)


def handle_more(org: SalesforceOrg, request: Request, locator: str,
                include_deleted: bool) -> Response:
    endpoint = "queryAll" if include_deleted else "query"
    return json_response(more(org.cursors, locator, endpoint, org_source(org).url_base))
