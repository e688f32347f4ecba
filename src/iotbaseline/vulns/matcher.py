"""Components → known vulnerabilities, from the local database.

Per component: its vendor:product pairs (CPE + aliases) select rows of ``cpe_index`` by product
id; a row is a candidate when the component's version key is among the row's exact versions or
inside one of its ranges. Only candidates have their full NVD configuration decoded and
evaluated (``configs.py``). OSV records are found by package name/purl (``osv.py``) and skipped
when they alias a CVE the component already has. Linux kernel CVEs are checked against the
image's kernel config when one was found (``kernel.py``): kept, but marked
``not_affected_kernel_config`` with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from iotbaseline.model import Component, CvssScore, Vulnerability
from iotbaseline.vulns import nvd
from iotbaseline.vulns.aliases import component_version, identities, package_names
from iotbaseline.vulns.configs import ConfigEvaluator, Subject, Truth
from iotbaseline.vulns.cpe import match_key, parse_cpe
from iotbaseline.vulns.db import VulnDatabase
from iotbaseline.vulns.kernel import kernel_config_verdict, place_kernel_cve
from iotbaseline.vulns.osv import affected_match, purl_base
from iotbaseline.vulns.versions import in_range

SHORT_DESCRIPTION = 240
MAX_REFERENCES = 10
KERNEL_PAIRS = frozenset({("linux", "linux_kernel")})
_RANGES = msgspec.json.Decoder(list[tuple[str | None, str | None, str | None, str | None]])


_FOUND_IN_BINARY = ("signature:", "markers:", "filename:")


def _subject(component: Component, db: VulnDatabase | None = None) -> tuple[Subject, str | None]:
    """The component's identity for matching, and a note when it came from the product name
    alone. Product-name-only lookup is for software we recognised in a binary without knowing
    NVD's vendor, and only when NVD names exactly one vendor for that product: package names
    of vendor SDKs collide with unrelated products (DNI's ``bridge`` package vs Adobe Bridge),
    so a package-database name alone is never looked up this way."""
    cpe = parse_cpe(component.cpe) if component.cpe else None
    is_os = component.kind == "operating-system" or (cpe is not None and cpe.part == "o")
    pairs = frozenset(p for p in identities(component) if p[0] not in ("*", "-"))
    note = None
    if not pairs and db is not None and any(e.method.startswith(_FOUND_IN_BINARY)
                                            for e in component.evidence):
        pairs, note = _by_product_name(db, component)
    return Subject(ref=component.ref, pairs=pairs, version=component_version(component),
                   is_os=is_os), note


def _by_product_name(db: VulnDatabase, component: Component) -> tuple[frozenset[tuple[str, str]], str]:
    product = (parse_cpe(component.cpe).product if component.cpe and parse_cpe(component.cpe)
               else component.name.lower().replace("-", "_"))
    vendors = sorted({r[0] for r in db.conn.execute(
        "SELECT vendor FROM products WHERE product=?", (product,))})
    if len(vendors) == 1:
        return (frozenset({(vendors[0], product)}),
                f"matched by product name only: NVD names one vendor for '{product}' "
                f"({vendors[0]}:{product}); the vendor was not identified in the image")
    if vendors:
        return frozenset(), (f"not matched: NVD uses the product name '{product}' for several "
                             f"vendors ({', '.join(vendors)}) and the image does not say which")
    return frozenset(), f"not matched: no NVD product named '{product}'"


def _in_any(version: str, ranges: bytes) -> bool:
    return any(in_range(version, *bounds) for bounds in _RANGES.decode(ranges))


def _candidates(db: VulnDatabase, subject: Subject) -> list[int]:
    if not subject.pairs or not subject.version:
        return []
    key = match_key(subject.version)
    pids = []
    for vendor, product in subject.pairs:
        row = db.conn.execute("SELECT pid FROM products WHERE vendor=? AND product=?",
                              (vendor, product)).fetchone()
        if row:
            pids.append(row[0])
    if not pids:
        return []
    marks = ",".join("?" * len(pids))
    rids: dict[int, None] = {}
    for rid, versions, ranges in db.conn.execute(
            f"SELECT rid, versions, ranges FROM cpe_index WHERE pid IN ({marks})", pids):
        if rid in rids:
            continue
        if (versions and any(match_key(v) == key for v in versions.split())) or (
                ranges and _in_any(subject.version, ranges)):
            rids[rid] = None
    return list(rids)


class _Pages:
    """Inflated record pages, read once per match run."""

    def __init__(self, db: VulnDatabase) -> None:
        self.db = db
        self.cache: dict[int, bytes] = {}

    def record(self, page: int, off: int, size: int) -> nvd.StoredRecord:
        data = self.cache.get(page)
        if data is None:
            row = self.db.conn.execute("SELECT data FROM pages WHERE page=?", (page,)).fetchone()
            data = self.cache[page] = nvd.decompress(row[0]) if row else b""
        return nvd.decode_record(data[off:off + size])


def _fetch(db: VulnDatabase, rids: Iterable[int]) -> list[tuple[Any, ...]]:
    rids = list(rids)
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(rids), 500):
        chunk = rids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        rows += db.conn.execute(
            "SELECT rid, id, source, published, last_modified, status, page, off, len, aliases, "
            f"affected FROM vulns WHERE rid IN ({marks}) ORDER BY page", chunk).fetchall()
    return rows


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHORT_DESCRIPTION else text[: SHORT_DESCRIPTION - 1] + "…"


def _vulnerability(vid: str, source: str, published: str | None, last_modified: str | None,
                   record: nvd.StoredRecord, match: str, kev: bool) -> tuple[Vulnerability, str]:
    description = nvd.english_description(bytes(record.descriptions))
    vuln = Vulnerability(
        id=vid,
        source=source,
        published=published or None,
        last_modified=last_modified or None,
        description=_short(description),
        cvss=[CvssScore(**c) for c in nvd.cvss_scores(bytes(record.metrics))],
        cwes=nvd.cwe_ids(bytes(record.weaknesses)),
        kev=kev,
        match=match,
        references=nvd.reference_urls(bytes(record.references))[:MAX_REFERENCES],
    )
    return vuln, description


def _kev_ids(db: VulnDatabase, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        found |= {r[0] for r in db.conn.execute(
            f"SELECT cve FROM kev WHERE cve IN ({marks})", chunk)}
    return found


def _nvd_matches(db: VulnDatabase, pages: _Pages, evaluator: ConfigEvaluator, subject: Subject,
                 kernel_config: set[str] | None) -> list[Vulnerability]:
    found: list[Vulnerability] = []
    for _rid, vid, source, published, modified, status, page, off, size, _al, _af in _fetch(
            db, _candidates(db, subject)):
        if source != "nvd" or status == "Rejected":
            continue
        record = pages.record(page, off, size)
        result = evaluator.evaluate(record.configurations, subject)
        if result.truth is Truth.FALSE or not result.matched:
            continue
        match = f"{result.matched[0]} matched {subject.version}"
        if result.truth is Truth.UNKNOWN:
            match += "; platform condition not verified: " + ", ".join(
                dict.fromkeys(result.unverified))
        vuln, description = _vulnerability(vid, "nvd", published, modified, record, match,
                                           kev=False)
        if kernel_config is not None and subject.pairs & KERNEL_PAIRS:
            reason = kernel_config_verdict(
                place_kernel_cve(description, nvd.reference_urls(bytes(record.references))),
                kernel_config)
            if reason:
                vuln.status = "not_affected_kernel_config"
                vuln.status_reason = reason
        found.append(vuln)
    return found


def _osv_matches(db: VulnDatabase, pages: _Pages, component: Component, subject: Subject,
                 known_ids: set[str]) -> list[Vulnerability]:
    if not subject.version:
        return []
    names = sorted(package_names(component))
    marks = ",".join("?" * len(names))
    rids = {r[0] for r in db.conn.execute(
        f"SELECT rid FROM osv_package WHERE name IN ({marks})", names)}
    if component.purl:
        rids |= {r[0] for r in db.conn.execute("SELECT rid FROM osv_purl WHERE purl=?",
                                               (purl_base(component.purl),))}
    found: list[Vulnerability] = []
    for _rid, vid, _source, published, modified, status, page, off, size, aliases, affected in (
            _fetch(db, sorted(rids))):
        if status == "Withdrawn":
            continue
        alias_ids = [str(a) for a in msgspec.json.decode(aliases or b"[]")]
        cves = [a for a in alias_ids if a.startswith("CVE-")]
        if vid in known_ids or any(c in known_ids for c in cves):
            continue
        why = affected_match(msgspec.json.decode(affected or b"[]"), set(names),
                             component.purl, subject.version)
        if why is None:
            continue
        shown_id = cves[0] if len(cves) == 1 and not vid.startswith("CVE-") else vid
        record = pages.record(page, off, size)
        vuln, _ = _vulnerability(shown_id, f"osv:{vid}", published, modified, record,
                                 f"{why} (component {subject.version})", kev=False)
        known_ids.add(shown_id)
        known_ids.add(vid)
        found.append(vuln)
    return found


def _worst_first(v: Vulnerability) -> tuple[int, int, float, str]:
    return (v.status != "affected", not v.kev, -(v.best_score or 0.0), v.id)


def match_components(components: list[Component], db: VulnDatabase,
                     kernel_config: set[str] | None = None) -> list[Component]:
    """New Component objects carrying their vulnerabilities (worst first). Components without a
    version or without any known identity are returned unchanged, with a note."""
    subjected = [_subject(c, db) for c in components]
    subjects = [s for s, _ in subjected]
    evaluator = ConfigEvaluator(subjects)
    pages = _Pages(db)
    out: list[Component] = []
    for component, (subject, identity_note) in zip(components, subjected, strict=True):
        notes = list(component.notes)
        if identity_note:
            notes.append(identity_note)
        if not subject.version:
            notes.append("not matched against vulnerability data: no version known")
            out.append(component.model_copy(update={"notes": notes, "vulnerabilities": []}))
            continue
        vulns = _nvd_matches(db, pages, evaluator, subject, kernel_config)
        known = {v.id for v in vulns}
        vulns += _osv_matches(db, pages, component, subject, known)
        kev = _kev_ids(db, [v.id for v in vulns])
        by_product_only = bool(identity_note and identity_note.startswith("matched by product"))
        for v in vulns:
            v.kev = v.id in kev
            if by_product_only:  # the evidence of each CVE says how weak the identity is
                v.match += "; vendor unknown, matched by the product name NVD uses for one vendor only"
        if not subject.pairs:
            notes.append("no CPE or known alias: matched by OSV package name only")
        vulns.sort(key=_worst_first)
        out.append(component.model_copy(update={"notes": notes, "vulnerabilities": vulns}))
    return out
