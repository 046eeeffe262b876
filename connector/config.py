"""LeadSync's configuration: the settings one TOML file holds, each table a typed model.

::

    [state]       url                          where runs, cursors and ledgers are kept
    [sync]        mapping, batch_size, dry_run, parallel
    [systems.*]   kind, role, ...              one table per system; its kind's model checks it
    [scale]       redis_url, queue, ...        Celery workers; budgets shared in Redis
    [logging]     format, level

Reading the file and the environment, and reporting every problem with its key path, is in
``config_file`` (``load_config``, ``check_config``); this module holds the settings themselves.

The connector knows no vendor. Each adapter registers a settings model for its ``kind`` with
``register_system_kind`` (usually a ``SystemSettings`` subclass), and each ``[systems.<name>]``
table is validated against the model registered for its ``kind``. Relative paths resolve against
the config file's folder: models receive it as ``base_dir`` in the validation context, and the
``ConfigPath`` and ``ExistingFile`` types apply it.

Input values are never echoed, so a misplaced token cannot leak through an error message.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from leadsync.connector.models import SIDES, Side

_SYSTEM_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_MODEL_CONFIG = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True,
                           validate_default=True)


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    path = value.expanduser()
    return (Path(base) / path).resolve() if base is not None else path.resolve()


def _existing_file(value: Path, info: ValidationInfo) -> Path:
    path = _resolve_path(value, info)
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
ConfigPath = Annotated[Path, AfterValidator(_resolve_path)]
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

    model_config = _MODEL_CONFIG

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


# --- the sections ------------------------------------------------------------------------------

_URL = re.compile(r"^(?P<dialect>sqlite|postgresql)(?:\+[a-z0-9_]+)?://")


class StateSettings(BaseModel):
    """``[state]``: the SQLAlchemy URL of the state store (SQLite or PostgreSQL)."""

    model_config = _MODEL_CONFIG

    url: str = Field(default="sqlite:///leadsync.db", repr=False)
    lock_expiry_seconds: int = Field(default=120, ge=1)  # a killed run's lock, taken over after

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str, info: ValidationInfo) -> str:
        match = _URL.match(value)
        if match is None:
            raise PydanticCustomError("state_url", 'should be a SQLAlchemy URL for SQLite or '
                                      'PostgreSQL, e.g. "sqlite:///leadsync.db" or '
                                      '"postgresql+psycopg://leadsync@localhost/leadsync"')
        rest = value[match.end():]
        if match["dialect"] != "sqlite" or rest == "":
            return value
        if not rest.startswith("/"):
            raise PydanticCustomError("state_url", 'a SQLite URL has three slashes before a '
                                      'relative path, four before an absolute one')
        path, sep, query = rest[1:].partition("?")
        if path and path != ":memory:" and not Path(path).is_absolute():
            path = str(_resolve_path(Path(path), info))
        return f"{value[:match.end()]}/{path}{sep}{query}"

    @property
    def redacted_url(self) -> str:
        """The URL with any password replaced by ``***``, for logs and messages."""
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", self.url)


class SyncSettings(BaseModel):
    """``[sync]``: the mapping file and how much to write at once."""

    model_config = _MODEL_CONFIG

    mapping: ConfigPath
    batch_size: int = Field(default=200, ge=1, le=200)
    dry_run: bool = False
    connection: str = "default"  # the name this pair's state is kept under in the store
    max_attempts: int = Field(default=5, ge=1)  # a refused record's attempts, then it waits
    # a record deleted, merged away or converted on one side: "flag" notes it on the other
    # side's record, "ignore" does not; either way the pair stops syncing, nothing is deleted
    on_delete: Literal["flag", "ignore"] = "flag"
    # write calls in flight at once on each system (its max_parallel, where set, instead);
    # 1: one after another
    parallel: int = Field(default=4, ge=1, le=10)


class DefinitionSettings(BaseModel):
    """``[definition]``: the shared lead definition and who it hands to the CRM."""

    model_config = _MODEL_CONFIG

    file: ConfigPath
    handoff: Literal["qualified_only", "all"] = "qualified_only"


class PoolSettings(BaseModel):
    """``[sla.pool]``: the round-robin pool for new handoffs and reassignments."""

    model_config = _MODEL_CONFIG

    reps: list[str] = Field(default_factory=list)  # the reps' emails, in turn order
    queue: str | None = None  # or the members of this CRM queue (Salesforce) or team (HubSpot)
    min_compliance: float | None = Field(default=None, gt=0, le=1)
    window_days: int = Field(default=30, ge=1)
    out_of_office: dict[str, tuple[date, date]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _reps_or_queue(self) -> PoolSettings:
        if bool(self.reps) == bool(self.queue):
            raise PydanticCustomError("pool", "name the reps (reps = [emails]) or a CRM queue "
                                      "(queue = \"name\"), one of the two")
        return self


class SlaSettings(BaseModel):
    """``[sla]``: how handed-off leads are held to account (policies are checked by
    ``connector.sla.parse_policies`` when a job starts)."""

    model_config = _MODEL_CONFIG

    default_calendar: str = "default"
    policies: list[dict[str, Any]] = Field(min_length=1)
    # CRM status values; unset: the CRM's standard ones (see the adapters' SalesProcess)
    accepted_statuses: list[str] | None = None
    disqualified_statuses: list[str] | None = None
    nurture_status: str | None = None
    reopen_status: str | None = None  # a recycled lead handed off again
    nurture_list: str | None = "LeadSync: recycled for nurture"
    marketing_on_recycle: dict[str, str] | None = None  # unset: the marketing system's standard
    regions: dict[str, list[str]] = Field(default_factory=dict)  # region -> country values
    escalate_to: str | None = None  # who gets escalations for owners without a manager (email)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    pool: PoolSettings | None = None

    @field_validator("regions")
    @classmethod
    def _check_regions(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, countries in value.items():
            if not [c for c in countries if c.strip()]:
                raise PydanticCustomError("regions", "region {name} names no country",
                                          {"name": name})
        return value

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise PydanticCustomError("webhook_url", "should be an http(s) URL")
        return value


_REDIS_URL = re.compile(r"^rediss?://")


class ScaleSettings(BaseModel):
    """``[scale]``: jobs run by Celery workers, with Redis as broker and home of the call
    budgets every worker shares (the state store stays ``[state] url``, PostgreSQL then)."""

    model_config = _MODEL_CONFIG

    redis_url: str = Field(repr=False)  # may hold a password: show ``redacted_url``
    # seconds a job's message stays with the worker that took it before Redis hands it to
    # another (a worker killed mid-job); longer than the longest job and than the run lock's
    # expiry, so that the job's lock has expired by then (``jobs.celery_app``)
    visibility_timeout: int = Field(default=3600, ge=1)
    # this deployment's name in Redis (its queue and keys): configs sharing a server keep apart
    queue: str = Field(default="leadsync", pattern=r"^[A-Za-z0-9_.-]+$")

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        if not _REDIS_URL.match(value):
            raise PydanticCustomError("redis_url", 'should be a Redis URL such as '
                                      '"redis://127.0.0.1:6379/0" (rediss:// with TLS)')
        return value

    @property
    def redacted_url(self) -> str:
        """The URL with any password replaced by ``***``, for logs and messages."""
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", self.redis_url)


class LoggingSettings(BaseModel):
    """``[logging]``: how run logs are written."""

    model_config = _MODEL_CONFIG

    format: Literal["console", "json"] = "console"
    level: Literal["debug", "info", "warning", "error", "critical"] = "info"

    @field_validator("format", "level", mode="before")
    @classmethod
    def _lowercase(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


def _check_system_name(name: str) -> str:
    if not _SYSTEM_NAME.match(name):
        raise PydanticCustomError("system_name", "a system name is lowercase letters, digits and "
                                  "single underscores, so that LEADSYNC_SYSTEMS__<NAME>__<KEY> "
                                  "can reach it")
    return name


def _empty_table() -> Any:
    return {}


class Config(BaseModel):
    """The whole configuration, as ``load_config`` returns it. Add a section by adding a field."""

    model_config = _MODEL_CONFIG

    state: StateSettings = Field(default_factory=_empty_table)
    sync: SyncSettings
    definition: DefinitionSettings | None = None
    calendars: dict[str, dict[str, Any]] = Field(default_factory=dict)
    sla: SlaSettings | None = None
    systems: dict[Annotated[str, AfterValidator(_check_system_name)], SystemSettings]
    scale: ScaleSettings | None = None
    logging: LoggingSettings = Field(default_factory=_empty_table)

    _source_path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _one_system_per_role(self, info: ValidationInfo) -> Config:
        problems = role_problems({name: s.role for name, s in self.systems.items()})
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, [
                {"type": PydanticCustomError("role", "{message}", {"message": message}),
                 "loc": loc, "input": None} for loc, message in problems])
        self._source_path = (info.context or {}).get("source_path")
        return self

    @property
    def source_path(self) -> Path | None:
        """The file this configuration was loaded from."""
        return self._source_path

    @property
    def marketing(self) -> tuple[str, SystemSettings]:
        """The name and settings of the marketing system."""
        return self._holder("marketing")

    @property
    def crm(self) -> tuple[str, SystemSettings]:
        """The name and settings of the CRM."""
        return self._holder("crm")

    def _holder(self, role: Side) -> tuple[str, SystemSettings]:
        return next((name, s) for name, s in self.systems.items() if s.role == role)


def role_problems(roles: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """Exactly one system per role; ``roles`` maps system names to their (raw) roles."""
    holders: dict[str, list[str]] = {role: [] for role in SIDES}
    for name, role in roles.items():
        if role in holders:
            holders[role].append(name)
    all_valid = all(role in holders for role in roles.values())
    problems: list[tuple[tuple[str, ...], str]] = []
    for role, names in holders.items():
        problems.extend((("systems", name, "role"), f'"{role}" is already the role of '
                         f"systems.{names[0]}; exactly one system may have each role")
                        for name in names[1:])
        if not names and all_valid:
            problems.append((("systems",), f'no system has role = "{role}"; one "marketing" '
                             'and one "crm" system are required'))
    return problems
