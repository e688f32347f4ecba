"""OSV records (https://ossf.github.io/osv-schema/): what we store and how they match.

How OSV records meet our components (firmware components rarely carry an ecosystem purl):
- by purl: a component whose purl names the same type/namespace/name as ``affected.package.purl``;
- by name: the component's name (or an alias name from ``data/aliases.yaml``) equals the OSV
  package name, in the C/system ecosystems only (OSS-Fuzz, Linux, GIT and the Linux distributions)
  — never in language registries, where a "openssl" crate is not the C library;
- versions: ECOSYSTEM/SEMVER ranges compared with our comparator after dropping a distribution
  epoch ("1:") and revision ("-1", "-r0"), since firmware builds carry upstream versions;
  GIT ranges cannot be placed without the commit, so only the record's ``versions`` list is used
  (tags such as "OpenSSL_1_0_2n" or "DROPBEAR_2011.54" reduced to their version).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec

from iotbaseline.vulns.aliases import alias_table
from iotbaseline.vulns.versions import version_key

# C/system ecosystems, from data/aliases.yaml (osv.ecosystems)
SYSTEM_ECOSYSTEMS = alias_table().osv_ecosystems

_ENCODE = msgspec.json.Encoder().encode
_TAG_PREFIX = re.compile(r"^[^0-9]*")
_DISTRO_REVISION = re.compile(r"-(r?\d+[\w.+~]*)$")


def ecosystem_family(ecosystem: str) -> str:
    """"Debian:11" → "debian"; "Alpine:v3.18" → "alpine"."""
    return ecosystem.split(":", 1)[0].strip().lower()


@dataclass(frozen=True)
class OsvRow:
    """An OSV record in the stored shape (text fields converted to NVD's JSON shapes)."""

    id: str
    published: str
    last_modified: str
    withdrawn: bool
    descriptions: bytes
    metrics: bytes
    weaknesses: bytes
    refs: bytes
    aliases: bytes
    affected: bytes  # the record's "affected" array, JSON
    packages: tuple[tuple[str, str], ...]  # (ecosystem family, package name lowercased)
    purls: tuple[str, ...]


def is_osv_record(obj: Any) -> bool:
    return isinstance(obj, dict) and "id" in obj and "modified" in obj and (
        "affected" in obj or "schema_version" in obj or "aliases" in obj)


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The objects of a list field; anything else in a hostile or broken feed is ignored
    (non-list fields and non-object items crashed the import; found by fuzzing)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def row_from_osv(record: dict[str, Any]) -> OsvRow:
    affected = record.get("affected") or []
    packages: set[tuple[str, str]] = set()
    purls: set[str] = set()
    for item in _dicts(affected):
        package = item.get("package") or {}
        if not isinstance(package, dict):
            continue
        name = str(package.get("name", "")).lower()
        if name:
            packages.add((ecosystem_family(str(package.get("ecosystem", ""))), name))
        purl = package.get("purl")
        if purl:
            purls.add(purl_base(str(purl)))
    metrics: dict[str, list[dict[str, Any]]] = {}
    for sev in _dicts(record.get("severity")):
        vector = str(sev.get("score", ""))
        kind = str(sev.get("type", ""))
        if kind == "CVSS_V4" or vector.startswith("CVSS:4"):
            group, version = "cvssMetricV40", "4.0"
        elif vector.startswith("CVSS:3.0"):
            group, version = "cvssMetricV30", "3.0"
        elif kind == "CVSS_V3" or vector.startswith("CVSS:3"):
            group, version = "cvssMetricV31", "3.1"
        elif kind == "CVSS_V2":
            group, version = "cvssMetricV2", "2.0"
        else:
            continue
        score, severity = cvss_base_score(vector)
        metrics.setdefault(group, []).append({
            "source": "osv", "type": "Secondary",
            "cvssData": {"version": version, "vectorString": vector, "baseScore": score,
                         "baseSeverity": severity}})
    specific = record.get("database_specific")
    cwes = (specific.get("cwe_ids") or [] if isinstance(specific, dict) else [])
    cwes = cwes if isinstance(cwes, list) else []
    description = str(record.get("summary") or record.get("details") or "")
    return OsvRow(
        id=str(record["id"]),
        published=str(record.get("published", "")),
        last_modified=str(record.get("modified", "")),
        withdrawn=bool(record.get("withdrawn")),
        descriptions=_ENCODE([{"lang": "en", "value": description}]),
        metrics=_ENCODE(metrics),
        weaknesses=_ENCODE([{"description": [{"lang": "en", "value": str(c)} for c in cwes]}]),
        refs=_ENCODE([{"url": str(r.get("url", ""))} for r in _dicts(record.get("references"))]),
        aliases=_ENCODE([str(a) for a in (record.get("aliases") if isinstance(record.get("aliases"), list) else [])]),
        affected=_ENCODE(affected),
        packages=tuple(sorted(packages)),
        purls=tuple(sorted(purls)),
    )


def purl_base(purl: str) -> str:
    """pkg:type/namespace/name without version, qualifiers or subpath, lowercased."""
    base = purl.split("?", 1)[0].split("#", 1)[0]
    if "@" in base:
        base = base.rsplit("@", 1)[0]
    return base.lower()


def cvss_base_score(vector: str) -> tuple[float, str]:
    """Base score and severity of a CVSS vector (OSV gives vectors only), with the ``cvss``
    library; (0.0, "") when the vector cannot be read."""
    from cvss import CVSS2, CVSS3, CVSS4  # type: ignore[import-untyped]
    from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

    try:
        if vector.startswith("CVSS:4"):
            v4 = CVSS4(vector)
            return float(v4.base_score), str(v4.severity).upper()
        if vector.startswith("CVSS:3"):
            v3 = CVSS3(vector)
            return float(v3.base_score), str(v3.severities()[0]).upper()
        v2 = CVSS2(vector)
        score = float(v2.base_score)
        return score, "HIGH" if score >= 7 else "MEDIUM" if score >= 4 else "LOW"
    except (CVSSError, ValueError, KeyError, IndexError):
        return 0.0, ""


def upstream_version(version: str) -> str:
    """Drop a distribution epoch and revision: "1:1.0.2n-1+deb9u1" → "1.0.2n"."""
    if ":" in version and version.split(":", 1)[0].isdigit():
        version = version.split(":", 1)[1]
    return _DISTRO_REVISION.sub("", version)


def tag_version(tag: str) -> str:
    """"OpenSSL_1_0_2n" → "1_0_2n" (the comparator splits on "_"); "v1.2" → "1.2"."""
    return _TAG_PREFIX.sub("", tag)


def affected_match(affected: list[dict[str, Any]], names: set[str], purl: str | None,
                   version: str) -> str | None:
    """Why ``version`` of a component with these names/purl is affected, or None."""
    key = version_key(version)
    for item in _dicts(affected):
        package = item.get("package") or {}
        if not isinstance(package, dict):
            continue
        eco = ecosystem_family(str(package.get("ecosystem", "")))
        pname = str(package.get("name", "")).lower()
        ppurl = package.get("purl")
        by_purl = bool(purl and ppurl and purl_base(str(ppurl)) == purl_base(purl))
        by_name = eco in SYSTEM_ECOSYSTEMS and pname in names
        if not (by_purl or by_name):
            continue
        label = f"OSV {package.get('ecosystem', '')} package {package.get('name', '')}"
        for listed in item.get("versions") or []:
            if version_key(tag_version(upstream_version(str(listed)))) == key:
                return f"{label}: version {listed} listed as affected"
        for rng in item.get("ranges") or []:
            kind = str(rng.get("type", ""))
            if kind not in ("ECOSYSTEM", "SEMVER"):
                continue
            hit = _in_events(key, rng.get("events") or [])
            if hit:
                return f"{label}: {kind} range {hit}"
    return None


def _in_events(key: tuple[Any, ...], events: list[dict[str, str]]) -> str | None:
    """Walk introduced/fixed/last_affected events (sorted by version) as the OSV spec says."""
    bounds: list[tuple[str, str]] = []
    for event in events:
        for kind in ("introduced", "fixed", "last_affected", "limit"):
            if kind in event:
                bounds.append((kind, str(event[kind])))
    intervals: list[tuple[str, str | None, str | None]] = []
    start: str | None = None
    for kind, value in bounds:
        if kind == "introduced":
            start = value
        elif kind in ("fixed", "last_affected") and start is not None:
            intervals.append((start, value, kind))
            start = None
    if start is not None:
        intervals.append((start, None, None))
    for lo, hi, hi_kind in intervals:
        lo_ok = lo == "0" or key >= version_key(upstream_version(lo))
        if not lo_ok:
            continue
        if hi is None:
            return f">= {lo}" if lo != "0" else "all versions"
        hk = version_key(upstream_version(hi))
        if (hi_kind == "fixed" and key < hk) or (hi_kind == "last_affected" and key <= hk):
            low = f">= {lo}, " if lo != "0" else ""
            return f"{low}{'<' if hi_kind == 'fixed' else '<='} {hi}"
    return None
