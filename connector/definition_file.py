"""Reading a lead definition file: TOML checked and compiled into a ``Definition``.

Every problem is reported at once, as ``<file>:<line>: <message>``: unknown keys (with a "did you
mean"), values of the wrong kind, rules that refer to later or unknown rules, conditions that do
not fit their fields' types, a ``mql_score`` no lead can reach. The conditions themselves are
checked by ``condition_tables``; what a definition does with a lead is in ``definition``.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from leadsync.connector.condition_tables import Problem, compile_condition, did_you_mean
from leadsync.connector.definition import Definition, Rule
from leadsync.connector.definition_lines import Lines
from leadsync.connector.errors import ConfigError
from leadsync.connector.rules import FIELD_TYPES, Scope, Test

_SECTIONS = {"exclusions": "exclusion", "fit": "fit", "engagement": "engagement", "hot": "hot"}
_TOP_KEYS = ("definition", "fields", *_SECTIONS, "verdict")
_HEAD_KEYS = ("name", "version", "agreed_by", "agreed_on", "description")
_VERDICT_KEYS = ("mql_score", "min_fit_points", "grades")
_RULE_KEYS = {"exclusion": ("name", "reason", "when", "description"),
              "fit": ("name", "points", "when", "description"),
              "engagement": ("name", "points", "when", "description"),
              "hot": ("name", "when", "grade", "description")}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,63}")
_LINE = re.compile(r"[^\x00-\x1f\x7f]+")


def load_definition(path: str | Path) -> Definition:
    """Read, check and compile a definition file; every problem is reported at once."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read lead definition: {exc.strerror}", str(path)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"lead definition is not UTF-8 text: {exc.reason}", str(path)) from exc
    return load_definition_text(text, str(path))


def load_definition_text(text: str, source: str = "<string>") -> Definition:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"at line (\d+)", str(exc))
        where = f"{source}:{line.group(1)}" if line else source
        raise ConfigError(f"not valid TOML: {exc}", where) from exc
    return _Loader(text, source).load(data)


