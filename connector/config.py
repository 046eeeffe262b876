"""LeadSync's configuration: one TOML file, validated at start, secrets from the environment.

::

    [state]       url                          where runs, cursors and ledgers are kept
    [sync]        mapping, batch_size, dry_run
    [systems.*]   kind, role, ...              one table per system; its kind's model checks it
    [logging]     format, level

The file is read with pydantic-settings' ``TomlConfigSettingsSource`` and the environment with its
``EnvSettingsSource``: ``LEADSYNC_`` prefix, ``__`` between levels, case-insensitive, empty values
ignored. Environment values win over the file, so secrets need not be written down:
``LEADSYNC_SYSTEMS__HUBSPOT__ACCESS_TOKEN``, ``LEADSYNC_STATE__URL``.

The connector knows no vendor. Each adapter registers a settings model for its ``kind`` with
``register_system_kind`` (usually a ``SystemSettings`` subclass), and each ``[systems.<name>]``
table is validated against the model registered for its ``kind``. Relative paths resolve against
the config file's folder: models receive it as ``base_dir`` in the validation context, and the
``ConfigPath`` and ``ExistingFile`` types apply it.

Every problem is reported at once, one per line: ``<file>: <dotted.key.path>: <message>``.
Input values are never echoed, so a misplaced token cannot leak through an error message.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin
from urllib.parse import urlsplit

from leadsync.connector.errors import ConfigError
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
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "LEADSYNC_"
ENV_DELIMITER = "__"
CONFIG_ENV_VAR = "LEADSYNC_CONFIG"
DEFAULT_CONFIG_FILE = "leadsync.toml"

Role = Literal["marketing", "crm"]
ROLES: tuple[Role, ...] = ("marketing", "crm")
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
    role: Role

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
    if table.get("role") not in ROLES:
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
    logging: LoggingSettings = Field(default_factory=_empty_table)

    _source_path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _one_system_per_role(self, info: ValidationInfo) -> Config:
        problems = _role_problems({name: s.role for name, s in self.systems.items()})
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

    def _holder(self, role: Role) -> tuple[str, SystemSettings]:
        return next((name, s) for name, s in self.systems.items() if s.role == role)


def _role_problems(roles: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """Exactly one system per role; ``roles`` maps system names to their (raw) roles."""
    holders: dict[str, list[str]] = {role: [] for role in ROLES}
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


# --- loading -----------------------------------------------------------------------------------

class _ConfigSources(BaseSettings, Config):
    """``Config``'s fields with the settings that tell pydantic-settings' sources how to read them.

    Only the sources use it: ``BaseSettings`` validation runs through ``__init__``, which reads
    ``os.environ`` itself and cannot pass a validation context (the file's folder), so
    ``load_config`` reads the sources, merges them and validates a plain ``Config``.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter=ENV_DELIMITER, case_sensitive=False,
        env_ignore_empty=True)


