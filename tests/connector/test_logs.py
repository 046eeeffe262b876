"""Secrets never appear in log lines, whatever shape they arrive in."""

from __future__ import annotations

import io
import json

import structlog

from leadsync.connector.logs import configure_logging, redact, register_secret


def test_registered_secrets_and_secret_keys_are_masked_in_json_logs() -> None:
    register_secret("pat-na1-0123456789abcdef")
    out = io.StringIO()
    configure_logging("json", "info", stream=out)
    structlog.get_logger("t").info(
        "calling", url="https://x.example/?token=pat-na1-0123456789abcdef",
        access_token="anything", headers={"Authorization": "Bearer abc"},
        error="HTTP 401 for pat-na1-0123456789abcdef")
    line = json.loads(out.getvalue())
    text = out.getvalue()
    assert "pat-na1-0123456789abcdef" not in text and "Bearer abc" not in text
    assert line["access_token"] == "***"
    assert line["headers"] == {"Authorization": "***"}
    assert line["url"] == "https://x.example/?token=***"


def test_console_logs_are_readable_lines() -> None:
    out = io.StringIO()
    configure_logging("console", "info", stream=out)
    structlog.get_logger("t").info("sync finished", created=3)
    assert "sync finished" in out.getvalue() and "created=3" in out.getvalue()


def test_debug_lines_are_dropped_at_info_level() -> None:
    out = io.StringIO()
    configure_logging("console", "info", stream=out)
    structlog.get_logger("t").debug("noise")
    assert out.getvalue() == ""


def test_short_values_are_not_registered_as_secrets() -> None:
    register_secret("abc")
    assert redact("abc def") == "abc def"
