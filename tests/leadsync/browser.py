"""A real headless Chromium, driven through the DevTools protocol, for tests that open a page.

Chromium is started with ``--remote-debugging-pipe``: it reads protocol commands on its fd 3 and
writes responses and events on its fd 4, each message one JSON object ended by a NUL byte. The
client attaches to the browser's page (``Target.attachToTarget`` with ``flatten``, so page
commands carry a ``sessionId``), enables ``Runtime``, ``Log``, ``Page`` and ``Network``,
navigates, waits for the load event and keeps what a person would call an error on the page:

- ``Runtime.exceptionThrown`` (an uncaught exception in a script),
- ``Runtime.consoleAPICalled`` of type ``error`` or ``assert``,
- ``Log.entryAdded`` of level ``error`` (a refused resource, a blocked script, a CSP violation),
- ``Page.javascriptDialogOpening`` (an ``alert`` that ran).

It also records every network request the page made (``Network.requestWillBeSent``), so a test
can tell that a page needs nothing but itself. Waiting is bounded by a deadline; a page that does
not load in time is an error, not a hang.

Debian's ``chromium`` is at ``/usr/bin/chromium``. ``chromium_or_skip`` fails with a clear
message when ``CI=true`` and it is missing, else skips with the reason "install Debian's
chromium".
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--hide-scrollbars",
         "--mute-audio", "--remote-debugging-pipe")


def chromium_or_skip() -> str:
    """The path of Debian's chromium; without it, fail under CI=true, else skip."""
    path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if path:
        return path
    message = ("install Debian's chromium (apt-get install -y chromium): the HTML report is "
               f"tested in a real headless browser and {CHROMIUM} is missing")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip("install Debian's chromium")


@dataclass
class PageVisit:
    """What happened while a page was open: its errors, its requests, its screenshot."""

    url: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshot: bytes = b""
    pdf: bytes = b""  # the page printed, when asked for
    values: dict[str, Any] = field(default_factory=dict)


class BrowserError(RuntimeError):
    """Chromium did not start, answered with a protocol error, or a page did not load in time."""


class Browser:
    """One headless Chromium; ``visit`` opens a page in it. Use as a context manager."""

    def __init__(self, executable: str, *, width: int = 1280, height: int = 900,
                 timeout: float = 60.0) -> None:
        self.executable = executable
        self.width, self.height = width, height
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="leadsync-chromium-")
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in __exit__)
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._commands_w = self._responses_r = -1

    def __enter__(self) -> Browser:
        commands_r, self._commands_w = os.pipe()
        self._responses_r, responses_w = os.pipe()

        def pipes_on_3_and_4() -> None:  # in the child, before exec
            high_r, high_w = os.dup(commands_r), os.dup(responses_w)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        command = [self.executable, *FLAGS, f"--user-data-dir={self._profile.name}",
                   f"--window-size={self.width},{self.height}", "about:blank"]
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            preexec_fn=pipes_on_3_and_4, close_fds=False)
        os.close(commands_r)
        os.close(responses_w)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            with contextlib.suppress(BrowserError, OSError):
                self._send("Browser.close", {})
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        for fd in (self._commands_w, self._responses_r):
            if fd >= 0:
                os.close(fd)
        self._log.close()
        self._profile.cleanup()

    # -- the protocol -------------------------------------------------------------------------

    def _send(self, method: str, params: dict[str, Any], session: str | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands_w, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._responses_r], [], [], self.timeout)
            if not ready:
                raise BrowserError(f"chromium said nothing for {self.timeout} s{self._stderr()}")
            chunk = os.read(self._responses_r, 1 << 20)
            if not chunk:
                raise BrowserError(f"chromium closed its DevTools pipe{self._stderr()}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        """Send a command and return its result; events that arrive meanwhile are kept."""
        wanted = self._send(method, params or {}, session)
        while True:
            message = self._receive()
            if message.get("id") == wanted:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self._events.append(message)

    def _event(self, method: str, session: str) -> dict[str, Any]:
        """Wait for the next event ``method`` of ``session`` (earlier ones kept first)."""
        while True:
            for index, event in enumerate(self._events):
                if event["method"] == method and event.get("sessionId") == session:
                    return self._events.pop(index)
            message = self._receive()
            if "method" in message:
                self._events.append(message)
                if message["method"] == "Page.javascriptDialogOpening":
                    # a dialog blocks the page until answered: dismiss it, keep it as an error
                    self._send("Page.handleJavaScriptDialog", {"accept": False},
                               message.get("sessionId"))

    def _stderr(self) -> str:
        self._log.seek(0)
        tail = self._log.read()[-2000:].decode(errors="replace").strip()
        return f"; its output ends with:\n{tail}" if tail else ""

    # -- a visit ------------------------------------------------------------------------------

    def visit(self, url: str, *, evaluate: dict[str, str] | None = None,
              full_page: bool = True, pdf: bool = False) -> PageVisit:
        """Open ``url`` in a new tab, wait for its load event, collect its errors and requests,
        evaluate each expression of ``evaluate`` (name -> JavaScript), take a screenshot and,
        with ``pdf``, print the page as the print dialog would (its print CSS applies)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.call(f"{domain}.enable", {}, session)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1,
                   "mobile": False}, session)
        self._events.clear()
        navigated = self.call("Page.navigate", {"url": url}, session)
        if navigated.get("errorText"):
            raise BrowserError(f"{url} did not open: {navigated['errorText']}")
        self._event("Page.loadEventFired", session)
        visit = PageVisit(url)
        for name, expression in (evaluate or {}).items():
            answer = self.call("Runtime.evaluate",
                               {"expression": expression, "returnByValue": True}, session)
            if "exceptionDetails" in answer:
                visit.errors.append(f"evaluating {name}: {answer['exceptionDetails']}")
            visit.values[name] = answer.get("result", {}).get("value")
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.call("Page.getLayoutMetrics", {}, session)["cssContentSize"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": max(size["width"], self.width),
                                "height": size["height"], "scale": 1})
        shot = self.call("Page.captureScreenshot", params, session)
        visit.screenshot = base64.b64decode(shot["data"])
        if pdf:
            printed = self.call("Page.printToPDF", {"printBackground": True}, session)
            visit.pdf = base64.b64decode(printed["data"])
        self._collect(visit, session)
        self.call("Target.closeTarget", {"targetId": target})
        return visit

    def _collect(self, visit: PageVisit, session: str) -> None:
        for event in self._events:
            if event.get("sessionId") != session:
                continue
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                text = details.get("exception", {}).get("description") or details.get("text")
                visit.errors.append(f"uncaught exception: {text}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error",
                                                                                  "assert"):
                args = " ".join(str(a.get("value", a.get("description", "")))
                                for a in params.get("args", []))
                visit.errors.append(f"console.{params['type']}: {args}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                visit.errors.append(f"log ({entry.get('source')}): {entry.get('text')}")
            elif method == "Page.javascriptDialogOpening":
                visit.errors.append(f"a dialog opened: {params.get('message')}")
            elif method == "Network.requestWillBeSent":
                visit.requests.append(params.get("request", {}).get("url", ""))
        self._events = [e for e in self._events if e.get("sessionId") != session]


def pdf_pages(data: bytes) -> int:
    """The number of pages of a PDF Chromium printed (its page objects are not compressed)."""
    assert data.startswith(b"%PDF-"), "not a PDF"
    return len(re.findall(rb"/Type\s*/Page\b", data))


def save_screenshot(visit: PageVisit, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(visit.screenshot)
    return path
