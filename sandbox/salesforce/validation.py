"""What a real org checks on every write, in the order it reports it.

Reading a JSON record body (``read_body``) fails the whole request, as the REST API's
deserializer does: an unknown field is ``INVALID_FIELD`` ("No such column ..."), a value that
cannot become the field's type is ``JSON_PARSER_ERROR`` ("Cannot deserialize instance of ...").
Everything after that (``check_record``) refuses only the one record, with the status codes of
the Error object: ``REQUIRED_FIELD_MISSING``, ``STRING_TOO_LONG``, ``INVALID_EMAIL_ADDRESS``,
``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``, ``NUMBER_OUTSIDE_VALID_RANGE``, ``MALFORMED_ID``...
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from leadsync.sandbox.salesforce import ids
from leadsync.sandbox.salesforce.errors import RecordError, json_parser_error, no_such_column
from leadsync.sandbox.salesforce.schema import NUMBER_TYPES, STRING_TYPES, Field, SObjectType

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
                       r"(Z|[+-]\d{2}:?\d{2})?")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
_JAVA_TYPES = {"boolean": "boolean", "int": "int", "double": "double", "currency": "double",
               "percent": "double", "date": "date", "datetime": "datetime"}

# Resolves a record id to (object name, is deleted), or None when no such record exists.
Resolver = Callable[[str], tuple[str, bool] | None]


def format_datetime(moment: datetime) -> str:
    """Salesforce's dateTime text: ``2024-01-15T10:30:00.000+0000``, always UTC."""
    moment = moment.astimezone(UTC)
    return f"{moment.strftime(DATETIME_FORMAT)}.{moment.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime | None:
    """An ISO 8601 dateTime as the API accepts it (zone optional, meaning UTC); None if not."""
    m = _DATETIME.fullmatch(text.strip())
    if not m:
        return None
    day, hh, mm, ss, frac, zone = m.groups()
    if zone in (None, "Z"):
        zone = "+00:00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    fraction = (frac or "0")[:6].ljust(6, "0")
    try:
        return datetime.fromisoformat(f"{day}T{hh or '00'}:{mm or '00'}:{ss or '00'}"
                                      f".{fraction}{zone}")
    except ValueError:
        return None


class BadValue(Exception):
    """A JSON value the field's type cannot take."""

    def __init__(self, java_type: str, token: str, value: Any) -> None:
        super().__init__(java_type)
        self.java_type, self.token, self.value = java_type, token, value


def _token(value: Any) -> str:
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT"
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT"
    if isinstance(value, list):
        return "START_ARRAY"
    if isinstance(value, dict):
        return "START_OBJECT"
    return "VALUE_STRING"


def coerce(f: Field, value: Any) -> Any:
    """The stored form of a JSON value for field ``f``; raises BadValue."""
    kind = f.type
    java = _JAVA_TYPES.get(kind, "String")
    if isinstance(value, list | dict):
        raise BadValue(java, _token(value), value)
    if kind == "boolean":
        if value is None or isinstance(value, bool):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise BadValue(java, _token(value), value)
    if value is None or value == "":
        return None
    if kind in NUMBER_TYPES:
        return _number(f, value, java)
    if kind == "date":
        try:
            if isinstance(value, str) and len(value) == 10:
                return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
        raise BadValue(java, _token(value), value)
    if kind == "datetime":
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None:
            raise BadValue(java, _token(value), value)
        return format_datetime(moment)
    if kind in ("reference", "id"):
        if not isinstance(value, str):
            raise BadValue("String", _token(value), value)
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _number(f: Field, value: Any, java: str) -> int | float:
    if isinstance(value, bool):
        raise BadValue(java, _token(value), value)
    number: float
    if isinstance(value, int | float):
        number = value
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise BadValue(java, _token(value), value) from None
    if f.type == "int":
        if number != int(number):
            raise BadValue(java, _token(value), value)
        return int(number)
    return float(round(number, f.scale)) if f.precision else float(number)


def _position(raw: str, key: str, value: Any) -> tuple[int, int]:
    """Line and column just after ``value`` in the request text, as Jackson reports them."""
    pattern = re.escape(json.dumps(key)) + r"\s*:\s*" + re.escape(json.dumps(value))
    m = re.search(pattern, raw)
    at = m.end() if m else 0
    line = raw.count("\n", 0, at) + 1
    return line, at - (raw.rfind("\n", 0, at) + 1)


