"""One HubSpot portal (account): its data, its limits, and the emulator port the server drives.

A portal starts as a standard, freshly provisioned one: HubSpot's default contact properties
(``schema``) and nothing made for LeadSync; ``leadsync install`` creates what it needs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Response

from leadsync.sandbox.http import WSGIEnviron, json_response
from leadsync.sandbox.hubspot import timestamps
from leadsync.sandbox.hubspot.app import PortalApp
from leadsync.sandbox.hubspot.associations import TYPE_IDS, Associations
from leadsync.sandbox.hubspot.errors import correlation_id
from leadsync.sandbox.hubspot.limits import SEARCH_PER_SECOND, Clock, RateLimits
from leadsync.sandbox.hubspot.lists import Lists
from leadsync.sandbox.hubspot.owners import Owners
from leadsync.sandbox.hubspot.properties import PropertyCatalog
from leadsync.sandbox.hubspot.store import ObjectStore
from leadsync.sandbox.people import Owner, Person
from leadsync.sandbox.population import Drawn

PORTAL_ID = 24_000_001
# The sales statuses people are drawn with, as HubSpot lead statuses.
LEAD_STATUS_OF = {"Open - Not Contacted": "OPEN", "Working - Contacted": "IN_PROGRESS"}
# How HubSpot's tracking would have recorded where each kind of lead came from.
ANALYTICS_SOURCE_OF = {"Web": "ORGANIC_SEARCH", "Demo Request": "DIRECT_TRAFFIC",
                       "Free Trial": "PAID_SEARCH", "Webinar": "OTHER_CAMPAIGNS",
                       "Content Download": "EMAIL_MARKETING", "Trade Show": "OFFLINE",
                       "Partner Referral": "REFERRALS", "Purchased List": "OFFLINE",
                       "Contact Sales": "DIRECT_TRAFFIC"}
# The HubSpot campaign whose asset a lead first converted on ("First touch converting
# campaign"), for the kinds of lead a campaign brings; the others have none.
CAMPAIGN_OF = {"Webinar": "Q4 Pipeline Webinar Series", "Content Download": "2026 Buyer's Guide",
               "Free Trial": "Free Trial - Paid Search", "Demo Request": "See It Live Demo Days",
               "Trade Show": "SaaStr Annual 2026"}


def _employee_range(employees: int) -> str:
    for upper, label in ((5, "1-5"), (25, "5-25"), (50, "25-50"), (100, "50-100"),
                         (500, "100-500"), (1000, "500-1000")):
        if employees <= upper:
            return label
    return "1000+"


class HubSpotPortal:
    """A HubSpot portal served over the CRM v3 API (and the v4 association reads)."""

    def __init__(self, access_token: str, rate_limit: int = 190, clock: Clock = time.time,
                 now: Callable[[], datetime] | None = None,
                 search_rate: int = SEARCH_PER_SECOND) -> None:
        self.access_token = access_token
        self.lock = threading.RLock()
        self.mutations = 0
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        stamp = self.stamp
        self.catalog = PropertyCatalog(PORTAL_ID, stamp)
        self.store = ObjectStore(self.catalog, lambda: self.now())
        self.associations = Associations()
        self.owners = Owners()
        self.lists = Lists(self.store, stamp)
        self.limits = RateLimits(rate_limit, clock=clock,
                                 group_name=f"publicapi:private-app:{PORTAL_ID}",
                                 search_limit=search_rate)
        self._app = PortalApp(self)

    def stamp(self) -> str:
        return timestamps.iso(self.now())

    def touch(self) -> None:
        """Note a change of portal data, so the server knows to save."""
        self.mutations += 1

    def __call__(self, environ: WSGIEnviron, start_response: Any) -> Iterable[bytes]:
        return self._app(environ, start_response)

    def throttle_response(self) -> Response:
        with self.lock:
            return self.limits.refusal("TEN_SECONDLY_ROLLING",
                                       "You have reached your ten_secondly_rolling limit.")

    def unavailable_response(self) -> Response:
        return json_response({"status": "error", "message": "Service Unavailable",
                              "correlationId": correlation_id(),
                              "category": "SERVICE_UNAVAILABLE"}, status=503)

    def dump(self) -> dict[str, Any]:
        with self.lock:
            return {"portalId": PORTAL_ID, "catalog": self.catalog.dump(),
                    "store": self.store.dump(), "associations": self.associations.dump(),
                    "owners": self.owners.dump(), "lists": self.lists.dump()}

    def restore(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.catalog.restore(data["catalog"])
            self.store.restore(data["store"])
            self.associations.restore(data["associations"])
            self.owners.restore(data["owners"])
            self.lists.restore(data["lists"])

    def seed(self, people: Sequence[Person], owners: Sequence[Owner]) -> None:
        """An owner per sales rep; a contact, with its calls and emails, per HubSpot person."""
        with self.lock:
            owner_ids = [self.owners.add(o.first_name, o.last_name, o.email, self.stamp())["id"]
                         for o in owners]
            for person in people:
                if person.in_hubspot:
                    self._seed_person(person, owner_ids[person.owner] if owner_ids else "")
            self.touch()

    def load(self, people: Iterable[Drawn], owners: Sequence[Owner]) -> int:
        """Put the HubSpot side of ``people`` straight into the store as imported contacts (no
        activities), fast enough for a million; returns how many were stored."""
        with self.lock:
            owner_ids = [self.owners.add(o.first_name, o.last_name, o.email, self.stamp())["id"]
                         for o in owners]
            count = self.store.load("contacts", (
                (_contact_values(person, owner_ids), person.created_at)
                for person in people if person.hubspot is not None))
            self.touch()
            return count

    def _seed_person(self, person: Person, owner_id: str) -> None:
        values = {
            "email": person.email.lower(), "firstname": person.first_name,
            "lastname": person.last_name, "company": person.company,
            "jobtitle": person.title, "phone": person.phone, "country": person.country,
            "state": person.state, "hs_lead_status": LEAD_STATUS_OF.get(person.lead_status, "NEW"),
            "lifecyclestage": person.lifecycle_stage, "hubspot_owner_id": owner_id,
            "hs_analytics_source": ANALYTICS_SOURCE_OF.get(person.lead_source, "OFFLINE"),
            "hs_analytics_first_touch_converting_campaign": CAMPAIGN_OF.get(person.lead_source,
                                                                            ""),
            "industry": person.industry, "numemployees": _employee_range(person.employees),
            "hubspotscore": str(person.score),
            "notes_last_updated": (timestamps.iso(person.last_activity)
                                   if person.last_activity else ""),
            "createdate": timestamps.iso(person.created_at),
        }
        contact = self.store.create("contacts", {k: v for k, v in values.items() if v},
                                    source="IMPORT", at=person.created_at)
        for activity in person.activities:
            at = timestamps.iso(activity.at)
            if activity.kind == "call":
                kind, activity_values = "calls", {
                    "hs_timestamp": at, "hs_call_title": activity.subject,
                    "hs_call_status": "COMPLETED" if activity.completed else "QUEUED",
                    "hs_call_direction": "OUTBOUND", "hubspot_owner_id": owner_id,
                    "hs_createdate": at}
            else:
                kind, activity_values = "emails", {
                    "hs_timestamp": at, "hs_email_subject": activity.subject,
                    "hs_email_direction": "EMAIL",
                    "hs_email_status": "SENT" if activity.completed else "SCHEDULED",
                    "hubspot_owner_id": owner_id, "hs_createdate": at}
            record = self.store.create(kind, {k: v for k, v in activity_values.items() if v},
                                       source="IMPORT", at=activity.at)
            self.associations.add(kind, record["id"], "contacts", contact["id"],
                                  TYPE_IDS[(kind, "contacts")])


def _contact_values(person: Drawn, owner_ids: list[str]) -> dict[str, str]:
    v = {**person.values, **(person.hubspot or {})}
    values = {"email": v["email"].lower(), "firstname": v["first_name"],
              "lastname": v["last_name"], "company": v["company"], "jobtitle": v["title"],
              "phone": v["phone"], "country": v["country"],
              "hs_lead_status": LEAD_STATUS_OF.get(v["lead_status"], "NEW"),
              "lifecyclestage": "lead", "industry": v["industry"],
              "hs_analytics_source": ANALYTICS_SOURCE_OF.get(v["lead_source"], "OFFLINE"),
              "hs_analytics_first_touch_converting_campaign": CAMPAIGN_OF.get(v["lead_source"],
                                                                              ""),
              "hubspot_owner_id": owner_ids[person.owner % len(owner_ids)] if owner_ids else ""}
    return {k: value for k, value in values.items() if value}
