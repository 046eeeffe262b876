"""Lead values between Bulk API 2.0 CSV text and what the REST API gives and takes.

CSV holds only text: a query's blank is null, booleans are ``true``/``false``, numbers are
digits and dateTimes end in ``Z``. ``value_from_csv`` turns them into what the REST path reads
(JSON null, bool, int or float by the describe type, ``2024-01-15T10:30:00.000+0000``).
Written, a blank cell leaves a field alone, so a value meant to be null (``None`` or ``""``, as
REST clears a field) is sent as ``#N/A``. ``sf__Error`` reads ``CODE:message:fields --``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from leadsync.connector.models import FieldValue

NULL = "#N/A"
INTEGER_TYPES = frozenset({"int", "long"})
DECIMAL_TYPES = frozenset({"double", "currency", "percent"})


def value_from_csv(text: str, kind: str | None) -> FieldValue:
    """A query result cell as the REST API would have given it, for a field of ``kind``."""
    if text == "":
        return None
    if kind == "boolean":
        return text.lower() == "true"
    if kind in INTEGER_TYPES:
        return int(float(text))
    if kind in DECIMAL_TYPES:
        return float(text)
    if kind == "datetime":
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
    return text


def row_from_csv(row: Mapping[str, str], types: Mapping[str, str]) -> dict[str, FieldValue]:
    return {name: value_from_csv(text or "", types.get(name)) for name, text in row.items()}


def value_to_csv(value: FieldValue) -> str:
    """A value to write, as an ingest job's CSV cell."""
    if value is None or value == "":
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def parse_error(text: str) -> dict[str, object]:
    """An ``sf__Error`` cell as an sObject Collections error item (statusCode, message,
    fields): ``REQUIRED_FIELD_MISSING:Required fields are missing: [Company]:Company --``."""
    body = text.strip().removesuffix("--").rstrip()
    code, _, rest = body.partition(":")
    message, colon, fields = rest.rpartition(":")
    if not colon:
        message, fields = rest, ""
    return {"statusCode": code or "UNKNOWN", "message": message,
            "fields": [f.strip() for f in fields.split(",") if f.strip()]}
