"""A host that cannot be reached, or whose TLS certificate is not trusted, is named with the
setting to fix: the real vendor clients against the sandbox orgs over HTTPS."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
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
from leadsync.connector.errors import ConfigError, TransientError, Unreachable
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
    assert "the certificate of 127.0.0.1:" in str(raised.value)
    assert "unknown issuer (certificate verify failed: unable to get local issuer " \
        "certificate)" in str(raised.value)
    assert "\n" not in str(raised.value)
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

    assert str(raised.value) == (
        "Salesforce describe: cannot connect to 127.0.0.1:9: connection refused; nothing "
        "accepts connections there: check systems.salesforce.instance_url and that the service "
        "is up")
    assert len(waits) == 2 and system.retries_made == 2


def test_sync_with_an_untrusted_certificate_exits_2_naming_the_key_without_a_traceback(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    config_trusting(sandbox, tmp_path, other_ca(tmp_path))

    result = leadsync("sync", "--config", str(tmp_path / "leadsync.toml"),
                      env=secrets_env(sandbox))

    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()  # what is wrong and what to do, in one line
    assert line.startswith("configuration error (default): systems.hubspot.ca_bundle: ")
    assert "127.0.0.1:" in line and "unknown issuer" in line


def test_a_hubspot_host_that_refuses_connections_is_named_and_retried(sandbox: Sandbox) -> None:
    client = HubSpot(access_token="pat-x", host="https://127.0.0.1:9",
                     ssl_ca_cert=sandbox.info["ca_bundle"])
    waits: list[float] = []
    system = HubSpotSystem("hubspot", client, retry=RetryPolicy(attempts=3, sleep=waits.append))

    with pytest.raises(TransientError, match=r"^HubSpot \w+: cannot connect to 127\.0\.0\.1:9: "
                                             r"connection refused; .*systems\.hubspot\.host"):
        system.describe()

    assert len(waits) == 2 and system.retries_made == 2


# --- what failed, said plainly, and how long a host never reached is retried ------------------

@contextmanager
def tls_server(configure: Callable[[ssl.SSLContext], None]) -> Iterator[str]:
    """A TLS server on 127.0.0.1 that shakes hands with the given certificate and closes; its
    URL."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    configure(context)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.settimeout(5)
                context.wrap_socket(conn, server_side=True).close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def self_signed(context: ssl.SSLContext) -> None:
    """A certificate for 127.0.0.1 signed by its own key, as a device or a test server has."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        context.load_cert_chain(cert_file, key_file)


def hubspot_at(url: str, ca_bundle: Path, policy: RetryPolicy | None = None) -> HubSpotSystem:
    client = HubSpot(access_token="pat-x", host=url, ssl_ca_cert=str(ca_bundle))
    return HubSpotSystem("hubspot", client, retry=policy or RetryPolicy(sleep=lambda _: None))


def test_a_self_signed_certificate_is_named_with_the_ca_bundle_key_in_one_line(
        tmp_path: Path) -> None:
    with tls_server(self_signed) as url, pytest.raises(ConfigError) as raised:
        hubspot_at(url, other_ca(tmp_path)).describe()

    assert raised.value.where == "systems.hubspot.ca_bundle"
    assert "self-signed certificate" in str(raised.value)
    assert "set systems.hubspot.ca_bundle to a PEM file" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_certificate_for_another_host_is_a_hostname_mismatch_naming_the_host_key(
        tmp_path: Path) -> None:
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    elsewhere = ca.issue_cert("crm.elsewhere.example")

    with tls_server(elsewhere.configure_cert) as url, pytest.raises(ConfigError) as raised:
        hubspot_at(url, bundle).describe()

    assert raised.value.where == "systems.hubspot.ca_bundle"
    assert "hostname mismatch" in str(raised.value)
    assert "systems.hubspot.host must name a host the certificate is issued for" in str(
        raised.value)


def test_a_host_name_not_found_names_dns_and_the_key(tmp_path: Path) -> None:
    waits: list[float] = []
    system = hubspot_at("https://leadsync-no-such-host.invalid", other_ca(tmp_path),
                        RetryPolicy(attempts=6, sleep=waits.append))

    with pytest.raises(Unreachable) as raised:
        system.describe()

    assert raised.value.reason == "host name not found (DNS)"
    assert "check the host name in systems.hubspot.host" in str(raised.value)
    assert "leadsync-no-such-host.invalid" in str(raised.value)
    assert len(waits) == 2  # never reached: a brief retry, not the policy's six attempts


def test_a_host_that_answered_before_then_refuses_gets_the_whole_retry_policy(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox()
    client = HubSpot(access_token=sandbox.info["hubspot"]["access_token"],
                     host=sandbox.info["hubspot"]["host"], ssl_ca_cert=sandbox.info["ca_bundle"])
    waits: list[float] = []
    system = HubSpotSystem("hubspot", client, retry=RetryPolicy(attempts=5, sleep=waits.append))
    system.describe()
    sandbox.stop()

    with pytest.raises(Unreachable) as raised:
        system.describe()

    assert raised.value.reason == "connection refused" and not raised.value.first
    assert len(waits) == 4


def test_sync_against_a_refusing_host_stops_after_a_brief_retry_naming_system_and_host(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    sandbox_config(sandbox.info, tmp_path)
    env = secrets_env(sandbox)
    host = sandbox.info["hubspot"]["host"].removeprefix("https://")
    sandbox.stop()

    result = leadsync("sync", "--config", str(tmp_path / "leadsync.toml"), env=env)

    assert result.returncode == 1
    assert f"cannot connect to {host}: connection refused" in result.stderr
    assert "check systems.hubspot.host and that the service is up" in result.stderr
    assert result.stderr.count("retrying") == 2  # three attempts, not the policy's six
    assert "Traceback" not in result.stderr
