"""Importing: formats, idempotence, newer lastModified wins, counts, bad input, OSV and KEV."""

from __future__ import annotations

import copy
import gzip
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from iotbaseline.model import Component
from iotbaseline.vulns.db import VulnDatabase, default_db_path
from iotbaseline.vulns.matcher import match_components

DROPBEAR = Component(
    ref="pkg:generic/dropbear@2011.54", name="dropbear", version="2011.54",
    cpe="cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2011.54:*:*:*:*:*:*:*")


def _records(nvd_dir: Path, wanted: set[str]) -> list[dict[str, Any]]:
    with gzip.open(nvd_dir / "embedded-cves.jsonl.gz") as fh:
        out = [json.loads(line) for line in fh]
    return [r for r in out if r["cve"]["id"] in wanted]


def _feed(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resultsPerPage": len(records), "startIndex": 0, "totalResults": len(records),
            "format": "NVD_CVE", "version": "2.0", "vulnerabilities": records}


@pytest.fixture
def db(tmp_path: Path) -> VulnDatabase:
    return VulnDatabase.open(tmp_path / "vulns.sqlite")


def test_default_path_and_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("IOTBASELINE_DB", raising=False)
    assert default_db_path().name == "vulns.sqlite" and "iotbaseline" in str(default_db_path())
    monkeypatch.setenv("IOTBASELINE_DB", str(tmp_path / "x.sqlite"))
    assert default_db_path() == tmp_path / "x.sqlite"


def test_schema_version_recorded_and_newer_refused(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite"
    db = VulnDatabase.open(path)
    assert db.info()["schema_version"] == 1
    db.conn.execute("INSERT INTO schema_version(version) VALUES (99)")
    db.close()
    from iotbaseline.vulns.db import VulnDatabaseError

    with pytest.raises(VulnDatabaseError, match="newer than this tool"):
        VulnDatabase.open(path)


def test_shared_data_dropbear_2011_54_has_cve_2012_0920(nvd_dir: Path, db: VulnDatabase) -> None:
    stats = db.import_files([nvd_dir / "embedded-cves.jsonl.gz", nvd_dir / "raw" / "nvdcve-2012.json.gz"])
    assert stats.errors == []
    assert stats.new > 5000  # 755 embedded + the 2012 feed (5,351 records, its header says)
    result = match_components([DROPBEAR], db)[0]
    assert "CVE-2012-0920" in {v.id for v in result.vulnerabilities}


def test_feed_formats_and_idempotence(nvd_dir: Path, db: VulnDatabase, tmp_path: Path) -> None:
    records = _records(nvd_dir, {"CVE-2012-0920", "CVE-2016-6301", "CVE-2014-0160"})
    plain = tmp_path / "feed.json"
    plain.write_text(json.dumps(_feed(records[:2])))
    packed = tmp_path / "feed.json.gz"
    packed.write_bytes(gzip.compress(json.dumps(_feed(records[2:])).encode()))
    lines = tmp_path / "lines.jsonl"
    lines.write_text("".join(json.dumps(r) + "\n" for r in records))
    first = db.import_files([plain, packed])
    assert (first.new, first.updated, first.unchanged, first.skipped) == (3, 0, 0, 0)
    again = db.import_files([lines])  # same records in another format: nothing changes
    assert (again.new, again.updated, again.unchanged, again.skipped) == (0, 0, 3, 0)
    assert db.info()["records"] == 3


def test_newer_last_modified_wins_older_is_skipped(nvd_dir: Path, db: VulnDatabase,
                                                   tmp_path: Path) -> None:
    (record,) = _records(nvd_dir, {"CVE-2012-0920"})
    newer = copy.deepcopy(record)
    newer["cve"]["lastModified"] = "2030-01-01T00:00:00.000"
    # the newer revision narrows the range so that 2011.54 is no longer affected
    match = newer["cve"]["configurations"][0]["nodes"][0]["cpeMatch"][0]
    match["versionStartIncluding"] = "2012.50"
    older = copy.deepcopy(record)
    older["cve"]["lastModified"] = "2010-01-01T00:00:00.000"
    for name, data in (("a.jsonl", record), ("b.jsonl", newer), ("c.jsonl", older)):
        (tmp_path / name).write_text(json.dumps(data) + "\n")
    assert db.import_files([tmp_path / "a.jsonl"]).new == 1
    assert "CVE-2012-0920" in {v.id for v in match_components([DROPBEAR], db)[0].vulnerabilities}
    stats = db.import_files([tmp_path / "b.jsonl"])
    assert stats.updated == 1
    assert match_components([DROPBEAR], db)[0].vulnerabilities == []  # old index rows gone
    stats = db.import_files([tmp_path / "c.jsonl"])
    assert (stats.skipped, stats.updated) == (1, 0)
    assert db.info()["sources"]["nvd"]["newest_last_modified"] == "2030-01-01T00:00:00.000"


def test_bad_files_are_reported_and_others_still_imported(nvd_dir: Path, db: VulnDatabase,
                                                          tmp_path: Path) -> None:
    records = _records(nvd_dir, {"CVE-2012-0920"})
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(records[0]) + "\n{\"cve\": {\"broken\": 1}}\n")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    corrupt = tmp_path / "corrupt.json.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00garbage")
    stats = db.import_files([text, corrupt, good])
    assert stats.new == 1 and stats.skipped == 1
    joined = "\n".join(stats.errors)
    assert "notes.txt: not JSON" in joined and "corrupt.json.gz: corrupt gzip" in joined
    assert "good.jsonl:2" in joined


