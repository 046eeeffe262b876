"""The configured CA bundle applies even when REQUESTS_CA_BUNDLE says otherwise."""

from __future__ import annotations

import pytest
import requests

from leadsync.adapters.transport import ca_session


def test_configured_ca_bundle_wins_over_requests_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    session = ca_session("/tmp/our-ca.pem")
    settings = session.merge_environment_settings("https://example.test", {}, None, None, None)
    assert settings["verify"] == "/tmp/our-ca.pem"


def test_plain_requests_session_lets_the_environment_override_verify(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The behaviour PinnedCASession exists to correct; if requests changes it, this tells us.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    session = requests.Session()
    session.verify = "/tmp/our-ca.pem"
    settings = session.merge_environment_settings("https://example.test", {}, None, None, None)
    assert settings["verify"] == "/etc/ssl/certs/ca-certificates.crt"


def test_an_explicit_verify_on_the_call_still_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    session = ca_session("/tmp/our-ca.pem")
    settings = session.merge_environment_settings("https://example.test", {}, None, False, None)
    assert settings["verify"] is False


def test_without_a_bundle_the_default_store_is_used() -> None:
    assert ca_session(None).verify is True
