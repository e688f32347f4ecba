"""Downloading vulnerability data: NVD CVE API 2.0, OSV bulk exports, the CISA KEV catalog.

NVD: pages of ``resultsPerPage`` from ``startIndex``; incremental by ``lastModStartDate`` /
``lastModEndDate`` windows of at most 120 days (the API's limit) from the last successful sync
(or ``--since``); without any earlier sync, the whole catalogue. NVD's published rate limits are
honoured with a sliding window (5 requests per 30 s without an API key, 50 with one); 403, 429,
500, 502, 503 and 504 answers and connection errors are retried with exponential backoff. After
every page the records are committed and the cursor (window and next startIndex) saved, so an
interrupted update resumes where it stopped. The base URLs are settable (options or the
IOTBASELINE_NVD_URL / IOTBASELINE_OSV_URL / IOTBASELINE_KEV_URL environment variables) so tests
serve recorded answers from 127.0.0.1.

HTTP uses the stdlib ``urllib``: plain GETs with two headers need no extra dependency.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from iotbaseline.vulns import nvd
from iotbaseline.vulns.db import ImportStats, VulnDatabase, utc_now_text
from iotbaseline.vulns.importer import Importer

NVD_URL = "https://services.nvd.nist.gov/rest/json/cves/2.0"
OSV_URL = "https://osv-vulnerabilities.storage.googleapis.com"
KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
DEFAULT_OSV_ECOSYSTEMS = ("OSS-Fuzz",)
MAX_WINDOW = timedelta(days=120)
PAGE_SIZE = 2000
RETRY_STATUSES = frozenset({403, 429, 500, 502, 503, 504})
MAX_ATTEMPTS = 6
USER_AGENT = "iotbaseline-vulndb/1"


class _PageHeader(msgspec.Struct):
    totalResults: int = 0
    resultsPerPage: int = 0
    startIndex: int = 0


_PAGE_DECODER = msgspec.json.Decoder(_PageHeader)


class UpdateError(Exception):
    """A download failed for good (after retries) or answered something we cannot read."""


class Clock:
    """Time source, replaced by a fake one in tests (no real sleeping)."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def now(self) -> datetime:
        return datetime.now(UTC)


class RateLimiter:
    """At most ``limit`` requests in any ``period`` seconds (sliding window)."""

    def __init__(self, limit: int, period: float, clock: Clock) -> None:
        self.limit, self.period, self.clock = limit, period, clock
        self.sent: deque[float] = deque()

    def wait(self) -> None:
        now = self.clock.monotonic()
        while self.sent and now - self.sent[0] >= self.period:
            self.sent.popleft()
        if len(self.sent) >= self.limit:
            delay = self.period - (now - self.sent[0]) + 0.05
            if delay > 0:
                self.clock.sleep(delay)
            now = self.clock.monotonic()
            while self.sent and now - self.sent[0] >= self.period:
                self.sent.popleft()
        self.sent.append(self.clock.monotonic())


@dataclass
class HttpClient:
    clock: Clock = field(default_factory=Clock)
    timeout: float = 60.0
    headers: dict[str, str] = field(default_factory=dict)
    limiter: RateLimiter | None = None
    base_backoff: float = 6.0
    log: Callable[[str], None] = lambda message: None

    def get(self, url: str) -> bytes:
        """GET with rate limiting and retries; raise UpdateError when it keeps failing."""
        last = ""
        for attempt in range(MAX_ATTEMPTS):
            if self.limiter is not None:
                self.limiter.wait()
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT,
                                                           **self.headers})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.read()  # type: ignore[no-any-return]
            except urllib.error.HTTPError as exc:
                if exc.code not in RETRY_STATUSES:
                    raise UpdateError(f"{_safe(url)}: HTTP {exc.code} {exc.reason}") from exc
                last = f"HTTP {exc.code}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
            delay = self.base_backoff * (2 ** attempt)
            self.log(f"{_safe(url)}: {last}; retrying in {delay:.0f} s")
            self.clock.sleep(delay)
        raise UpdateError(f"{_safe(url)}: giving up after {MAX_ATTEMPTS} attempts ({last})")


def _safe(url: str) -> str:
    return url.split("?", 1)[0]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class UpdateResult:
    source: str
    stats: ImportStats
    requests: int = 0
    complete: bool = True
    note: str = ""