def test_kev_sets_flag(nvd_dir: Path, db: VulnDatabase, tmp_path: Path) -> None:
    db.import_files([nvd_dir / "embedded-cves.jsonl.gz"])
    kev = {"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2024.10.25",
           "count": 1, "vulnerabilities": [{
               "cveID": "CVE-2014-0160", "vendorProject": "OpenSSL", "product": "OpenSSL",
               "vulnerabilityName": "OpenSSL Information Disclosure Vulnerability",
               "dateAdded": "2022-05-04", "dueDate": "2022-05-25",
               "knownRansomwareCampaignUse": "Unknown"}]}
    path = tmp_path / "known_exploited_vulnerabilities.json"
    path.write_text(json.dumps(kev))
    stats = db.import_files([path])
    assert stats.kev_new == 1
    assert db.import_files([path]).unchanged == 1
    openssl = Component(ref="o", name="openssl", version="1.0.1f",
                        cpe="cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*")
    vulns = match_components([openssl], db)[0].vulnerabilities
    heartbleed = next(v for v in vulns if v.id == "CVE-2014-0160")
    assert heartbleed.kev and vulns[0].id == "CVE-2014-0160"  # KEV sorts first
    assert not any(v.kev for v in vulns if v.id != "CVE-2014-0160")
    assert db.info()["sources"]["kev"]["catalog_version"] == "2024.10.25"


