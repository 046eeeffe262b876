"""The HTML report opened in a real headless Chromium (Debian's ``chromium``): no console error,
no request but the file itself, charts drawn at a readable size, customer markup shown as text,
and a screenshot kept for a person to look at.

The screenshot is saved under the test's ``tmp_path`` and copied to ``SCREENSHOT``
(``/tmp/leadsync-report.png``). The client is proven able to fail: a page with a failing script,
a console error, an alert and a request to the network is reported with all four.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadsync.report_html import render_html
from tests.leadsync import browser as browser_module
from tests.leadsync.browser import Browser, chromium_or_skip, pdf_pages, save_screenshot
from tests.leadsync.report_samples import GENERATED, all_reports, recycled, sla

SCREENSHOT = Path("/tmp/leadsync-report.png")
PNG = b"\x89PNG\r\n\x1a\n"

FACTS = {
    "title": "document.title",
    "sections": "document.querySelectorAll('section.report').length",
    "charts": "document.querySelectorAll('svg.chart').length",
    "chart_widths": "[...document.querySelectorAll('svg.chart')]"
                    ".map(s => Math.round(s.getBoundingClientRect().width))",
    "rows": "document.querySelectorAll('tbody tr').length",
    "scripts": "document.scripts.length",
    "text": "document.body.innerText",
    "right_aligned": "getComputedStyle(document.querySelector('td.num')).textAlign",
    "overflowing_tables": "[...document.querySelectorAll('div.table')]"
                          ".filter(d => d.scrollWidth > d.clientWidth + 1).length",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser(chromium_or_skip()) as opened:
        yield opened


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG), "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_the_report_opens_in_chromium_without_an_error_and_is_screenshotted(
        browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(all_reports(), title="Acme lead handoff, November 2026",
                                generated_at=GENERATED), encoding="utf-8")
    visit = browser.visit(page.as_uri(), evaluate=FACTS, pdf=True)
    assert visit.errors == []
    assert visit.requests == [page.as_uri()]  # nothing fetched but the file itself
    facts = visit.values
    assert facts["title"] == "Acme lead handoff, November 2026"
    assert facts["sections"] == 6 and facts["charts"] == 8 and facts["scripts"] == 0
    assert facts["rows"] == 5 + 3 + 3 + 3 + 4 + 3
    assert all(width >= 600 for width in facts["chart_widths"]), facts["chart_widths"]
    assert facts["right_aligned"] == "right"
    assert facts["overflowing_tables"] == 0  # every table fits the page at 1280 px
    assert "Dana Whitfield" in facts["text"] and "2026-12-07 09:30 EST" in facts["text"]
    width, height = png_size(visit.screenshot)
    assert width == 1280 and height > 2000  # the whole page, not the first screen
    # printed, each report starts a page after the one of the header and contents
    assert pdf_pages(visit.pdf) >= 1 + 6
    shot = save_screenshot(visit, tmp_path / "report.png")
    shutil.copyfile(shot, SCREENSHOT)


def test_customer_markup_is_shown_as_text_and_never_runs(browser: Browser,
                                                          tmp_path: Path) -> None:
    report = sla()
    report.rows[0]["rep"] = "<script>alert(1)</script>"
    reasons = recycled()
    reasons.rows[0]["reason"] = '<img src="https://example.invalid/x.png" onerror="alert(2)">'
    page = tmp_path / "hostile.html"
    page.write_text(render_html([report, reasons], title="<b>Acme</b>",
                                generated_at=GENERATED), encoding="utf-8")
    visit = browser.visit(page.as_uri(), evaluate={
        "text": "document.body.innerText", "title": "document.title",
        "scripts": "document.scripts.length", "images": "document.images.length"})
    assert visit.errors == []  # no alert opened, nothing refused
    assert visit.requests == [page.as_uri()]
    assert "<script>alert(1)</script>" in visit.values["text"]
    assert 'onerror="alert(2)">' in visit.values["text"]
    assert visit.values["title"] == "<b>Acme</b>"
    assert visit.values["scripts"] == 0 and visit.values["images"] == 0


def test_an_empty_report_reads_in_words(browser: Browser, tmp_path: Path) -> None:
    report = sla()
    report.rows = []
    page = tmp_path / "empty.html"
    page.write_text(render_html([report], title="Nothing yet", generated_at=GENERATED),
                    encoding="utf-8")
    visit = browser.visit(page.as_uri(), evaluate={
        "text": "document.body.innerText", "charts": "document.querySelectorAll('svg').length"})
    assert visit.errors == []
    assert "No leads in this period." in visit.values["text"]
    assert visit.values["charts"] == 0


def test_the_browser_client_reports_what_goes_wrong_on_a_page(browser: Browser,
                                                               tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><title>broken</title><p>broken</p>"
                    "<script>console.error('bad value', 42); alert('hello');"
                    "throw new Error('boom')</script>"
                    '<img src="https://example.invalid/missing.png">', encoding="utf-8")
    visit = browser.visit(page.as_uri())
    joined = "\n".join(visit.errors)
    assert "console.error: bad value 42" in joined
    assert "a dialog opened: hello" in joined
    assert "uncaught exception: Error: boom" in joined
    assert "https://example.invalid/missing.png" in visit.requests
    png_size(visit.screenshot)


def test_without_chromium_ci_fails_and_a_workstation_skips(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser_module, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(browser_module.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="install Debian's chromium"):
        chromium_or_skip()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="install Debian's chromium"):
        chromium_or_skip()