def update_nvd(db: VulnDatabase, *, api_key: str | None = None, since: datetime | None = None,
               base_url: str | None = None, clock: Clock | None = None,
               page_size: int = PAGE_SIZE, max_pages: int | None = None,
               log: Callable[[str], None] = lambda message: None) -> UpdateResult:
    """Fetch changed CVEs from the NVD API into ``db``; resumable through the saved cursor.
    ``max_pages`` stops early (the cursor stays), which is how tests interrupt an update."""
    clock = clock or Clock()
    base_url = base_url or os.environ.get("IOTBASELINE_NVD_URL") or NVD_URL
    limiter = RateLimiter(50 if api_key else 5, 30.0, clock)
    client = HttpClient(clock=clock, limiter=limiter, log=log,
                        headers={"apiKey": api_key} if api_key else {})
    cursor = _load_cursor(db)
    now = clock.now()
    if cursor is None:
        start = since or _last_sync(db)
        cursor = {"start": start.isoformat() if start else None,
                  "end": now.isoformat(), "index": 0, "target": now.isoformat()}
        if start is not None:
            cursor["end"] = min(start + MAX_WINDOW, now).isoformat()
    stats = ImportStats()
    requests = 0
    while True:
        params: dict[str, Any] = {"resultsPerPage": page_size, "startIndex": cursor["index"]}
        if cursor["start"]:
            params["lastModStartDate"] = _iso(datetime.fromisoformat(cursor["start"]))
            params["lastModEndDate"] = _iso(datetime.fromisoformat(cursor["end"]))
        if max_pages is not None and requests >= max_pages:
            _save_cursor(db, cursor)
            return UpdateResult("nvd", stats, requests, complete=False,
                                note="stopped early; run again to resume")
        body = client.get(f"{base_url}?{urllib.parse.urlencode(params)}")
        requests += 1
        try:
            page = _PAGE_DECODER.decode(body)
            records = nvd.prepare_feed(body)
            total, per_page = page.totalResults, page.resultsPerPage
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise UpdateError(f"NVD answered something that is not a CVE API 2.0 page ({exc})") from exc
        with Importer(db) as importer:
            importer.add_nvd(records)
            cursor["index"] += per_page if per_page else len(records.records)
            _save_cursor(db, cursor)
        stats.add(importer.stats)
        log(f"NVD: {min(cursor['index'], total)}/{total} in window "
            f"{cursor['start'] or 'all'} … {cursor['end']}")
        if cursor["index"] < total and records.records:
            continue
        # window done: next window or finished
        window_end = datetime.fromisoformat(cursor["end"])
        target = datetime.fromisoformat(cursor["target"])
        if cursor["start"] and window_end < target:
            cursor = {"start": window_end.isoformat(),
                      "end": min(window_end + MAX_WINDOW, target).isoformat(), "index": 0,
                      "target": cursor["target"]}
            _save_cursor(db, cursor)
            continue
        db.set_meta("nvd.cursor", None)
        db.set_meta("nvd.last_sync", cursor["target"])
        db.set_meta("nvd.last_update", utc_now_text())
        return UpdateResult("nvd", stats, requests)


def _load_cursor(db: VulnDatabase) -> dict[str, Any] | None:
    text = db.get_meta("nvd.cursor")
    return json.loads(text) if text else None


def _save_cursor(db: VulnDatabase, cursor: dict[str, Any]) -> None:
    db.set_meta("nvd.cursor", json.dumps(cursor))


def _last_sync(db: VulnDatabase) -> datetime | None:
    text = db.get_meta("nvd.last_sync")
    if text:
        return datetime.fromisoformat(text)
    row = db.conn.execute("SELECT MAX(last_modified) FROM vulns WHERE source='nvd'").fetchone()
    if row and row[0]:
        value = datetime.fromisoformat(str(row[0]))
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _download_and_import(db: VulnDatabase, url: str, suffix: str, source: str,
                         clock: Clock | None, log: Callable[[str], None]) -> UpdateResult:
    client = HttpClient(clock=clock or Clock(), log=log, base_backoff=2.0)
    body = client.get(url)
    directory = db.path.parent
    with tempfile.NamedTemporaryFile(dir=directory, suffix=suffix, delete=False) as fh:
        fh.write(body)
        temp = Path(fh.name)
    try:
        stats = db.import_files([temp])
    finally:
        temp.unlink(missing_ok=True)
    if stats.errors and not stats.files:
        raise UpdateError(f"{_safe(url)}: {stats.errors[0]}")
    db.set_meta(f"{source}.last_update", utc_now_text())
    return UpdateResult(source, stats, 1)


def update_osv(db: VulnDatabase, ecosystems: tuple[str, ...] = DEFAULT_OSV_ECOSYSTEMS, *,
               base_url: str | None = None, clock: Clock | None = None,
               log: Callable[[str], None] = lambda message: None) -> UpdateResult:
    """Download ``<base>/<ecosystem>/all.zip`` for each ecosystem and import it."""
    base_url = (base_url or os.environ.get("IOTBASELINE_OSV_URL") or OSV_URL).rstrip("/")
    total = ImportStats()
    requests = 0
    for ecosystem in ecosystems:
        url = f"{base_url}/{urllib.parse.quote(ecosystem)}/all.zip"
        result = _download_and_import(db, url, ".zip", "osv", clock, log)
        total.add(result.stats)
        requests += 1
    return UpdateResult("osv", total, requests)


def update_kev(db: VulnDatabase, *, url: str | None = None, clock: Clock | None = None,
               log: Callable[[str], None] = lambda message: None) -> UpdateResult:
    url = url or os.environ.get("IOTBASELINE_KEV_URL") or KEV_URL
    return _download_and_import(db, url, ".json", "kev", clock, log)