def read_body(sobject: SObjectType, body: Any, raw: str, *, insert: bool,
              allowed: Iterable[str] = ("attributes",)) -> tuple[dict[str, Any], list[RecordError]]:
    """A record's JSON fields by canonical name, coerced; plus the fields it may not write.

    Raises ApiError for what the deserializer refuses (unknown field, wrong JSON type).
    """
    if not isinstance(body, dict):
        token = _token(body)
        raise json_parser_error(f"Cannot deserialize instance of {sobject.name} from {token} "
                                "value or request may be missing a required field at "
                                "[line:1, column:1]")
    skip = {a.lower() for a in allowed}
    values: dict[str, Any] = {}
    refused: list[str] = []
    for key, value in body.items():
        if key.lower() in skip:
            continue
        f = sobject.field(key)
        if f is None:
            raise no_such_column(key, sobject.name)
        try:
            values[f.name] = coerce(f, value)
        except BadValue as bad:
            line, col = _position(raw, key, value)
            shown = bad.value if isinstance(bad.value, str) else json.dumps(bad.value)
            raise json_parser_error(
                f"Cannot deserialize instance of {bad.java_type} from {bad.token} value "
                f"{shown} or request may be missing a required field at "
                f"[line:{line}, column:{col}]") from None
        if not (f.createable if insert else f.updateable) and f.name != "Id":
            refused.append(f.name)
    errors = []
    if refused:
        errors.append(RecordError(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(refused)}. Please check the security "
            "settings of this field and verify that it is read/write for your profile or "
            "permission set.", refused))
    return values, errors


def check_record(sobject: SObjectType, record: Mapping[str, Any], written: Iterable[str],
                 resolve: Resolver, *, insert: bool) -> list[RecordError]:
    """Every reason the org refuses ``record`` after ``written`` fields were set on it."""
    written = list(written)
    errors: list[RecordError] = []
    candidates = sobject.fields.values() if insert else (sobject.fields[n] for n in written)
    missing = [f.name for f in candidates
               if record.get(f.name) is None and not f.nillable and f.type != "boolean"
               and (f.required or not insert) and f.name != "Id"]
    if missing:
        errors.append(RecordError("REQUIRED_FIELD_MISSING",
                                  f"Required fields are missing: [{', '.join(missing)}]",
                                  missing))
    for name in written:
        f = sobject.fields[name]
        value = record.get(name)
        if value is None:
            continue
        error = _check_value(f, value, resolve)
        if error is not None:
            errors.append(error)
    return errors


def _check_value(f: Field, value: Any, resolve: Resolver) -> RecordError | None:
    if f.type in STRING_TYPES:
        if f.length and len(value) > f.length:
            return RecordError("STRING_TOO_LONG", f"{f.label}: data value too large: {value} "
                               f"(max length={f.length})", [f.name])
        if f.type == "email" and not _EMAIL.fullmatch(value):
            return RecordError("INVALID_EMAIL_ADDRESS",
                               f"{f.label}: invalid email address: {value}", [f.name])
        if f.type == "picklist" and f.restricted and value not in f.picklist:
            return RecordError("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                               f"{f.label}: bad value for restricted picklist field: {value}",
                               [f.name])
    if f.type in NUMBER_TYPES:
        digits = f.digits or (f.precision - f.scale if f.precision else 18)
        if abs(value) >= 10 ** digits:
            return RecordError("NUMBER_OUTSIDE_VALID_RANGE",
                               f"{f.label}: value outside of valid range on numeric field: "
                               f"{value}", [f.name])
    if f.type == "reference":
        return _check_reference(f, value, resolve)
    return None


def _check_reference(f: Field, value: str, resolve: Resolver) -> RecordError | None:
    full = ids.to_18(value)
    if full is None:
        return RecordError("MALFORMED_ID", f"{f.label}: id value of incorrect type: {value}",
                           [f.name])
    found = resolve(full)
    if found is None:
        return RecordError("INVALID_CROSS_REFERENCE_KEY",
                           "invalid cross reference id", [f.name])
    target, deleted = found
    if target not in f.reference_to:
        return RecordError("FIELD_INTEGRITY_EXCEPTION",
                           f"{f.label}: id value of incorrect type: {value}", [f.name])
    if deleted:
        return RecordError("ENTITY_IS_DELETED", "entity is deleted", [f.name])
    return None
