"""Reading the configuration file: TOML and the environment merged, checked as a ``Config``.

The file is read with pydantic-settings' ``TomlConfigSettingsSource`` and the environment with its
``EnvSettingsSource``: ``LEADSYNC_`` prefix, ``__`` between levels, case-insensitive, empty values
ignored. Environment values win over the file, so secrets need not be written down:
``LEADSYNC_SYSTEMS__HUBSPOT__ACCESS_TOKEN``, ``LEADSYNC_STATE__URL``.

Every problem is reported at once, one per line: ``<file>: <dotted.key.path>: <message>``, with
the line and column for invalid TOML and the variable's name for a value from the environment.
Input values are never echoed, so a misplaced token cannot leak through an error message.
The settings themselves (``Config`` and its tables) are in ``config``.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from leadsync.connector.config import Config, role_problems
from leadsync.connector.config_systems import SystemSettings, registered_kinds
from leadsync.connector.errors import ConfigError

ENV_PREFIX = "LEADSYNC_"
ENV_DELIMITER = "__"
CONFIG_ENV_VAR = "LEADSYNC_CONFIG"
DEFAULT_CONFIG_FILE = "leadsync.toml"


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
    if (isinstance(systems, Mapping) and "connections" not in data
            and not any(error["type"] == "role" for error in errors)):
        # the roles were not checked: some system is wrong in another way; check them raw
        roles = {name: t.get("role") if isinstance(t, Mapping) else None
                 for name, t in systems.items()}
        problems += [(_dotted(loc), message) for loc, message in role_problems(roles)]
    return shown, list(dict.fromkeys(problems)), None


def _toml_problem(exc: tomllib.TOMLDecodeError) -> tuple[str, str]:
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", str(exc))
    if match is None:
        return "", f"invalid TOML: {exc}"
    return f"line {match[1]}, column {match[2]}", f"invalid TOML: {str(exc)[:match.start()]}"


def _orphan_env_systems(file_data: dict[str, Any], env_data: dict[str, Any],
                        ) -> list[tuple[str, str]]:
    """Environment variables for a system the file does not declare: report and drop them."""
    systems = file_data.get("systems")
    in_file: dict[str, Any] = systems if isinstance(systems, dict) else {}
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
            model = registered_kinds().get(str(data.get("kind")), SystemSettings)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _lookup(data: Any, loc: Sequence[int | str]) -> Any:
    for part in loc:
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data


def secret_warnings(path: str | Path | None, env: Mapping[str, str] | None = None) -> list[str]:
    """A warning for each secret written in the file itself (a ``SecretStr`` setting), naming
    its key and the environment variable to move it to. The values are never shown."""
    environ = os.environ if env is None else env
    file = Path(path if path is not None else environ.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_FILE)
    try:
        config = load_config(file, env=environ)
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (ConfigError, OSError, tomllib.TOMLDecodeError):
        return []  # the problems are reported by check_config
    return [f"{file}: {'.'.join(keys)}: a secret in the file; set "
            f"{ENV_PREFIX}{ENV_DELIMITER.join(k.upper() for k in keys)} in the environment "
            f"instead" for keys in _secret_keys(raw, config, ())]


def _secret_keys(raw: Any, settings: Any, keys: tuple[str, ...]) -> list[tuple[str, ...]]:
    if isinstance(settings, SecretStr):
        return [keys] if raw not in (None, "") else []
    if not isinstance(raw, Mapping):
        return []
    found = []
    for key, value in raw.items():
        if isinstance(settings, Mapping):
            child = settings.get(key)
        elif isinstance(settings, BaseModel):
            child = getattr(settings, key, None)
        else:
            continue
        found += _secret_keys(value, child, (*keys, key))
    return found
