"""Sessions, the daily API allowance, and the org's answers to trouble and to unknown URLs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession, SalesforceRefusedRequest

from leadsync.adapters.transport import ca_session
from leadsync.sandbox.salesforce import app
from leadsync.sandbox.server import Sandbox
from tests.sandbox.salesforce_support import base_url, module_sandbox, refusal

INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
LIMIT_EXCEEDED = [{"message": "TotalRequests Limit exceeded.",
                   "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
NOT_FOUND = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from module_sandbox()


def test_request_without_a_session_is_refused_with_401_invalid_session_id(
        sandbox: Sandbox) -> None:
    response = ca_session(sandbox.info["ca_bundle"]).get(base_url(sandbox) + "/limits/",
                                                         timeout=10)

    assert response.status_code == 401
    assert response.json() == INVALID_SESSION


def test_client_with_a_wrong_session_id_gets_expired_session(sandbox: Sandbox) -> None:
    info = sandbox.info
    sf = Salesforce(instance_url=info["salesforce"]["instance_url"], session_id="00Dwrong",
                    version="59.0", session=ca_session(info["ca_bundle"]))

    with pytest.raises(SalesforceExpiredSession) as caught:
        sf.query("SELECT Id FROM Lead")
    assert caught.value.content == INVALID_SESSION


def test_oauth_scheme_is_accepted_like_bearer(sandbox: Sandbox) -> None:
    session = ca_session(sandbox.info["ca_bundle"])
    session.headers["Authorization"] = f"OAuth {sandbox.info['salesforce']['session_id']}"

    assert session.get(base_url(sandbox) + "/limits/", timeout=10).status_code == 200


def test_every_call_counts_one_request_in_sforce_limit_info(sf: Salesforce) -> None:
    sf.query("SELECT Id FROM Lead LIMIT 1")
    first = sf.api_usage["api-usage"]
    sf.describe()
    second = sf.api_usage["api-usage"]

    assert first.total == second.total == 100_000
    assert second.used == first.used + 1


def test_error_answers_carry_sforce_limit_info_too(sf_http: requests.Session,
                                                   sandbox: Sandbox) -> None:
    response = sf_http.get(base_url(sandbox) + "/sobjects/NoSuchThing/describe/", timeout=10)

    assert response.status_code == 404
    assert re.fullmatch(r"api-usage=\d+/100000", response.headers["Sforce-Limit-Info"])


def test_limits_resource_reports_the_daily_allowance_left(sf: Salesforce) -> None:
    limits = sf.limits()
    used = sf.api_usage["api-usage"].used

    assert limits["DailyApiRequests"] == {"Max": 100_000, "Remaining": 100_000 - used}
    assert set(limits["DataStorageMB"]) == {"Max", "Remaining"}


def test_requests_beyond_the_daily_limit_are_refused_with_403_request_limit_exceeded(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(daily_api_limit=5)
    session = ca_session(sandbox.info["ca_bundle"])
    session.headers["Authorization"] = f"Bearer {sandbox.info['salesforce']['session_id']}"
    url = base_url(sandbox) + "/limits/"

    answers = [session.get(url, timeout=10) for _ in range(6)]

    assert [a.status_code for a in answers] == [200] * 5 + [403]
    assert answers[-1].json() == LIMIT_EXCEEDED
    assert answers[-1].headers["Sforce-Limit-Info"] == "api-usage=5/5"
    assert answers[4].json()["DailyApiRequests"] == {"Max": 5, "Remaining": 0}


def test_client_sees_the_spent_limit_as_a_refused_request(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(daily_api_limit=1)
    info = sandbox.info
    sf = Salesforce(instance_url=info["salesforce"]["instance_url"],
                    session_id=info["salesforce"]["session_id"], version="59.0",
                    session=ca_session(info["ca_bundle"]))
    sf.limits()

    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.query("SELECT Id FROM Lead")
    assert caught.value.content == LIMIT_EXCEEDED


def test_outage_answers_503_server_unavailable(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(faults=1.0, random_seed=11)
    session = ca_session(sandbox.info["ca_bundle"])
    for _ in range(40):
        try:
            response = session.get(base_url(sandbox) + "/limits/", timeout=10)
        except requests.ConnectionError:
            continue
        if response.status_code == 503:
            assert response.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
            assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")
            return
    raise AssertionError("no outage in 40 requests")


def test_unknown_resource_answers_404_not_found(sf_http: requests.Session,
                                                sandbox: Sandbox) -> None:
    response = sf_http.get(base_url(sandbox) + "/no/such/resource", timeout=10)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_api_version_newer_than_the_org_answers_404(sf_http: requests.Session,
                                                    sandbox: Sandbox) -> None:
    url = sandbox.info["salesforce"]["instance_url"] + "/services/data/v99.0/limits/"

    assert sf_http.get(url, timeout=10).status_code == 404


def test_versions_are_listed_without_a_session(sandbox: Sandbox) -> None:
    url = sandbox.info["salesforce"]["instance_url"] + "/services/data/"
    versions = ca_session(sandbox.info["ca_bundle"]).get(url, timeout=10).json()

    assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in versions


def test_unsupported_method_answers_405_method_not_allowed(sf_http: requests.Session,
                                                           sandbox: Sandbox) -> None:
    response = sf_http.put(base_url(sandbox) + "/sobjects/Lead/", json={}, timeout=10)

    assert response.status_code == 405
    assert response.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"
    assert response.json()[0]["message"].startswith("HTTP Method 'PUT' not allowed.")


def test_unexpected_failure_answers_500_unknown_exception_without_a_traceback(
        sf: Salesforce, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(org: object, request: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(app.ROUTES, f"{app.DATA}/limits", broken)
    status, body = refusal(sf.limits)

    assert status == 500
    assert body[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    assert body[0]["message"].startswith("An unexpected error occurred.")
    assert "Traceback" not in str(body) and "boom" not in str(body)
