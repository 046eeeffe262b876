"""The webhook notifier against a real local HTTP receiver: headers, signature, retries."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from leadsync.adapters.webhook.notifier import WebhookNotifier, sign
from leadsync.connector.logs import redact
from leadsync.connector.retry import RetryPolicy

EVENT = {"event": "sla.breach", "kind": "first_touch", "policy": "hot_inbound"}
NO_WAIT = RetryPolicy(attempts=3, sleep=lambda seconds: None)


class Receiver:
    """Answers each POST with the next status of ``answers`` (the last one repeats)."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str]]] = [(204, {})]
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status, headers = receiver.answers[min(len(receiver.received) - 1,
                                                       len(receiver.answers) - 1)]
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sla"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    thread = threading.Thread(target=made.server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield made
    made.server.shutdown()
    made.server.server_close()


def test_an_event_is_posted_as_json_with_the_actions_key_as_idempotency_key(
        receiver: Receiver) -> None:
    result = WebhookNotifier(receiver.url, retry=NO_WAIT).notify("key-1/1:first_touch", EVENT)
    assert result.ok and result.key == "key-1/1:first_touch"
    [(headers, body)] = receiver.received
    assert json.loads(body) == EVENT
    assert headers["Idempotency-Key"] == "key-1/1:first_touch"
    assert headers["Content-Type"] == "application/json"
    assert "X-LeadSync-Signature" not in headers


def test_with_a_secret_the_body_is_signed_with_hmac_sha256(receiver: Receiver) -> None:
    WebhookNotifier(receiver.url, secret="s3cret", retry=NO_WAIT).notify("k", EVENT)
    [(headers, body)] = receiver.received
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-LeadSync-Signature"] == f"sha256={expected}"
    assert sign(b"s3cret", body) == expected


def test_a_5xx_is_retried_with_the_same_key_until_it_is_delivered(receiver: Receiver) -> None:
    receiver.answers = [(503, {}), (502, {}), (200, {})]
    result = WebhookNotifier(receiver.url, retry=NO_WAIT).notify("k", EVENT)
    assert result.ok and len(receiver.received) == 3
    assert {h["Idempotency-Key"] for h, _ in receiver.received} == {"k"}
    assert len({body for _, body in receiver.received}) == 1


def test_a_429_waits_as_long_as_retry_after_says(receiver: Receiver) -> None:
    waited: list[float] = []
    receiver.answers = [(429, {"Retry-After": "7"}), (204, {})]
    policy = RetryPolicy(attempts=3, sleep=waited.append)
    assert WebhookNotifier(receiver.url, retry=policy).notify("k", EVENT).ok
    assert len(waited) == 1 and 7 <= waited[0] < 7.5


def test_a_4xx_is_final_and_reported_not_raised(receiver: Receiver) -> None:
    receiver.answers = [(400, {})]
    result = WebhookNotifier(receiver.url, retry=NO_WAIT).notify("k", EVENT)
    assert not result.ok and result.code == "HTTP 400"
    assert len(receiver.received) == 1


def test_an_endpoint_that_keeps_failing_is_a_failed_result_after_the_retries(
        receiver: Receiver) -> None:
    receiver.answers = [(500, {})]
    result = WebhookNotifier(receiver.url, retry=NO_WAIT).notify("k", EVENT)
    assert not result.ok and result.code == "HTTP 500"
    assert len(receiver.received) == 3


def test_an_unreachable_endpoint_is_a_failed_result_naming_the_error() -> None:
    closed = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    url = f"http://127.0.0.1:{closed.server_port}/sla"
    closed.server_close()  # nobody listens there now
    result = WebhookNotifier(url, retry=NO_WAIT).notify("k", EVENT)
    assert not result.ok and result.code == "ConnectionError"


def test_the_signing_secret_is_masked_in_every_log_line() -> None:
    secret = "whsec-0f1e2d3c4b5a6978"
    WebhookNotifier("http://127.0.0.1:9/hook", secret)
    assert secret not in redact(f"posting with {secret} failed")
