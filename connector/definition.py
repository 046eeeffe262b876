"""The lead definition: one versioned, explainable qualification signed by marketing and sales.

A definition is data (``definitions/*.toml``, see ``definitions/example.toml``) checked at load
by ``definition_file.load_definition``, every problem reported at once with its file and line.
It is evaluated on a lead in a fixed order, each rule seeing only the results of rules before it:

1. ``required`` fields: one missing -> not qualified (the lead stays with marketing).
2. ``[[exclusions]]``: any match -> not qualified, resolved with the exclusion's reason.
3. ``[[fit]]`` (who they are) and 4. ``[[engagement]]`` (what they did): points when matched;
   the score is their sum, the grade the highest whose threshold the score reaches.
5. ``[[hot]]``: any match -> qualified at once, whatever the score (not past 1. or 2.). A hot
   rule may set the grade (``grade = "A"``): a lead it makes hot has that grade whatever its
   score (several matched: the best of their grades); when it differs from the score's grade,
   the reason names the rule and the grade the score alone would give.

An excluded lead (2.) has no grade (``""``: LeadSync's grade field is cleared on both sides);
its reason says "Not qualified (excluded, no grade): " and the exclusions' reasons. A lead only
missing a required field keeps the grade of its score (it qualifies once the data is there).

Otherwise the lead is qualified (an MQL) when ``score >= mql_score`` and, if set,
``fit points >= min_fit_points``. The verdict carries the definition's version, every rule's
result and a one-line reason (at most 255 characters, for a CRM text field). Rule details
describe the rule, never the lead's data, so verdicts are safe to log and write back.

A verdict depends only on which rules matched and which fields were unreadable, so verdicts are
kept by that key (up to ``verdict_cache_size`` of them) and shared: they are immutable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import compress
from operator import getitem, itemgetter
from typing import Any

from leadsync.connector.rules import Reader, Test, read_exact

REASON_LIMIT = 255  # characters: a CRM text field
DETAIL_LIMIT = 120
_KINDS = ("required", "exclusion", "fit", "engagement", "hot")  # the order of evaluation
_FLIP = bytes.maketrans(b"\x00\x01", b"\x01\x00")


@dataclass(frozen=True, slots=True)
class RuleResult:
    name: str
    kind: str  # "required" | "exclusion" | "fit" | "engagement" | "hot"
    matched: bool
    points: int  # what the rule is worth; it counts in the score when matched
    detail: str  # "title matches /.../", "missing: company"


@dataclass(frozen=True, slots=True)
class Verdict:
    qualified: bool
    hot: bool
    excluded: bool
    grade: str
    score: int
    fit_points: int
    reason: str
    version: str
    results: tuple[RuleResult, ...]  # every rule, in evaluation order
    unreadable: tuple[str, ...] = ()  # fields whose value the declared type cannot read

    def as_dict(self) -> dict[str, Any]:
        outcome = "mql" if self.qualified else "excluded" if self.excluded else "not_qualified"
        return {"verdict": outcome, "qualified": self.qualified, "hot": self.hot,
                "excluded": self.excluded, "grade": self.grade, "score": self.score,
                "fit_points": self.fit_points, "reason": self.reason, "version": self.version,
                "unreadable": list(self.unreadable),
                "rules": [{"name": r.name, "kind": r.kind, "matched": r.matched,
                           "points": r.points, "detail": r.detail} for r in self.results]}


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    kind: str
    points: int
    text: str  # the condition as it reads in an explanation
    reason: str  # what a verdict says when it decides the outcome (exclusions), else the name
    description: str = ""
    line: int = 0
    grade: str = ""  # hot rules only: the grade a lead it makes hot gets, whatever its score


class Definition:
    """A loaded, compiled lead definition; ``evaluate`` is pure and deterministic."""

    verdict_cache_size = 32_768  # distinct verdicts kept; 0 builds each afresh

    def __init__(self, *, source: str, head: Mapping[str, Any], fields: Mapping[str, str],
                 required: tuple[str, ...], rules: tuple[Rule, ...], tests: tuple[Test, ...],
                 plan: tuple[tuple[tuple[str, int, Reader], ...], tuple[tuple[str, int, int], ...]],
                 size: int, mql_score: int, min_fit_points: int | None,
                 grades: tuple[tuple[str, int], ...], fingerprint: str) -> None:
        self.source, self.name, self.version = source, head["name"], head["version"]
        self.agreed_by: tuple[str, ...] = tuple(head.get("agreed_by", ()))
        self.agreed_on: date | None = head.get("agreed_on")
        self.description: str = head.get("description", "")
        self.fields, self.required, self.rules = dict(fields), required, rules
        self.mql_score, self.min_fit_points, self.grades = mql_score, min_fit_points, grades
        self._fingerprint, (self._single, self._dual) = fingerprint, plan
        self._numbered, self._count = tuple(enumerate(tests)), len(tests)
        self._size = size
        self._clock: tuple[datetime | None, list[Any]] = (None, [None] * size)
        self._cache: dict[Any, Verdict] = {}
        tagged = self.version[:1] in "vV" and self.version[1:2].isdigit()  # "v7" is not "vv7"
        self._tag = f"[{self.version}]" if tagged else f"[v{self.version}]"
        # rules come grouped by kind, so each kind's results are one slice of the matched bytes
        kinds = [r.kind for r in rules]
        self._slices = [slice(kinds.index(k), len(kinds) - kinds[::-1].index(k))
                        if k in kinds else slice(0, 0) for k in _KINDS]
        needed, excluding, fitting, engaging, heating = self._slices
        self._pairs = tuple(_result_pair(rule) for rule in rules)
        self._missing = tuple(r.name for r in rules[needed])
        self._excluded = tuple(r.reason for r in rules[excluding])
        self._fit_points = tuple(r.points for r in rules[fitting])
        self._engagement_points = tuple(r.points for r in rules[engaging])
        self._hot_names = tuple(r.name for r in rules[heating])
        ranks = {name: rank for rank, (name, _) in enumerate(grades)}
        self._hot_grades = tuple((ranks.get(r.grade, len(ranks)), r.grade, r.name)
                                 for r in rules[heating])
        scoring = sorted((i for i, r in enumerate(rules) if r.kind in ("fit", "engagement")),
                         key=lambda i: (-rules[i].points, i))
        self._labels = tuple(f"{rules[i].name} {rules[i].points:+d}" for i in scoring)
        self._scoring_bits = (itemgetter(*scoring) if len(scoring) > 1 else
                              (lambda m, i=scoring[0]: (m[i],)) if scoring else (lambda m: ()))

    def __repr__(self) -> str:
        return f"<Definition {self.name!r} v{self.version} from {self.source}>"

    def field_names(self) -> list[str]:
        return list(self.fields)

    def fingerprint(self) -> str:
        """A hash of the file's content as parsed (comments and layout aside)."""
        return self._fingerprint

    def evaluate(self, lead: Mapping[str, Any], now: datetime) -> Verdict:
        """The verdict on ``lead`` at ``now`` (naive ``now`` is taken as UTC)."""
        clock = self._clock  # one read: safe when threads evaluate with different nows
        if clock[0] is not now:
            clock = self._clock = (now, self._blank_at(now))
        values = clock[1].copy()
        unreadable: list[str] | None = None
        get = lead.get
        for field, slot, read in self._single:
            raw = get(field)
            if raw is not None:
                try:
                    values[slot] = read(raw)
                except (ValueError, TypeError, OverflowError):
                    unreadable = [*(unreadable or ()), field]
        for field, folded, exact in self._dual:
            raw = get(field)
            if raw is not None:
                try:
                    text = values[exact] = read_exact(raw)
                except (ValueError, TypeError):
                    unreadable = [*(unreadable or ()), field]
                    continue
                if text is not None:
                    values[folded] = text.casefold()
        matched = bytearray(self._count)
        for i, test in self._numbered:
            matched[i] = test(values, matched)
        key: Any = bytes(matched) if unreadable is None else (bytes(matched), *unreadable)
        verdict = self._cache.get(key)
        if verdict is None:
            verdict = self._verdict(key if unreadable is None else key[0],
                                    tuple(unreadable or ()))
            if len(self._cache) >= self.verdict_cache_size:
                self._cache.clear()  # a new population of leads: keep the recent verdicts
            if self.verdict_cache_size:
                self._cache[key] = verdict
        return verdict

    def _blank_at(self, now: datetime) -> list[Any]:
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        return [now.timestamp(), now.toordinal(), *[None] * (self._size - 2)]

    def _verdict(self, matched: bytes, unreadable: tuple[str, ...]) -> Verdict:
        required, exclusion, fit_part, engagement, hot_part = self._slices
        fit = sum(compress(self._fit_points, matched[fit_part]))
        score = fit + sum(compress(self._engagement_points, matched[engagement]))
        graded = self.grades[-1][0]  # scores below 0 (negative points) get the floor grade
        for name, floor in self.grades:
            if score >= floor:
                graded = name
                break
        # a hot rule that sets a grade gives it, the best of the matched hot rules' grades
        set_by = min((g for g, on in zip(self._hot_grades, matched[hot_part], strict=True)
                      if on and g[1]), default=None)
        missing = ", ".join(compress(self._missing, matched[required].translate(_FLIP)))
        reasons = "; ".join(dict.fromkeys(compress(self._excluded, matched[exclusion])))
        hot = ", ".join(compress(self._hot_names, matched[hot_part]))
        scored = ", ".join(compress(self._labels, self._scoring_bits(matched))) or "no points"
        qualified, grade = False, graded
        if reasons:  # an excluded lead is not graded: its grade would say nothing true
            grade = ""
            body = ("Not qualified (excluded, no grade): " + reasons
                    + (f"; missing {missing}" if missing else ""))
        elif missing:
            body = f"Not qualified: missing {missing}"
        elif hot and set_by is not None and set_by[1] != graded:
            grade = set_by[1]
            qualified, body = True, (f"Hot MQL via {hot} ({grade} set by {set_by[2]}; "
                                     f"score {score}, {graded} by score): {scored}")
        elif hot:
            qualified, body = True, f"Hot MQL via {hot} ({grade}, {score}): {scored}"
        elif score < self.mql_score:
            body = f"Not qualified ({grade}, {score} < {self.mql_score}): {scored}"
        elif self.min_fit_points is not None and fit < self.min_fit_points:
            body = (f"Not qualified ({grade}, {score}; fit {fit} < {self.min_fit_points}): "
                    f"{scored}")
        else:
            qualified, body = True, f"MQL ({grade}, {score}): {scored}"
        if unreadable:
            body += f"; unreadable: {', '.join(unreadable)}"
        return Verdict(qualified, qualified and bool(hot), bool(reasons), grade, score, fit,
                       _fit_reason(body, self._tag), self.version,
                       tuple(map(getitem, self._pairs, matched)), unreadable)


def _result_pair(rule: Rule) -> tuple[RuleResult, RuleResult]:
    """The rule's result when not matched and when matched: details describe the rule only."""
    if rule.kind == "required":
        return (RuleResult(rule.name, rule.kind, False, 0, f"missing: {rule.name}"),
                RuleResult(rule.name, rule.kind, True, 0, f"present: {rule.name}"))
    text = rule.text
    if len(text) > DETAIL_LIMIT:
        text = text[:DETAIL_LIMIT - 1] + "…"
    return (RuleResult(rule.name, rule.kind, False, rule.points, text),
            RuleResult(rule.name, rule.kind, True, rule.points, text))


def _fit_reason(body: str, tag: str) -> str:
    """``body`` and the version tag in at most 255 characters, cut at a comma when it can."""
    room = REASON_LIMIT - len(tag) - 1
    if len(body) > room:
        cut = body.rfind(", ", 0, room - 2)
        body = body[:cut + 2] + "…" if cut >= room // 2 else body[:room - 1] + "…"
    return f"{body} {tag}"


__all__ = ["Definition", "Rule", "RuleResult", "Verdict"]