class _EnvSource(EnvSettingsSource):
    """The environment source, reading a given mapping; kind-specific keys stay strings."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {(name if self.case_sensitive else name.lower()): value
                for name, value in self._environ.items()
                if not (self.env_ignore_empty and value == "")}

    def next_field(self, field: Any, key: str, case_sensitive: bool | None = None) -> Any:
        found = super().next_field(field, key, case_sensitive)
        if found is None and field is SystemSettings:
            return str  # checked later by the kind's model; never JSON-decoded ("123" stays text)
        return found


def load_config(path: str | Path | None, env: Mapping[str, str] | None = None) -> Config:
    """Load and check the configuration; raise ``ConfigError`` listing every problem.

    ``path`` None means ``$LEADSYNC_CONFIG``, else ``leadsync.toml`` in the working folder.
    ``env`` defaults to ``os.environ``.
    """
    shown, problems, config = _load(path, os.environ if env is None else env)
    if config is None:
        if len(problems) == 1:
            key, message = problems[0]
            raise ConfigError(message, f"{shown}: {key}" if key else shown)
        raise ConfigError(f"{len(problems)} problems:\n" + "\n".join(
            _line(shown, key, message) for key, message in problems), shown)
    return config


def check_config(path: str | Path | None, env: Mapping[str, str] | None = None) -> list[str]:
    """The problems ``load_config`` would report, one ``<file>: <key>: <message>`` each."""
    shown, problems, _ = _load(path, os.environ if env is None else env)
    return [_line(shown, key, message) for key, message in problems]


def _line(shown: str, key: str, message: str) -> str:
    return f"{shown}: {key}: {message}" if key else f"{shown}: {message}"


def _load(path: str | Path | None, environ: Mapping[str, str],
          ) -> tuple[str, list[tuple[str, str]], Config | None]:
    file = Path(path if path is not None else environ.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_FILE)
    shown = str(file)
    if not file.is_file():
        return shown, [("", "not a file" if file.exists() else "no such file")], None
    try:
        file_data = TomlConfigSettingsSource(_ConfigSources, toml_file=file)()
    except tomllib.TOMLDecodeError as exc:
        return shown, [_toml_problem(exc)], None
    except OSError as exc:
        return shown, [("", f"cannot read the file: {exc.strerror}")], None
    env_data = _EnvSource(_ConfigSources, environ)()
    problems = _orphan_env_systems(file_data, env_data)
    data = _merge(file_data, env_data)
    context = {"base_dir": file.resolve().parent, "source_path": file.resolve()}
    try:
        config = Config.model_validate(data, context=context)
        return shown, problems, None if problems else config
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
    problems += [(_dotted(error["loc"]), _message(error, data, env_data)) for error in errors]
    systems = data.get("systems")
    if isinstance(systems, Mapping) and not any(error["type"] == "role" for error in errors):
        # the roles were not checked: some system is wrong in another way; check them raw
        roles = {name: t.get("role") if isinstance(t, Mapping) else None
                 for name, t in systems.items()}
        problems += [(_dotted(loc), message) for loc, message in _role_problems(roles)]
    return shown, list(dict.fromkeys(problems)), None


def _toml_problem(exc: tomllib.TOMLDecodeError) -> tuple[str, str]:
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", str(exc))
    if match is None:
        return "", f"invalid TOML: {exc}"
    return f"line {match[1]}, column {match[2]}", f"invalid TOML: {str(exc)[:match.start()]}"


def _orphan_env_systems(file_data: dict[str, Any], env_data: dict[str, Any],
                        ) -> list[tuple[str, str]]:
    """Environment variables for a system the file does not declare: report and drop them."""
    in_file = file_data.get("systems") if isinstance(file_data.get("systems"), dict) else {}
    in_env = env_data.get("systems")
    if not isinstance(in_env, dict):
        return []
    problems = []
    for name in [name for name in in_env if name not in in_file]:
        close = difflib.get_close_matches(name, list(in_file), n=1)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        variables = ", ".join(_env_names(("systems", name), in_env.pop(name)))
        problems.append((f"systems.{name}", f"set from the environment ({variables}) but the "
                         f"file has no [systems.{name}] table{hint}"))
    return problems


def _env_names(loc: tuple[str, ...], value: Any) -> list[str]:
    if isinstance(value, dict) and value:
        return [n for key, sub in value.items() for n in _env_names((*loc, key), sub)]
    return [ENV_PREFIX + ENV_DELIMITER.join(loc).upper()]


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _dotted(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        if part == "[key]":
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _message(error: Any, data: Mapping[str, Any], env_data: Mapping[str, Any]) -> str:
    kind, loc, ctx = error["type"], tuple(error["loc"]), error.get("ctx") or {}
    if kind == "missing" and error["msg"] == "Field required":
        message = "required key is missing"
    elif kind == "extra_forbidden":
        message = "unknown key" + _suggestion(str(loc[-1]), _known_keys(loc[:-1], data))
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        message = "should be a table"
    elif kind in ("too_short", "string_too_short") and ctx.get("min_length") == 1:
        message = "must not be empty"
    else:
        message = error["msg"].removeprefix("Value error, ").removeprefix("Input ")
    if _lookup(env_data, loc) is not None:
        message += f" (from {_env_names(tuple(map(str, loc)), None)[0]})"
    return message


def _suggestion(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f'; did you mean "{close[0]}"?'
    return f"; known keys: {', '.join(known)}" if known else ""


def _known_keys(loc: Sequence[int | str], data: Any) -> list[str]:
    """The keys the table at ``loc`` accepts, following the models (and kinds) from the top."""
    model: Any = Config
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        model, data = field.annotation, _lookup(data, (part,))
        if get_origin(model) is dict and parts:
            model, data = get_args(model)[1], _lookup(data, (parts.pop(0),))
        if model is SystemSettings and isinstance(data, Mapping):
            model = _KINDS.get(str(data.get("kind")), SystemSettings)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _lookup(data: Any, loc: Sequence[int | str]) -> Any:
    for part in loc:
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data
