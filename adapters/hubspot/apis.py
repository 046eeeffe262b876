"""One set of HubSpot API objects, and one connection pool, for the life of an adapter.

hubspot-api-client 12 builds a new ``Configuration``, ``ApiClient`` and urllib3
``PoolManager`` each time an API object is read (``client.crm.contacts.batch_api`` goes
through ``DiscoveryBase._configure_api_client``), so every call opened a new TCP and TLS
connection. ``reusing(client)`` is the same client with an ``api_factory`` (the client's own
option) that builds each API object once and gives every one of them the pool manager of the
first, so that keep-alive connections serve a whole run, for contacts, tasks, owners, lists
and properties alike.

The pool manager is the one the client builds from its configuration: ``ssl_ca_cert`` (the
configured ``ca_bundle``) is its ``ca_certs``, and verification stays on. urllib3 reads no
``REQUESTS_CA_BUNDLE``, so the environment cannot override the configured bundle. Timeouts
are given per call (``HubSpotCalls``: ``_request_timeout``), so reuse leaves them as they were.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from hubspot import HubSpot

ApiFactory = Callable[[Any, str, dict[str, Any]], Any]


class ReusedApis:
    """An ``api_factory`` that builds each API object once and shares one pool manager.

    ``build`` is the factory that makes them (the client's default when None). A client
    configured anew (another token, another host) gets new API objects and a new pool.
    """

    def __init__(self, build: ApiFactory | None = None) -> None:
        self.build: ApiFactory = build or _default_factory
        self.config: dict[str, Any] | None = None
        self.apis: dict[tuple[str, str], Any] = {}
        self.pool: Any = None  # the urllib3 PoolManager every API object sends through
        self._lock = threading.Lock()

    def __call__(self, package: Any, api_name: str, config: dict[str, Any]) -> Any:
        key = (package.__name__, api_name)
        with self._lock:
            if config != self.config:
                self.config, self.apis, self.pool = dict(config), {}, None
            api = self.apis.get(key)
            if api is None:
                api = self.apis[key] = self.build(package, api_name, config)
                rest = api.api_client.rest_client
                if self.pool is None:
                    self.pool = rest.pool_manager
                else:
                    rest.pool_manager = self.pool
            return api


def reusing(client: HubSpot) -> HubSpot:
    """A client like ``client`` (same token, host, CA bundle, factory) whose API objects and
    connections are reused; ``client`` itself is left as it was."""
    if isinstance(client.config.get("api_factory"), ReusedApis):
        return client
    return HubSpot(**{**client.config,
                      "api_factory": ReusedApis(client.config.get("api_factory"))})


def _default_factory(package: Any, api_name: str, config: dict[str, Any]) -> Any:
    from hubspot.discovery.discovery_base import DiscoveryBase

    return DiscoveryBase._default_api_factory(package, api_name, config)
