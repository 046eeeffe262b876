"""The CRM search endpoints' request: filter groups, free-text query, one sort, and paging.

As HubSpot documents its search: filter groups are ORed and the filters inside one group ANDed;
at most 5 groups, 6 filters in a group and 18 filters in all; one sort; at most 200 results a page;
and no paging past the 10,000th result. Archived records are never found. Datetime filters take
epoch milliseconds or ISO-8601. ``associations.contact`` filters engagements by associated contact.

The searches a connector makes are answered from the store's orders (``ordering``) in
O(log N + page): sorted ascending by the modification date with at most one filter group, all
of whose filters bound that date, and searches with neither filters, query nor sort (id order).
Any other search scans and sorts every live record; both give the same pages.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from leadsync.sandbox.hubspot import schema, timestamps
from leadsync.sandbox.hubspot.associations import Associations
from leadsync.sandbox.hubspot.errors import validation_error
from leadsync.sandbox.hubspot.ordering import HIGHEST, LOWEST, SortKey
from leadsync.sandbox.hubspot.store import ObjectStore, Record

MAX_GROUPS, MAX_GROUP_FILTERS, MAX_FILTERS = 5, 6, 18
MAX_LIMIT, MAX_RESULTS, DEFAULT_LIMIT = 200, 10_000, 10
MAX_QUERY_LENGTH = 3000
ONE_VALUE = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}
MANY_VALUES = {"IN", "NOT_IN"}
NO_VALUE = {"HAS_PROPERTY", "NOT_HAS_PROPERTY"}
OPERATORS = ONE_VALUE | MANY_VALUES | NO_VALUE | {"BETWEEN"}
ASSOCIATION_FILTER = re.compile(r"^associations\.(\w+)$")


def search(store: ObjectStore, associations: Associations, object_type: str,
           body: dict[str, Any]) -> dict[str, Any]:
    limit = _integer(body.get("limit", DEFAULT_LIMIT), "limit")
    offset = _integer(body.get("after") or 0, "after")
    if not 0 <= limit <= MAX_LIMIT:
        raise validation_error(f"limit must be between 0 and {MAX_LIMIT}, got {limit}")
    if offset >= MAX_RESULTS:
        raise validation_error(f"Paging past {MAX_RESULTS} results is not supported: the search "
                               f"endpoints return at most {MAX_RESULTS} results for a query.")
    query = str(body.get("query") or "")
    if len(query) > MAX_QUERY_LENGTH:
        raise validation_error(f"query must be at most {MAX_QUERY_LENGTH} characters long")
    groups = _filter_groups(store, object_type, body.get("filterGroups") or [])
    sort_name, descending = _sort(store, object_type, body.get("sorts") or [])
    properties = body.get("properties") or None
    if properties is not None and not isinstance(properties, list):
        raise validation_error("properties must be a list of property names")

    indexed = None if query else _indexed(store, object_type, groups, sort_name, descending,
                                          offset, limit)
    if indexed is not None:
        total, page = indexed
    else:
        found = _scan(store, associations, object_type, query, groups, sort_name, descending)
        total, page = len(found), found[offset:offset + limit]
    answer: dict[str, Any] = {
        "total": total,
        "results": [store.view(object_type, r, properties) for r in page],
    }
    if offset + limit < total:
        answer["paging"] = {"next": {"after": str(offset + limit)}}
    return answer


def _scan(store: ObjectStore, associations: Associations, object_type: str, query: str,
          groups: list[list[dict[str, Any]]], sort_name: str | None,
          descending: bool) -> list[Record]:
    """Every live record the search finds, in the search's order."""
    found = [r for r in store.live(object_type)
             if _matches_query(object_type, r, query)
             and (not groups or any(all(_matches(store, associations, object_type, r, f)
                                        for f in group) for group in groups))]
    if sort_name:
        kind = store.catalog.properties[object_type][sort_name]["type"]
        found.sort(key=lambda r: _sort_key(kind, r["properties"].get(sort_name, "")),
                   reverse=descending)
    else:
        found.sort(key=lambda r: int(r["id"]))
    return found


