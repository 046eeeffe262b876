"""A large synthetic population for benchmarks, drawn cheaply and one person at a time.

``people.make_people`` draws rich, Faker-made people (with activities and a history) for tests
and the demo, at some tens of microseconds each. A benchmark wants 10,000 to 1,000,000 people in
seconds: ``population`` draws them from small word lists and a seeded generator, lazily, as
plain value dicts ready to store, each with the systems it lives in:

- ``"hubspot"``: every person is a contact only;
- ``"salesforce"``: every person is a lead only;
- ``"both"``: every person is a contact and a lead with the same email (in another case for
  some), and some values differ or are blank on one side, as in two systems that drifted apart:
  a job title changed on one side, a phone or company known to one side only.

Emails are unique (they carry the person's number). Creation times are spread over the 120 days
before ``now``; a person's record is last modified when it was created.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

WHERE = ("hubspot", "salesforce", "both")
FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Linus", "Radia",
         "Ken", "Frances", "Dennis", "Hedy", "John", "Katherine", "Tim", "Anita", "Guido",
         "Sophie", "Niklaus", "Lynn", "Bjarne", "Karen", "James", "Shafi", "Leslie", "Mary",
         "Vint", "Sally", "Whitfield")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Torvalds",
        "Perlman", "Thompson", "Allen", "Ritchie", "Lamarr", "McCarthy", "Johnson",
        "Berners-Lee", "Borg", "van Rossum", "Wilson", "Wirth", "Conway", "Stroustrup",
        "Jones", "Gosling", "Goldwasser", "Lamport", "Shaw", "Cerf", "Floyd", "Diffie")
DOMAINS = ("example.com", "acme.example", "initech.example", "globex.example", "umbrella.example",
           "hooli.example", "gmail.com", "stark.example", "wayne.example", "wonka.example")
COMPANY_WORDS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka",
                 "Cyberdyne", "Soylent", "Tyrell", "Vandelay", "Massive", "Aperture", "Oscorp")
COMPANY_SUFFIXES = ("Inc", "GmbH", "Ltd", "Labs", "Group", "Systems", "SA", "LLC")
TITLES = ("VP of Sales", "Director of Marketing", "Head of Revenue Operations", "Sales Manager",
          "Marketing Coordinator", "CTO", "Software Engineer", "Founder & CEO",
          "Account Executive", "Director of IT", "Operations Manager", "Head of Data")
LEAD_SOURCES = ("Web", "Demo Request", "Free Trial", "Webinar", "Content Download",
                "Trade Show", "Partner Referral")
INDUSTRIES = ("Banking", "Consulting", "Education", "Healthcare", "Manufacturing", "Retail",
              "Technology", "Telecommunications")
COUNTRIES = ("US", "CA", "GB", "DE", "FR", "AU")
LEAD_STATUSES = ("Open - Not Contacted", "Working - Contacted")


@dataclass(frozen=True)
class Drawn:
    """One person: common values, and what differs on each side (``None``: not there)."""

    number: int
    created_at: datetime
    owner: int
    values: dict[str, str]  # first_name, last_name, email, company, title, phone, ...
    hubspot: dict[str, str] | None  # overrides for HubSpot ("" = blank there)
    salesforce: dict[str, str] | None  # overrides for Salesforce


def population(count: int, where: str = "both", owners: int = 1, rng_seed: int = 0,
               now: datetime | None = None) -> Iterator[Drawn]:
    """``count`` people, drawn one at a time; the same ``rng_seed`` draws the same people."""
    if where not in WHERE:
        raise ValueError(f"where must be one of {', '.join(WHERE)}, got {where!r}")
    rng = random.Random(rng_seed)
    now = now or datetime.now(UTC).replace(microsecond=0)
    span = 120 * 86_400
    start = now - timedelta(seconds=span)
    for number in range(count):
        first = _pick(rng, FIRST)
        last = _pick(rng, LAST)
        email = f"{first}.{last}.{number}@{DOMAINS[number % len(DOMAINS)]}".lower()
        values = {
            "first_name": first, "last_name": last, "email": email.replace(" ", ""),
            "company": f"{_pick(rng, COMPANY_WORDS)} "
                       f"{_pick(rng, COMPANY_SUFFIXES)}",
            "title": _pick(rng, TITLES),
            "phone": f"+1 555-{int(rng.random() * 1000):03d}-{number % 10_000:04d}",
            "country": _pick(rng, COUNTRIES),
            "lead_source": _pick(rng, LEAD_SOURCES),
            "industry": _pick(rng, INDUSTRIES),
            "lead_status": _pick(rng, LEAD_STATUSES),
        }
        created = start + timedelta(seconds=int(rng.random() * span), milliseconds=number % 1000)
        hubspot: dict[str, str] | None = {} if where != "salesforce" else None
        salesforce: dict[str, str] | None = {} if where != "hubspot" else None
        if hubspot is not None and salesforce is not None:
            _drift(rng, values, hubspot, salesforce)
        yield Drawn(number, created, int(rng.random() * max(owners, 1)), values, hubspot,
                    salesforce)


def _pick(rng: random.Random, choices: tuple[str, ...]) -> str:
    return choices[int(rng.random() * len(choices))]


def _drift(rng: random.Random, values: dict[str, str], hubspot: dict[str, str],
           salesforce: dict[str, str]) -> None:
    """Make a person in both systems differ a little between them."""
    draw = rng.random()
    if draw < 0.10:
        hubspot["title"] = _pick(rng, TITLES)  # changed on one side
    elif draw < 0.18:
        hubspot["phone"] = ""  # known to sales only
    elif draw < 0.24:
        salesforce["phone"] = ""  # known to marketing only
    elif draw < 0.28:
        hubspot["company"] = ""  # marketing never asked
    if rng.random() < 0.2:
        salesforce["email"] = values["email"].title()  # case differs
