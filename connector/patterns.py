"""Regular expressions from admins' files, run by RE2 in time linear in the text.

Python's ``re`` backtracks: ``^(\\w+\\s?)+$`` against a 50-character job title ending in "!"
runs for more than 20 seconds, so one form fill could stall a sync. Every pattern an admin
writes (a lead definition's ``matches``) is compiled here with RE2 (the ``google-re2`` package),
which never backtracks: a search takes time linear in the text, whatever the pattern.

RE2 runs the usual syntax (classes, groups, alternation, ``?``/``*``/``+``/``{m,n}``, anchors,
``\\b``, ``(?i)``, named groups ``(?P<name>...)``) and refuses, at load, what needs
backtracking: backreferences (``\\1``, ``(?P=name)``), lookahead and lookbehind (``(?=``,
``(?!``, ``(?<=``, ``(?<!``), possessive and atomic forms (``a++``, ``(?>...)``) and ``\\Z``
(write ``$``). The refusal says which.

One difference from Python's ``re`` shows: ``\\w``, ``\\d``, ``\\s`` and ``\\b`` are ASCII in
RE2. For letters of any script write ``\\pL`` (``[\\pL\\pN_]+`` for a Unicode word).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import re2

Search = Callable[[str], bool]  # True when the pattern is found anywhere in the text

_NEEDS_BACKTRACKING = ("backreferences (\\1, (?P=name)), lookahead or lookbehind ((?=, (?!, "
                       "(?<=, (?<!), possessive or atomic forms (a++, (?>...)) or \\Z")


class PatternError(ValueError):
    """A pattern that does not compile, or needs an engine that can backtrack."""


def compile_search(pattern: str, ignore_case: bool = False) -> Search:
    """A linear-time search for ``pattern``; ``PatternError`` says why one cannot be had."""
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.log_errors = False  # RE2 would print every refusal to stderr
    try:
        compiled = re2.compile(pattern, options)
    except re2.error as exc:
        raise PatternError(_why(pattern, exc)) from None

    def search(text: str) -> bool:
        return compiled.search(text) is not None

    return search


def _why(pattern: str, exc: Exception) -> str:
    """Python's own words (with the position) for a pattern that is wrong anywhere; for one
    only RE2 refuses, what it uses and what RE2 cannot run."""
    try:
        re.compile(pattern)
    except re.error as bad:
        return f"bad regular expression {pattern!r}: {bad.msg} at position {bad.pos}"
    detail = exc.args[0] if exc.args else exc
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    return (f"regular expression {pattern!r} cannot run in linear time ({detail}): "
            f"LeadSync runs patterns with RE2, which has no {_NEEDS_BACKTRACKING}; "
            f"rewrite it without them")
