"""LeadSync's configuration: the settings one TOML file holds, each table a typed model.

::

    [state]            url                     where runs, cursors and ledgers are kept
    [sync]             mapping, batch_size, dry_run, parallel, connection
    [systems.*]        kind, role, ...         one table per system; its kind's model checks it
    [connections.*]    marketing, crm, ...     several marketing/CRM pairs in one config
    [schedules]        sync, sla_sweep, ...    when each job runs (``connector.schedule``)
    [scale]            redis_url, queue, ...   Celery workers; budgets shared in Redis
    [logging]          format, level

Reading the file and the environment, and reporting every problem with its key path, is in
``config_file`` (``load_config``, ``check_config``); this module holds the settings themselves,
and ``config_systems`` the path, URL and secret types and the registry of system kinds.

A config holds one connection (a marketing system, a CRM, and the state LeadSync keeps for the
pair: cursors, links, dead letters, locks, runs) or several, one ``[connections.<name>]`` table
each. Every job works on one connection at a time: ``Config.for_connection(name)`` gives the
config of one, as if it were the only one, so a job never has to know there are others.

Input values are never echoed, so a misplaced token cannot leak through an error message.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from leadsync.connector.config_systems import (
    MODEL_CONFIG,
    SYSTEM_NAME,
    ConfigPath,
    SystemSettings,
    resolve_path,
)
from leadsync.connector.errors import ConfigError
from leadsync.connector.models import SIDES, Side
from leadsync.connector.schedule import ScheduleSettings, schedule_problems
from leadsync.connector.sla_settings import SlaSettings

_MODEL_CONFIG = MODEL_CONFIG
_SYSTEM_NAME = SYSTEM_NAME
_resolve_path = resolve_path

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


class ConnectionSettings(BaseModel):
    """``[connections.<name>]``: one marketing/CRM pair of several (two business units, each with
    its own portal and org), with its own cursors, links, dead letters, budgets, locks and runs.

    It names its two systems (``[systems.*]`` tables) and may set its own mapping, definition
    and ``[sync]`` values; what it leaves unset comes from ``[sync]`` and ``[definition]``.
    """

    model_config = _MODEL_CONFIG

    marketing: str  # the name of a [systems.*] table with role = "marketing"
    crm: str  # and of one with role = "crm"
    mapping: ConfigPath | None = None  # default: [sync] mapping
    definition: ConfigPath | None = None  # default: [definition] file
    handoff: Literal["qualified_only", "all"] | None = None  # default: [definition] handoff
    batch_size: int | None = Field(default=None, ge=1, le=200)
    parallel: int | None = Field(default=None, ge=1, le=10)
    dry_run: bool | None = None
    max_attempts: int | None = Field(default=None, ge=1)
    on_delete: Literal["flag", "ignore"] | None = None
    schedules: ScheduleSettings | None = None  # over [schedules], key by key

    def sync_overrides(self) -> dict[str, Any]:
        """The ``[sync]`` values this connection sets itself."""
        names = ("mapping", "batch_size", "parallel", "dry_run", "max_attempts", "on_delete")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


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
    connections: dict[Annotated[str, AfterValidator(_check_system_name)],
                      ConnectionSettings] = Field(default_factory=dict)
    schedules: ScheduleSettings = Field(default_factory=_empty_table)  # connector.schedule
    scale: ScaleSettings | None = None
    logging: LoggingSettings = Field(default_factory=_empty_table)

    _source_path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _one_system_per_role(self, info: ValidationInfo) -> Config:
        roles = {name: s.role for name, s in self.systems.items()}
        problems = (connection_problems(self.connections, roles) if self.connections
                    else role_problems(roles))
        problems += schedule_problems(self.schedules, self.sla is not None, {
            name: one.schedules for name, one in self.connections.items()})
        if self.scale is not None and (self.scale.visibility_timeout
                                       <= self.state.lock_expiry_seconds):
            problems.append((("scale", "visibility_timeout"), (
                f"should be longer than [state] lock_expiry_seconds "
                f"({self.state.lock_expiry_seconds}): a killed worker's job is handed on after "
                f"it, and its run lock must have expired by then")))
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
        if self.connections:
            raise ConfigError(f"this config holds {len(self.connections)} connections; take one "
                              "with for_connection(name) first", "connections")
        return next((name, s) for name, s in self.systems.items() if s.role == role)

    def connection_names(self) -> list[str]:
        """The connections this config holds, in the file's order: its ``[connections.*]``
        tables, else the one pair of ``[systems.*]`` under ``[sync] connection``."""
        return list(self.connections) or [self.sync.connection]

    def for_connection(self, name: str) -> Config:
        """The config of one connection, as if it were the only one: its two systems, its
        ``[sync]`` values and definition, ``[sync] connection`` set to its name."""
        if not self.connections:
            if name != self.sync.connection:
                raise ConfigError(unknown_connection(name, self.connection_names()),
                                  "connections")
            return self
        found = self.connections.get(name)
        if found is None:
            raise ConfigError(unknown_connection(name, self.connection_names()), "connections")
        definition = self.definition
        if found.definition is not None:
            definition = DefinitionSettings.model_construct(
                file=found.definition,
                handoff=definition.handoff if definition else "qualified_only")
        if found.handoff is not None and definition is not None:
            definition = definition.model_copy(update={"handoff": found.handoff})
        one = self.model_copy(update={
            "sync": self.sync.model_copy(update={"connection": name, **found.sync_overrides()}),
            "definition": definition,
            "systems": {found.marketing: self.systems[found.marketing],
                        found.crm: self.systems[found.crm]},
            "schedules": self.schedules.under(found.schedules),
            "connections": {},
        })
        one._source_path = self._source_path
        return one


def unknown_connection(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    return f'no connection "{name}" in this config; it has {", ".join(known)}{hint}'


def connection_problems(connections: Mapping[str, ConnectionSettings],
                        roles: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """Each connection names an existing system of the right role on each side."""
    problems: list[tuple[tuple[str, ...], str]] = []
    for name, connection in connections.items():
        for role in SIDES:
            system = getattr(connection, role)
            if system not in roles:
                close = difflib.get_close_matches(system, list(roles), n=1)
                hint = f'; did you mean "{close[0]}"?' if close else ""
                problems.append((("connections", name, role),
                                 f'no [systems.{system}] table in this config{hint}'))
            elif roles[system] != role:
                problems.append((("connections", name, role),
                                 f'systems.{system} has role = "{roles[system]}", not "{role}"'))
    return problems


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
