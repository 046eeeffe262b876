"""Options and helpers the command groups share.

Every ``leadsync`` module imports this one and none imports back: ``cli.py`` is the root that
adds the command groups (``definition_cli``, ``sla_cli``), and they reach the config through
``load_settings`` here, never through ``cli.py``.
"""

from __future__ import annotations

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


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print to stderr; the Exit to raise (2: usage or configuration, 1: the work failed)."""
    typer.echo(message, err=True)
    return typer.Exit(code)


def load_settings(config: Path | None, connection: str | None = None) -> Config:
    """The config of one connection (``connection``, else the config's only one), with the
    built-in adapter kinds known; exit 2 naming what is wrong."""
    settings = load_whole(config)
    names = settings.connection_names()
    if connection is None and len(names) > 1:
        raise fail(f"this config has {len(names)} connections ({', '.join(names)}); "
                   "name one with --connection")
    return _one(settings, connection or names[0])


def load_connections(config: Path | None, connection: str | None = None) -> list[Config]:
    """The configs of the connections a job runs on: ``connection``, else every one."""
    settings = load_whole(config)
    return [_one(settings, name) for name in
            ([connection] if connection else settings.connection_names())]


def load_whole(config: Path | None) -> Config:
    """The whole config file, every connection in it; exit 2 naming what is wrong."""
    from leadsync.adapters.registry import load_builtin_kinds
    from leadsync.connector.config_file import load_config
    from leadsync.connector.errors import ConfigError

    load_builtin_kinds()
    try:
        return load_config(config)
    except ConfigError as exc:
        raise fail(f"configuration error:\n{exc}") from exc


def _one(settings: Config, name: str) -> Config:
    from leadsync.connector.errors import ConfigError

    try:
        return settings.for_connection(name)
    except ConfigError as exc:
        raise fail(f"--connection: {exc.message}") from exc


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
