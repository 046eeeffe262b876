"""Benchmark: evaluate the shipped lead definition on 1,000,000 synthetic leads, on one core.

Leads are generated (seeded, so every run sees the same ones) in chunks outside the timed part;
only ``Definition.evaluate`` is timed, and every call returns its full ``Verdict`` (per-rule
results and reason). The mix is realistic: a tenth free-mail addresses, titles in several
languages and cases, numbers sometimes given as text (some unreadable, like "1,200"),
date-times as ISO text with ``Z`` or offsets or as ``datetime`` objects, missing fields.

Prints leads per second, the outcome mix, the peak memory of the process (RSS, which includes
one chunk of generated leads) and the memory the evaluations themselves allocate (tracemalloc
over a separate, untimed pass). ``--no-cache`` builds every verdict afresh instead of sharing
equal ones; ``--profile`` prints a cProfile of 200,000 evaluations.

Run by hand: ``python bench/definition_throughput.py [--leads 1000000] [--no-cache]``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import resource
import sys
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from leadsync import shipped
from leadsync.connector.definition import Definition
from leadsync.connector.definition_file import load_definition

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CHUNK = 50_000

TITLES = ["VP Marketing", "Vice President, Sales", "Director of IT", "DIRECTOR OPERATIONS",
          "Head of Data", "CEO", "CTO", "Founder", "Owner", "Partner", "Marketing Manager",
          "Sales Manager", "Geschäftsführer", "Leiterin Vertrieb", "Directrice commerciale",
          "Gerente de TI", "Software Engineer", "Analyst", "Consultant", "Account Executive",
          "  product manager ", "Data Scientist", "Marketing Specialist", "", None]
DOMAINS = ["acme-corp.com", "globex.io", "initech.de", "umbrella.co.uk", "hooli.com",
           "stark.fr", "wayne.com.au", "soylent.se", "tyrell.nl", "cyberdyne.ca"]
FREE_MAIL = ["gmail.com", "yahoo.com", "outlook.com", "web.de", "icloud.com"]
SOURCES = ["Demo Request", "Contact Sales", "Free Trial", "Webinar", "Content Download",
           "Event", "Organic Search", "Organic Search", "Paid Social", "Referral", "", None]
INDUSTRIES = ["Technology", "Finance", "Insurance", "Retail", "Healthcare", "Manufacturing",
              "Education", "Government", "Transportation", None]
COUNTRIES = ["US", "US", "US", "CA", "GB", "DE", "FR", "NL", "SE", "AU", "BR", "IN", "JP",
             "", None]
OFFSETS = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))]


def make_lead(rng: random.Random, n: int) -> dict[str, Any]:
    """One synthetic inbound lead; about a fifth are excluded, as in a typical inbound mix."""
    pick = rng.random()
    domain = (rng.choice(FREE_MAIL) if pick < 0.12 else "dashly.io" if pick < 0.13
              else rng.choice(DOMAINS))
    title = rng.choice(TITLES) if rng.random() > 0.02 else rng.choice(["Student", "Intern"])
    size: Any = rng.choice([8, 35, 120, 250, 900, 2400, 7000, 40_000])
    shape = rng.random()
    if shape < 0.3:
        size = str(size)
    elif shape < 0.32:
        size = f"{size:,}"  # "2,400": unreadable on purpose
    elif shape < 0.4:
        size = None
    when: Any = NOW - timedelta(days=rng.uniform(0, 200))
    shape = rng.random()
    if shape < 0.5:
        when = when.astimezone(rng.choice(OFFSETS)).isoformat()
    elif shape < 0.6:
        when = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif shape < 0.65:
        when = None
    return {
        "email": f"lead{n}@{domain}", "first_name": "Ann", "last_name": f"Lee{n}",
        "title": title, "company": None if rng.random() < 0.03 else f"Co {n}",
        "country": rng.choice(COUNTRIES) if rng.random() > 0.005 else "IR",
        "employees": size, "industry": rng.choice(INDUSTRIES),
        "lead_source": rng.choice(SOURCES),
        "score": rng.choice([5, 20, 45, 60, 75, 90, "80", None]), "last_activity": when,
        "is_customer": rng.random() < 0.03,
    }


def chunks(total: int, seed: int = 7) -> Any:
    rng = random.Random(seed)
    made = 0
    while made < total:
        size = min(CHUNK, total - made)
        yield [make_lead(rng, made + i) for i in range(size)]
        made += size


def run(definition: Definition, total: int) -> tuple[float, Counter[str]]:
    evaluate, seconds, outcomes = definition.evaluate, 0.0, Counter[str]()
    for leads in chunks(total):
        started = time.perf_counter()
        verdicts = [evaluate(lead, NOW) for lead in leads]
        seconds += time.perf_counter() - started
        outcomes.update("hot" if v.hot else "mql" if v.qualified else "excluded" if v.excluded
                        else "not qualified" for v in verdicts)
    return seconds, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--definition", default=str(shipped.definition()))
    parser.add_argument("--no-cache", action="store_true", help="build every verdict afresh")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    definition = load_definition(args.definition)
    if args.no_cache:
        definition.verdict_cache_size = 0
    if args.profile:
        leads = [lead for chunk in chunks(200_000) for lead in chunk]
        profile = cProfile.Profile()
        profile.runcall(lambda: [definition.evaluate(lead, NOW) for lead in leads])
        pstats.Stats(profile).sort_stats("tottime").print_stats(12)
        return
    seconds, outcomes = run(definition, args.leads)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sample = next(chunks(min(CHUNK, args.leads), seed=8))
    fresh = load_definition(args.definition)  # a cold verdict cache, so its growth is counted
    fresh.verdict_cache_size = definition.verdict_cache_size
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    verdicts = [fresh.evaluate(lead, NOW) for lead in sample]
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    cache = "off" if args.no_cache else f"on, {len(definition._cache):,} distinct verdicts kept"
    print(f"definition: {definition.name} v{definition.version} ({len(definition.rules)} rules)")
    print(f"python {sys.version.split()[0]}, one core, verdict cache {cache}")
    print(f"leads: {args.leads:,} in {seconds:.2f} s of evaluation: "
          f"{args.leads / seconds:,.0f} leads/s ({seconds / args.leads * 1e6:.2f} µs/lead)")
    print("outcomes: " + ", ".join(f"{k} {v / args.leads:.1%}" for k, v in outcomes.most_common()))
    print(f"peak RSS: {rss_mb:.0f} MB (includes one chunk of {CHUNK:,} generated leads)")
    print(f"evaluation memory: {peak / 1024 / 1024:.1f} MB peak for {len(verdicts):,} "
          f"evaluations from a cold cache, verdicts kept ({len(fresh._cache):,} cached)")

if __name__ == "__main__":
    main()
