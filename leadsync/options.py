"""Options and helpers the command groups share.

Every ``leadsync`` module imports this one and none imports back: ``cli.py`` is the root that
adds the command groups (``definition_cli``, ``sla_cli``), and they reach the config through
``load_settings`` here, never through ``cli.py``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from leadsync.connector.config import Config

ConfigOption = Annotated[Path | None, typer.Option(
    "--config", "-c", help="The TOML config file (default: $LEADSYNC_CONFIG, ./leadsync.toml).",
    dir_okay=False)]
NowOption = Annotated[str | None, typer.Option(
    "--now", help="Act as of this instant (ISO-8601 with an offset): what-if runs and tests.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
ConnectionOption = Annotated[str | None, typer.Option(
    "--connection", help="The connection to work on (a [connections.<name>] table of the "
                         "config). Default: the only one; jobs run every connection in turn.")]
LogFormatOption = Annotated[str, typer.Option(
    "--log-format", help="console (readable) or json (one JSON object a line, on stderr).")]


def fail(message: str, code: int = 2, as_json: bool = False) -> typer.Exit:
    """Print to stderr, or with ``as_json`` as one JSON document on stdout (``error_document``);
    the Exit to raise (2: usage or configuration, 1: the work failed)."""
    if as_json:
        typer.echo(json.dumps(error_document(message, code), indent=2))
    else:
        typer.echo(message, err=True)
    return typer.Exit(code)


def config_failure(error: Exception, connection: str = "") -> str:
    """How a configuration error is shown (of ``connection``, when named): on one line when it
    is one problem, else one problem a line under a heading."""
    text, heading = str(error), f"configuration error ({connection})" if connection else \
        "configuration error"
    return f"{heading}:\n{text}" if "\n" in text else f"{heading}: {text}"


def error_document(message: str, code: int) -> dict[str, object]:
    """A failed command's result for ``--json``: the exit code, its meaning
    (``leadsync.exits``: config, failed, locked, reserve...) and the message."""
    from leadsync.exits import ExitCode

    try:
        kind = ExitCode(code).name.lower()
    except ValueError:
        kind = "failed"
    return {"ok": False, "exit_code": code, "error": kind,
            "message": re.sub(r"^configuration error( \([^)]*\))?:\s*", "", message)}


def load_settings(config: Path | None, connection: str | None = None,
                  as_json: bool = False) -> Config:
    """The config of one connection (``connection``, else the config's only one), with the
    built-in adapter kinds known; exit 2 naming what is wrong (as a JSON document with
    ``as_json``)."""
    settings = load_whole(config, as_json)
    names = settings.connection_names()
    if connection is None and len(names) > 1:
        raise fail(f"this config has {len(names)} connections ({', '.join(names)}); "
                   "name one with --connection", as_json=as_json)
    return _one(settings, connection or names[0], as_json)


def load_connections(config: Path | None, connection: str | None = None,
                     as_json: bool = False) -> list[Config]:
    """The configs of the connections a job runs on: ``connection``, else every one."""
    settings = load_whole(config, as_json)
    return [_one(settings, name, as_json) for name in
            ([connection] if connection else settings.connection_names())]


def load_whole(config: Path | None, as_json: bool = False) -> Config:
    """The whole config file, every connection in it; exit 2 naming what is wrong (and, when
    there is no file, how to get one)."""
    from leadsync.adapters.registry import load_builtin_kinds
    from leadsync.connector.config_file import load_config
    from leadsync.connector.errors import ConfigError
    from leadsync.starter import missing_config_hint

    load_builtin_kinds()
    try:
        return load_config(config)
    except ConfigError as exc:
        hint = missing_config_hint(config)
        raise fail(f"configuration error: {hint}" if hint else config_failure(exc),
                   as_json=as_json) from exc


def _one(settings: Config, name: str, as_json: bool = False) -> Config:
    from leadsync.connector.errors import ConfigError

    try:
        return settings.for_connection(name)
    except ConfigError as exc:
        raise fail(f"--connection: {exc.message}", as_json=as_json) from exc


def parse_instant(value: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise fail(f"{option}: not an ISO-8601 instant: {value!r}") from exc
    if moment.tzinfo is None:
        raise fail(f"{option}: give a time zone offset (e.g. Z or +01:00): {value!r}")
    return moment


def now_option(value: str | None) -> datetime:
    return parse_instant(value, "--now") if value else datetime.now(UTC)
