"""Each adapter's settings: the keys it needs, the errors it gives, the client it configures."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
import simple_salesforce.login as sf_login
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hubspot import HubSpot
from simple_salesforce import Salesforce

from leadsync.adapters.hubspot.settings import HubSpotSettings
from leadsync.adapters.hubspot.system import HubSpotSystem
from leadsync.adapters.registry import build_system, load_builtin_kinds
from leadsync.adapters.salesforce.settings import SalesforceSettings
from leadsync.adapters.transport import ca_session
from leadsync.connector.budget import RollingWindow
from leadsync.connector.config import Config
from leadsync.connector.config_file import check_config, load_config
from leadsync.connector.config_systems import registered_kinds
from leadsync.connector.deliver import max_parallel
from leadsync.sandbox.server import Sandbox

REPO = Path(__file__).resolve().parents[2]

HUBSPOT = {"kind": "hubspot", "role": "marketing", "access_token": "pat-SECRET-hs"}
SESSION = {"auth": "session", "instance_url": "https://acme.my.salesforce.com",
           "session_id": "00D-SECRET-session"}
PASSWORD = {"auth": "password", "username": "sync@acme.com", "password": "SECRET-pw",
            "security_token": "SECRET-token"}
JWT = {"auth": "jwt", "username": "sync@acme.com", "consumer_key": "3MVG9-key",
       "private_key_file": "jwt.key"}
CLIENT_CREDENTIALS = {"auth": "client_credentials", "consumer_key": "3MVG9-key",
                      "consumer_secret": "SECRET-consumer", "domain": "acme.my"}
MODES = {"session": SESSION, "password": PASSWORD, "jwt": JWT,
         "client_credentials": CLIENT_CREDENTIALS}


@pytest.fixture(autouse=True)
def builtin_kinds() -> None:
    load_builtin_kinds()


@pytest.fixture(scope="module")
def rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def table(name: str, values: dict[str, Any]) -> str:
    return f"[systems.{name}]\n" + "".join(f"{key} = {json.dumps(value)}\n"
                                           for key, value in values.items())


def write_config(folder: Path, salesforce: dict[str, Any],
                 hubspot: dict[str, Any] | None = None) -> Path:
    (folder / "jwt.key").write_text("-----BEGIN PRIVATE KEY-----\n")
    path = folder / "leadsync.toml"
    path.write_text('[sync]\nmapping = "m.toml"\n\n' + table("hubspot", hubspot or HUBSPOT)
                    + "\n" + table("salesforce", {"kind": "salesforce", "role": "crm",
                                                   **salesforce}))
    return path


def problems(folder: Path, salesforce: dict[str, Any], hubspot: dict[str, Any] | None = None,
             env: dict[str, str] | None = None) -> list[str]:
    """The problems, without the file name in front."""
    path = write_config(folder, salesforce, hubspot)
    return [line.removeprefix(f"{path}: ") for line in check_config(path, env=env or {})]


def load(folder: Path, salesforce: dict[str, Any], hubspot: dict[str, Any] | None = None,
         env: dict[str, str] | None = None) -> Config:
    return load_config(write_config(folder, salesforce, hubspot), env=env or {})


def salesforce_of(config: Config) -> SalesforceSettings:
    settings = config.systems["salesforce"]
    assert isinstance(settings, SalesforceSettings)
    return settings


def hubspot_of(config: Config) -> HubSpotSettings:
    settings = config.systems["hubspot"]
    assert isinstance(settings, HubSpotSettings)
    return settings


def without(values: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != key}


# --- registry ----------------------------------------------------------------------------------

def test_load_builtin_kinds_registers_hubspot_and_salesforce_and_can_run_twice() -> None:
    load_builtin_kinds()

    kinds = registered_kinds()
    assert kinds["hubspot"] is HubSpotSettings and kinds["salesforce"] is SalesforceSettings


# --- Salesforce: which keys each auth mode needs -----------------------------------------------

@pytest.mark.parametrize("mode", list(MODES))
def test_each_salesforce_auth_mode_loads_with_its_keys(tmp_path: Path, mode: str) -> None:
    assert problems(tmp_path, MODES[mode]) == []


@pytest.mark.parametrize(("mode", "key"), [
    (mode, key) for mode, values in MODES.items() for key in values
    if key not in ("auth", "private_key_file")])
def test_a_key_the_auth_mode_needs_is_named_when_missing(tmp_path: Path, mode: str,
                                                         key: str) -> None:
    assert problems(tmp_path, without(MODES[mode], key)) == [
        f'systems.salesforce.{key}: required when auth = "{mode}"']


def test_jwt_needs_a_private_key_file_or_an_inline_key(tmp_path: Path) -> None:
    assert problems(tmp_path, without(JWT, "private_key_file")) == [
        'systems.salesforce.private_key_file: required when auth = "jwt", unless private_key '
        "is given inline"]


def test_jwt_refuses_both_a_key_file_and_an_inline_key(tmp_path: Path) -> None:
    assert problems(tmp_path, {**JWT, "private_key": "-----BEGIN"}) == [
        "systems.salesforce.private_key: give private_key_file or private_key, not both"]


def test_client_credentials_needs_a_my_domain(tmp_path: Path) -> None:
    assert problems(tmp_path, {**CLIENT_CREDENTIALS, "domain": "login"}) == [
        'systems.salesforce.domain: auth = "client_credentials" needs your My Domain '
        '(e.g. "acme.my"), not "login" or "test"']


def test_a_key_the_auth_mode_does_not_use_is_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, {**SESSION, "password": "x", "domain": "test"}) == [
        'systems.salesforce.password: not used when auth = "session"; remove it or change auth',
        'systems.salesforce.domain: not used when auth = "session"; remove it or change auth']


def test_missing_keys_are_listed_with_the_field_errors(tmp_path: Path) -> None:
    assert problems(tmp_path, {**without(PASSWORD, "username"), "timeout": 0}) == [
        "systems.salesforce.timeout: should be greater than 0",
        'systems.salesforce.username: required when auth = "password"']


def test_an_unknown_auth_mode_lists_the_modes(tmp_path: Path) -> None:
    assert problems(tmp_path, {**SESSION, "auth": "oauth"}) == [
        "systems.salesforce.auth: should be 'session', 'password', 'jwt' or 'client_credentials'"]


def test_auth_is_required(tmp_path: Path) -> None:
    assert problems(tmp_path, without(SESSION, "auth")) == [
        "systems.salesforce.auth: required key is missing"]


# --- Salesforce: other keys --------------------------------------------------------------------

def test_salesforce_defaults(tmp_path: Path) -> None:
    settings = salesforce_of(load(tmp_path, SESSION))

    assert (settings.api_version, settings.lead_key_field, settings.timeout) == (
        "59.0", "LeadSync_Id__c", 30.0)
    assert settings.ca_bundle is None and settings.domain is None
    assert settings.daily_api_reserve == 0.2  # a fifth of the daily allowance left to others


@pytest.mark.parametrize(("key", "value", "message"), [
    ("domain", "https://acme.my.salesforce.com", 'should be the part of the login host before '
     '".salesforce.com": "login", "test" or a My Domain such as "acme.my"'),
    ("api_version", "v59.0", 'should look like "59.0" (no leading "v")'),
    ("lead_key_field", "LeadSync_Id", 'should be the API name of a custom external-ID field '
     'on Lead, ending in "__c"'),
    ("instance_url", "http://acme.my.salesforce.com", 'should be an https:// URL such as '
     '"https://example.com" or "https://127.0.0.1:8443"'),
    ("ca_bundle", "missing.pem", "no such file: {folder}/missing.pem"),
    ("daily_api_reserve", 1.0, "should be less than 1"),
    ("daily_api_reserve", -0.1, "should be greater than or equal to 0"),
])
def test_a_bad_salesforce_value_is_named_with_its_key_path(tmp_path: Path, key: str, value: str,
                                                          message: str) -> None:
    values = PASSWORD if key == "domain" else SESSION
    assert problems(tmp_path, {**values, key: value}) == [
        f"systems.salesforce.{key}: {message.format(folder=tmp_path)}"]


def test_a_numeric_api_version_is_read_as_text(tmp_path: Path) -> None:
    assert salesforce_of(load(tmp_path, {**SESSION, "api_version": 60.0})).api_version == "60.0"


def test_salesforce_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")

    settings = salesforce_of(load(tmp_path, {**JWT, "ca_bundle": "certs/ca.pem"}))

    assert settings.ca_bundle == tmp_path / "certs" / "ca.pem"
    assert settings.private_key_file == tmp_path / "jwt.key"


def test_salesforce_secrets_can_come_from_the_environment(tmp_path: Path) -> None:
    env = {"LEADSYNC_SYSTEMS__SALESFORCE__PASSWORD": "env-pw",
           "LEADSYNC_SYSTEMS__SALESFORCE__SECURITY_TOKEN": "env-token"}

    settings = salesforce_of(load(tmp_path, without(without(PASSWORD, "password"),
                                                    "security_token"), env=env))

    assert settings.client_kwargs()["password"] == "env-pw"
    assert settings.client_kwargs()["security_token"] == "env-token"


def test_an_empty_security_token_is_allowed_for_trusted_ip_ranges(tmp_path: Path) -> None:
    settings = salesforce_of(load(tmp_path, {**PASSWORD, "security_token": ""}))

    assert settings.client_kwargs()["security_token"] == ""


# --- Salesforce: the client it configures ------------------------------------------------------

@pytest.mark.parametrize(("mode", "expected"), [
    ("session", {"instance_url": "https://acme.my.salesforce.com",
                 "session_id": "00D-SECRET-session"}),
    ("password", {"username": "sync@acme.com", "password": "SECRET-pw",
                  "security_token": "SECRET-token"}),
    ("jwt", {"username": "sync@acme.com", "consumer_key": "3MVG9-key",
             "privatekey_file": "{folder}/jwt.key"}),
    ("client_credentials", {"consumer_key": "3MVG9-key", "consumer_secret": "SECRET-consumer",
                            "domain": "acme.my"}),
])
def test_client_kwargs_give_simple_salesforce_exactly_the_chosen_mode(
        tmp_path: Path, mode: str, expected: dict[str, str]) -> None:
    kwargs = salesforce_of(load(tmp_path, MODES[mode])).client_kwargs()

    assert kwargs == {"version": "59.0",
                      **{k: v.format(folder=tmp_path) for k, v in expected.items()}}
    assert set(kwargs) <= set(inspect.signature(Salesforce.__init__).parameters)


def test_client_kwargs_pass_the_domain_and_an_inline_key(tmp_path: Path) -> None:
    values = {**without(JWT, "private_key_file"), "private_key": "PEM", "domain": "test"}

    kwargs = salesforce_of(load(tmp_path, values)).client_kwargs()

    assert (kwargs["privatekey"], kwargs["domain"]) == ("PEM", "test")
    assert "privatekey_file" not in kwargs


def test_a_session_connects_without_logging_in(tmp_path: Path) -> None:
    sf = Salesforce(**salesforce_of(load(tmp_path, SESSION)).client_kwargs())

    assert (sf.auth_type, sf.sf_instance, sf.session_id, sf.sf_version) == (
        "direct", "acme.my.salesforce.com", "00D-SECRET-session", "59.0")


@pytest.fixture
def logins(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, Any]]:
    """Record simple-salesforce's login calls instead of sending them."""
    calls: list[tuple[str, str, Any]] = []

    def fake(flow: str) -> Callable[..., tuple[str, str]]:
        def login(url: str, body: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
            calls.append((flow, url, body))
            return "00D-new-session", "acme.my.salesforce.com"
        return login

    monkeypatch.setattr(sf_login, "soap_login", fake("soap"))
    monkeypatch.setattr(sf_login, "token_login", fake("token"))
    return calls


def test_password_mode_logs_in_with_soap_and_the_security_token(
        tmp_path: Path, logins: list[tuple[str, str, Any]]) -> None:
    sf = Salesforce(**salesforce_of(load(tmp_path, {**PASSWORD, "domain": "test"})).client_kwargs())

    [(flow, url, body)] = logins
    assert (sf.auth_type, flow, url) == (
        "password", "soap", "https://test.salesforce.com/services/Soap/u/59.0")
    assert "<n1:password>SECRET-pwSECRET-token</n1:password>" in body


def test_jwt_mode_signs_an_assertion_with_the_key_file(
        tmp_path: Path, rsa_pem: str, logins: list[tuple[str, str, Any]]) -> None:
    path = write_config(tmp_path, JWT)
    (tmp_path / "jwt.key").write_text(rsa_pem)

    sf = Salesforce(**salesforce_of(load_config(path, env={})).client_kwargs())

    [(flow, url, data)] = logins
    assert (sf.auth_type, flow, url) == (
        "jwt-bearer", "token", "https://login.salesforce.com/services/oauth2/token")
    claims = jwt.decode(data["assertion"], options={"verify_signature": False})
    assert (claims["iss"], claims["sub"], claims["aud"]) == (
        "3MVG9-key", "sync@acme.com", "https://login.salesforce.com")


def test_client_credentials_mode_asks_the_my_domain_for_a_token(
        tmp_path: Path, logins: list[tuple[str, str, Any]]) -> None:
    sf = Salesforce(**salesforce_of(load(tmp_path, CLIENT_CREDENTIALS)).client_kwargs())

    [(flow, url, data)] = logins
    assert (sf.auth_type, flow, url, data) == (
        "client-credentials", "token", "https://acme.my.salesforce.com/services/oauth2/token",
        {"grant_type": "client_credentials"})


# --- HubSpot -----------------------------------------------------------------------------------

def test_hubspot_defaults(tmp_path: Path) -> None:
    settings = hubspot_of(load(tmp_path, SESSION))

    assert (settings.host, settings.key_property, settings.timeout) == (
        "https://api.hubapi.com", "leadsync_id", 30.0)
    assert settings.client_kwargs() == {"access_token": "pat-SECRET-hs",
                                        "host": "https://api.hubapi.com"}


@pytest.mark.parametrize(("key", "value", "message"), [
    ("host", "http://api.hubapi.com", 'should be an https:// URL such as "https://example.com" '
     'or "https://127.0.0.1:8443"'),
    ("key_property", "LeadSync ID", "should be a contact property's internal name: lowercase "
     "letters, digits and underscores"),
    ("ca_bundle", "nope.pem", "no such file: {folder}/nope.pem"),
    ("timeout", -1, "should be greater than 0"),
])
def test_a_bad_hubspot_value_is_named_with_its_key_path(tmp_path: Path, key: str, value: Any,
                                                       message: str) -> None:
    assert problems(tmp_path, SESSION, {**HUBSPOT, key: value}) == [
        f"systems.hubspot.{key}: {message.format(folder=tmp_path)}"]


def test_hubspot_without_an_access_token_names_its_key_path(tmp_path: Path) -> None:
    assert problems(tmp_path, SESSION, without(HUBSPOT, "access_token")) == [
        "systems.hubspot.access_token: required key is missing"]


def test_hubspot_client_kwargs_configure_the_vendor_client(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    values = {**HUBSPOT, "host": "https://127.0.0.1:8444/", "ca_bundle": "ca.pem"}

    kwargs = hubspot_of(load(tmp_path, SESSION, values)).client_kwargs()

    assert kwargs == {"access_token": "pat-SECRET-hs", "host": "https://127.0.0.1:8444",
                      "ssl_ca_cert": str(tmp_path / "ca.pem")}
    assert HubSpot(**kwargs).access_token == "pat-SECRET-hs"


# --- budgets and calls in parallel ------------------------------------------------------------

def test_hubspot_calls_are_paced_at_the_documented_limits_by_default(
        tmp_path: Path) -> None:
    settings = hubspot_of(load(tmp_path, SESSION))
    assert (settings.rate_limit, settings.search_rate_limit, settings.rate_margin) == (
        190, 5, 0.0)

    system = build_system("hubspot", settings)

    assert isinstance(system, HubSpotSystem)
    assert isinstance(system.window, RollingWindow) and isinstance(
        system.search_window, RollingWindow)
    assert (system.window.limit, system.window.window) == (190, 10.0)
    assert (system.search_window.limit, system.search_window.window) == (5, 1.0)
    # a kept-alive connection for as many calls in flight as max_parallel allows
    assert system.client.config["connection_pool_maxsize"] == 16


def test_a_portal_s_own_tier_and_margin_set_its_budgets(tmp_path: Path) -> None:
    values = {**HUBSPOT, "rate_limit": 100, "search_rate_limit": 5, "rate_margin": 0.1}

    system = build_system("hubspot", hubspot_of(load(tmp_path, SESSION, values)))

    assert isinstance(system, HubSpotSystem)
    assert isinstance(system.window, RollingWindow) and isinstance(
        system.search_window, RollingWindow)
    assert (system.window.limit, system.search_window.limit) == (90, 4)  # 10% below


@pytest.mark.parametrize(("key", "value", "message"), [
    ("rate_margin", 1, "should be less than 1"),
    ("rate_margin", -0.05, "should be greater than or equal to 0"),
    ("rate_limit", 0, "should be greater than or equal to 1"),
    ("max_parallel", 0, "should be greater than or equal to 1"),
    ("max_parallel", 17, "should be less than or equal to 16"),
])
def test_a_bad_budget_value_is_named_with_its_key_path(tmp_path: Path, key: str, value: Any,
                                                       message: str) -> None:
    assert problems(tmp_path, SESSION, {**HUBSPOT, key: value}) == [
        f"systems.hubspot.{key}: {message}"]


def test_salesforce_takes_at_most_ten_calls_at_once(tmp_path: Path) -> None:
    assert problems(tmp_path, {**SESSION, "max_parallel": 11}) == [
        "systems.salesforce.max_parallel: should be less than or equal to 10"]


def test_sync_parallel_sets_each_system_s_calls_at_once_unless_the_system_sets_its_own(
        tmp_path: Path) -> None:
    config = load(tmp_path, {**SESSION, "max_parallel": 2})
    assert config.sync.parallel == 4  # the default

    marketing = build_system(*config.marketing, parallel=config.sync.parallel)
    crm = build_system(*config.crm, parallel=config.sync.parallel)
    alone = build_system(*config.marketing)

    assert (max_parallel(marketing), max_parallel(crm), max_parallel(alone)) == (4, 2, 1)


# --- secrets -----------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", list(MODES))
def test_no_secret_shows_in_repr_or_str(tmp_path: Path, mode: str) -> None:
    values = MODES[mode]
    if mode == "jwt":
        values = {**without(values, "private_key_file"), "private_key": "SECRET-inline-key"}

    config = load(tmp_path, values)

    shown = repr(config) + str(config) + repr(config.systems) + str(config.crm)
    assert "SECRET" not in shown


# --- against the sandbox orgs ------------------------------------------------------------------

def test_the_example_config_connects_the_real_clients_to_the_sandbox(
        tmp_path: Path, make_sandbox: Callable[..., Sandbox]) -> None:
    (tmp_path / ".leadsync").mkdir()
    sandbox = make_sandbox(seed=3, state=tmp_path / ".leadsync" / "sandbox.json")
    path = tmp_path / "leadsync.toml"
    path.write_text((REPO / "config.example.toml").read_text())
    info = sandbox.info
    env = {"LEADSYNC_SYSTEMS__SALESFORCE__SESSION_ID": info["salesforce"]["session_id"],
           "LEADSYNC_SYSTEMS__SALESFORCE__INSTANCE_URL": info["salesforce"]["instance_url"],
           "LEADSYNC_SYSTEMS__HUBSPOT__ACCESS_TOKEN": info["hubspot"]["access_token"],
           "LEADSYNC_SYSTEMS__HUBSPOT__HOST": info["hubspot"]["host"]}

    config = load_config(path, env=env)

    salesforce, hubspot = salesforce_of(config), hubspot_of(config)
    assert str(salesforce.ca_bundle) == info["ca_bundle"]
    sf = Salesforce(**salesforce.client_kwargs(), session=ca_session(str(salesforce.ca_bundle)))
    assert sf.query("SELECT Id FROM Lead LIMIT 1")["done"] is True
    hs = HubSpot(**hubspot.client_kwargs())
    assert hs.crm.contacts.basic_api.get_page(limit=1).results is not None

    crm = build_system(*config.crm)  # as LeadSync makes its client: answers as plain dicts
    page = crm.client.query("SELECT Id, Email FROM Lead LIMIT 2")  # type: ignore[attr-defined]
    assert type(page) is dict and [type(row) for row in page["records"]] == [dict, dict]


def test_budgets_come_from_the_factory_given_keyed_by_account_without_a_secret(
        tmp_path: Path) -> None:
    from leadsync.connector.budget import DailyBudget, LocalBudgets

    asked: list[tuple[Any, ...]] = []

    class Recording(LocalBudgets):
        def window(self, account: str, name: str, limit: int, seconds: float) -> Any:
            asked.append(("window", account, name, limit, seconds))
            return super().window(account, name, limit, seconds)

        def daily(self, account: str, reserve: float, system: str) -> Any:
            asked.append(("daily", account, reserve, system))
            return super().daily(account, reserve, system)

    config = load(tmp_path, SESSION)
    hubspot = build_system(*config.marketing, budgets=Recording())
    crm = build_system(*config.crm, budgets=Recording())

    [(_, burst, *rest), (_, search, *more), (_, org, reserve, name)] = asked
    assert (rest, more, reserve, name) == (["burst", 190, 10.0], ["search", 5, 1.0], 0.2,
                                           "salesforce")
    assert burst == search != org
    assert all(secret not in key for key in (burst, org)
               for secret in ("pat-SECRET-hs", SESSION["session_id"]))
    assert isinstance(hubspot, HubSpotSystem) and isinstance(hubspot.window, RollingWindow)
    assert isinstance(crm.calls.daily_budget, DailyBudget)  # type: ignore[attr-defined]
