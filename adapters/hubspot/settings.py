"""The ``[systems.<name>]`` table of a HubSpot portal (``kind = "hubspot"``).

LeadSync logs in with a private app's access token, best set from the environment:
``LEADSYNC_SYSTEMS__<NAME>__ACCESS_TOKEN``. The registry
(``adapters.registry``) registers the kind from the package's descriptor.

Calls are paced below the limits HubSpot documents for private apps: ``rate_limit`` calls per
rolling 10 seconds (190 on Professional and Enterprise portals, 100 on Free and Starter, 250
with the API limit increase) and ``search_rate_limit`` searches per second (5), each less
``rate_margin`` (default 0: each call holds its place until a window after its answer, so the
limits can be used whole; 0.1 leaves 10% to other tools on the same private app).
``max_parallel`` write calls go at once (unset: ``[sync] parallel``), all within those limits.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from leadsync.adapters.hubspot.calls import BURST_LIMIT, RATE_MARGIN, SEARCH_LIMIT
from leadsync.connector.config_systems import (
    ExistingFile,
    HttpsUrl,
    SecretText,
    SystemSettings,
)

_PROPERTY_NAME = re.compile(r"[a-z][a-z0-9_]*")
MAX_PARALLEL = 16  # write calls in flight at once; the rate limits bound them anyway


class HubSpotSettings(SystemSettings):
    """How to reach one HubSpot portal and which contact properties LeadSync keys on."""

    kind: Literal["hubspot"] = "hubspot"
    access_token: SecretText
    host: HttpsUrl = "https://api.hubapi.com"
    ca_bundle: ExistingFile | None = None
    key_property: str = "leadsync_id"
    timeout: float = Field(default=30.0, gt=0)
    rate_limit: int = Field(default=BURST_LIMIT, ge=1)  # calls per rolling 10 s, documented
    search_rate_limit: int = Field(default=SEARCH_LIMIT, ge=1)  # searches per second
    rate_margin: float = Field(default=RATE_MARGIN, ge=0, lt=1)  # how far below them to stay
    max_parallel: int | None = Field(default=None, ge=1, le=MAX_PARALLEL)

    @field_validator("key_property")
    @classmethod
    def _check_property_name(cls, value: str) -> str:
        if not _PROPERTY_NAME.fullmatch(value):
            raise PydanticCustomError("property_name", "should be a contact property's internal "
                                      "name: lowercase letters, digits and underscores")
        return value

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``hubspot.HubSpot(...)``; the token is unwrapped: do not log."""
        kwargs: dict[str, Any] = {"access_token": self.access_token.get_secret_value(),
                                  "host": self.host}
        if self.ca_bundle is not None:
            kwargs["ssl_ca_cert"] = str(self.ca_bundle)
        return kwargs
