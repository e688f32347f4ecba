"""Which requirements the tool can evidence, and by what: firmware checks, the live probe,
manufacturer declarations — or nothing.

Generated from the declarations of the other stages at run time (checks name requirements;
catalogs never name checks), so the table cannot drift from the code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from iotbaseline.catalog.loader import CATALOG_IDS, CatalogError, load_catalog, mapped, parse_ref
from iotbaseline.catalog.model import DECLARATION_ONLY

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


def _direct(catalog_id: str, req_id: str, src: CoverageSources) -> list[str]:
    ref = f"{catalog_id}:{req_id}"
    by = [f"check:{c}" for c in src.checks.get(ref, ())]
    if ref in src.probe:
        by.append("probe")
    by += [f"declaration:{d}" for d in src.declarations.get(ref, ())]
    if not by and catalog_id in ATTESTATION_CATALOGS:
        by.append(f"declaration:{ATTESTATION_FIELD}")
    return by


def requirement_coverage(
    catalog_id: str, sources: CoverageSources | None = None
) -> dict[str, list[str]]:
    """Requirement id → what evidences it: ``"check:IOTB-…"``, ``"probe"``,
    ``"declaration:<field>"``; an empty list when nothing does. Headings are left out.

    A regulation view is evidenced through its basis baselines: each source of a mapped
    (equivalent / narrower / broader, not merely related) basis requirement is listed as
    ``"check:IOTB-… via etsi-en-303-645:5.1-1"``; a ``declaration-only`` requirement is answered
    by ``declaration:attestations``."""
    src = sources if sources is not None else collect_sources()
    catalog = load_catalog(catalog_id)
    out: dict[str, list[str]] = {}
    for req in catalog.requirements:
        if req.is_group:
            continue
        by = _direct(catalog_id, req.id, src)
        if catalog.regulation is not None:
            for other, _relation in _decisive_mappings(f"{catalog_id}:{req.id}",
                                                       catalog.regulation.basis):
                basis_id, _, basis_req = other.partition(":")
                by += [f"{b} via {other}" for b in _direct(basis_id, basis_req, src)
                       if f"{b} via {other}" not in by]
            if DECLARATION_ONLY in req.tags and f"declaration:{ATTESTATION_FIELD}" not in by:
                by.append(f"declaration:{ATTESTATION_FIELD}")
        out[req.id] = by
    return out


def _decisive_mappings(ref: str, basis: list[str]) -> list[tuple[str, str]]:
    """Mapped basis requirements whose verdicts can decide ``ref`` (not the 'related' ones)."""
    return [(other, rel) for other, rel in mapped(ref)
            if rel != "related" and other.partition(":")[0] in basis]


REGULATION_CATEGORIES = ("whole", "part", "declaration-only", "none")


def regulation_decidability(catalog_id: str) -> dict[str, list[str]]:
    """How far the evidence can decide each requirement of a regulation view:

    - ``whole``: an equivalent or broader baseline requirement is mapped, so baseline evidence
      can make it PASS or FAIL (PSTI S1.1 through ETSI 5.1-1 and 5.1-2);
    - ``part``: only parts are mapped: evidence can show it FAIL, PASS also needs the maker's
      attestation of the rest;
    - ``declaration-only``: only the maker's attestation can decide it;
    - ``none``: nothing maps to it and it is not marked declaration-only (a data gap).
    """
    catalog = load_catalog(catalog_id)
    if catalog.regulation is None:
        raise CatalogError(f"{catalog_id} is not a regulation view")
    table: dict[str, list[str]] = {cat: [] for cat in REGULATION_CATEGORIES}
    for req in catalog.requirements:
        if req.is_group:
            continue
        relations = {rel for _, rel in _decisive_mappings(f"{catalog_id}:{req.id}",
                                                          catalog.regulation.basis)}
        if DECLARATION_ONLY in req.tags:
            table["declaration-only"].append(req.id)
        elif relations & {"equivalent", "narrower"}:
            table["whole"].append(req.id)
        elif relations:
            table["part"].append(req.id)
        else:
            table["none"].append(req.id)
    return table


def coverage_table(
    catalog_id: str, sources: CoverageSources | None = None
) -> dict[str, list[str]]:
    """Category → requirement ids, categories ``checks``, ``probe``, ``declarations`` (a
    requirement may sit in several) and ``none`` (nothing evidences it), in catalog order."""
    table: dict[str, list[str]] = {cat: [] for cat in CATEGORIES}
    for req_id, by in requirement_coverage(catalog_id, sources).items():
        if any(b.startswith("check:") for b in by):
            table["checks"].append(req_id)
        if any(b == "probe" or b.startswith("probe via ") for b in by):
            table["probe"].append(req_id)
        if any(b.startswith("declaration:") for b in by):
            table["declarations"].append(req_id)
        if not by:
            table["none"].append(req_id)
    return table
