"""The HTML report in a real browser: Debian's Chromium, headless, driven by Playwright (never a
downloaded browser). Loads from a file:// URL with every network request recorded and refused,
checks there are no console errors, no dialogs (an injected script would raise one), the key
elements, the verdict filter and the sortable tables, and saves screenshots under
test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from report_samples import ETSI, assessment

from iotbaseline.catalog.loader import load_catalogs
from iotbaseline.report.html import render_html

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@dataclass
class Visit:
    page: Any
    url: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    assert CHROMIUM.exists(), "Debian's chromium is required (system-packages.txt: chromium)"
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


def _visit(context: Any, path: Path) -> Visit:
    page = context.new_page()
    visit = Visit(page=page, url=path.resolve().as_uri())

    def on_route(route: Any) -> None:
        visit.requests.append(route.request.url)
        if route.request.url == visit.url:
            route.continue_()
        else:
            route.abort()

    page.route("**/*", on_route)
    page.on("console", lambda m: visit.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: visit.console_errors.append(str(e)))
    page.on("dialog", lambda d: (visit.dialogs.append(d.message), d.dismiss()))
    page.goto(visit.url, wait_until="load")
    return visit


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render_html(assessment(), load_catalogs([ETSI])), encoding="utf-8")
    return path


def _visible_rows(page: Any, verdict: str) -> int:
    return int(page.locator(f"#table-{ETSI} tbody tr[data-verdict={verdict}]:visible").count())


def test_loads_offline_without_errors_or_injected_script(browser_context: Any, sample_report: Path) -> None:
    visit = _visit(browser_context, sample_report)
    try:
        assert visit.console_errors == []
        assert visit.dialogs == []  # the <script> / onerror in the excerpt did not run
        assert visit.requests == [visit.url]  # nothing but the file itself
        page = visit.page
        assert page.locator("html.no-js").count() == 0  # our script ran
        for selector in ("#report-header", ".vbar .seg-FAIL", f"#table-{ETSI}", "#ics-table",
                         "#finding-IOTB-CRED-001_1", "#components-table", "#cves-table",
                         "#gaps-table", "#questions li"):
            assert page.locator(selector).first.is_visible(), selector
        excerpt = page.locator("#finding-IOTB-SECRET-001_1 pre.excerpt").inner_text()
        assert excerpt.startswith('<script>alert("pwned")</script>')  # shown as text
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-sample.png"), full_page=True)
    finally:
        visit.page.close()


def test_verdict_filter_hides_and_shows_rows(browser_context: Any, sample_report: Path) -> None:
    visit = _visit(browser_context, sample_report)
    page = visit.page
    try:
        assert _visible_rows(page, "PASS") == 2 and _visible_rows(page, "FAIL") == 2
        box = page.locator(f'fieldset[data-table="table-{ETSI}"] input[value=PASS]')
        box.uncheck()
        assert _visible_rows(page, "PASS") == 0 and _visible_rows(page, "FAIL") == 2
        counter = page.locator(f'fieldset[data-table="table-{ETSI}"] .shown').inner_text()
        assert counter == "66 of 68 shown"
        box.check()
        assert _visible_rows(page, "PASS") == 2
        assert visit.console_errors == []
    finally:
        page.close()


def test_components_table_sorts_by_cvss(browser_context: Any, sample_report: Path) -> None:
    visit = _visit(browser_context, sample_report)
    page = visit.page
    try:
        names = lambda: page.locator("#components-table tbody tr td:first-child").all_inner_texts()
        assert names() == ["linux", "busybox", "dnsmasq"]  # default: worst CVSS first (9.8, 7.5, none)
        header = page.locator("#components-table thead th", has_text="Worst CVSS")
        header.click()
        assert names() == ["dnsmasq", "busybox", "linux"]
        header.click()
        assert names() == ["linux", "busybox", "dnsmasq"]
        page.locator("#components-table thead th", has_text="Component").click()
        assert names() == ["busybox", "dnsmasq", "linux"]
    finally:
        page.close()


def test_demo_firmware_report_in_browser(browser_context: Any, demo_scan: Any) -> None:
    report = demo_scan.out / "report.html"
    assert report.is_file()
    visit = _visit(browser_context, report)
    page = visit.page
    try:
        assert visit.console_errors == [] and visit.dialogs == []
        assert visit.requests == [visit.url]
        row = page.locator(f"#req-{ETSI}-5_1-1")
        assert row.get_attribute("data-verdict") == "FAIL"
        # the demo image starts telnetd from /etc/init.d/rcS (see iotbaseline/demo/build.py)
        assert "telnet" in page.locator("#findings").inner_text().lower()
        # dropbear 2011.54 is in the demo image and CVE-2012-0920 in the bundled NVD sample
        assert "CVE-2012-0920" in page.locator("#cves-table").inner_text()
        assert page.locator("#no-vuln-db").count() == 0  # a database was used
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-demo.png"))
    finally:
        page.close()
