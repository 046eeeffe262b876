"""Every command's --help shows every word of its help text and shows flags as they work."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer
from typer.core import TyperOption
from typer.testing import CliRunner

from leadsync.cli import app

runner = CliRunner()
BRACKETED = re.compile(r"\[[^\]\s][^\]]*\]")


def commands(command: typer.core.TyperCommand | typer.core.TyperGroup,
             path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    yield path, command
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from commands(sub, (*path, name))


ALL = list(commands(typer.main.get_command(app)))


def flat(text: str) -> str:
    return " ".join(text.split())


def help_of(path: tuple[str, ...]) -> str:
    done = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
    assert done.exit_code == 0, done.output
    return done.output


def test_the_walk_reaches_nested_commands() -> None:
    paths = {" ".join(path) for path, _ in ALL}
    assert {"sync", "sla calc", "config check", "errors list"} <= paths


@pytest.mark.parametrize("path", [path for path, _ in ALL], ids=lambda p: " ".join(p) or "root")
def test_help_keeps_every_bracketed_word_and_shows_flags_without_a_value(
        path: tuple[str, ...]) -> None:
    command = dict(ALL)[path]
    shown = help_of(path)
    texts = [getattr(command, "help", None) or ""]
    texts += [getattr(param, "help", None) or "" for param in getattr(command, "params", [])]
    for word in (w for text in texts for w in BRACKETED.findall(text)):
        assert flat(word) in flat(shown), f"{' '.join(path)} --help lost {word!r}"
    assert "<bool>" not in shown
    for param in getattr(command, "params", []):
        if not isinstance(param, TyperOption) or param.hidden:
            continue
        for name in param.opts:
            displayed = re.search(rf"(?m){re.escape(name)}(?:,\s*-\S+)?(?: (<[^>]*>\S*))?", shown)
            assert displayed is not None, f"{name} missing from {' '.join(path)} --help"
            if param.is_flag:
                assert displayed[1] is None, f"flag {name} displayed as taking {displayed[1]}"


def test_sla_calc_help_names_the_calendars_table() -> None:
    assert "[calendars]" in help_of(("sla", "calc"))


def test_a_flag_works_as_the_help_shows_it_and_a_value_after_it_is_refused_plainly() -> None:
    shown = help_of(("sync",))
    assert re.search(r"(?m)^\s+--dry-run\s{2,}Read both sides", shown)
    refused = runner.invoke(app, ["sync", "--dry-run", "false"])
    assert refused.exit_code == 2
    assert "unexpected extra argument" in refused.output.lower()
