"""Benchmark: the SLA sweep's inner loop over 1,000,000 open leads, engine only, on one core.

Setup (not timed): three policies (hot inbound 24x7, standard and enterprise on a 9-to-5 New York
calendar with US holidays); deadlines computed with the real ``BusinessCalendar`` for 4,000
distinct handoff times spread over the last four weeks and shared between leads, as the state
store would hand back equal deadlines. Most leads are worked (0-9 touches, all passed to
``count`` as if the job re-read every activity: most already counted by the previous sweep, a
few new, some logged before the handoff), half of those with an accept deadline accepted by a
status change, 2% converted or disqualified.

By default the sweep is the steady state: leads are open (still inside their cadence at the
previous sweep, 15 minutes ago) and were assessed then, so only the last 15 minutes bring new
touches, breaches and exhaustions. ``--cold`` is a first sweep over a backlog: nothing assessed
before, and about half the leads past their cadence end (exhausted, with a recycle reason).

Timed: for every lead, look up its policy, ``Clock.count`` its touches and ``assess`` it at one
``now``, as the sweep job does. Leads are built and swept in chunks (``--chunk``; 0 builds all
at once), like a job paging clocks from its state store.

Prints leads per second, the status mix, peak RSS, and what the sweep itself allocates
(tracemalloc over an untimed pass of one chunk) plus the memory one clock takes. ``--json``
also times the ``Clock.from_json``/``to_json`` round trip the job does around each lead, and
``--profile`` prints a cProfile of 200,000 leads.

Run by hand: ``python bench/sla_sweep.py [--leads 1000000] [--chunk 100000] [--json]``.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import os
import pstats
import random
import resource
import sys
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta

from leadsync.connector.calendar import BusinessCalendar, always_open
from leadsync.connector.sla import (
    Clock,
    Deadlines,
    Policy,
    Touch,
    assess,
    deadlines,
    parse_policies,
)

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
PREVIOUS = NOW - timedelta(minutes=15)  # the previous sweep
HANDOFFS = 4_000
KINDS = ("call", "call", "call", "email", "email", "meeting")
POLICY_TABLES = [
    {"name": "hot", "priority": 10, "match": {"hot": True}, "calendar": "24x7",
     "accept_within": "15m", "first_touch_within": "30m",
     "cadence": {"calls": 4, "emails": 2, "within": "5d"}, "on_breach": ["reassign"],
     "on_exhausted": "recycle"},
    {"name": "enterprise", "priority": 5, "match": {"grade": ["A"]}, "calendar": "default",
     "accept_within": "1h", "first_touch_within": "4h",
     "cadence": {"calls": 6, "emails": 3, "within": "10d"}, "on_breach": ["escalate"],
     "on_exhausted": "recycle"},
    {"name": "standard", "first_touch_within": "24h",
     "cadence": {"calls": 4, "emails": 2, "within": "10d"}, "on_breach": ["escalate"],
     "on_exhausted": "recycle"},
]
Lead = tuple[Clock, list[Touch], bool, bool]


def setup(cold: bool) -> tuple[dict[str, Policy], dict[str, list[Deadlines]]]:
    calendars = {"24x7": always_open(),
                 "default": BusinessCalendar("default", "America/New_York",
                                             {d: ["09:00-17:00"] for d in range(5)},
                                             holidays_country="US")}
    policies = {p.name: p for p in parse_policies(POLICY_TABLES, calendars)}
    rng = random.Random(3)
    times = sorted(NOW - timedelta(seconds=rng.uniform(0, 28 * 86_400)) for _ in range(HANDOFFS))
    shared = {name: [deadlines(p, calendars[p.calendar], t) for t in times]
              for name, p in policies.items()}
    if not cold:  # open leads only: still inside their cadence at the previous sweep
        shared = {name: [d for d in every if d.cadence_end > PREVIOUS]
                  for name, every in shared.items()}
    return policies, shared


def build(rng: random.Random, start: int, size: int, policies: dict[str, Policy],
          shared: dict[str, list[Deadlines]], cold: bool = False) -> list[Lead]:
    """Leads as a sweep finds them: 60% worked diligently (first touch in time, most of the
    cadence), 25% late and thin, 15% never touched; every touch the lead has is passed to
    ``count``, those older than the previous sweep (15 minutes ago) already counted. Unless
    ``cold``, the previous sweep also assessed each lead (so known breaches are not new)."""
    leads: list[Lead] = []
    names = ("hot", "enterprise", "standard", "standard", "standard")
    for n in range(start, start + size):
        name = names[n % 5]
        policy, d = policies[name], rng.choice(shared[name])
        clock = Clock(f"lead-{n}", name, "default", d, f"rep-{n % 250}")
        elapsed = (NOW - d.handoff_at).total_seconds()
        window = (d.cadence_end - d.handoff_at).total_seconds()
        first_window = ((d.accept_by or d.first_touch_by) - d.handoff_at).total_seconds()
        roll, planned = rng.random(), []
        if roll < 0.6:  # the cadence as planned, minus a touch or two now and then
            kinds = ["call"] * policy.cadence_calls + ["email"] * policy.cadence_emails
            rng.shuffle(kinds)
            first = rng.uniform(0, 0.9 * first_window)
            planned = [(first, kinds[0])] + [(rng.uniform(first, window), kind)
                                             for kind in kinds[1 if rng.random() < 0.8 else 2:]]
        elif roll < 0.85:  # late and thin
            planned = [(rng.uniform(first_window, window), rng.choice(KINDS))
                       for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.1:  # logged before the handoff: never counts
            planned.append((-rng.uniform(60, 86_400), "email"))
        touches = [Touch(f"{n}-{i}", kind, d.handoff_at + timedelta(seconds=offset))
                   for i, (offset, kind) in enumerate(planned) if offset <= elapsed]
        clock.count([t for t in touches if t.at < PREVIOUS])  # the previous sweep's
        accepted = d.handoff_at + timedelta(seconds=rng.uniform(0, 1.2 * first_window))
        if d.accept_by is not None and accepted < PREVIOUS and rng.random() < 0.5:
            clock.accept(accepted)
        if not cold:
            assess(clock, policy, PREVIOUS)
        roll = rng.random()
        leads.append((clock, touches, roll < 0.01, 0.01 <= roll < 0.02))
    return leads


def sweep(leads: list[Lead], policies: dict[str, Policy], statuses: Counter[str]) -> float:
    started = time.perf_counter()
    for clock, touches, converted, disqualified in leads:
        clock.count(touches)
        assess(clock, policies[clock.policy], NOW, converted, disqualified)
    seconds = time.perf_counter() - started
    statuses.update(clock.status for clock, *_ in leads)
    return seconds


def json_round_trip(leads: list[Lead]) -> float:
    documents = [clock.to_json() for clock, *_ in leads]
    started = time.perf_counter()
    for document in documents:
        Clock.from_json(document).to_json()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=100_000, help="0: build every lead at once")
    parser.add_argument("--json", action="store_true", help="also time the JSON round trip")
    parser.add_argument("--cold", action="store_true",
                        help="a first sweep: nothing assessed before, leads past their cadence")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    policies, shared = setup(args.cold)
    rng = random.Random(7)
    if args.profile:
        leads = build(rng, 0, 200_000, policies, shared, args.cold)
        profile = cProfile.Profile()
        profile.runcall(sweep, leads, policies, Counter())
        pstats.Stats(profile).sort_stats("tottime").print_stats(12)
        return
    chunk = args.chunk or args.leads
    seconds = json_seconds = 0.0
    statuses: Counter[str] = Counter()
    sample: list[Lead] = []
    for start in range(0, args.leads, chunk):
        leads = build(rng, start, min(chunk, args.leads - start), policies, shared,
                      args.cold)
        if not sample:
            sample = copy.deepcopy(leads[:50_000])  # unswept, for the memory pass
        seconds += sweep(leads, policies, statuses)
        if args.json:
            json_seconds += json_round_trip(leads)
        del leads
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    sweep(sample, policies, Counter())
    swept = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    tracemalloc.start()
    built = build(random.Random(9), 0, 10_000, policies, shared, args.cold)
    per_lead = tracemalloc.get_traced_memory()[0] / len(built)
    tracemalloc.stop()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {sys.version.split()[0]}, one core, load average {load:.2f} "
          f"on {os.cpu_count()} CPUs")
    print("sweep: " + ("cold (first sweep over a 4-week backlog)" if args.cold
                       else "steady state (open leads, assessed 15 minutes earlier)"))
    print(f"leads: {args.leads:,} in {seconds:.2f} s of count + assess: "
          f"{args.leads / seconds:,.0f} leads/s ({seconds / args.leads * 1e6:.2f} µs/lead)")
    print("statuses: " + ", ".join(f"{k} {v / args.leads:.1%}" for k, v in
                                   statuses.most_common()))
    if args.json:
        print(f"JSON round trip (from_json + to_json): {args.leads / json_seconds:,.0f} leads/s "
              f"({json_seconds / args.leads * 1e6:.2f} µs/lead)")
    print(f"peak RSS: {rss_mb:.0f} MB (chunks of {chunk:,} leads with their touches)")
    print(f"sweep allocations: {swept / 1024:,.0f} KB peak for {len(sample):,} leads; "
          f"one open lead with its touches: {per_lead:,.0f} bytes (deadlines shared)")


if __name__ == "__main__":
    main()
