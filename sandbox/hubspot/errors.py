"""HubSpot's error answers, shaped as its documentation and real responses show them.

Every error body carries ``status: "error"``, a human ``message``, a ``correlationId`` (a UUID) and
a ``category``; CRM object errors may add ``errors`` (each with ``message``, ``code`` and
``context``), ``context`` and ``subCategory``. Handlers raise :class:`HubSpotError`; the app
turns it into the JSON answer.
"""

from __future__ import annotations

import json
import uuid
from typing import Any


def correlation_id() -> str:
    return str(uuid.uuid4())


class HubSpotError(Exception):
    """One refused request: an HTTP status and HubSpot's error body."""

    def __init__(self, status: int, category: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.category, self.message, self.extra = status, category, message, extra

    def body(self) -> dict[str, Any]:
        return {"status": "error", "message": self.message, "correlationId": correlation_id(),
                "category": self.category, **self.extra}


def validation_error(message: str, **extra: Any) -> HubSpotError:
    return HubSpotError(400, "VALIDATION_ERROR", message, **extra)


def not_found(message: str = "resource not found") -> HubSpotError:
    return HubSpotError(404, "OBJECT_NOT_FOUND", message)


def invalid_property_values(problems: list[dict[str, Any]]) -> HubSpotError:
    """400 "Property values were not valid: [...]" with the problems as a JSON array in the text."""
    text = json.dumps(problems, separators=(",", ":"))
    errors = [{"message": p["message"], "code": p["error"],
               "context": {"propertyName": [p["name"]]}} for p in problems]
    return validation_error(f"Property values were not valid: {text}", errors=errors)


def batch_error(status: str, category: str, message: str,
                context: dict[str, list[str]] | None = None,
                sub_category: str | None = None) -> dict[str, Any]:
    """One entry of a 207 answer's ``errors`` (the ``StandardError`` model)."""
    error: dict[str, Any] = {"status": status, "category": category, "message": message,
                             "context": context or {}, "errors": [], "links": {}}
    if sub_category:
        error["subCategory"] = sub_category
    return error
