"""Reading the conditions of a lead definition: each TOML table checked and compiled.

``compile_condition`` turns one ``when = { ... }`` table into a ``rules.Condition`` (a closure
and how it reads), or appends a ``Problem`` for every mistake in it: where in the condition, what
is wrong (with a "did you mean" for a misspelt field, operator or rule) and text near it, which
the definition's loader (``definition_file``) turns into a line number. What each operator means
is decided in ``rules``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from leadsync.connector.rules import (
    GROUPS,
    OPERATORS,
    OPERATORS_BY_TYPE,
    BadValue,
    Condition,
    Scope,
    all_of,
    any_of,
    build_test,
    negate,
)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""



@dataclass(frozen=True, slots=True)
class Problem:
    """A mistake in a condition: where in it, what, and text near it in the file."""

    path: str
    message: str
    near: tuple[str, ...] = ()


def compile_condition(raw: Any, scope: Scope, problems: list[Problem],
                      path: str = "when") -> Condition | None:
    """The condition ``raw`` compiled, or None with every problem in it appended."""
    if not isinstance(raw, dict):
        problems.append(Problem(path, "a condition must be a table like "
                                      "{ field = \"title\", contains = \"vp\" }"))
        return None
    forms = [key for key in ("field", "rule", *GROUPS) if key in raw]
    if len(forms) > 1:
        problems.append(Problem(path, f"mixes {' and '.join(map(repr, forms))}: a condition is "
                                      "one field test, one group or one rule reference"))
        return None
    if not forms:
        keys = ", ".join(map(repr, raw)) or "nothing"
        hint = "" if not raw else did_you_mean(next(iter(raw)), ("field", "rule", *GROUPS))
        problems.append(Problem(path, f"has {keys} but needs 'field', 'rule', 'any', 'all' "
                                      f"or 'none'{hint}", tuple(raw)))
        return None
    form = forms[0]
    if form == "field":
        return _field_test(raw, scope, problems, path)
    extra = sorted(set(raw) - {form})
    if extra:
        problems.append(Problem(path, f"{form!r} cannot be combined with "
                                      f"{', '.join(map(repr, extra))}", tuple(extra)))
        return None
    if form == "rule":
        return _reference(raw["rule"], scope, problems, path)
    return _group(form, raw[form], scope, problems, path)


def _group(form: str, items: Any, scope: Scope, problems: list[Problem],
           path: str) -> Condition | None:
    if not isinstance(items, list) or not items:
        problems.append(Problem(path, f"{form} needs a non-empty list of conditions "
                                      f"({form} = [ {{ ... }}, {{ ... }} ])", (f"{form} =",)))
        return None
    parts = [compile_condition(item, scope, problems, f"{path}.{form}[{index}]")
             for index, item in enumerate(items)]
    if any(part is None for part in parts):
        return None
    conditions = [part for part in parts if part is not None]
    tests = [c.test for c in conditions]
    text = f"{form} of ({'; '.join(c.text for c in conditions)})"
    if form == "all":
        return Condition(all_of(tests), text)
    either = any_of(tests)
    return Condition(either if form == "any" else negate(either), text)


def _reference(name: Any, scope: Scope, problems: list[Problem],
               path: str) -> Condition | None:
    near = (f'"{name}"', f"'{name}'", "rule")
    if not isinstance(name, str):
        problems.append(Problem(path, "rule must name another rule", near))
        return None
    if name == scope.current:
        problems.append(Problem(path, f"refers to itself ({name!r})", near))
        return None
    if name in scope.later:
        problems.append(Problem(path, f"refers to {scope.later[name]} rule {name!r}, which is "
                                      "evaluated after this one; a rule may refer only to rules "
                                      "before it (exclusions, fit, engagement, hot; top to "
                                      "bottom within each)", near))
        return None
    if name not in scope.visible:
        problems.append(Problem(path, f"refers to unknown rule {name!r}"
                                      f"{did_you_mean(name, [*scope.visible, *scope.later])}",
                                near))
        return None
    index = scope.visible[name]
    return Condition(lambda v, m: m[index] == 1, f"rule {name}")


def _field_test(raw: dict[str, Any], scope: Scope, problems: list[Problem],
                path: str) -> Condition | None:
    field = raw["field"]
    if not isinstance(field, str) or field not in scope.fields:
        hint = did_you_mean(field, scope.fields) if isinstance(field, str) else ""
        problems.append(Problem(path, f"unknown field {field!r}{hint}; declare it in [fields]",
                                (f'"{field}"', f"'{field}'", "field")))
        return None
    kind = scope.fields[field]
    allowed = OPERATORS_BY_TYPE[kind]
    ops = [key for key in raw if key not in ("field", "case_sensitive")]
    unknown = [op for op in ops if op not in OPERATORS]
    for op in unknown:
        problems.append(Problem(path, f"unknown operator {op!r}{did_you_mean(op, OPERATORS)}",
                                (f"{op} =", f"{op}=")))
    ops = [op for op in ops if op in OPERATORS]
    if unknown:
        return None
    if not ops:
        problems.append(Problem(path, f"field {field!r} needs an operator, one of "
                                      f"{', '.join(allowed)}", (f'"{field}"', f"'{field}'")))
        return None
    if len(ops) > 1:
        problems.append(Problem(path, f"has two operators {ops[0]!r} and {ops[1]!r}: one per "
                                      "condition (use between, or all = [...])",
                                (f"{ops[1]} =", f"{ops[1]}=")))
        return None
    op = ops[0]
    near = (f"{op} =", f"{op}=")
    if op not in allowed:
        problems.append(Problem(path, f"{op} does not apply to {kind} field {field!r} "
                                      f"(a {kind} field takes {', '.join(allowed)})", near))
        return None
    exact = raw.get("case_sensitive", False)
    if not isinstance(exact, bool):
        problems.append(Problem(path, "case_sensitive must be true or false",
                                ("case_sensitive",)))
        return None
    if "case_sensitive" in raw and (kind != "string" or op == "present"):
        problems.append(Problem(path, f"case_sensitive applies only to text tests, not to "
                                      f"{op} on {kind} field {field!r}", ("case_sensitive",)))
        return None
    value = raw[op]
    try:
        test, shown = build_test(op, scope, field, kind, value, exact)
    except BadValue as bad:
        problems.append(Problem(path, f"{op} on {kind} field {field!r}: {bad}",
                                near if op != "matches" else (str(value), *near)))
        return None
    return Condition(test, f"{field} {shown}" + (" (case-sensitive)" if exact else ""))
