"""How far a long job has got, told to whoever watches; nobody has to.

A pass over a million leads, or a sweep over every open clock, runs for minutes. The engine and
the jobs tell a ``Progress`` callback how far each phase has got, and the command line shows
it as progress bars on a terminal (``leadsync.progress``) and nowhere else. The engine imports
nothing to draw with: a callback is a plain function, called on the thread doing the work, and
must be quick.

A call is ``progress(phase, done, total)``: ``phase`` a few words a person reads, the same for
every call of one phase; ``done`` what the phase has done so far; ``total`` how much there is,
or None when not known in advance (a change feed's length). The phases:

- sync: ``reading <system>`` (records read), ``matching`` (changed leads matched and
  planned), ``writing to <system>`` (writes confirmed, of those planned so far);
- SLA sweep: ``reading leads``, ``judging leads`` (leads whose clocks were judged, of the
  leads read), ``applying effects`` (tasks, notifications and writes done, of those planned).
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int | None], None]  # (phase, done, total)


def quiet(phase: str, done: int, total: int | None) -> None:
    """Progress told to nobody."""


def named(progress: Progress | None, phase: str) -> Callable[[int, int | None], None]:
    """``progress`` for one phase: ``(done, total)``; nobody told when ``progress`` is None."""
    tell = progress or quiet

    def report(done: int, total: int | None) -> None:
        tell(phase, done, total)
    return report