OSV_RECORD = {
    # shaped like OSV's OSS-Fuzz export: GIT range plus the affected tags
    "id": "OSV-2099-1", "modified": "2024-01-02T03:04:05Z", "published": "2023-01-01T00:00:00Z",
    "aliases": ["CVE-2099-0001"], "summary": "Heap overflow in the example parser",
    "affected": [{"package": {"ecosystem": "OSS-Fuzz", "name": "dnsmasq"},
                  "ranges": [{"type": "GIT", "repo": "git://example/dnsmasq",
                              "events": [{"introduced": "abc"}, {"fixed": "def"}]}],
                  "versions": ["v2.65", "v2.66"]}],
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
}
OSV_DEBIAN = {
    "id": "DEBIAN-CVE-2099-0002", "modified": "2024-01-02T03:04:05Z", "aliases": [],
    "upstream": ["CVE-2099-0002"],
    "affected": [{"package": {"ecosystem": "Debian:11", "name": "busybox"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"},
                                                              {"fixed": "1:1.30.1-6+deb11u1"}]}]}],
}
OSV_PYPI = {
    "id": "PYSEC-2099-3", "modified": "2024-01-02T03:04:05Z",
    "affected": [{"package": {"ecosystem": "PyPI", "name": "busybox"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}],
}


def test_osv_zip_and_matching_by_name(db: VulnDatabase, tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for record in (OSV_RECORD, OSV_DEBIAN, OSV_PYPI):
            zf.writestr(f"{record['id']}.json", json.dumps(record))
    stats = db.import_files([archive])
    assert stats.new == 3 and stats.by_source == {"osv": 3}
    dnsmasq = match_components([Component(ref="d", name="dnsmasq", version="2.66",
                                          cpe="cpe:2.3:a:thekelleys:dnsmasq:2.66:*:*:*:*:*:*:*")], db)[0]
    (vuln,) = dnsmasq.vulnerabilities
    # one CVE alias → shown under the CVE id; source names the OSV record; v3.1 vector → 9.8
    assert vuln.id == "CVE-2099-0001" and vuln.source == "osv:OSV-2099-1"
    assert "listed as affected" in vuln.match and vuln.best_score == 9.8
    assert match_components([Component(ref="d", name="dnsmasq", version="2.67")], db)[0].vulnerabilities == []
    # Debian range: busybox 1.30.1 (upstream of 1:1.30.1-6+deb11u1)... fixed there → not affected;
    # 1.30.0 is affected. The PyPI package named busybox never matches firmware busybox.
    old = match_components([Component(ref="b", name="busybox", version="1.30.0")], db)[0]
    assert [v.source for v in old.vulnerabilities] == ["osv:DEBIAN-CVE-2099-0002"]
    fixed = match_components([Component(ref="b", name="busybox", version="1.30.1")], db)[0]
    assert fixed.vulnerabilities == []
    assert db.import_files([archive]).unchanged == 3


def test_osv_record_aliasing_an_nvd_cve_is_not_listed_twice(nvd_dir: Path, db: VulnDatabase,
                                                          tmp_path: Path) -> None:
    db.import_files([nvd_dir / "embedded-cves.jsonl.gz"])
    record = copy.deepcopy(OSV_RECORD)
    record["id"] = "OSV-2099-9"
    record["aliases"] = ["CVE-2012-0920"]
    record["affected"][0]["package"]["name"] = "dropbear"
    record["affected"][0]["versions"] = ["DROPBEAR_2011.54"]
    path = tmp_path / "one.json"
    path.write_text(json.dumps(record))
    db.import_files([path])
    found = [v.id for v in match_components([DROPBEAR], db)[0].vulnerabilities]
    assert found.count("CVE-2012-0920") == 1


def test_worker_processes_give_the_same_database(nvd_dir: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Big imports decode in worker processes; the result must equal the in-process path."""
    from iotbaseline.vulns import importer

    files = [nvd_dir / "embedded-cves.jsonl.gz", nvd_dir / "raw" / "nvdcve-2003.json.gz"]
    inline = VulnDatabase.open(tmp_path / "inline.sqlite")
    inline_stats = inline.import_files(files)
    monkeypatch.setattr(importer, "PARALLEL_MIN_BYTES", 0)
    assert type(importer._executor(files)).__name__ == "ProcessPoolExecutor"
    pooled = VulnDatabase.open(tmp_path / "pooled.sqlite")
    pooled_stats = pooled.import_files(files)
    assert (pooled_stats.new, pooled_stats.unchanged) == (inline_stats.new, inline_stats.unchanged)
    query = "SELECT id, last_modified FROM vulns ORDER BY id"
    assert pooled.conn.execute(query).fetchall() == inline.conn.execute(query).fetchall()
    index = ("SELECT v.id, p.vendor, p.product, c.versions, c.ranges FROM cpe_index c "
             "JOIN vulns v USING (rid) JOIN products p USING (pid) ORDER BY 1, 2, 3, 4, 5")
    assert pooled.conn.execute(index).fetchall() == inline.conn.execute(index).fetchall()


def test_import_pauses_the_collector_and_restores_its_state(nvd_dir: Path, db: VulnDatabase,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The import runs with the cyclic collector off (measured: ~1 s of CPU on the full feed)
    and leaves it as it found it, on or off."""
    import gc

    from iotbaseline.vulns import importer

    seen: list[bool] = []
    real = importer.Importer.add_nvd

    def spy(self: importer.Importer, batch: object) -> None:
        seen.append(gc.isenabled())
        real(self, batch)  # type: ignore[arg-type]

    monkeypatch.setattr(importer.Importer, "add_nvd", spy)
    assert gc.isenabled()
    db.import_files([nvd_dir / "raw" / "nvdcve-2003.json.gz"])
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        with importer.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
