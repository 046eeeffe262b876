"""Build the ``System`` for a configured system: the vendor client, wrapped in its adapter."""

from __future__ import annotations

from typing import Any

from leadsync.connector.errors import AuthError, ConfigError
from leadsync.connector.logs import register_secret
from leadsync.connector.ports import System


def build_system(name: str, settings: Any) -> System:
    """The adapter for ``settings.kind``; logging in happens here for the login flows."""
    kwargs = settings.client_kwargs()
    for key in ("session_id", "password", "security_token", "consumer_secret", "privatekey",
                "access_token"):
        register_secret(kwargs.get(key))
    if settings.kind == "salesforce":
        return _salesforce(name, settings, kwargs)
    if settings.kind == "hubspot":
        return _hubspot(name, settings, kwargs)
    raise ConfigError(f"no adapter for kind {settings.kind!r}", f"systems.{name}.kind")


def _salesforce(name: str, settings: Any, kwargs: dict[str, Any]) -> System:
    from leadsync.adapters.salesforce.system import SalesforceSystem
    from leadsync.adapters.transport import ca_session
    from simple_salesforce import Salesforce
    from simple_salesforce.exceptions import SalesforceAuthenticationFailed

    session = ca_session(settings.ca_bundle, settings.timeout)
    try:
        client = Salesforce(**kwargs, session=session)
    except SalesforceAuthenticationFailed as exc:
        raise AuthError(f"Salesforce refused the login: {exc.code}",
                        f"systems.{name}.auth") from exc
    register_secret(client.session_id)
    return SalesforceSystem(name, client, key_field=settings.lead_key_field)


def _hubspot(name: str, settings: Any, kwargs: dict[str, Any]) -> System:
    from hubspot import HubSpot
    from leadsync.adapters.hubspot.system import HubSpotSystem

    return HubSpotSystem(name, HubSpot(**kwargs), key_field=settings.key_property,
                         timeout=settings.timeout)
