"""A HubSpot portal emulator: the CRM v3 API (contacts, calls, emails, tasks, properties, lists,
owners) and v4 association reads, as HubSpot documents them, for the unmodified
hubspot-api-client."""

from leadsync.sandbox.hubspot.portal import HubSpotPortal

__all__ = ["HubSpotPortal"]
