"""The ``[systems.<name>]`` table of a HubSpot portal (``kind = "hubspot"``).

LeadSync logs in with a private app's access token, best set from the environment:
``LEADSYNC_SYSTEMS__<NAME>__ACCESS_TOKEN``. The registry
(``adapters.registry``) registers the kind from the package's descriptor.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from leadsync.connector.config import (
    ExistingFile,
    HttpsUrl,
    SecretText,
    SystemSettings,
)

_PROPERTY_NAME = re.compile(r"[a-z][a-z0-9_]*")


class HubSpotSettings(SystemSettings):
    """How to reach one HubSpot portal and which contact properties LeadSync keys on."""

    kind: Literal["hubspot"] = "hubspot"
    access_token: SecretText
    host: HttpsUrl = "https://api.hubapi.com"
    ca_bundle: ExistingFile | None = None
    key_property: str = "leadsync_id"
    timeout: float = Field(default=30.0, gt=0)

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
