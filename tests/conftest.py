"""Fixtures shared by the whole suite: sandbox orgs and the real vendor clients on them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hubspot import HubSpot
from simple_salesforce import Salesforce

from leadsync.adapters.transport import ca_session
from leadsync.sandbox.server import Sandbox


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Start a sandbox with the given options; every one started is stopped after the test."""
    started: list[Sandbox] = []

    def start(**options: Any) -> Sandbox:
        sandbox = Sandbox(**options).start()
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return make_sandbox()


def salesforce_client(sandbox: Sandbox) -> Salesforce:
    info = sandbox.info
    return Salesforce(instance_url=info["salesforce"]["instance_url"],
                      session_id=info["salesforce"]["session_id"],
                      version=info["salesforce"]["api_version"],
                      session=ca_session(info["ca_bundle"]))


def hubspot_client(sandbox: Sandbox) -> HubSpot:
    info = sandbox.info
    return HubSpot(access_token=info["hubspot"]["access_token"], host=info["hubspot"]["host"],
                   ssl_ca_cert=info["ca_bundle"])


@pytest.fixture
def sf(sandbox: Sandbox) -> Salesforce:
    """simple-salesforce, unmodified, talking HTTPS to the sandbox org."""
    return salesforce_client(sandbox)


@pytest.fixture
def hs(sandbox: Sandbox) -> HubSpot:
    """hubspot-api-client, unmodified, talking HTTPS to the sandbox portal."""
    return hubspot_client(sandbox)


@pytest.fixture
def sf_http(sandbox: Sandbox) -> requests.Session:
    """Plain requests for Salesforce calls simple-salesforce has no helper for."""
    session = ca_session(sandbox.info["ca_bundle"])
    session.headers["Authorization"] = f"Bearer {sandbox.info['salesforce']['session_id']}"
    return session


@pytest.fixture
def hs_http(sandbox: Sandbox) -> requests.Session:
    """Plain requests for HubSpot calls the client has no helper for."""
    session = ca_session(sandbox.info["ca_bundle"])
    session.headers["Authorization"] = f"Bearer {sandbox.info['hubspot']['access_token']}"
    return session


POSTGRES_URL = os.environ.get("LEADSYNC_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LEADSYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def service_unavailable(what: str, exc: Exception) -> None:
    """Fail in CI, where the services are part of the machine; skip with the reason elsewhere."""
    message = f"{what} is not reachable ({exc}); start it as .ci/run does"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a schema made for this test, dropped after it."""
    import sqlalchemy

    schema = f"leadsync_test_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(POSTGRES_URL)
    try:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    except sqlalchemy.exc.OperationalError as exc:
        engine.dispose()
        service_unavailable("PostgreSQL on 127.0.0.1:5432", exc)
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each state-store test runs on both supported databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def redis_url() -> str:
    """The Redis server of this machine (database 15 by default); tests name their own keys."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        service_unavailable("Redis on 127.0.0.1:6379", exc)
    finally:
        client.close()
    return REDIS_URL
