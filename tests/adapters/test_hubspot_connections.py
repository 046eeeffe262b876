"""One connection pool for a HubSpot adapter's life.

hubspot-api-client builds a new API client, and a new urllib3 pool, each time an API object is
read; the adapter builds each once (``adapters.hubspot.apis``). These tests count the TCP+TLS
connections urllib3 opens while the adapter talks HTTPS to the sandbox portal, and check that
the configured CA bundle and timeout still apply to the API objects it reuses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import trustme
import urllib3
from hubspot import HubSpot

from leadsync.adapters.hubspot.apis import ReusedApis, reusing
from leadsync.adapters.hubspot.descriptor import build_system
from leadsync.adapters.hubspot.settings import HubSpotSettings
from leadsync.adapters.hubspot.system import HubSpotSystem
from leadsync.connector.errors import ConfigError
from leadsync.connector.models import Cursor, FieldInfo, WriteOp
from leadsync.sandbox.server import Sandbox
from tests.adapters.test_hubspot_system import CONTACTS, FakeHubSpotHttp, FakeTime, make_system
from tests.conftest import hubspot_client


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every HTTPS connection urllib3 opens from now on, in any pool."""
    made: list[Any] = []
    new_conn = urllib3.connectionpool.HTTPSConnectionPool._new_conn

    def counting(pool: urllib3.connectionpool.HTTPSConnectionPool) -> Any:
        connection = new_conn(pool)
        made.append(connection)
        return connection

    monkeypatch.setattr(urllib3.connectionpool.HTTPSConnectionPool, "_new_conn", counting)
    return made


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def http(time: FakeTime) -> FakeHubSpotHttp:
    fake = FakeHubSpotHttp(time.clock)
    fake.on("GET", CONTACTS, (200, {"results": []}, {}))  # no contacts, none archived
    return fake


def seed(sandbox: Sandbox, count: int) -> None:
    with sandbox.hubspot.lock:
        for n in range(count):
            sandbox.hubspot.store.create("contacts", {"email": f"seed{n}@example.com",
                                                      "lastname": f"Seed {n}"})


def key_field(system: HubSpotSystem) -> None:
    system.create_fields([FieldInfo("leadsync_id", "string", "LeadSync Id", unique=True)])


def test_a_full_read_of_1000_contacts_is_11_list_calls_on_one_connection(
        sandbox: Sandbox, opened: list[Any]) -> None:
    seed(sandbox, 1_000)
    system = HubSpotSystem("hubspot", hubspot_client(sandbox))

    pages = list(system.read_changes(None, datetime.now(UTC), ["firstname"]))

    assert sum(len(p) for p in pages) == 1_000
    assert system.calls_made == 11  # 10 pages of 100, then the archived list: none
    assert sandbox.requests["hubspot"] == {"GET": 11}  # not one search
    assert len(opened) == 1


def test_one_connection_serves_every_kind_of_call_of_a_pass(
        sandbox: Sandbox, opened: list[Any]) -> None:
    seed(sandbox, 150)
    system = HubSpotSystem("hubspot", hubspot_client(sandbox))
    start = datetime.now(UTC) - timedelta(seconds=1)

    key_field(system)  # properties and property groups
    list(system.read_changes(None, datetime.now(UTC), ["firstname"]))  # list endpoint
    written = system.write([WriteOp(f"ls-{n}", {"email": f"w{n}@example.com"})
                            for n in range(120)])  # batch upserts
    changed = [r for page in system.read_changes(Cursor(start), datetime.now(UTC),
                                                 ["firstname"]) for r in page]  # search
    found = system.lookup("email", ["w1@example.com", "seed2@example.com"], ["email"])
    system.users()  # owners

    assert all(r.ok for r in written) and len(changed) >= 120 and len(found) == 2
    assert system.calls_made >= 10
    assert len(opened) == 1


def test_the_configured_ca_bundle_wins_over_requests_ca_bundle(
        sandbox: Sandbox, tmp_path: Path, opened: list[Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    info = sandbox.info

    def system(ca_bundle: str) -> HubSpotSystem:
        made = build_system("hubspot", HubSpotSettings(
            role="marketing", host=info["hubspot"]["host"],
            access_token=info["hubspot"]["access_token"], ca_bundle=ca_bundle))
        assert isinstance(made, HubSpotSystem)
        return made

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    trusted = system(info["ca_bundle"])
    trusted.describe()
    trusted.users()
    assert trusted.calls_made == 2 and len(opened) == 1

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", info["ca_bundle"])
    untrusted = system(str(other))
    for call in (untrusted.describe, untrusted.users, lambda: untrusted.write([WriteOp(
            "ls-1", {"email": "a@example.com"})])):
        with pytest.raises(ConfigError) as raised:
            call()
        assert raised.value.where == "systems.hubspot.ca_bundle"


def test_each_api_object_is_built_once_and_all_share_one_pool(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    client = http.client()
    system = make_system(http, time)
    crm = system.client.crm

    assert crm.contacts.batch_api is crm.contacts.batch_api
    assert crm.contacts.search_api is crm.contacts.search_api
    pools = {id(api.api_client.rest_client.pool_manager) for api in (
        crm.contacts.basic_api, crm.contacts.batch_api, crm.objects.tasks.basic_api,
        crm.properties.core_api, crm.owners.owners_api)}
    assert pools == {id(http)}  # the client's own factory made them: here, the fake's
    assert client.crm.contacts.batch_api is not client.crm.contacts.batch_api  # left as it was
    assert reusing(system.client) is system.client


def test_the_timeout_applies_to_every_call_through_the_reused_api_objects(
        http: FakeHubSpotHttp, time: FakeTime) -> None:
    system = make_system(http, time)
    system.calls.timeout = 7.5

    for _ in range(3):
        list(system.read_changes(None, datetime.now(UTC), ["firstname"]))

    sent = http.sent(CONTACTS)
    assert len(sent) == 6
    assert {r.timeout.total for r in sent} == {7.5}


def test_a_client_configured_anew_gets_new_api_objects() -> None:
    built: list[tuple[str, str]] = []

    def factory(package: Any, api_name: str, config: dict[str, Any]) -> Any:
        built.append((config["access_token"], api_name))
        # an API object as the generated clients shape it
        return SimpleNamespace(api_client=SimpleNamespace(
            rest_client=SimpleNamespace(pool_manager=object())))

    apis = ReusedApis(factory)
    client = HubSpot(access_token="pat-1", api_factory=apis)
    first = client.crm.contacts.basic_api
    assert client.crm.contacts.basic_api is first
    client.access_token = "pat-2"

    assert client.crm.contacts.basic_api is not first
    assert built == [("pat-1", "BasicApi"), ("pat-2", "BasicApi")]

