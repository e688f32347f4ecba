"""Which requirements the tool can evidence, and by what: firmware checks, the live probe,
manufacturer declarations — or nothing.

Generated from the declarations of the other stages at run time (checks name requirements;
catalogs never name checks), so the table cannot drift from the code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from iotbaseline.catalog.loader import CATALOG_IDS, CatalogError, load_catalog, parse_ref

CATEGORIES = ("checks", "probe", "declarations", "none")


@dataclass(frozen=True)
class CoverageSources:
    """Where each requirement ref is evidenced: ref → names of checks / declaration fields."""

    checks: Mapping[str, tuple[str, ...]]
    probe: frozenset[str]
    declarations: Mapping[str, tuple[str, ...]]
    unknown_refs: tuple[str, ...] = field(default=())  # refs naming no existing requirement


def _index(pairs: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = defaultdict(list)
    for ref, name in pairs:
        if name not in out[ref]:
            out[ref].append(name)
    return {ref: tuple(names) for ref, names in out.items()}


def collect_sources() -> CoverageSources:
    """Read the registry of checks, the probe's and the declarations' tables as they are now."""
    from iotbaseline.assess.declarations import DECLARATION_PROVISIONS
    from iotbaseline.checks.registry import all_checks
    from iotbaseline.probe.coverage import PROBE_PROVISIONS

    pairs = [(ref, c.spec.id) for c in all_checks() for ref in c.spec.provisions]
    pairs += vulnerability_check_provisions()
    checks = _index(pairs)
    declarations = _index(
        (ref, fieldname) for fieldname, refs in DECLARATION_PROVISIONS.items() for ref in refs
    )
    probe = frozenset(PROBE_PROVISIONS)
    unknown = sorted({ref for ref in (*checks, *probe, *declarations) if not _exists(ref)})
    return CoverageSources(checks, probe, declarations, tuple(unknown))


def vulnerability_check_provisions() -> list[tuple[str, str]]:
    """(ref, check id) for the IOTB-VULN-* checks, which live in ``vulns/findings.py`` rather
    than the check registry. Read defensively: a spec tuple ``VULN_CHECK_SPECS`` (objects with
    ``id`` and ``provisions``) when the module offers one, else its ``CHECK_ID``/``PROVISIONS``."""
    try:
        from iotbaseline.vulns import findings as vuln_findings
    except ImportError:
        return []
    specs = getattr(vuln_findings, "VULN_CHECK_SPECS", None)
    if specs:
        return [(ref, spec.id) for spec in specs for ref in getattr(spec, "provisions", ())]
    check_id = getattr(vuln_findings, "CHECK_ID", None)
    provisions = getattr(vuln_findings, "PROVISIONS", ())
    return [(ref, check_id) for ref in provisions] if check_id else []


# Catalogs whose requirements without a specific check, probe check or declaration field are
# decided by the generic per-requirement attestation (declarations.attestations).
ATTESTATION_CATALOGS = ("owasp-isvs",)
ATTESTATION_FIELD = "attestations"


def _exists(ref: str) -> bool:
    try:
        catalog_id, req_id = parse_ref(ref)
    except CatalogError:
        return False
    if catalog_id not in CATALOG_IDS:
        return False
    return any(r.id == req_id and not r.is_group for r in load_catalog(catalog_id).requirements)


def requirement_coverage(
    catalog_id: str, sources: CoverageSources | None = None
) -> dict[str, list[str]]:
    """Requirement id → what evidences it: ``"check:IOTB-…"``, ``"probe"``,
    ``"declaration:<field>"``; an empty list when nothing does. Headings are left out."""
    src = sources if sources is not None else collect_sources()
    out: dict[str, list[str]] = {}
    for req in load_catalog(catalog_id).requirements:
        if req.is_group:
            continue
        ref = f"{catalog_id}:{req.id}"
        by = [f"check:{c}" for c in src.checks.get(ref, ())]
        if ref in src.probe:
            by.append("probe")
        by += [f"declaration:{d}" for d in src.declarations.get(ref, ())]
        if not by and catalog_id in ATTESTATION_CATALOGS:
            by.append(f"declaration:{ATTESTATION_FIELD}")
        out[req.id] = by
    return out


def coverage_table(
    catalog_id: str, sources: CoverageSources | None = None
) -> dict[str, list[str]]:
    """Category → requirement ids, categories ``checks``, ``probe``, ``declarations`` (a
    requirement may sit in several) and ``none`` (nothing evidences it), in catalog order."""
    table: dict[str, list[str]] = {cat: [] for cat in CATEGORIES}
    for req_id, by in requirement_coverage(catalog_id, sources).items():
        if any(b.startswith("check:") for b in by):
            table["checks"].append(req_id)
        if "probe" in by:
            table["probe"].append(req_id)
        if any(b.startswith("declaration:") for b in by):
            table["declarations"].append(req_id)
        if not by:
            table["none"].append(req_id)
    return table
