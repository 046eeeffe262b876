"""The ``[systems.<name>]`` table of a Salesforce org (``kind = "salesforce"``).

``auth`` chooses one of the ways simple-salesforce 1.12 logs in, and each needs its own keys:

=====================  ==========================================================================
``session``            ``instance_url``, ``session_id`` (an OAuth access token or session id)
``password``           ``username``, ``password``, ``security_token`` (``""`` when the org trusts
                       your IP range); optional ``domain``
``jwt``                ``username``, ``consumer_key``, and ``private_key_file`` or ``private_key``;
                       optional ``domain``
``client_credentials`` ``consumer_key``, ``consumer_secret``, ``domain`` (your My Domain)
=====================  ==========================================================================

``domain`` is the part of the login host before ``.salesforce.com``: ``login`` (the default),
``test`` (sandboxes) or a My Domain such as ``acme.my``. Secrets can come from the environment,
e.g. ``LEADSYNC_SYSTEMS__SALESFORCE__PASSWORD``. ``daily_api_reserve`` (default 0.2) is the share
of the org's daily API allowance left to its other integrations; ``bulk_threshold`` (default
100,000) the number of changed leads (a read) or records (one write batch) above which Bulk API 2.0
jobs are used. ``max_parallel`` write calls go at once (unset: ``[sync] parallel``), at most
10: an org runs at most 25 long-running requests at once (production), shared with its other
integrations. The registry
(``adapters.registry``) registers the kind from the package's descriptor.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from leadsync.connector.config_systems import (
    ExistingFile,
    HttpsUrl,
    SecretText,
    SystemSettings,
    validate_with_problems,
)

Auth = Literal["session", "password", "jwt", "client_credentials"]
MAX_PARALLEL = 10  # write calls in flight at once: well under the org's 25 long-running ones

# the keys each auth mode needs, and the ones it may have besides
_NEEDS: dict[str, tuple[str, ...]] = {
    "session": ("instance_url", "session_id"),
    "password": ("username", "password", "security_token"),
    "jwt": ("username", "consumer_key"),
    "client_credentials": ("consumer_key", "consumer_secret", "domain"),
}
_MAY: dict[str, tuple[str, ...]] = {
    "session": (),
    "password": ("domain",),
    "jwt": ("private_key_file", "private_key", "domain"),
    "client_credentials": (),
}
_CREDENTIALS = ("session_id", "username", "password", "security_token", "consumer_key",
                "consumer_secret", "private_key_file", "private_key", "domain")
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$")


class SalesforceSettings(SystemSettings):
    """How to reach and log in to one Salesforce org."""

    kind: Literal["salesforce"] = "salesforce"
    auth: Auth
    instance_url: HttpsUrl | None = None
    session_id: SecretText | None = None
    username: str | None = Field(default=None, min_length=1)
    password: SecretText | None = None
    security_token: SecretStr | None = None
    consumer_key: str | None = Field(default=None, min_length=1)
    consumer_secret: SecretText | None = None
    private_key_file: ExistingFile | None = None
    private_key: SecretText | None = None
    domain: str | None = None
    api_version: str = "59.0"
    ca_bundle: ExistingFile | None = None
    lead_key_field: str = "LeadSync_Id__c"
    timeout: float = Field(default=30.0, gt=0)
    daily_api_reserve: float = Field(default=0.2, ge=0, lt=1)
    bulk_threshold: int = Field(default=100_000, ge=1)
    max_parallel: int | None = Field(default=None, ge=1, le=MAX_PARALLEL)

    @model_validator(mode="wrap")
    @classmethod
    def _keys_for_auth(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        problems = _auth_problems(data) if isinstance(data, Mapping) else []
        return validate_with_problems(handler, data, problems)

    @field_validator("domain")
    @classmethod
    def _check_domain(cls, value: str | None) -> str | None:
        if value is not None and (value.endswith("salesforce.com") or not _DOMAIN.match(value)):
            raise PydanticCustomError("domain", 'should be the part of the login host before '
                                      '".salesforce.com": "login", "test" or a My Domain such '
                                      'as "acme.my"')
        return value

    @field_validator("lead_key_field")
    @classmethod
    def _check_lead_key_field(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*__c", value):
            raise PydanticCustomError("field_name", "should be the API name of a custom "
                                      'external-ID field on Lead, ending in "__c"')
        return value

    @field_validator("api_version", mode="before")
    @classmethod
    def _check_api_version(cls, value: Any) -> Any:
        if isinstance(value, float):
            value = f"{value:.1f}"
        if isinstance(value, str) and not re.fullmatch(r"\d+\.\d", value):
            raise PydanticCustomError("api_version", 'should look like "59.0" (no leading "v")')
        return value

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``simple_salesforce.Salesforce(...)`` in the chosen auth mode.

        Secrets are unwrapped: do not log the result. The caller adds
        ``session=adapters.transport.ca_session(...)`` for ``ca_bundle``; ``timeout`` belongs
        to the calls, as simple-salesforce takes none. ``instance_url`` is passed for ``session``
        only: the login flows answer with the instance (and for ``jwt`` simple-salesforce would
        read it as a login host prefix, not a URL).
        """
        kwargs: dict[str, Any] = {"version": self.api_version}
        if self.auth == "session":
            kwargs.update(instance_url=self.instance_url, session_id=_reveal(self.session_id))
        elif self.auth == "password":
            kwargs.update(username=self.username, password=_reveal(self.password),
                          security_token=_reveal(self.security_token))
        elif self.auth == "jwt":
            kwargs.update(username=self.username, consumer_key=self.consumer_key)
            if self.private_key_file is not None:
                kwargs["privatekey_file"] = str(self.private_key_file)
            else:
                kwargs["privatekey"] = _reveal(self.private_key)
        else:
            kwargs.update(consumer_key=self.consumer_key,
                          consumer_secret=_reveal(self.consumer_secret))
        if self.domain is not None:
            kwargs["domain"] = self.domain
        return kwargs


def _reveal(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()


def _auth_problems(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Missing and unused keys for ``data["auth"]``, judged on the raw table."""
    auth = data.get("auth")
    if auth not in _NEEDS:
        return []  # the field's own error says what auth may be
    given = {key for key in (*_CREDENTIALS, "instance_url") if data.get(key) is not None}
    problems = [(key, f'required when auth = "{auth}"') for key in _NEEDS[auth]
                if key not in given]
    if auth == "jwt":
        keys = given & {"private_key_file", "private_key"}
        if not keys:
            problems.append(("private_key_file", 'required when auth = "jwt", unless '
                             "private_key is given inline"))
        elif len(keys) == 2:
            problems.append(("private_key", "give private_key_file or private_key, not both"))
    if auth == "client_credentials" and data.get("domain") in ("login", "test"):
        problems.append(("domain", 'auth = "client_credentials" needs your My Domain '
                         '(e.g. "acme.my"), not "login" or "test"'))
    problems += [(key, f'not used when auth = "{auth}"; remove it or change auth')
                 for key in _CREDENTIALS
                 if key in given and key not in _NEEDS[auth] and key not in _MAY[auth]]
    return problems
