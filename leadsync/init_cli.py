"""``leadsync init``: a starter config with the files it names, and the next steps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadsync.exits import ExitCode
from leadsync.options import fail
from leadsync.starter import next_steps, starter


def init(
    path: Annotated[Path | None, typer.Argument(
        help="The config file to write, or a folder to write leadsync.toml in (default: "
             "./leadsync.toml).")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite the files init writes if they exist.")] = False,
) -> None:
    """Write a starter config (the documented example) and the mapping and lead definition it
    names, next to it; refuse to overwrite any of them without --force."""
    files = starter(path)
    existing = files.existing()
    if existing and not force:
        raise fail("leadsync init: not overwriting " + ", ".join(map(str, existing))
                   + " (--force to overwrite them); nothing written", ExitCode.CONFIG)
    try:
        written = files.write()
    except OSError as exc:
        raise fail(f"leadsync init: cannot write {exc.filename}: {exc.strerror}",
                   ExitCode.CONFIG) from exc
    for file in written:
        typer.echo(f"wrote {file}")
    typer.echo("\nNext steps:")
    for number, step in enumerate(next_steps(files.config), 1):
        typer.echo(f"  {number}. {step}")
