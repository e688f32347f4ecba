"""What the human reports (HTML, Markdown) show, computed once from an assessment.

The templates only lay this out: every count, grouping, link and redaction is decided here, so
the HTML and Markdown reports cannot disagree and the logic is testable without a browser.
Every text that may come from the firmware passes through the secret scrubber; escaping is the
renderer's job (Jinja2 autoescape for HTML, ``md_text`` for Markdown).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

from iotbaseline.catalog.model import Catalog, Requirement
from iotbaseline.model import (
    Assessment,
    Component,
    Evidence,
    Finding,
    OutcomeStatus,
    Severity,
    Verdict,
    VerdictValue,
    Vulnerability,
)
from iotbaseline.report.fingerprint import SecretScrubber, where

VERDICT_ORDER = (
    VerdictValue.PASS,
    VerdictValue.FAIL,
    VerdictValue.INCONCLUSIVE,
    VerdictValue.NOT_APPLICABLE,
)
VERDICT_LABEL = {
    VerdictValue.PASS: "PASS",
    VerdictValue.FAIL: "FAIL",
    VerdictValue.INCONCLUSIVE: "INCONCLUSIVE",
    VerdictValue.NOT_APPLICABLE: "N/A",
}
SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)
TECHNICAL_EVIDENCE = {"finding", "check", "file", "observation", "component"}
_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def anchor(prefix: str, ident: str) -> str:
    """An HTML id built only from safe characters (ids come from hostile-ish data)."""
    return f"{prefix}-{_ANCHOR_UNSAFE.sub('_', ident)}"


# --------------------------------------------------------------------------------------------
# values the templates read
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceLink:
    kind: str
    label: str
    detail: str
    href: str | None = None  # "#finding-…" when the evidence is a finding of this report


@dataclass(frozen=True)
class RequirementRow:
    id: str
    anchor: str
    title: str
    summary: str
    status: str  # "MC (1, 2)", "L M H", "shall"…
    verdict: VerdictValue | None
    verdict_label: str
    reason: str
    evidence: list[EvidenceLink]
    missing: list[str]
    questions: list[str]
    mapped: list[str]


@dataclass(frozen=True)
class CatalogView:
    id: str
    title: str
    version: str
    publisher: str
    license: str | None
    attribution: str | None
    counts: dict[VerdictValue, int]
    total: int
    decided_by_evidence: int  # PASS/FAIL resting on technical evidence
    decided_by_declaration: int  # PASS/FAIL resting on declarations only
    rows: list[RequirementRow]

    def percent(self, verdict: VerdictValue) -> float:
        return round(100.0 * self.counts.get(verdict, 0) / self.total, 2) if self.total else 0.0


@dataclass(frozen=True)
class FindingView:
    id: str
    anchor: str
    severity: Severity
    message: str
    where: str
    root: str | None
    line: int | None
    sha256: str | None
    excerpts: list[str]
    provenance: list[str]
    confidence: str
    cwe: list[int]
    provisions: list[str]
    redacted: str | None


@dataclass(frozen=True)
class CheckGroup:
    check: str
    anchor: str
    title: str
    severity: Severity  # worst of its findings
    rationale: str
    remedy: str
    findings: list[FindingView]


@dataclass(frozen=True)
class CveRow:
    id: str
    component: str
    component_anchor: str
    score: float | None
    severity: str
    kev: bool
    affected: bool
    status_reason: str
    match: str
    published: str


@dataclass(frozen=True)
class ComponentRow:
    name: str
    version: str
    anchor: str
    kind: str
    confidence: str
    identified_by: list[str]  # "signature:busybox in /bin/busybox"
    affected: int
    not_affected: int
    worst_score: float | None
    kev: int


@dataclass(frozen=True)
class Gap:
    """One thing that could not be analysed."""

    category: str  # "extraction error", "unknown data", "limit hit", "check error", "error"
    where: str
    message: str


@dataclass(frozen=True)
class QuestionItem:
    catalog: str
    requirement: str
    anchor: str
    verdict: VerdictValue
    questions: list[str]
    missing: list[str]


@dataclass(frozen=True)
class PartitionRow:
    """One input of a device scanned from several partition dumps."""

    input: str
    format: str
    mount_point: str  # "—" when not mounted
    decided_by: str
    entries: int


@dataclass
class ReportView:
    title: str
    target: dict[str, Any]
    header: list[tuple[str, str]]
    vuln_db: dict[str, Any] | None
    vuln_db_missing: bool
    vuln_db_warning: str | None
    catalogs: list[CatalogView]
    severity_counts: list[tuple[Severity, int]]
    check_groups: list[CheckGroup]
    components: list[ComponentRow]
    cves: list[CveRow]
    gaps: list[Gap]
    questions: list[QuestionItem]
    ics_rows: list[Any] = field(default_factory=list)  # iotbaseline.report.ics.IcsRow
    outcome_counts: dict[str, int] = field(default_factory=dict)
    partitions: list[PartitionRow] = field(default_factory=list)
    platform: str | None = None  # "VxWorks 5.5.1 (wr.fw @0x6874: VxWorks5.5.1)"

    @property
    def total_findings(self) -> int:
        return sum(n for _, n in self.severity_counts)


# --------------------------------------------------------------------------------------------
# building it
# --------------------------------------------------------------------------------------------


def _status_text(catalog: Catalog, req: Requirement) -> str:
    parts: list[str] = []
    if req.status:
        parts.append(f"{req.status} ({', '.join(req.conditions)})" if req.conditions else req.status)
    elif req.conditions:
        parts.append(f"if {', '.join(req.conditions)}")
    if req.levels:
        parts.append(" ".join(req.levels))
    if req.level_note:
        parts.append(req.level_note)
    return " · ".join(parts)


def _evidence_link(ev: Evidence, finding_ids: set[str], scrub: SecretScrubber) -> EvidenceLink:
    href = anchor("finding", ev.ref) if ev.kind == "finding" and ev.ref in finding_ids else None
    if ev.kind == "check":
        href = anchor("check", ev.ref)
    label = ev.ref
    if ev.kind == "file" and ev.line:
        label = f"{ev.ref}:{ev.line}"
    detail = scrub(ev.detail)
    if ev.excerpt:
        detail = f"{detail} — {scrub(ev.excerpt)}" if detail else scrub(ev.excerpt)
    return EvidenceLink(kind=ev.kind, label=scrub(label), detail=detail, href=href)


def _is_technical(verdict: Verdict) -> bool:
    return any(e.kind in TECHNICAL_EVIDENCE for e in verdict.evidence)


def _catalog_view(catalog: Catalog, verdicts: dict[str, Verdict], finding_ids: set[str],
                  scrub: SecretScrubber) -> CatalogView:
    rows: list[RequirementRow] = []
    for req in catalog.requirements:
        if req.is_group:
            continue
        verdict = verdicts.get(req.id)
        rows.append(RequirementRow(
            id=req.id,
            anchor=anchor(f"req-{catalog.id}", req.id),
            title=req.title or "",
            summary=req.summary,
            status=_status_text(catalog, req),
            verdict=verdict.verdict if verdict else None,
            verdict_label=VERDICT_LABEL[verdict.verdict] if verdict else "not assessed",
            reason=scrub(verdict.reason) if verdict else "",
            evidence=[_evidence_link(e, finding_ids, scrub) for e in verdict.evidence] if verdict else [],
            missing=[scrub(m) for m in verdict.missing] if verdict else [],
            questions=[scrub(q) for q in verdict.questions] if verdict else [],
            mapped=list(verdict.mapped) if verdict else [],
        ))
    # verdicts for ids the catalog does not know (an older catalog version): still shown
    known = {r.id for r in rows}
    for req_id, verdict in verdicts.items():
        if req_id not in known:
            rows.append(RequirementRow(
                id=req_id, anchor=anchor(f"req-{catalog.id}", req_id), title="",
                summary="(not in this catalog version)", status="", verdict=verdict.verdict,
                verdict_label=VERDICT_LABEL[verdict.verdict], reason=scrub(verdict.reason),
                evidence=[_evidence_link(e, finding_ids, scrub) for e in verdict.evidence],
                missing=list(verdict.missing), questions=list(verdict.questions),
                mapped=list(verdict.mapped)))
    counts = Counter(r.verdict for r in rows if r.verdict is not None)
    decided = [v for v in verdicts.values() if v.verdict in (VerdictValue.PASS, VerdictValue.FAIL)]
    by_evidence = sum(1 for v in decided if _is_technical(v))
    return CatalogView(
        id=catalog.id, title=catalog.title, version=catalog.version, publisher=catalog.publisher,
        license=catalog.license, attribution=catalog.attribution,
        counts={v: counts.get(v, 0) for v in VERDICT_ORDER}, total=len(rows),
        decided_by_evidence=by_evidence, decided_by_declaration=len(decided) - by_evidence,
        rows=rows,
    )


def _check_specs() -> dict[str, Any]:
    try:
        from iotbaseline.checks.registry import all_checks
    except Exception:  # noqa: BLE001 — a broken check module must not stop the report
        return {}
    return {c.spec.id: c.spec for c in all_checks()}


def _finding_view(f: Finding, scrubber: SecretScrubber) -> FindingView:
    scrub = scrubber.for_finding(f)
    excerpts = [scrub(e.excerpt) for e in f.evidence if e.excerpt]
    provenance = [scrub(p) for p in f.location.provenance]
    place = where(f.location)
    if place:
        provenance.append(f"{f.location.root}:{place}" if f.location.root and f.location.path else place)
    return FindingView(
        id=f.id, anchor=anchor("finding", f.id), severity=f.severity,
        message=scrub(f.message), where=scrub(place), root=f.location.root, line=f.location.line,
        sha256=f.location.sha256, excerpts=list(dict.fromkeys(excerpts)), provenance=provenance,
        confidence=f.confidence, cwe=list(f.cwe), provisions=list(f.provisions),
        redacted=f.redacted,
    )


def _check_groups(assessment: Assessment, scrub: SecretScrubber) -> list[CheckGroup]:
    specs = _check_specs()
    by_check: dict[str, list[Finding]] = {}
    for f in assessment.findings:
        by_check.setdefault(f.check, []).append(f)
    groups: list[CheckGroup] = []
    for check_id, findings in by_check.items():
        spec = specs.get(check_id)
        findings.sort(key=lambda f: (-f.severity.rank, where(f.location), f.location.line or 0))
        worst = max((f.severity for f in findings), key=lambda s: s.rank)
        groups.append(CheckGroup(
            check=check_id, anchor=anchor("check", check_id),
            title=spec.title if spec else findings[0].title,
            severity=worst,
            rationale=spec.rationale if spec else "",
            remedy=spec.remedy if spec else scrub(findings[0].remedy),
            findings=[_finding_view(f, scrub) for f in findings],
        ))
    groups.sort(key=lambda g: (-g.severity.rank, g.check))
    return groups


def _vuln_severity(v: Vulnerability) -> str:
    from iotbaseline.vulns.findings import vulnerability_severity

    return vulnerability_severity(v).value


def _components(components: list[Component]) -> tuple[list[ComponentRow], list[CveRow]]:
    rows: list[ComponentRow] = []
    cves: list[CveRow] = []
    for c in components:
        label = f"{c.name} {c.version}" if c.version else c.name
        comp_anchor = anchor("component", c.ref)
        affected = [v for v in c.vulnerabilities if v.status == "affected"]
        scores = [v.best_score for v in affected if v.best_score is not None]
        rows.append(ComponentRow(
            name=c.name, version=c.version or "", anchor=comp_anchor, kind=c.kind,
            confidence=c.confidence,
            identified_by=[f"{e.method} in {e.path}" + (f" ({e.match})" if e.match else "")
                           for e in c.evidence],
            affected=len(affected), not_affected=len(c.vulnerabilities) - len(affected),
            worst_score=max(scores) if scores else None, kev=sum(1 for v in affected if v.kev),
        ))
        for v in c.vulnerabilities:
            cves.append(CveRow(
                id=v.id, component=label, component_anchor=comp_anchor, score=v.best_score,
                severity=_vuln_severity(v), kev=v.kev, affected=v.status == "affected",
                status_reason=v.status_reason, match=v.match, published=(v.published or "")[:10],
            ))
    rows.sort(key=lambda r: (-(r.worst_score or -1.0), -r.affected, r.name))
    cves.sort(key=lambda r: (not r.affected, not r.kev, -(r.score or -1.0), r.id))
    return rows, cves


def _gaps(assessment: Assessment, scrub: SecretScrubber) -> list[Gap]:
    gaps: list[Gap] = []
    extraction = assessment.extraction
    shown: set[tuple[str | None, str]] = set()
    if extraction is not None:
        for e in extraction.errors:
            place = e.path or ""
            if e.offset is not None:
                place += f" @ 0x{e.offset:x}"
            gaps.append(Gap("extraction error", scrub(place), scrub(f"[{e.stage}] {e.message}")))
            shown.add((e.path, e.message))
        for c in extraction.chunks:
            if c.kind == "unknown":
                size = c.end - c.start
                gaps.append(Gap("unknown data", scrub(f"{c.parent or extraction.input} "
                                                      f"0x{c.start:x}–0x{c.end:x}"),
                                scrub(f"{size} bytes not identified" + (f": {c.note}" if c.note else ""))))
        for limit in extraction.limits_hit:
            gaps.append(Gap("limit hit", "", scrub(limit)))
    for o in assessment.outcomes:
        if o.status is OutcomeStatus.ERROR:
            gaps.append(Gap("check error", o.check, scrub(o.error or o.summary or "crashed")))
    for err in assessment.errors:
        if err.stage == "extract" and (err.path, err.message) in shown:
            continue  # the pipeline mirrors extraction errors into assessment.errors
        gaps.append(Gap(f"error in {err.stage}", scrub(err.path or ""), scrub(err.message)))
    return gaps


def _questions(catalogs: list[CatalogView]) -> list[QuestionItem]:
    items: list[QuestionItem] = []
    for cat in catalogs:
        for row in cat.rows:
            if row.verdict is None:
                continue
            if row.questions or (row.verdict is VerdictValue.INCONCLUSIVE and row.missing):
                items.append(QuestionItem(cat.id, row.id, row.anchor, row.verdict,
                                          row.questions, row.missing))
    return items


def _header(assessment: Assessment, catalogs: dict[str, Catalog]) -> list[tuple[str, str]]:
    t = assessment.target
    product = (assessment.profile or {}).get("product") or {}
    rows: list[tuple[str, str]] = []
    if product:
        name = " ".join(str(product.get(k)) for k in ("vendor", "name") if product.get(k))
        labels = (("model", "model"), ("firmware_version", "firmware"))
        extra = ", ".join(f"{label} {product[k]}" for k, label in labels if product.get(k))
        rows.append(("Product", name + (f" ({extra})" if extra else "")))
    rows.append(("Image", f"{t.name}" + (f" ({t.kind})" if t.kind else "")))
    if t.sha256:
        rows.append(("SHA-256", t.sha256))
    if t.size is not None:
        rows.append(("Size", f"{t.size:,} bytes"))
    rows.append(("Date", assessment.run.started or "unknown"))
    rows.append(("Tool", f"{assessment.tool.name} {assessment.tool.version}"))
    versions = assessment.run.catalogs or {cid: c.version for cid, c in catalogs.items()}
    rows.append(("Catalogs", "; ".join(f"{cid} {ver}" for cid, ver in versions.items()) or "none"))
    profile_path = assessment.run.options.get("profile")
    if assessment.profile is None:
        rows.append(("Profile", "none (conditions inferred from the image where possible)"))
    else:
        rows.append(("Profile", PurePath(str(profile_path)).name if profile_path else "given"))
    return rows


def build_view(assessment: Assessment, catalogs: dict[str, Catalog]) -> ReportView:
    scrub = SecretScrubber(assessment.findings)
    finding_ids = {f.id for f in assessment.findings}
    cat_views: list[CatalogView] = []
    for cid, verdicts in assessment.verdicts.items():
        catalog = catalogs.get(cid)
        if catalog is None:
            continue
        cat_views.append(_catalog_view(catalog, verdicts, finding_ids, scrub))
    severity = Counter(f.severity for f in assessment.findings)
    components, cves = _components(assessment.components)
    ics: list[Any] = []
    if "etsi-en-303-645" in assessment.verdicts and "etsi-en-303-645" in catalogs:
        from iotbaseline.report.ics import ics_rows

        ics = [replace(r, detail=scrub(r.detail)) for r in ics_rows(assessment, catalogs)]
    db = assessment.run.vulnerability_db
    return ReportView(
        title=f"iotbaseline report — {assessment.target.name}",
        target=assessment.target.model_dump(),
        header=_header(assessment, catalogs),
        vuln_db=db,
        vuln_db_missing=db is None,
        vuln_db_warning=str(db.get("warning")) if db and db.get("warning") else None,
        catalogs=cat_views,
        severity_counts=[(s, severity.get(s, 0)) for s in SEVERITY_ORDER],
        check_groups=_check_groups(assessment, scrub),
        components=components,
        cves=cves,
        gaps=_gaps(assessment, scrub),
        questions=_questions(cat_views),
        ics_rows=ics,
        outcome_counts=dict(Counter(o.status.value for o in assessment.outcomes)),
        partitions=_partitions(assessment, scrub),
        platform=_platform(assessment, scrub),
    )


def _partitions(assessment: Assessment, scrub: SecretScrubber) -> list[PartitionRow]:
    extraction = assessment.extraction
    if extraction is None:
        return []
    return [PartitionRow(input=scrub(p.input), format=scrub(p.format), mount_point=p.mount_point or "—",
                         decided_by=scrub(p.decided_by), entries=p.entries)
            for p in extraction.partitions]


def _platform(assessment: Assessment, scrub: SecretScrubber) -> str | None:
    platform = assessment.extraction.platform if assessment.extraction else None
    if platform is None:
        return None
    evidence = f" ({scrub(platform.evidence[0])})" if platform.evidence else ""
    return platform.name + evidence

