"""``[sla]`` and ``[sla.pool]``: how handed-off leads are held to account, as the config holds
them. The policies themselves are checked by ``connector.sla.parse_policies`` when a job
starts; the config (``connector.config``) holds these tables as its ``sla`` section.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from leadsync.connector.config_systems import MODEL_CONFIG as _MODEL_CONFIG


class PoolSettings(BaseModel):
    """``[sla.pool]``: the round-robin pool for new handoffs and reassignments."""

    model_config = _MODEL_CONFIG

    reps: list[str] = Field(default_factory=list)  # the reps' emails, in turn order
    queue: str | None = None  # or the members of this CRM queue (Salesforce) or team (HubSpot)
    min_compliance: float | None = Field(default=None, gt=0, le=1)
    window_days: int = Field(default=30, ge=1)
    out_of_office: dict[str, tuple[date, date]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _reps_or_queue(self) -> PoolSettings:
        if bool(self.reps) == bool(self.queue):
            raise PydanticCustomError("pool", "name the reps (reps = [emails]) or a CRM queue "
                                      "(queue = \"name\"), one of the two")
        return self


class SlaSettings(BaseModel):
    """``[sla]``: how handed-off leads are held to account (policies are checked by
    ``connector.sla.parse_policies`` when a job starts)."""

    model_config = _MODEL_CONFIG

    default_calendar: str = "default"
    policies: list[dict[str, Any]] = Field(min_length=1)
    # CRM status values; unset: the CRM's standard ones (see the adapters' SalesProcess)
    accepted_statuses: list[str] | None = None
    disqualified_statuses: list[str] | None = None
    nurture_status: str | None = None
    reopen_status: str | None = None  # a recycled lead handed off again
    nurture_list: str | None = "LeadSync: recycled for nurture"
    marketing_on_recycle: dict[str, str] | None = None  # unset: the marketing system's standard
    regions: dict[str, list[str]] = Field(default_factory=dict)  # region -> country values
    escalate_to: str | None = None  # who gets escalations for owners without a manager (email)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    pool: PoolSettings | None = None

    @field_validator("regions")
    @classmethod
    def _check_regions(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, countries in value.items():
            if not [c for c in countries if c.strip()]:
                raise PydanticCustomError("regions", "region {name} names no country",
                                          {"name": name})
        return value

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise PydanticCustomError("webhook_url", "should be an http(s) URL")
        return value