def _indexed(store: ObjectStore, object_type: str, groups: list[list[dict[str, Any]]],
             sort_name: str | None, descending: bool, offset: int,
             limit: int) -> tuple[int, list[Record]] | None:
    """(total, page) from the store's orders, or None for a search they cannot answer."""
    order = store.order[object_type]
    if sort_name is None and not groups:
        ids = order.live.ids
        return len(ids), store.by_ids(object_type, ids[offset:offset + limit])
    modified = schema.MODIFIED_PROPERTY[object_type]
    if sort_name != modified or descending or len(groups) > 1:
        return None
    if not groups or not groups[0]:
        start, end = 0, len(order.by_modified)
    else:
        bounds = _date_bounds(groups[0], modified)
        if bounds is None:
            return None
        start, end = order.range(*bounds)
    chosen = order.by_modified[start + offset:min(start + offset + limit, end)]
    return end - start, store.by_ids(object_type, (record_id for _, record_id in chosen))


def _date_bounds(filters: list[dict[str, Any]],
                 name: str) -> tuple[SortKey, bool, SortKey, bool] | None:
    """The (low, low open, high, high open) bounds the filters put on the date ``name``, or None
    when a filter is on anything else, is not a bound or has a value that is not a date."""
    low, low_open, high, high_open = LOWEST, False, HIGHEST, False
    for f in filters:
        operator = f.get("operator", "EQ")
        if f["propertyName"] != name or operator not in ("GT", "GTE", "LT", "LTE", "EQ",
                                                         "BETWEEN"):
            return None
        first = timestamps.millis(str(f["value"]))
        second = (timestamps.millis(str(f["highValue"])) if operator == "BETWEEN" else first)
        if first is None or second is None:
            return None
        if operator in ("GT", "GTE", "EQ", "BETWEEN"):
            key, is_open = (1, first), operator == "GT"
            if key > low or (key == low and is_open):
                low, low_open = key, is_open
        if operator in ("LT", "LTE", "EQ", "BETWEEN"):
            key, is_open = (1, second), operator == "LT"
            if key < high or (key == high and is_open):
                high, high_open = key, is_open
    return low, low_open, high, high_open


