"""The closed loop on the lead definition: how the leads each rule matched ended, against the
leads it did not match, so the next version of the definition rests on evidence.

For each rule of the definition in force (by name, as verdicts record them in a journey's
``matched``), among the leads first judged in the period (MQL leads when first judged is not
known), split by whether the latest verdict matched the rule:

- score and hot rules (``fit``, ``engagement``, ``hot``) are compared among **MQL** leads, the
  ones sales received and could convert;
- ``required`` and ``exclusion`` rules among **every judged lead** (an excluded lead never
  qualifies, so among MQL leads nobody matches an exclusion);

each side with its count, how many converted, the rate and its Wilson 95% interval, and the
difference of the rates. ``evidence`` reads it in words: ``no evidence yet`` (no lead matched),
``too few to conclude`` (fewer than 30 on either side), ``converts better`` / ``converts worse``
when the two intervals do not overlap, ``no clear difference`` otherwise. A converted lead's
verdict is frozen at conversion, so the rule it matched is the rule that sent it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from leadsync.connector.journey import Journey
from leadsync.connector.report_model import Chart, Column, Report
from leadsync.connector.reports.facts import Facts
from leadsync.connector.reports.stats import rate, wilson

if TYPE_CHECKING:
    from leadsync.connector.definition import Definition, Rule

MIN_SAMPLE = 30
_ALL_JUDGED = frozenset(("required", "exclusion"))

EVIDENCE_COLUMNS = (
    Column("population", "among"),
    Column("matched", "matched", "count"), Column("matched_converted", "converted", "count"),
    Column("matched_rate", "conversion % matched", "percent"),
    Column("matched_interval", "95% interval matched", "interval"),
    Column("unmatched", "not matched", "count"),
    Column("unmatched_converted", "converted", "count"),
    Column("unmatched_rate", "conversion % not matched", "percent"),
    Column("unmatched_interval", "95% interval not matched", "interval"),
    Column("difference", "difference", "percent"),
    Column("evidence", "evidence"),
)


def judged_in(facts: Facts) -> list[Journey]:
    """The leads the period covers: first judged in it (or, not known, qualified in it)."""
    return [j for j in facts.journeys
            if facts.in_period(j.first_judged_at if j.first_judged_at else j.mql_at)]


def evidence(journeys: Sequence[Journey], name: str, kind: str) -> dict[str, Any]:
    """The evidence columns for the rule ``name`` of ``kind`` over ``journeys``."""
    everyone = kind in _ALL_JUDGED
    population = [j for j in journeys if (j.version is not None or j.mql_at is not None)
                  and (everyone or j.mql_at is not None)]
    matched = [j for j in population if name in j.matched]
    unmatched = [j for j in population if name not in j.matched]
    won_m = sum(1 for j in matched if j.converted_at is not None)
    won_u = sum(1 for j in unmatched if j.converted_at is not None)
    rate_m, rate_u = rate(won_m, len(matched)), rate(won_u, len(unmatched))
    ci_m, ci_u = wilson(won_m, len(matched)), wilson(won_u, len(unmatched))
    return {"population": "judged leads" if everyone else "MQL leads",
            "matched": len(matched), "matched_converted": won_m, "matched_rate": rate_m,
            "matched_interval": ci_m, "unmatched": len(unmatched),
            "unmatched_converted": won_u, "unmatched_rate": rate_u,
            "unmatched_interval": ci_u,
            "difference": None if rate_m is None or rate_u is None else rate_m - rate_u,
            "evidence": _words(len(matched), len(unmatched), ci_m, ci_u)}


def _words(n_matched: int, n_unmatched: int, matched: tuple[float, float] | None,
           unmatched: tuple[float, float] | None) -> str:
    if n_matched == 0:
        return "no evidence yet"
    if min(n_matched, n_unmatched) < MIN_SAMPLE or matched is None or unmatched is None:
        return "too few to conclude"
    if matched[0] > unmatched[1]:
        return "converts better"
    if matched[1] < unmatched[0]:
        return "converts worse"
    return "no clear difference"


def definition_reports(facts: Facts) -> list[Report]:
    report = Report(
        "definition", "The lead definition's rules against how leads ended",
        (Column("rule", "rule"), Column("kind", "kind"), Column("test", "test"),
         Column("points", "points", "count"), *EVIDENCE_COLUMNS),
        period=facts.period, connection=facts.connection,
        charts=(Chart("Conversion % matched and not matched", "rule",
                      ("matched_rate", "unmatched_rate")),))
    definition = facts.definition
    leads = judged_in(facts)
    if definition is None:
        report.notes.append("No lead definition in the config: nothing to compare.")
        return [report]
    versions = sorted({j.version for j in leads if j.version})
    report.notes += [
        f"Definition \"{definition.name}\", version {definition.version}; leads first judged "
        f"{facts.period_words()}: {len(leads)}"
        + (f" (verdicts of versions {', '.join(versions)}; rules are matched by name)."
           if versions else "."),
        "Score and hot rules are compared among MQL leads, required fields and exclusions "
        "among every judged lead. Intervals: Wilson 95%.",
        f"Fewer than {MIN_SAMPLE} leads on either side: too few to conclude."]
    for rule in definition.rules:
        report.rows.append(rule_row(rule, leads))
    return [report]


def rule_row(rule: Rule, leads: Sequence[Journey]) -> dict[str, Any]:
    return {"rule": rule.name, "kind": rule.kind, "test": rule.text, "points": rule.points,
            **evidence(leads, rule.name, rule.kind)}


def rule_changes(current: Definition, candidate: Definition) -> list[tuple[str, Rule]]:
    """The rules ``candidate`` adds, removes or changes against ``current``, by name:
    ``(change, rule)`` with change ``added``, ``removed`` or ``changed`` (kind, points or test
    differ; the candidate's rule is given), in the candidate's order, removed ones last."""
    before = {rule.name: rule for rule in current.rules}
    after = {rule.name: rule for rule in candidate.rules}
    changes: list[tuple[str, Rule]] = []
    for name, rule in after.items():
        old = before.get(name)
        if old is None:
            changes.append(("added", rule))
        elif (old.kind, old.points, old.text) != (rule.kind, rule.points, rule.text):
            changes.append(("changed", rule))
    changes += [("removed", rule) for name, rule in before.items() if name not in after]
    return changes


def rule_evidence(current: Definition, candidate: Definition,
                  journeys: Sequence[Journey]) -> list[dict[str, Any]]:
    """For ``definition diff``: each rule ``candidate`` adds, removes or changes, with the
    evidence of the stored verdicts (every journey: a rule is found by name in what they
    matched; a changed rule's evidence is that of its version in force). A rule no stored
    verdict matched reads ``no evidence yet``."""
    return [{"change": change, **rule_row(rule, journeys)}
            for change, rule in rule_changes(current, candidate)]
