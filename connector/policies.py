"""SLA policies: which leads each covers, and what their owner owes them.

Read from ``[[sla.policies]]`` by ``parse_policies``; see ``connector.sla`` for the rules the
clocks follow. All problems are reported at once, each with its key path.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadsync.connector.condition_tables import did_you_mean
from leadsync.connector.durations import Duration, parse_duration
from leadsync.connector.errors import ConfigError

if TYPE_CHECKING:
    from leadsync.connector.calendar import BusinessCalendar

BREACH_ACTIONS = ("escalate", "reassign")
EXHAUSTED_ACTIONS = ("recycle",)
REP_CALENDAR, DEFAULT_CALENDAR = "rep", "default"
_WHERE = "sla.policies"
_KEYS = ("name", "priority", "match", "calendar", "accept_within", "first_touch_within",
         "cadence", "warn_at", "on_breach", "on_exhausted")
_MATCH_KEYS = ("grade", "source", "country", "region", "hot")
_CADENCE_KEYS = ("calls", "emails", "within")


def truthy(value: Any) -> bool:
    """A yes/no value as systems hold it: HubSpot answers "true"/"false" as text."""
    if isinstance(value, str):
        return value.strip().casefold() in ("true", "1", "yes")
    return bool(value)


def _norm(value: Any) -> str | None:
    return value.strip().casefold() if isinstance(value, str) else None


# --- policies ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Selector:
    """Which leads a policy applies to; every given criterion must hold; empty = all leads.

    Grades, sources and countries compare case-insensitively (stored casefolded) against the
    facts ``grade``, ``lead_source`` and ``country``; ``hot`` against the truth of ``hot``.
    """

    grades: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    hot: bool | None = None

    def __post_init__(self) -> None:
        for name in ("grades", "sources", "countries"):
            object.__setattr__(self, name, frozenset(_norm(v) for v in getattr(self, name)))

    def matches(self, facts: Mapping[str, Any]) -> bool:
        if self.grades and _norm(facts.get("grade")) not in self.grades:
            return False
        if self.sources and _norm(facts.get("lead_source")) not in self.sources:
            return False
        if self.countries and _norm(facts.get("country")) not in self.countries:
            return False
        return self.hot is None or truthy(facts.get("hot")) is self.hot


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    priority: int
    selector: Selector
    calendar: str  # a calendar name, or "rep": the default calendar's hours, owner's time zone
    accept_within: Duration | None
    first_touch_within: Duration
    cadence_calls: int
    cadence_emails: int
    cadence_within: Duration
    warn_at: float = 0.75
    on_breach: tuple[str, ...] = ()  # subset of BREACH_ACTIONS, in the order written
    on_exhausted: str | None = None  # "recycle", or None: the lead stays with its owner
    _reasons: dict[tuple[int, int], str] = field(  # recycle reasons by (calls, emails)
        default_factory=dict, init=False, repr=False, compare=False)


def parse_policies(raw: Sequence[Mapping[str, Any]], calendars: Collection[str],
                   regions: Mapping[str, Sequence[str]] | None = None) -> list[Policy]:
    """Read the ``[[sla.policies]]`` tables; every problem is reported at once in one ConfigError.

    Each problem reads ``sla.policies[<i>] (<name>).<key>: <what>``. ``calendars`` are the
    configured calendar names; ``calendar`` defaults to ``"default"``, and ``"rep"`` needs a
    calendar named ``"default"`` (its hours are used). ``on_exhausted`` is absent by default:
    an exhausted lead is reported, not recycled. ``regions`` (``[sla.regions]``) name groups
    of countries that ``match.region`` stands for.
    """
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Sequence):
        raise ConfigError("should be an array of tables, one [[sla.policies]] per policy", _WHERE)
    if not raw:
        raise ConfigError("at least one policy is needed", _WHERE)
    problems: list[tuple[str, str]] = []
    policies: list[Policy] = []
    first_index: dict[str, int] = {}
    for index, table in enumerate(raw):
        policy = _read_policy(index, table, frozenset(calendars), problems, regions or {})
        name = table.get("name") if isinstance(table, Mapping) else None
        if isinstance(name, str) and name in first_index:
            problems.append((f"{_WHERE}[{index}] ({name}).name",
                             f"duplicate name: {_WHERE}[{first_index[name]}] has it too"))
        elif isinstance(name, str) and name:
            first_index[name] = index
        if policy is not None:
            policies.append(policy)
    if len(problems) == 1:
        where, what = problems[0]
        raise ConfigError(what, where)
    if problems:
        raise ConfigError(f"{len(problems)} problems in the SLA policies:\n" + "\n".join(
            f"{where}: {what}" for where, what in problems), _WHERE)
    return policies


def _read_policy(index: int, table: Any, calendars: frozenset[str],
                 problems: list[tuple[str, str]], regions: Mapping[str, Sequence[str]]
                 ) -> Policy | None:
    if not isinstance(table, Mapping):
        problems.append((f"{_WHERE}[{index}]", "should be a table"))
        return None
    name = table.get("name")
    label = f"{_WHERE}[{index}]" + (f" ({name})" if isinstance(name, str) and name else "")
    before = len(problems)

    def bad(key: str, what: str) -> None:
        problems.append((f"{label}.{key}", what))

    _unknown_keys(table, _KEYS, "", bad)
    if "name" not in table:
        bad("name", "required key is missing")
    elif not isinstance(name, str) or not name.strip():
        bad("name", "should be non-empty text")
    priority = table.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        bad("priority", "should be a whole number")
    selector = _read_selector(table.get("match", {}), bad, regions)
    calendar = table.get("calendar", DEFAULT_CALENDAR)
    if not isinstance(calendar, str):
        bad("calendar", "should be a calendar name")
    elif calendar == REP_CALENDAR and DEFAULT_CALENDAR not in calendars:
        bad("calendar", '"rep" uses the hours of the calendar named "default", and there is none')
    elif calendar != REP_CALENDAR and calendar not in calendars:
        known = ", ".join(sorted(calendars)) or "none"
        bad("calendar", f"unknown calendar {calendar!r}; known: {known}, or 'rep'"
            + did_you_mean(calendar, [*calendars, REP_CALENDAR]))
    accept = _read_duration(table, "accept_within", bad, required=False)
    first = _read_duration(table, "first_touch_within", bad, required=True)
    cadence = table.get("cadence")
    calls = emails = 0
    within: Duration | None = None
    if cadence is None:
        bad("cadence", "required key is missing, e.g. { calls = 4, emails = 2, within = \"10d\" }")
    elif not isinstance(cadence, Mapping):
        bad("cadence", "should be a table like { calls = 4, emails = 2, within = \"10d\" }")
    else:
        _unknown_keys(cadence, _CADENCE_KEYS, "cadence.", bad)
        calls = _read_count(cadence, "calls", bad)
        emails = _read_count(cadence, "emails", bad)
        within = _read_duration(cadence, "within", bad, required=True, prefix="cadence.")
        if calls == 0 and emails == 0 and not any(
                where.startswith(f"{label}.cadence.") for where, _ in problems[before:]):
            bad("cadence", "needs at least one call or email")
    warn_at = table.get("warn_at", 0.75)
    if isinstance(warn_at, bool) or not isinstance(warn_at, int | float) \
            or not 0 < warn_at < 1:
        bad("warn_at", "should be a fraction between 0 and 1 (exclusive), e.g. 0.75")
    on_breach = table.get("on_breach", [])
    if isinstance(on_breach, str) or not isinstance(on_breach, Sequence):
        bad("on_breach", f"should be a list of actions from {list(BREACH_ACTIONS)}")
        on_breach = []
    for action in on_breach:
        if action not in BREACH_ACTIONS:
            bad("on_breach", f"unknown action {action!r}; known: {', '.join(BREACH_ACTIONS)}"
                + did_you_mean(str(action), BREACH_ACTIONS))
    on_exhausted = table.get("on_exhausted")
    if on_exhausted is not None and on_exhausted not in EXHAUSTED_ACTIONS:
        bad("on_exhausted", f"unknown action {on_exhausted!r}; known: recycle (or leave it out)"
            + did_you_mean(str(on_exhausted), EXHAUSTED_ACTIONS))
    if len(problems) > before or not isinstance(name, str) or first is None or within is None \
            or selector is None:
        return None
    return Policy(name=name, priority=priority, selector=selector, calendar=calendar,
                  accept_within=accept, first_touch_within=first, cadence_calls=calls,
                  cadence_emails=emails, cadence_within=within, warn_at=float(warn_at),
                  on_breach=tuple(dict.fromkeys(on_breach)), on_exhausted=on_exhausted)


def _unknown_keys(table: Mapping[str, Any], known: Sequence[str], prefix: str, bad: Any) -> None:
    for key in table:
        if key not in known:
            bad(f"{prefix}{key}", f"unknown key; known: {', '.join(known)}"
                + did_you_mean(str(key), known))


def _read_selector(match: Any, bad: Any, regions: Mapping[str, Sequence[str]]
                   ) -> Selector | None:
    if not isinstance(match, Mapping):
        bad("match", 'should be a table like { grade = ["A", "B"], hot = true }')
        return None
    _unknown_keys(match, _MATCH_KEYS, "match.", bad)
    values: dict[str, frozenset[str]] = {}
    for key in ("grade", "source", "country", "region"):
        given = match.get(key, [])
        items = [given] if isinstance(given, str) else given
        if not isinstance(items, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in items):
            bad(f"match.{key}", "should be text or a list of non-empty text")
            items = []
        values[key] = frozenset(items)
    hot = match.get("hot")
    if hot is not None and not isinstance(hot, bool):
        bad("match.hot", "should be true or false")
        hot = None
    countries = set(values["country"])
    for region in sorted(values["region"]):
        if region not in regions:
            bad("match.region", f"unknown region {region!r}; define it in [sla.regions]"
                + (f" (known: {', '.join(regions)})" if regions else "")
                + did_you_mean(region, list(regions)))
        countries.update(regions.get(region, ()))
    return Selector(values["grade"], values["source"], frozenset(countries), hot)


def _read_duration(table: Mapping[str, Any], key: str, bad: Any, *, required: bool,
                   prefix: str = "") -> Duration | None:
    if key not in table:
        if required:
            bad(f"{prefix}{key}", "required key is missing, e.g. \"4h\" or \"10d\"")
        return None
    value = table[key]
    if not isinstance(value, str):
        bad(f"{prefix}{key}", "should be a duration like \"90m\", \"4h\" or \"10d\"")
        return None
    try:
        duration = parse_duration(value)
    except ValueError as exc:
        bad(f"{prefix}{key}", str(exc))
        return None
    if duration.minutes == 0 and duration.days == 0:
        bad(f"{prefix}{key}", "should be longer than zero")
        return None
    return duration


def _read_count(cadence: Mapping[str, Any], key: str, bad: Any) -> int:
    value = cadence.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        bad(f"cadence.{key}", "should be a whole number, 0 or more")
        return 0
    return value


def select_policy(policies: Sequence[Policy], facts: Mapping[str, Any]) -> Policy | None:
    """The first policy whose selector matches, by priority (highest first), then file order."""
    for policy in sorted(policies, key=lambda p: -p.priority):
        if policy.selector.matches(facts):
            return policy
    return None


def resolve_calendar(policy: Policy, calendars: Mapping[str, BusinessCalendar],
                     time_zone: str | None = None) -> BusinessCalendar:
    """The calendar to start ``policy``'s clock on: its named one, or for ``"rep"`` the default
    calendar moved to the owner's ``time_zone`` (the default calendar as is without one)."""
    if policy.calendar != REP_CALENDAR:
        return calendars[policy.calendar]
    default = calendars[DEFAULT_CALENDAR]
    return default.with_time_zone(time_zone) if time_zone else default
