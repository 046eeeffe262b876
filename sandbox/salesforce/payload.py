"""Request bodies as the REST API reads them: JSON, or ``JSON_PARSER_ERROR`` worded as Salesforce
words it (the deserializer's message, line and column)."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request

from leadsync.sandbox.http import parse_json
from leadsync.sandbox.salesforce.errors import json_parser_error


def read_json(request: Request) -> tuple[Any, str]:
    """The request's JSON body and its text; JSON_PARSER_ERROR as Salesforce words it."""
    raw = request.get_data(as_text=True)
    if not raw.strip():
        raise json_parser_error("No content to map due to end-of-input at [line:1, column:0]")
    try:
        return parse_json(raw), raw
    except json.JSONDecodeError as error:
        char = raw[error.pos] if error.pos < len(raw) else ""
        reason = ("was expecting double-quote to start field name"
                  if "property name" in error.msg else
                  "expected a valid value (number, String, array, object, 'true', 'false' or "
                  "'null')")
        shown = f"('{char}' (code {ord(char)}))" if char else "end-of-input"
        raise json_parser_error(f"Unexpected character {shown}: {reason} at "
                                f"[line:{error.lineno}, column:{error.colno}]") from None
