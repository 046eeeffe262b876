"""The two shapes Salesforce reports errors in.

* A request the API refuses as a whole: an HTTP error status and a JSON list of
  ``{"message", "errorCode"[, "fields"]}`` (``ApiError``).
* A record a write refuses: inside a 200 collection result, ``{"statusCode", "message",
  "fields"}`` in the record's ``errors`` list (``RecordError``); a single-record write answers
  400 with every such error in the first shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

NOT_FOUND_MESSAGE = "The requested resource does not exist"


class ApiError(Exception):
    """A request refused as a whole."""

    def __init__(self, status: int, error_code: str, message: str,
                 fields: list[str] | None = None) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields

    def body(self) -> list[Any]:
        item: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            item["fields"] = self.fields
        return [item]


class MultipleChoices(ApiError):
    """HTTP 300: an external id value that matches several records; the body lists them."""

    def __init__(self, urls: list[str]) -> None:
        super().__init__(300, "MULTIPLE_CHOICES", ", ".join(urls))
        self.urls = urls

    def body(self) -> list[Any]:
        return list(self.urls)


def method_not_allowed(method: str, allowed: Iterable[str]) -> ApiError:
    return ApiError(405, "METHOD_NOT_ALLOWED",
                    f"HTTP Method '{method}' not allowed. Allowed are {','.join(allowed)}")


def not_found(message: str = NOT_FOUND_MESSAGE) -> ApiError:
    return ApiError(404, "NOT_FOUND", message)


def json_parser_error(message: str) -> ApiError:
    return ApiError(400, "JSON_PARSER_ERROR", message)


def no_such_column(name: str, sobject: str) -> ApiError:
    return ApiError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}")


@dataclass(frozen=True)
class RecordError:
    """One reason a write refused one record."""

    status_code: str
    message: str
    fields: list[str] = field(default_factory=list)

    def item(self) -> dict[str, Any]:
        """As an entry of a collection result's ``errors`` list."""
        return {"statusCode": self.status_code, "message": self.message, "fields": self.fields}


class RecordRefused(Exception):
    """Raised by a write that refuses its record; carries every reason found."""

    def __init__(self, errors: list[RecordError]) -> None:
        super().__init__("; ".join(f"{e.status_code}: {e.message}" for e in errors))
        self.errors = errors


ROLLED_BACK = RecordError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone "
    "header")
