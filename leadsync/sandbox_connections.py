"""A config of several connections over sandbox orgs: one HubSpot portal and one Salesforce
org per connection, as two business units would have them.

For the tests and benchmarks of several connections, the scheduler and the workers; the one-pair
config of the demo is ``demo.sandbox_config``. Secrets are passed as an admin passes them,
through ``LEADSYNC_SYSTEMS__<NAME>__*`` environment variables (``connections_secrets``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from leadsync import shipped
from leadsync.adapters.registry import load_builtin_kinds
from leadsync.connector.config import Config
from leadsync.connector.config_file import load_config

SYSTEMS = """
[systems.hubspot_{name}]
kind = "hubspot"
role = "marketing"
host = "{hubspot_host}"
ca_bundle = "{ca_bundle}"
{hubspot}
[systems.salesforce_{name}]
kind = "salesforce"
role = "crm"
auth = "session"
instance_url = "{instance_url}"
ca_bundle = "{ca_bundle}"

[connections.{name}]
marketing = "hubspot_{name}"
crm = "salesforce_{name}"
"""


def connections_config(infos: Mapping[str, dict[str, Any]], folder: Path,
                       state_url: str = "sqlite:///leadsync.db", extra: str = "",
                       install: bool = True, state: str = "", sync: str = "",
                       hubspot: str = "") -> Config:
    """``folder/leadsync.toml`` holding one connection per ``infos`` entry (connection name ->
    ``Sandbox.info``), sharing one state store and the shipped mapping; ``state``, ``sync``
    and ``hubspot`` are more keys for ``[state]``, ``[sync]`` and each HubSpot system's table,
    ``extra`` more TOML after ``[sync]`` (a definition, calendars, an SLA, ``[scale]``). With
    ``install``, each connection's fields are created first."""
    from leadsync.jobs.install import run_install

    text = (f'# Written by LeadSync for sandbox orgs; secrets come from the environment.\n'
            f'[state]\nurl = "{state_url}"\n{state}\n[sync]\n'
            f'mapping = "{shipped.mapping().as_posix()}"\n{sync}\n{extra}\n')
    for name, info in infos.items():
        text += SYSTEMS.format(name=name, hubspot_host=info["hubspot"]["host"],
                               instance_url=info["salesforce"]["instance_url"],
                               ca_bundle=info["ca_bundle"], hubspot=hubspot)
    path = folder / "leadsync.toml"
    path.write_text(text, encoding="utf-8")
    load_builtin_kinds()
    config = load_config(path, env=connections_secrets(infos))
    if install:
        for name in config.connection_names():
            run_install(config.for_connection(name), apply=True)
    return config


def connections_secrets(infos: Mapping[str, dict[str, Any]]) -> dict[str, str]:
    """The environment variables carrying each connection's sandbox secrets."""
    secrets: dict[str, str] = {}
    for name, info in infos.items():
        secrets[f"LEADSYNC_SYSTEMS__HUBSPOT_{name.upper()}__ACCESS_TOKEN"] = (
            info["hubspot"]["access_token"])
        secrets[f"LEADSYNC_SYSTEMS__SALESFORCE_{name.upper()}__SESSION_ID"] = (
            info["salesforce"]["session_id"])
    return secrets
