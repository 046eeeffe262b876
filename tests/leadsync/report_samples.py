"""Reports built by hand, shaped as ``leadsync report`` computes them, for the renderers' tests.

A small org in New York's zone over November 2026: four reps on two teams, three sources,
a lead definition of four rules. The values are written out, not computed: a renderer shows
numbers, it does not make them.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from leadsync.connector.report_model import Chart, Column, Report

NEW_YORK = ZoneInfo("America/New_York")
NOVEMBER = (datetime(2026, 11, 1, tzinfo=NEW_YORK), datetime(2026, 12, 1, tzinfo=NEW_YORK))
GENERATED = datetime(2026, 12, 7, 9, 30, tzinfo=NEW_YORK)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=NEW_YORK)


def sla() -> Report:
    columns = (Column("rep", "Rep"), Column("team", "Team"),
               Column("handed_off", "Handed off", "count"), Column("met", "Met", "count"),
               Column("breached", "Breached", "count"),
               Column("met_rate", "Met (share)", "percent"),
               Column("median", "Median to first touch", "hours"),
               Column("p90", "90th percentile", "hours"),
               Column("cadence", "Cadence completed", "percent"))
    rows = [
        {"rep": "Dana Whitfield", "team": "East", "handed_off": 40, "met": 35, "breached": 5,
         "met_rate": 0.875, "median": 1.5, "p90": 6.25, "cadence": 0.8},
        {"rep": "Luis Ortega", "team": "East", "handed_off": 31, "met": 20, "breached": 11,
         "met_rate": 20 / 31, "median": 3.5, "p90": 19.0, "cadence": 0.55},
        {"rep": "Priya Raman", "team": "West", "handed_off": 28, "met": 27, "breached": 1,
         "met_rate": 27 / 28, "median": 0.75, "p90": 2.5, "cadence": 0.93},
        {"rep": "Tom Becker", "team": "West", "handed_off": 12, "met": 3, "breached": 9,
         "met_rate": 0.25, "median": 14.0, "p90": 41.5, "cadence": 0.17},
        {"rep": "Ines Moreau", "team": "West", "handed_off": 0, "met": 0, "breached": 0,
         "met_rate": None, "median": None, "p90": None, "cadence": None},
    ]
    return Report("sla", "SLA compliance by rep", columns, rows,
                  ["A lead meets its SLA when its first touch comes before its deadline, in "
                   "business hours of the rep's calendar.",
                   "Ines Moreau joined on 30 November: no lead was handed to her yet."],
                  (Chart("Share of leads whose SLA was met, by rep", "rep",
                         ("met_rate", "cadence")),
                   Chart("Leads handed off: met and breached", "rep", ("met", "breached"),
                         "stacked")),
                  NOVEMBER, "acme")


def ghosts() -> Report:
    columns = (Column("rep", "Rep"), Column("month", "Month"),
               Column("handed_off", "Handed off", "count"),
               Column("untouched", "Never touched", "count"),
               Column("unresolved", "Never resolved", "count"),
               Column("oldest", "Oldest handoff", "instant"))
    rows = [
        {"rep": "Tom Becker", "month": "2026-11", "handed_off": 12, "untouched": 6,
         "unresolved": 8, "oldest": at(3, 9, 15)},
        {"rep": "Luis Ortega", "month": "2026-11", "handed_off": 31, "untouched": 2,
         "unresolved": 5, "oldest": at(12, 14, 5)},
        {"rep": "Dana Whitfield", "month": "2026-11", "handed_off": 40, "untouched": 0,
         "unresolved": 1, "oldest": at(27, 16, 40)},
    ]
    return Report("ghosts", "Ghost leads: handed off and never worked", columns, rows,
                  ["Never touched: no call or email logged in the CRM after handoff. Never "
                   "resolved: not converted, recycled or disqualified with a reason."],
                  (Chart("Ghost leads by rep", "rep", ("untouched", "unresolved")),),
                  NOVEMBER, "acme")


def recycled() -> Report:
    columns = (Column("reason", "Recycle reason"), Column("recycled", "Recycled", "count"),
               Column("returned", "Came back", "count"),
               Column("converted", "Converted after return", "count"),
               Column("return_rate", "Came back (share)", "percent"))
    rows = [
        {"reason": "Cadence finished without reply", "recycled": 24, "returned": 7,
         "converted": 2, "return_rate": 7 / 24},
        {"reason": "Not ready: budget next quarter", "recycled": 9, "returned": 4,
         "converted": 1, "return_rate": 4 / 9},
        {"reason": "Wrong contact & no referral", "recycled": 5, "returned": 0, "converted": 0,
         "return_rate": 0.0},
    ]
    return Report("recycled", "Recycled leads and whether they came back", columns, rows,
                  ["A lead comes back when it qualifies again after its recycle."],
                  (Chart("Recycled and returned, by reason", "reason",
                         ("recycled", "returned", "converted")),), NOVEMBER, "acme")


def funnel() -> Report:
    columns = (Column("source", "Source"), Column("campaign", "Campaign"),
               Column("leads", "Leads", "count"), Column("mql", "MQL", "count"),
               Column("accepted", "Accepted", "count"), Column("working", "Working", "count"),
               Column("converted", "Converted", "count"),
               Column("mql_rate", "Lead to MQL", "percent"),
               Column("win_rate", "MQL to converted", "percent"),
               Column("to_accept", "MQL to accepted", "hours"))
    rows = [
        {"source": "Webinar", "campaign": "Q4 Pipeline Webinar", "leads": 1204, "mql": 310,
         "accepted": 280, "working": 251, "converted": 62, "mql_rate": 310 / 1204,
         "win_rate": 0.2, "to_accept": 5.5},
        {"source": "Demo request", "campaign": None, "leads": 96, "mql": 90, "accepted": 88,
         "working": 85, "converted": 41, "mql_rate": 0.9375, "win_rate": 41 / 90,
         "to_accept": 0.5},
        {"source": "Trade show", "campaign": "SaaStr Europa 2026", "leads": 430, "mql": 58,
         "accepted": 40, "working": 33, "converted": 6, "mql_rate": 58 / 430,
         "win_rate": 6 / 58, "to_accept": 26.25},
    ]
    return Report("funnel", "Funnel by source and campaign", columns, rows,
                  ["Each lead counts once per stage it reached in the period."],
                  (Chart("Leads at each stage, by source", "source",
                         ("leads", "mql", "accepted", "working", "converted")),
                   Chart("Conversion rates, by source", "source", ("mql_rate", "win_rate"))),
                  NOVEMBER, "acme")


def definition() -> Report:
    columns = (Column("rule", "Rule"), Column("kind", "Kind"), Column("test", "Test"),
               Column("points", "Points", "count"), Column("among", "Among"),
               Column("matched", "Matched", "count"),
               Column("matched_won", "Converted", "count"),
               Column("matched_rate", "Converted when matched", "percent"),
               Column("matched_ci", "95% interval (matched)", "interval"),
               Column("unmatched", "Not matched", "count"),
               Column("unmatched_won", "Converted", "count"),
               Column("unmatched_rate", "Converted when not", "percent"),
               Column("unmatched_ci", "95% interval (not)", "interval"),
               Column("evidence", "Evidence"))

    def rule(name: str, kind: str, test: str, points: int, among: str,
             matched: tuple[int, int, float | None, tuple[float, float] | None],
             unmatched: tuple[int, int, float | None, tuple[float, float] | None],
             evidence: str) -> dict[str, object]:
        return {"rule": name, "kind": kind, "test": test, "points": points, "among": among,
                "matched": matched[0], "matched_won": matched[1], "matched_rate": matched[2],
                "matched_ci": matched[3], "unmatched": unmatched[0],
                "unmatched_won": unmatched[1], "unmatched_rate": unmatched[2],
                "unmatched_ci": unmatched[3], "evidence": evidence}

    rows = [
        rule("demo_request", "engagement", "source is 'Demo Request'", 40, "MQL leads",
             (96, 41, 0.427, (0.33, 0.53)), (1634, 67, 0.041, (0.032, 0.052)),
             "converts more"),
        rule("title_is_decision_maker", "fit", r"title matches /\b(vp|director|chief)\b/", 20,
             "MQL leads", (212, 35, 0.165, (0.12, 0.22)), (1518, 79, 0.052, (0.042, 0.064)),
             "converts more"),
        rule("company_size_over_200", "fit", "employees between 200 and 5000", 15,
             "MQL leads", (405, 28, 0.07, (0.05, 0.1)), (1325, 81, 0.061, (0.049, 0.075)),
             "no difference yet"),
        rule("visited_pricing_twice", "engagement", "page views of /pricing at least 2", 10,
             "MQL leads", (0, 0, None, None), (1730, 108, 0.062, (0.051, 0.074)),
             "never matched"),
    ]
    return Report("definition", "The lead definition, rule by rule: did it predict conversion?",
                  columns, rows,
                  ["Where the two intervals do not overlap, the rule tells converting leads "
                   "apart; where they overlap, it is not evidence yet."],
                  (Chart("Converted, matched against not matched (95% intervals)", "rule",
                         ("matched_ci", "unmatched_ci")),), NOVEMBER, "acme")


def delay() -> Report:
    columns = (Column("source", "Source"), Column("leads", "Leads", "count"),
               Column("system", "System delay (median)", "hours"),
               Column("rep", "Rep delay (median)", "hours"),
               Column("last", "Last handoff", "instant"))
    rows = [
        {"source": "Webinar", "leads": 280, "system": 0.25, "rep": 5.25, "last": at(30, 16, 2)},
        {"source": "Demo request", "leads": 88, "system": 0.1, "rep": 0.4, "last": at(30, 11)},
        {"source": "Trade show", "leads": 40, "system": 3.0, "rep": 23.25, "last": at(21, 9)},
    ]
    return Report("delay", "Delay: the system's and the rep's", columns, rows,
                  ["System delay: qualified to owned in the CRM with its SLA stamped. Rep "
                   "delay: owned to first touch, in business hours."],
                  (Chart("Median delay by source", "source", ("system", "rep"), "stacked"),),
                  NOVEMBER, "acme")


def all_reports() -> list[Report]:
    return [sla(), ghosts(), recycled(), funnel(), definition(), delay()]