def _integer(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise validation_error(f"{name} must be an integer, got {value!r}") from None


def _filter_groups(store: ObjectStore, object_type: str, raw: Any) -> list[list[dict[str, Any]]]:
    if not isinstance(raw, list) or not all(isinstance(g, dict) for g in raw):
        raise validation_error("filterGroups must be a list of filter groups")
    if len(raw) > MAX_GROUPS:
        raise validation_error(f"Too many filter groups: {len(raw)}. A search may have at most "
                               f"{MAX_GROUPS} filterGroups.")
    groups = [g.get("filters") or [] for g in raw]
    for filters in groups:
        if len(filters) > MAX_GROUP_FILTERS:
            raise validation_error(f"Too many filters in a group: {len(filters)}. A filter group "
                                   f"may have at most {MAX_GROUP_FILTERS} filters.")
    total = sum(len(f) for f in groups)
    if total > MAX_FILTERS:
        raise validation_error(f"Too many filters: {total}. A search may have at most "
                               f"{MAX_FILTERS} filters in all its filterGroups.")
    for filters in groups:
        for f in filters:
            _check_filter(store, object_type, f)
    return groups


def _check_filter(store: ObjectStore, object_type: str, f: Any) -> None:
    if not isinstance(f, dict) or not f.get("propertyName"):
        raise validation_error("Each filter needs a propertyName and an operator")
    name, operator = str(f["propertyName"]), f.get("operator", "EQ")
    if operator not in OPERATORS:
        raise validation_error(f"Unknown filter operator {operator!r}")
    association = ASSOCIATION_FILTER.match(name)
    if association:
        target = schema.OBJECT_TYPE_ALIASES.get(association.group(1))
        if target is None or target == object_type:
            raise validation_error(f"Cannot filter on {name}")
    elif store.catalog.get(object_type, name) is None:
        raise validation_error(f'Property "{name}" does not exist on {object_type}: '
                               "it cannot be used in a filter.")
    if operator in ONE_VALUE and f.get("value") is None:
        raise validation_error(f"The {operator} filter on {name} needs a value")
    if operator in MANY_VALUES and not isinstance(f.get("values"), list):
        raise validation_error(f"The {operator} filter on {name} needs values")
    if operator == "BETWEEN" and (f.get("value") is None or f.get("highValue") is None):
        raise validation_error(f"The BETWEEN filter on {name} needs a value and a highValue")


def _sort(store: ObjectStore, object_type: str, sorts: Any) -> tuple[str | None, bool]:
    if not isinstance(sorts, list):
        raise validation_error("sorts must be a list")
    if len(sorts) > 1:
        raise validation_error(f"Too many sorts: {len(sorts)}. A search may sort by one "
                               "property only.")
    if not sorts:
        return None, False
    sort = sorts[0]
    if isinstance(sort, dict):
        name = str(sort.get("propertyName", ""))
        descending = sort.get("direction", "ASCENDING") == "DESCENDING"
    else:
        text = str(sort)
        name, descending = text.lstrip("-"), text.startswith("-")
    if store.catalog.get(object_type, name) is None:
        raise validation_error(f'Property "{name}" does not exist on {object_type}: it cannot '
                               "be used to sort.")
    return name, descending


def _matches_query(object_type: str, record: Record, query: str) -> bool:
    if not query:
        return True
    text = " ".join(record["properties"].get(n, "") for n in schema.QUERY_PROPERTIES[object_type])
    text = text.lower()
    return all(term in text for term in query.lower().split())


def _matches(store: ObjectStore, associations: Associations, object_type: str, record: Record,
             f: dict[str, Any]) -> bool:
    name, operator = str(f["propertyName"]), f.get("operator", "EQ")
    association = ASSOCIATION_FILTER.match(name)
    if association:
        target = schema.OBJECT_TYPE_ALIASES[association.group(1)]
        held = list(associations.targets(object_type, record["id"], target))
        kind = "enumeration"
    else:
        value = record["properties"].get(name, "")
        held = [v for v in value.split(";") if v] if value else []
        kind = store.catalog.properties[object_type][name]["type"]
        if kind != "enumeration":
            held = [value] if value else []
    if operator == "HAS_PROPERTY":
        return bool(held)
    if operator == "NOT_HAS_PROPERTY":
        return not held
    if operator in ("NEQ", "NOT_IN", "NOT_CONTAINS_TOKEN"):
        positive = {"NEQ": "EQ", "NOT_IN": "IN", "NOT_CONTAINS_TOKEN": "CONTAINS_TOKEN"}[operator]
        return not _matches(store, associations, object_type, record,
                            {**f, "operator": positive})
    if operator == "CONTAINS_TOKEN":
        pattern = str(f["value"]).lower()
        return any(_token_match(v.lower(), pattern) for v in held)
    if operator == "IN":
        wanted = {_comparable(kind, str(v)) for v in f["values"]}
        return any(_comparable(kind, v) in wanted for v in held)
    return any(_compare(kind, v, operator, f) for v in held)


def _compare(kind: str, held: str, operator: str, f: dict[str, Any]) -> bool:
    mine, value = _comparable(kind, held), _comparable(kind, str(f["value"]))
    try:
        if operator == "EQ":
            return bool(mine == value)
        if operator == "BETWEEN":
            return bool(value <= mine <= _comparable(kind, str(f["highValue"])))
        return bool({"LT": mine < value, "LTE": mine <= value, "GT": mine > value,
                     "GTE": mine >= value}[operator])
    except TypeError:  # a value of the wrong kind (e.g. text against a number) matches nothing
        return False


def _comparable(kind: str, value: str) -> Any:
    if kind == "number":
        try:
            return float(value)
        except ValueError:
            return value
    if kind in ("datetime", "date"):
        moment = timestamps.millis(value)
        return value if moment is None else moment
    return value.lower()


def _sort_key(kind: str, value: str) -> tuple[int, Any]:
    if not value:
        return (0, 0)
    comparable = _comparable(kind, value)
    return (1, comparable) if not isinstance(comparable, str) else (2, comparable)


def _token_match(value: str, pattern: str) -> bool:
    if "*" in pattern:
        return fnmatch.fnmatchcase(value, pattern) or any(
            fnmatch.fnmatchcase(token, pattern) for token in value.split())
    return pattern == value or pattern in value.split()
