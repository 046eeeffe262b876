"""Synthetic people for seeding the sandbox orgs.

One deterministic population is drawn and then spread over both systems: some people live only
in HubSpot (marketing's database), some only in Salesforce (sales' own prospecting), and some in
both, sometimes with an email whose case differs between the two, as real data has.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from faker import Faker

LEAD_SOURCES = ("Web", "Demo Request", "Free Trial", "Webinar", "Content Download",
                "Trade Show", "Partner Referral", "Purchased List", "Contact Sales")
TITLES = (
    "VP of Sales", "Director of Marketing", "Head of Revenue Operations", "Sales Manager",
    "Marketing Coordinator", "CTO", "Software Engineer", "Student", "Founder & CEO",
    "Account Executive", "Procurement Specialist", "Chief Marketing Officer",
    "Director of IT", "Geschäftsführer", "Directrice Commerciale", "Marketing Intern",
    "Operations Manager", "Head of Data",
)
# Salesforce's standard Industry picklist; HubSpot's contact "industry" is free text.
INDUSTRIES = (
    "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications",
    "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering",
    "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government", "Healthcare",
    "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media", "Not For Profit",
    "Recreation", "Retail", "Shipping", "Technology", "Telecommunications", "Transportation",
    "Utilities", "Other",
)
EMPLOYEES = (3, 12, 40, 80, 150, 250, 400, 800, 1500, 3000, 8000, 20000)
LIFECYCLE_STAGES = ("subscriber", "lead", "lead", "marketingqualifiedlead",
                    "salesqualifiedlead", "customer")
LEAD_STATUSES = ("Open - Not Contacted", "Working - Contacted")
REGIONS = (("US", ("CA", "NY", "TX", "WA", "MA")), ("CA", ("ON", "BC")), ("GB", ("",)),
           ("DE", ("",)), ("FR", ("",)), ("AU", ("NSW",)))
TIME_ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London",
              "Europe/Berlin", "Australia/Sydney")


@dataclass(frozen=True)
class Owner:
    """A sales rep: a Salesforce User and a HubSpot owner with the same email."""

    first_name: str
    last_name: str
    email: str
    time_zone: str


@dataclass(frozen=True)
class Activity:
    """A call or email with a person, logged by their owner."""

    kind: str  # "call" or "email"
    at: datetime
    subject: str
    completed: bool


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str  # as HubSpot holds it (lower case)
    salesforce_email: str  # as Salesforce holds it (case may differ)
    company: str  # empty for some marketing-only people
    title: str
    phone: str
    country: str
    state: str
    lead_source: str
    industry: str
    employees: int
    score: int  # the marketing platform's behavioural score, 0-100
    last_activity: datetime | None  # last web visit, email click or form
    lifecycle_stage: str
    lead_status: str
    in_hubspot: bool
    in_salesforce: bool
    owner: int  # index into the owners list
    created_at: datetime
    activities: tuple[Activity, ...]


def make_owners(count: int, rng_seed: int = 0) -> list[Owner]:
    fake = Faker()
    fake.seed_instance(rng_seed + 1)
    owners = []
    for i in range(count):
        first, last = fake.first_name(), fake.last_name()
        email = f"{first}.{last}{i}@sandbox-sales.example.com".lower().replace(" ", "")
        owners.append(Owner(first, last, email, TIME_ZONES[i % len(TIME_ZONES)]))
    return owners


def make_people(count: int, owners: int, rng_seed: int = 0,
                now: datetime | None = None) -> list[Person]:
    """Draw ``count`` people deterministically for ``rng_seed``."""
    fake = Faker()
    fake.seed_instance(rng_seed)
    rng = random.Random(rng_seed)
    now = now or datetime.now(UTC).replace(microsecond=0)
    people = []
    for i in range(count):
        first, last = fake.first_name(), fake.last_name()
        domain = fake.domain_name() if rng.random() > 0.1 else "gmail.com"
        email = f"{first}.{last}.{i}@{domain}".lower().replace(" ", "").replace("'", "")
        where = rng.random()
        in_hubspot, in_salesforce = where < 0.75, where >= 0.40
        sf_email = email.title() if in_salesforce and rng.random() < 0.2 else email
        country, states = rng.choice(REGIONS)
        created = now - timedelta(days=rng.randint(1, 120), minutes=rng.randint(0, 1439))
        activities = tuple(
            _activity(rng, created, now) for _ in range(rng.choice((0, 0, 1, 2, 3, 4, 6)))
        )
        company = fake.company() if (in_salesforce or rng.random() > 0.15) else ""
        last_activity = (None if rng.random() < 0.15 else
                         now - timedelta(days=rng.choice((0, 1, 3, 7, 12, 20, 45, 100, 150)),
                                         minutes=rng.randint(0, 1439)))
        people.append(Person(
            first_name=first, last_name=last, email=email, salesforce_email=sf_email,
            company=company, title=rng.choice(TITLES), phone=fake.numerify("+1 ###-###-####"),
            country=country, state=rng.choice(states), lead_source=rng.choice(LEAD_SOURCES),
            industry=rng.choice(INDUSTRIES), employees=rng.choice(EMPLOYEES),
            score=rng.choice((0, 5, 15, 30, 45, 60, 75, 90)), last_activity=last_activity,
            lifecycle_stage=rng.choice(LIFECYCLE_STAGES), lead_status=rng.choice(LEAD_STATUSES),
            in_hubspot=in_hubspot, in_salesforce=in_salesforce, owner=rng.randrange(owners),
            created_at=created, activities=tuple(sorted(activities, key=lambda a: a.at)),
        ))
    return people


def _activity(rng: random.Random, created: datetime, now: datetime) -> Activity:
    span = max(int((now - created).total_seconds()), 60)
    at = created + timedelta(seconds=rng.randrange(span))
    kind = rng.choice(("call", "call", "email"))
    subject = "Call" if kind == "call" else rng.choice(("Intro", "Following up", "Quick question"))
    return Activity(kind=kind, at=at, subject=subject, completed=rng.random() < 0.9)
