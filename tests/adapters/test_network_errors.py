"""A host that cannot be reached, or whose TLS certificate is not trusted, is named with the
setting to fix: the real vendor clients against the sandbox orgs over HTTPS."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import trustme
from hubspot import HubSpot
from simple_salesforce import Salesforce

from leadsync.adapters.hubspot.system import HubSpotSystem
from leadsync.adapters.registry import build_system
from leadsync.adapters.salesforce.system import SalesforceSystem
from leadsync.adapters.transport import ca_session
from leadsync.connector.config import Config
from leadsync.connector.config_file import load_config
from leadsync.connector.errors import ConfigError, TransientError
from leadsync.connector.retry import RetryPolicy
from leadsync.demo import sandbox_config, sandbox_secrets
from leadsync.sandbox.server import Sandbox
from tests.jobs.test_cli import leadsync, secrets_env

ROLES = ["crm", "marketing"]  # Salesforce, HubSpot


def config_trusting(sandbox: Sandbox, folder: Path, ca_bundle: Path) -> Config:
    """The sandbox config with ``ca_bundle`` for both systems instead of the sandbox's CA."""
    sandbox_config(sandbox.info, folder)
    path = folder / "leadsync.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        sandbox.info["ca_bundle"], ca_bundle.as_posix()), encoding="utf-8")
    return load_config(path, env=sandbox_secrets(sandbox.info))


def other_ca(folder: Path) -> Path:
    path = folder / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


@pytest.mark.parametrize("role", ROLES)
def test_a_certificate_the_ca_bundle_does_not_trust_names_the_host_and_the_ca_bundle_key(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path, role: str) -> None:
    sandbox = make_sandbox()
    config = config_trusting(sandbox, tmp_path, other_ca(tmp_path))
    name, settings = getattr(config, role)
    system = build_system(name, settings)

    with pytest.raises(ConfigError) as raised:
        system.describe()

    assert raised.value.where == f"systems.{name}.ca_bundle"
    assert "TLS with 127.0.0.1:" in str(raised.value)
    assert "certificate verify failed: unable to get local issuer certificate" in str(
        raised.value)
    assert system.calls_made == 1  # no retry fixes a certificate


@pytest.mark.parametrize("role", ROLES)
def test_a_ca_bundle_that_holds_no_certificate_names_the_ca_bundle_key(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path, role: str) -> None:
    sandbox = make_sandbox()
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("this is not a PEM file\n")
    config = config_trusting(sandbox, tmp_path, garbage)
    name, settings = getattr(config, role)

    with pytest.raises(ConfigError, match="no certificate or crl found") as raised:
        build_system(name, settings).describe()
    assert raised.value.where == f"systems.{name}.ca_bundle"


def test_a_salesforce_host_that_refuses_connections_is_named_and_retried(
        sandbox: Sandbox) -> None:
    info = sandbox.info
    client = Salesforce(instance_url="https://127.0.0.1:9", session_id="00Dxx",
                        version="59.0", session=ca_session(info["ca_bundle"], 5))
    waits: list[float] = []
    system = SalesforceSystem("salesforce", client,
                              retry=RetryPolicy(attempts=3, sleep=waits.append))

    with pytest.raises(TransientError) as raised:
        system.describe()

    assert str(raised.value) == ("Salesforce describe: cannot connect to 127.0.0.1:9: "
                                 "connection refused")
    assert len(waits) == 2 and system.retries_made == 2


def test_sync_with_an_untrusted_certificate_exits_2_naming_the_key_without_a_traceback(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    config_trusting(sandbox, tmp_path, other_ca(tmp_path))

    result = leadsync("sync", "--config", str(tmp_path / "leadsync.toml"),
                      env=secrets_env(sandbox))

    assert result.returncode == 2, result.stderr
    assert "ca_bundle" in result.stderr and "127.0.0.1:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_hubspot_host_that_refuses_connections_is_named_and_retried(sandbox: Sandbox) -> None:
    client = HubSpot(access_token="pat-x", host="https://127.0.0.1:9",
                     ssl_ca_cert=sandbox.info["ca_bundle"])
    waits: list[float] = []
    system = HubSpotSystem("hubspot", client, retry=RetryPolicy(attempts=3, sleep=waits.append))

    with pytest.raises(TransientError, match=r"^HubSpot \w+: cannot connect to 127\.0\.0\.1:9: "
                                             r"connection refused$"):
        system.describe()

    assert len(waits) == 2 and system.retries_made == 2
