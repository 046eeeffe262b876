"""Progress bars on a terminal for the engine's ``connector.progress`` callbacks, and silence
everywhere else.

An admin running ``leadsync sync`` by hand wants to see that it is moving (records read on
each side, leads matched, writes confirmed); cron, a pipe, a test or ``--json`` want only the
result. The bars are drawn on stderr, only when both stdout and stderr are terminals, and are
gone when the command prints its result.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import IO, Any

from leadsync.connector.progress import Progress


def on_terminal(*streams: IO[str]) -> bool:
    """Whether every stream is a terminal (stdout and stderr when none is given)."""
    return all(stream.isatty() for stream in streams or (sys.stdout, sys.stderr))


class Bars:
    """One rich progress bar per phase; a phase with no total shows its count alone.

    ``with Bars(quiet=...) as progress:`` gives the ``Progress`` callback to pass to a job, or
    None when quiet (``quiet`` None: quiet unless on a terminal).
    """

    def __init__(self, quiet: bool | None = None, console: Any = None) -> None:
        self.quiet = not on_terminal() if quiet is None else quiet
        self._console = console
        self._bar: Any = None
        self._phases: dict[str, Any] = {}

    def __enter__(self) -> Progress | None:
        if self.quiet:
            return None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        console = self._console or Console(stderr=True)
        self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                             MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                             transient=True)
        self._bar.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        bar = self._bar
        if bar is None:
            return
        if phase not in self._phases:
            self._phases[phase] = bar.add_task(phase, total=total)
        bar.update(self._phases[phase], completed=done, total=total)
