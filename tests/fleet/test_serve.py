"""`iotbaseline serve` over the batch's store: the JSON API (and its OpenAPI description), the
pages in Debian's headless Chromium (pages render, charts present, a search works, no request
leaves 127.0.0.1), and the token rule for binds other than 127.0.0.1."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from conftest import CLI, BatchRun, free_port

from iotbaseline.store import Store

pytestmark = [pytest.mark.corpus, pytest.mark.network]

OPENWRT_SHA = "b7b1f123a66a7cf8867365b6ebc724e5157c191deaf8c9d48e60f539095017be"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def base_url(sqlite_batch: BatchRun) -> Iterator[str]:
    import uvicorn

    from iotbaseline.serve.app import create_app

    store = Store.open(sqlite_batch.url)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()


def _openwrt(base_url: str) -> tuple[int, int]:
    products = httpx.get(f"{base_url}/api/products").json()
    product = next(p for p in products if p["model"] == "OpenWrt_backports")
    detail = httpx.get(f"{base_url}/api/products/{product['id']}").json()
    assessment = detail["versions"][0]["assessments"][0]
    assert detail["versions"][0]["version"] == "12.09.2" and assessment["image"]["sha256"] == OPENWRT_SHA
    return product["id"], assessment["id"]


def test_api(base_url: str) -> None:
    spec = httpx.get(f"{base_url}/openapi.json").json()
    assert {"/api/products", "/api/products/{product_id}", "/api/assessments/{assessment_id}",
            "/api/search"} <= set(spec["paths"])
    product_id, assessment_id = _openwrt(base_url)
    one = httpx.get(f"{base_url}/api/assessments/{assessment_id}").json()
    assert one["image"]["sha256"] == OPENWRT_SHA and one["assessment"]["target"]["sha256"] == OPENWRT_SHA
    # dropbear 2011.54: in the OpenWrt image (GROUND_TRUTH.md) and in the demo image (demo/build.py);
    # DVAR ships 2017.75 (GROUND_TRUTH.md), not below 2012.55
    hits = httpx.get(f"{base_url}/api/search", params={"component": "dropbear", "below": "2012.55"}).json()
    assert sorted((h["model"], h["component_version"].split("-")[0]) for h in hits["results"]) == \
        [("DemoCam OS", "2011.54"), ("OpenWrt_backports", "2011.54")]
    assert httpx.get(f"{base_url}/api/search").status_code == 400
    assert httpx.get(f"{base_url}/api/products/999999").status_code == 404
    sarif = httpx.get(f"{base_url}/assessments/{assessment_id}/download/sarif")
    assert sarif.status_code == 200 and sarif.json()["version"] == "2.1.0"
    cdx = httpx.get(f"{base_url}/assessments/{assessment_id}/download/cyclonedx").json()
    assert cdx["bomFormat"] == "CycloneDX"
    assert "5.1-1" in httpx.get(f"{base_url}/assessments/{assessment_id}/download/ics-csv").text


def test_dashboard_in_chromium(base_url: str) -> None:
    from playwright.sync_api import sync_playwright

    product_id, assessment_id = _openwrt(base_url)
    requests: list[str] = []
    errors: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            def on_route(route):  # type: ignore[no-untyped-def]
                requests.append(route.request.url)
                if urlparse(route.request.url).hostname == "127.0.0.1":
                    route.continue_()
                else:
                    route.abort()

            page.route("**/*", on_route)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base_url}/", wait_until="load")
            assert page.locator("#products tr").count() >= 5  # header + 4 products
            page.click("text=OpenWrt_backports")
            page.wait_for_url(f"**/products/{product_id}")
            assert page.locator("svg.pygal-chart").count() == 3
            page.screenshot(path=str(ARTIFACTS / "fleet-product.png"), full_page=True)
            page.goto(f"{base_url}/assessments/{assessment_id}", wait_until="load")
            assert "openwrt-ar71xx" in page.content()
            page.goto(f"{base_url}/", wait_until="load")
            page.fill("#search-component input[name=component]", "busybox")
            page.fill("#search-component input[name=below]", "1.25")
            page.click("#search-component button")
            page.wait_for_url("**/search?**")
            rows = page.locator("#results tr")
            assert rows.count() >= 3  # header + OpenWrt (1.19.4) + DVAR (1.23.2)
            assert "OpenWrt_backports" in page.inner_text("#results")
            page.screenshot(path=str(ARTIFACTS / "fleet-search.png"), full_page=True)
        finally:
            browser.close()
    assert not errors
    assert requests and all(urlparse(u).hostname == "127.0.0.1" for u in requests), requests


def _serve(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*CLI, "serve", "--store", url, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_bind_other_than_127_0_0_1_needs_a_token(sqlite_batch: BatchRun) -> None:
    port = free_port("127.0.0.2")
    refused = _serve(sqlite_batch.url, "--host", "127.0.0.2", "--port", str(port))
    _, err = refused.communicate(timeout=60)
    assert refused.returncode == 2 and "token" in err
    server = _serve(sqlite_batch.url, "--host", "127.0.0.2", "--port", str(port), "--token", "s3cret-t0ken")
    try:
        base = f"http://127.0.0.2:{port}"
        for _ in range(200):
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        for path in ("/", "/api/products", "/openapi.json", "/search?cve=CVE-2016-2147"):
            assert httpx.get(base + path).status_code == 401
            assert httpx.get(base + path, headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert httpx.get(base + path, headers={"Authorization": "Bearer s3cret-t0ken"}).status_code == 200
        login = httpx.get(base + "/?token=s3cret-t0ken", follow_redirects=False)
        assert login.status_code == 303 and "iotbaseline_token" in login.headers["set-cookie"]
        assert httpx.get(base + "/api/products", cookies={"iotbaseline_token": "s3cret-t0ken"}).status_code == 200
    finally:
        server.terminate()
        server.wait(20)
