"""`db update` against recorded answers served on 127.0.0.1 (never the internet): NVD API 2.0
pagination, rate limit with a fake clock, backoff on 503, resume after interruption,
incremental windows by lastModified; OSV all.zip and the KEV catalog."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import threading
import urllib.parse
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from iotbaseline.vulns.db import VulnDatabase
from iotbaseline.vulns.update import Clock, RateLimiter, update_kev, update_nvd, update_osv

pytestmark = pytest.mark.network

NOW = datetime(2024, 11, 1, tzinfo=UTC)


class FakeClock(Clock):
    """Time moves only when someone sleeps; every sleep is recorded."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    def now(self) -> datetime:
        return NOW


class Recorded:
    """What the fake NVD/OSV/KEV server answers, and what it was asked."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.requests: list[dict[str, Any]] = []
        self.fail_first = 0  # answer 503 to this many requests first
        self.clock: FakeClock | None = None
        self.files: dict[str, bytes] = {}

    def nvd_page(self, query: dict[str, str]) -> bytes:
        chosen = self.records
        if "lastModStartDate" in query:
            start = datetime.fromisoformat(query["lastModStartDate"])
            end = datetime.fromisoformat(query["lastModEndDate"])
            assert end - start <= timedelta(days=120), "NVD refuses windows over 120 days"
            chosen = [r for r in chosen if start <= _modified(r) <= end]
        index, size = int(query["startIndex"]), int(query["resultsPerPage"])
        page = chosen[index:index + size]
        return json.dumps({"resultsPerPage": len(page), "startIndex": index,
                           "totalResults": len(chosen), "format": "NVD_CVE", "version": "2.0",
                           "timestamp": "2024-11-01T00:00:00.000",
                           "vulnerabilities": page}).encode()


def _modified(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["cve"]["lastModified"]).replace(tzinfo=UTC)


@pytest.fixture
def server(nvd_dir: Path) -> Iterator[tuple[str, Recorded]]:
    with gzip.open(nvd_dir / "embedded-cves.jsonl.gz") as fh:
        records = [json.loads(line) for line in fh]
    records = [r for r in records if "dropbear" in json.dumps(r["cve"]["configurations"])]
    records.sort(key=lambda r: r["cve"]["lastModified"])
    recorded = Recorded(records)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            recorded.requests.append({"path": url.path, "query": query,
                                      "api_key": self.headers.get("apiKey"),
                                      "t": recorded.clock.t if recorded.clock else None})
            if recorded.fail_first > 0:
                recorded.fail_first -= 1
                self.send_error(503, "Service Unavailable")
                return
            if url.path == "/rest/json/cves/2.0":
                body = recorded.nvd_page(query)
            elif url.path in recorded.files:
                body = recorded.files[url.path]
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", recorded
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def db(tmp_path: Path) -> VulnDatabase:
    return VulnDatabase.open(tmp_path / "vulns.sqlite")


def _nvd(base: str) -> str:
    return f"{base}/rest/json/cves/2.0"


def test_full_download_paginates(server: tuple[str, Recorded], db: VulnDatabase) -> None:
    base, recorded = server
    clock = FakeClock()
    recorded.clock = clock
    total = len(recorded.records)
    assert total >= 6  # dropbear records in the embedded set
    result = update_nvd(db, base_url=_nvd(base), clock=clock, page_size=2)
    assert result.complete and result.stats.new == total
    starts = [int(r["query"]["startIndex"]) for r in recorded.requests]
    assert starts == list(range(0, total, 2))
    assert all("lastModStartDate" not in r["query"] for r in recorded.requests)  # no earlier sync
    assert db.info()["records"] == total and db.get_meta("nvd.cursor") is None


def test_rate_limit_without_key(server: tuple[str, Recorded], db: VulnDatabase) -> None:
    base, recorded = server
    clock = FakeClock()
    recorded.clock = clock
    update_nvd(db, base_url=_nvd(base), clock=clock, page_size=1)
    times = [r["t"] for r in recorded.requests]
    assert len(times) > 5
    for i in range(len(times) - 5):
        assert times[i + 5] - times[i] >= 30.0  # never 6 requests within 30 s
    assert all(r["api_key"] is None for r in recorded.requests)


def test_api_key_is_sent_and_raises_the_limit(server: tuple[str, Recorded], db: VulnDatabase) -> None:
    base, recorded = server
    clock = FakeClock()
    update_nvd(db, base_url=_nvd(base), clock=clock, page_size=1, api_key="k-123")
    assert {r["api_key"] for r in recorded.requests} == {"k-123"}
    assert clock.sleeps == []  # fewer than 50 requests: no waiting


def test_limiter_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, 30.0, clock)
    for _ in range(5):
        limiter.wait()
    assert clock.sleeps == []
    limiter.wait()
    assert clock.sleeps and clock.sleeps[0] == pytest.approx(30.05)


def test_backoff_on_503(server: tuple[str, Recorded], db: VulnDatabase) -> None:
    base, recorded = server
    recorded.fail_first = 2
    clock = FakeClock()
    result = update_nvd(db, base_url=_nvd(base), clock=clock, api_key="k")
    assert result.complete and result.stats.new == len(recorded.records)
    assert clock.sleeps[:2] == [6.0, 12.0]  # exponential backoff before the retries


def test_resume_after_interruption(server: tuple[str, Recorded], db: VulnDatabase) -> None:
    base, recorded = server
    clock = FakeClock()
    first = update_nvd(db, base_url=_nvd(base), clock=clock, page_size=2, max_pages=1, api_key="k")
    assert not first.complete and first.stats.new == 2
    assert json.loads(db.get_meta("nvd.cursor") or "{}")["index"] == 2
    assert db.info()["nvd_cursor"]
    second = update_nvd(db, base_url=_nvd(base), clock=clock, page_size=2, api_key="k")
    assert second.complete
    starts = [int(r["query"]["startIndex"]) for r in recorded.requests]
    assert starts[:2] == [0, 2]  # the second run went on from index 2, not from the start
    assert db.info()["records"] == len(recorded.records)


def test_incremental_windows_by_last_modified(server: tuple[str, Recorded], db: VulnDatabase) -> None:
    base, recorded = server
    clock = FakeClock()
    since = NOW - timedelta(days=300)
    # make two records "recent": only they fall in the windows
    for record, days in zip(recorded.records[:2], (200, 20), strict=True):
        record["cve"]["lastModified"] = (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000")
    result = update_nvd(db, base_url=_nvd(base), clock=clock, since=since, api_key="k")
    assert result.complete and result.stats.new == 2
    windows = [(r["query"]["lastModStartDate"], r["query"]["lastModEndDate"]) for r in recorded.requests]
    assert len(windows) == 3  # 300 days in windows of at most 120
    assert windows[0][0].startswith(since.strftime("%Y-%m-%dT%H:%M:%S"))
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))  # contiguous
    assert windows[-1][1].startswith(NOW.strftime("%Y-%m-%dT%H:%M:%S"))
    # next run starts where this one ended
    recorded.requests.clear()
    update_nvd(db, base_url=_nvd(base), clock=clock, api_key="k")
    assert recorded.requests[0]["query"]["lastModStartDate"].startswith(NOW.strftime("%Y-%m-%dT%H"))


def test_osv_and_kev_downloads(server: tuple[str, Recorded], db: VulnDatabase) -> None:
    base, recorded = server
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("OSV-1.json", json.dumps({
            "id": "OSV-1", "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "OSS-Fuzz", "name": "dropbear"},
                          "versions": ["DROPBEAR_2011.54"]}]}))
    recorded.files["/OSS-Fuzz/all.zip"] = buffer.getvalue()
    recorded.files["/kev.json"] = json.dumps({"catalogVersion": "1", "vulnerabilities": [
        {"cveID": "CVE-2012-0920", "dateAdded": "2024-01-01"}]}).encode()
    osv = update_osv(db, ("OSS-Fuzz",), base_url=base, clock=FakeClock())
    assert osv.stats.new == 1
    kev = update_kev(db, url=f"{base}/kev.json", clock=FakeClock())
    assert kev.stats.kev_new == 1
    info = db.info()
    assert info["sources"]["osv"]["records"] == 1 and info["sources"]["kev"]["records"] == 1
    assert not list(db.path.parent.glob("tmp*"))  # downloads were removed after import