class _Loader:
    def __init__(self, text: str, source: str) -> None:
        self.source, self.lines = source, Lines(text)
        self.problems: list[tuple[int, str]] = []
        self.untyped: set[str] = set()  # fields declared with a type we do not know
        self.hot_grades: list[tuple[str, Any, int]] = []  # hot rule, its grade, the line

    def add(self, line: int, message: str) -> None:
        self.problems.append((line, message))

    def load(self, data: dict[str, Any]) -> Definition:
        for key in data:
            if key not in _TOP_KEYS:
                self.add(self.lines.key("", key) or self.lines.span(key)[0],
                         f"unknown top-level key {key!r}{did_you_mean(key, _TOP_KEYS)}")
        head = self._head(self._table(data, "definition", _HEAD_KEYS))
        fields, required = self._fields(self._table(data, "fields", ()))
        scope = Scope(fields)
        rules, tests = self._rules(data, scope, required)
        settings = self._table(data, "verdict", _VERDICT_KEYS)
        mql, min_fit, grades = self._settings(settings, rules)
        self._check_hot_grades(grades)
        if self.problems:
            lines = [f"{self.source}:{n}: {m}" if n else f"{self.source}: {m}"
                     for n, m in sorted(self.problems, key=lambda p: p[0])]
            count = f"{len(lines)} problems" if len(lines) > 1 else "a problem"
            raise ConfigError(f"{count} in the lead definition:\n" + "\n".join(lines),
                              self.source)
        return Definition(source=self.source, head=head, fields=fields, required=required,
                          rules=rules, tests=tests, plan=scope.plan(), size=scope.size(),
                          mql_score=mql, min_fit_points=min_fit, grades=grades,
                          fingerprint=_fingerprint(data))

    def _table(self, data: dict[str, Any], name: str, keys: tuple[str, ...]) -> dict[str, Any]:
        table = data.get(name)
        if not isinstance(table, dict):
            self.add(self.lines.span(name)[0] or self.lines.key("", name),
                     f"[{name}] is required" if table is None else f"{name} must be a table")
            return {}
        for key in table if keys else ():
            if key not in keys:
                self.add(self.lines.key(name, key), f"[{name}] has unknown key {key!r}"
                                                    f"{did_you_mean(key, keys)}")
        return table

    def _head(self, head: dict[str, Any]) -> dict[str, Any]:
        line = self.lines.span("definition")[0]
        for key in ("name", "version"):
            value = head.get(key)
            if not isinstance(value, str) or not _LINE.fullmatch(value) or len(value) > 80:
                problem = "is required" if value is None else "must be one line of text"
                example = ' (e.g. version = "2026.11-1", quoted)' if key == "version" else ""
                self.add(self.lines.key("definition", key) or line,
                         f"[definition] {key} {problem}{example}")
        version = head.get("version")
        if isinstance(version, str) and len(version) > 40:
            self.add(self.lines.key("definition", "version"), "version is longer than 40 "
                     "characters; it is stamped on every verdict")
        agreed = head.get("agreed_by", [])
        if not isinstance(agreed, list) or not all(isinstance(a, str) and a for a in agreed):
            self.add(self.lines.key("definition", "agreed_by"),
                     'agreed_by must be a list of names, e.g. ["Tom Reyes (CMO)"]')
        on = head.get("agreed_on")
        if on is not None and (not isinstance(on, date) or isinstance(on, datetime)):
            self.add(self.lines.key("definition", "agreed_on"),
                     "agreed_on must be a date written without quotes, e.g. 2026-11-02")
        if not isinstance(head.get("description", ""), str):
            self.add(self.lines.key("definition", "description"), "description must be text")
        return head

    def _fields(self, table: dict[str, Any]) -> tuple[dict[str, str], tuple[str, ...]]:
        fields: dict[str, str] = {}
        for name, kind in table.items():
            if name == "required":
                continue
            if kind in FIELD_TYPES:
                fields[name] = kind
            else:
                self.untyped.add(name)
                self.add(self.lines.key("fields", name),
                         f"field {name!r} has type {kind!r}{did_you_mean(str(kind), FIELD_TYPES)}"
                         f"; types are {', '.join(FIELD_TYPES)}")
        required = table.get("required", [])
        line = self.lines.key("fields", "required")
        if not isinstance(required, list) or not all(isinstance(n, str) for n in required):
            self.add(line, "required must be a list of field names")
            return fields, ()
        for name in required:
            if name not in table:
                self.add(line, f"required names unknown field {name!r}"
                               f"{did_you_mean(name, fields)}")
        return fields, tuple(dict.fromkeys(n for n in required if n in fields))

    def _rules(self, data: dict[str, Any], scope: Scope,
               required: tuple[str, ...]) -> tuple[tuple[Rule, ...], tuple[Test, ...]]:
        rules = [Rule(name, "required", 0, f"{name} is present", name) for name in required]
        tests = [_present(scope.slot(name)) for name in required]
        entries: list[tuple[str, int, dict[str, Any]]] = []
        for section, kind in _SECTIONS.items():
            raw = data.get(section, [])
            if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
                self.add(self.lines.span(section)[0], f"write each {kind} rule as its own "
                         f"[[{section}]] table")
                continue
            entries.extend((section, index, rule) for index, rule in enumerate(raw))
        names = [e[2].get("name") for e in entries]
        seen: dict[str, int] = {}
        for position, (section, index, raw) in enumerate(entries):
            kind = _SECTIONS[section]
            start, end = self.lines.span(section, index)
            name: Any = raw.get("name")
            where = f"{kind} rule {name!r}" if isinstance(name, str) else f"[[{section}]] rule"
            problems = self._rule_keys(raw, kind)
            name_line = self.lines.key_in(start, end, "name") or start
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                problems.append(("name", "needs a name: letters, digits, _ . - (up to 64, a "
                                         "letter first)"))
            elif name in seen:
                problems.append(("name", f"duplicate rule name {name!r} (first at line "
                                         f"{seen[name]})"))
            else:
                seen[name] = name_line
            scope.current = name if isinstance(name, str) else ""
            scope.later = {n: _SECTIONS[e[0]] for n, e in zip(names[position + 1:],
                                                              entries[position + 1:], strict=True)
                           if isinstance(n, str) and n not in scope.visible}
            condition_problems: list[Problem] = []
            condition = None
            if "when" not in raw:
                problems.append(("", "needs a condition: when = { ... }"))
            else:
                condition = compile_condition(raw["when"], scope, condition_problems)
            when = self.lines.key_in(start, end, "when") or start
            for key, problem in problems:
                self.add(self.lines.key_in(start, end, key) or start, f"{where}: {problem}")
            for p in condition_problems:
                if any(p.message.startswith(f"unknown field {f!r}") for f in self.untyped):
                    continue  # its [fields] entry is reported already
                self.add(self.lines.find(when, end, p.near) or when,
                         f"{where}: {p.path}: {p.message}")
            if isinstance(name, str) and name not in scope.visible:
                scope.visible[name] = len(rules)
            points, reason = raw.get("points", 0), raw.get("reason", name)
            points = points if kind in ("fit", "engagement") and _whole(points) else 0
            grade = raw.get("grade", "")
            if grade != "":
                self.hot_grades.append((str(name), grade,
                                        self.lines.key_in(start, end, "grade") or start))
            rules.append(Rule(str(name), kind, points, condition.text if condition else "",
                              reason if isinstance(reason, str) else str(name),
                              str(raw.get("description", "")), start,
                              grade if isinstance(grade, str) else ""))
            tests.append(condition.test if condition else _never)
        if not entries:
            self.add(0, "the definition has no rules: add [[fit]], [[engagement]] or [[hot]] "
                        "tables")
        return tuple(rules), tuple(tests)

    def _rule_keys(self, raw: dict[str, Any], kind: str) -> list[tuple[str, str]]:
        """(key, problem) for each wrong key of a rule table; key "" for the table itself."""
        keys = _RULE_KEYS[kind]
        problems = [(key, f"unknown key {key!r}{did_you_mean(key, keys)} ({kind} rules take "
                          f"{', '.join(keys)})") for key in raw if key not in keys]
        points = raw.get("points")
        if kind in ("fit", "engagement") and not _whole(points):
            problems.append(("points", "points is required" if points is None else
                             f"points must be a whole number, not {points!r}"))
        reason = raw.get("reason")
        if reason is not None and (not isinstance(reason, str) or not _LINE.fullmatch(reason)
                                   or len(reason) > 120):
            problems.append(("reason", "reason must be one line of text, up to 120 characters"))
        if not isinstance(raw.get("description", ""), str):
            problems.append(("description", "description must be text"))
        return problems

    def _settings(self, table: dict[str, Any], rules: tuple[Rule, ...]
                  ) -> tuple[int, int | None, tuple[tuple[str, int], ...]]:
        def whole(key: str, value: Any) -> bool:
            if not _whole(value) or value < 0:
                problem = "is required" if value is None else \
                    f"must be a whole number, 0 or more, not {value!r}"
                self.add(self.lines.key("verdict", key) or self.lines.span("verdict")[0],
                         f"[verdict] {key} {problem}")
                return False
            return True

        mql, min_fit = table.get("mql_score"), table.get("min_fit_points")
        if table and not whole("mql_score", mql):
            mql = 0
        if min_fit is not None and not whole("min_fit_points", min_fit):
            min_fit = None
        reachable = sum(max(r.points, 0) for r in rules if r.kind in ("fit", "engagement"))
        if table and isinstance(mql, int) and mql > reachable and not any(
                r.kind == "hot" for r in rules):
            self.add(self.lines.key("verdict", "mql_score"), f"mql_score {mql} cannot be "
                     f"reached: the fit and engagement rules add up to {reachable} at most")
        fit_reachable = sum(max(r.points, 0) for r in rules if r.kind == "fit")
        if isinstance(min_fit, int) and min_fit > fit_reachable:
            self.add(self.lines.key("verdict", "min_fit_points"), f"min_fit_points {min_fit} "
                     f"cannot be reached: the fit rules add up to {fit_reachable} at most")
        return int(mql or 0), min_fit, self._grades(table)

    def _check_hot_grades(self, grades: tuple[tuple[str, int], ...]) -> None:
        """A hot rule's ``grade`` must be one of ``[verdict] grades``."""
        names = [name for name, _ in grades if name]
        for rule, grade, line in self.hot_grades:
            if not isinstance(grade, str) or (names and grade not in names):
                known = f": one of {', '.join(names)}" if names else ""
                self.add(line, f"hot rule {rule!r}: grade {grade!r} is not a grade of "
                               f"[verdict] grades{known}")

    def _grades(self, table: dict[str, Any]) -> tuple[tuple[str, int], ...]:
        line = self.lines.key("verdict", "grades") or self.lines.span("verdict")[0]
        grades = table.get("grades")
        if not isinstance(grades, dict) or not grades:
            if table:
                self.add(line, "[verdict] grades is required, e.g. "
                               "grades = { A = 80, B = 60, C = 40, D = 0 }")
            return (("", 0),)
        pairs = list(grades.items())
        bad = [name for name, floor in pairs
               if isinstance(floor, bool) or not isinstance(floor, int)]
        if bad:
            self.add(line, f"grade {bad[0]!r} needs a whole-number threshold")
            return (("", 0),)
        for (upper, high), (lower, low) in pairwise(pairs):
            if low >= high:
                self.add(line, f"grades must run from the highest threshold down: {lower!r} "
                               f"({low}) comes after {upper!r} ({high})")
                return (("", 0),)
        if pairs[-1][1] != 0:
            self.add(line, f"grades need a floor at 0 (e.g. {pairs[-1][0]} = 0) so every "
                           "score gets a grade")
        return tuple(pairs)


def _present(slot: int) -> Test:
    return lambda v, m: v[slot] is not None


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _never(values: list[Any], matched: bytearray) -> bool:
    return False


def _fingerprint(data: dict[str, Any]) -> str:
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=lambda value: value.isoformat())
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
