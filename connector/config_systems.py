"""The building blocks of configuration tables: path, URL and secret types, and the registry
that checks each ``[systems.<name>]`` table with the settings model of its ``kind``.

The connector knows no vendor. Each adapter registers a settings model for its ``kind`` with
``register_system_kind`` (usually a ``SystemSettings`` subclass), and each ``[systems.<name>]``
table is validated against the model registered for its ``kind``. Relative paths resolve against
the config file's folder: models receive it as ``base_dir`` in the validation context, and the
``ConfigPath`` and ``ExistingFile`` types apply it. The sections themselves are in ``config``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from leadsync.connector.models import SIDES, Side

SYSTEM_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
MODEL_CONFIG = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True,
                           validate_default=True)


def resolve_path(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    path = value.expanduser()
    return (Path(base) / path).resolve() if base is not None else path.resolve()


def _existing_file(value: Path, info: ValidationInfo) -> Path:
    path = resolve_path(value, info)
    if not path.is_file():
        raise PydanticCustomError("file_not_found", "no such file: {path}", {"path": str(path)})
    return path


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise PydanticCustomError("https_url", 'should be an https:// URL such as '
                                  '"https://example.com" or "https://127.0.0.1:8443"')
    return value.rstrip("/")


SecretText = Annotated[SecretStr, Field(min_length=1)]
"""A secret that must not be empty; never shown in repr, str or error messages."""
HttpsUrl = Annotated[str, AfterValidator(_https_url)]
"""An https:// base URL, without a trailing slash."""
ConfigPath = Annotated[Path, AfterValidator(resolve_path)]
"""A path, relative to the config file's folder; absolute once validated."""
ExistingFile = Annotated[Path, AfterValidator(_existing_file)]
"""Like ``ConfigPath``, and the file must exist."""


# --- the registry of system kinds -------------------------------------------------------------

_KINDS: dict[str, type[BaseModel]] = {}


def register_system_kind(kind: str, model: type[BaseModel]) -> None:
    """Validate ``[systems.*]`` tables whose ``kind`` is ``kind`` with ``model``.

    The model needs ``kind`` and ``role`` fields; subclassing ``SystemSettings`` gives both.
    Registering the same model again (a re-import) is harmless; a different one is refused.
    """
    if not {"kind", "role"} <= set(model.model_fields):
        raise TypeError(f"{model.__qualname__} needs 'kind' and 'role' fields")
    known = _KINDS.get(kind)
    if known is not None and _qualified(known) != _qualified(model):
        raise ValueError(f"system kind {kind!r} is already registered to {_qualified(known)}")
    _KINDS[kind] = model


def registered_kinds() -> dict[str, type[BaseModel]]:
    """The kinds registered so far and their settings models."""
    return dict(_KINDS)


def _qualified(model: type[BaseModel]) -> str:
    return f"{model.__module__}.{model.__qualname__}"


class SystemSettings(BaseModel):
    """What every ``[systems.<name>]`` table has; adapters subclass it for their kind."""

    model_config = MODEL_CONFIG

    kind: str
    role: Side

    @model_validator(mode="wrap")
    @classmethod
    def _validate_as_kind(cls, data: Any, handler: Callable[[Any], Any],
                          info: ValidationInfo) -> Any:
        if cls is not SystemSettings or not isinstance(data, Mapping):
            return handler(data)
        kind = data.get("kind")
        model = _KINDS.get(kind) if isinstance(kind, str) else None
        if model is None:
            raise ValidationError.from_exception_data(cls.__name__, _unknown_kind(data))
        return model.model_validate(data, context=info.context)


def _unknown_kind(table: Mapping[str, Any]) -> list[InitErrorDetails]:
    kind, known = table.get("kind"), ", ".join(sorted(_KINDS)) or "none (no adapter is loaded)"
    errors: list[InitErrorDetails] = []
    if kind is None:
        errors.append({"type": PydanticCustomError(
            "missing", "required key is missing; known kinds: {known}", {"known": known}),
            "loc": ("kind",), "input": None})
    else:
        close = difflib.get_close_matches(str(kind), list(_KINDS), n=1)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        errors.append({"type": PydanticCustomError(
            "unknown_kind", 'unknown kind "{kind}"; known kinds: {known}{hint}',
            {"kind": str(kind), "known": known, "hint": hint}), "loc": ("kind",), "input": kind})
    if table.get("role") not in SIDES:
        errors.append({"type": "missing", "loc": ("role",), "input": None} if "role" not in table
                      else {"type": "literal_error", "loc": ("role",), "input": table["role"],
                            "ctx": {"expected": "'marketing' or 'crm'"}})
    return errors


def validate_with_problems(handler: Callable[[Any], Any], data: Any,
                           problems: Sequence[tuple[str, str]]) -> Any:
    """Run pydantic's ``handler`` and report ``problems`` (key, message) alongside its errors.

    For wrap validators that check keys against each other (e.g. which keys an auth mode needs)
    and want those problems listed even when a field is wrong too.
    """
    errors: list[InitErrorDetails] = [
        {"type": PydanticCustomError("key_problem", "{message}", {"message": message}),
         "loc": (key,), "input": None} for key, message in problems]
    try:
        result = handler(data)
    except ValidationError as exc:
        if not errors:
            raise
        errors = [_as_init_error(error) for error in exc.errors()] + errors
        raise ValidationError.from_exception_data(exc.title, errors) from None
    if errors:
        raise ValidationError.from_exception_data("settings", errors)
    return result


def _as_init_error(error: Any) -> InitErrorDetails:
    context = {**(error.get("ctx") or {}), "message": error["msg"]}
    return {"type": PydanticCustomError(error["type"], "{message}", context),
            "loc": error["loc"], "input": None}
