"""Findings + check outcomes + probe observations + declarations + profile → one verdict per
requirement of every selected catalog. No per-check code: checks and observations name the
requirements they evidence; declarations are tied to requirements in ``declarations.py``.

Rules (docs/verdicts.md explains them with examples):
1. Group headings get no verdict.
2. NOT_APPLICABLE only where a condition (or level) of the requirement is known not to hold —
   unless a failing finding shows the condition does hold (then FAIL, saying so).
3. FAIL when a finding (severity above info) or a FAIL outcome cites the requirement, or the
   maker declares it not met (a false/rejected declaration, or a 4-1 justification). A finding
   of low confidence, or one that reports an absence ("not found"), never makes FAIL alone: it
   gives INCONCLUSIVE with the question for the maker.
4. PASS only when every kind of evidence the requirement needs is positive: the declarations
   listed for it, and technical evidence (PASS outcome or probe observation) where needed.
5. Otherwise INCONCLUSIVE, listing what is missing and the questions for the manufacturer.
Verdicts are never copied between catalogs; the mapping is shown beside each one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from iotbaseline import __version__
from iotbaseline.assess.applicability import applicability
from iotbaseline.assess.declarations import REQUIREMENT_NEEDS, Need, technically_evidenced
from iotbaseline.assess.profile import Profile
from iotbaseline.assess.readiness import regulation_readiness
from iotbaseline.catalog.model import Catalog, Requirement
from iotbaseline.model import (
    AnalysisError,
    Assessment,
    CheckOutcome,
    Component,
    Evidence,
    ExtractionResult,
    Finding,
    Observation,
    OutcomeStatus,
    RunInfo,
    Severity,
    Target,
    ToolInfo,
    Verdict,
    VerdictValue,
)

Mapper = Callable[[str], list[tuple[str, str]]]
_MAX_CHECK_EVIDENCE = 10  # per outcome; the full list stays in assessment.outcomes
ETSI = "etsi-en-303-645"
RECOMMENDATION_STATUSES = ("R", "RC")


@dataclass
class _Index:
    """Everything that cites a requirement, keyed by ``catalog:id``."""

    findings: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))
    outcomes: dict[str, list[CheckOutcome]] = field(default_factory=lambda: defaultdict(list))
    observations: dict[str, list[Observation]] = field(
        default_factory=lambda: defaultdict(list))
    findings_by_id: dict[str, Finding] = field(default_factory=dict)
    # why the image cannot show absence (no root file system among the inputs), or None
    partial: str | None = None


def _index(findings: Iterable[Finding], outcomes: Iterable[CheckOutcome],
           observations: Iterable[Observation]) -> _Index:
    index = _Index()
    for finding in findings:
        index.findings_by_id[finding.id] = finding
        for ref in dict.fromkeys(finding.provisions):
            index.findings[ref].append(finding)
    for outcome in outcomes:
        for ref in dict.fromkeys(outcome.provisions):
            index.outcomes[ref].append(outcome)
    for observation in observations:
        for ref in dict.fromkeys(observation.provisions):
            index.observations[ref].append(observation)
    return index


# ---- evidence ------------------------------------------------------------------------------


def finding_evidence(finding: Finding) -> list[Evidence]:
    """The finding itself and the file (path, sha256, line) or endpoint it was seen at."""
    loc = finding.location
    excerpt = next((e.excerpt for e in finding.evidence if e.excerpt), None)
    detail = f"{finding.check} [{finding.severity.value}]: {finding.title}"
    if finding.message:
        detail += f" — {finding.message}"
    out = [Evidence(kind="finding", ref=finding.id, detail=detail, sha256=loc.sha256,
                    line=loc.line, excerpt=excerpt)]
    if loc.path:
        where = f"{loc.root}:{loc.path}" if loc.root else loc.path
        out.append(Evidence(kind="file", ref=where, detail=f"seen by finding {finding.id}",
                            sha256=loc.sha256, line=loc.line))
    elif loc.host:
        endpoint = f"{loc.host}:{loc.port}" if loc.port is not None else loc.host
        proto = f"/{loc.protocol}" if loc.protocol else ""
        out.append(Evidence(kind="note", ref=endpoint + proto,
                            detail=f"endpoint of finding {finding.id}"))
    return out


def outcome_evidence(outcome: CheckOutcome) -> list[Evidence]:
    out = [Evidence(kind="check", ref=outcome.check,
                    detail=f"{outcome.status.value}: {outcome.summary or outcome.title}")]
    out.extend(outcome.evidence[:_MAX_CHECK_EVIDENCE])
    hidden = len(outcome.evidence) - _MAX_CHECK_EVIDENCE
    if hidden > 0:
        out.append(Evidence(kind="note", ref=outcome.check,
                            detail=f"{hidden} more items in this check's outcome"))
    return out


def observation_evidence(observation: Observation) -> Evidence:
    return Evidence(kind="observation", ref=observation.id, detail=observation.summary)


# ---- declarations --------------------------------------------------------------------------


def _judge_need(need: Need, profile: Profile | None) -> tuple[bool | None, Evidence | None]:
    """(True satisfied / False declared not met / None not declared, the declaration evidence)."""
    if profile is None:
        return None, None
    value = profile.declaration(need.field)
    if value is None or value == "" or value == []:
        return None, None
    shown = str(value).lower() if isinstance(value, bool) else str(value)
    ev = Evidence(kind="declaration", ref=f"declarations.{need.field}", detail=f"declared: {shown}")
    if isinstance(value, bool):
        return value, ev
    if need.accept or need.reject:
        if str(value) in need.reject:
            return False, ev
        return (True, ev) if str(value) in need.accept else (None, ev)
    if isinstance(value, list) and not value:
        return None, None
    return True, ev


# ---- one requirement -----------------------------------------------------------------------


def is_weak(finding: Finding) -> bool:
    """A low-confidence finding, or one that reports that something was not found: evidence too
    weak to rest a FAIL on (docs/verdicts.md, "Absence is not evidence")."""
    return finding.confidence == "low" or bool(finding.properties.get("absence"))


def _failing(ref: str, index: _Index) -> tuple[list[Finding], list[CheckOutcome]]:
    """Findings that make FAIL, and FAIL outcomes that cite ``ref`` with no finding listed."""
    failing = [f for f in index.findings.get(ref, [])
               if f.severity is not Severity.INFO and not is_weak(f)]
    bare = [o for o in index.outcomes.get(ref, [])
            if o.status is OutcomeStatus.FAIL and not o.findings]
    return failing, bare


def _technical_positive(ref: str, index: _Index) -> tuple[list[Evidence], list[str]]:
    """Evidence for PASS from checks and the probe, and notes on checks that could not decide."""
    positive: list[Evidence] = []
    notes: list[str] = []
    for outcome in index.outcomes.get(ref, []):
        if index.partial and outcome.status in (OutcomeStatus.PASS, OutcomeStatus.FAIL):
            # nothing found in part of a device is not the device's absence (docs/verdicts.md)
            if outcome.status is OutcomeStatus.PASS:
                notes.append(f"check {outcome.check} found nothing, but {index.partial}")
            continue
        if outcome.status is OutcomeStatus.PASS:
            positive.extend(outcome_evidence(outcome))
        elif outcome.status is OutcomeStatus.FAIL and outcome.findings:
            # its findings concern other requirements (a check may cite a subset per finding)
            cited = [fid for fid in outcome.findings
                     if ref in index.findings_by_id.get(fid, Finding(
                         id="", check="", title="", severity=Severity.INFO)).provisions]
            if not cited:
                positive.extend(outcome_evidence(outcome))
        elif outcome.status is OutcomeStatus.NOT_APPLICABLE:
            notes.append(f"check {outcome.check} did not apply to this target: "
                         f"{outcome.summary or 'no reason given'}")
        elif outcome.status is OutcomeStatus.ERROR:
            notes.append(f"check {outcome.check} failed to run: {outcome.error or 'error'}")
    positive.extend(observation_evidence(o) for o in index.observations.get(ref, []))
    # a probe check's outcome already cites its observation: list each item once
    unique = {(e.kind, e.ref, e.detail, e.line): e for e in reversed(positive)}
    return [e for e in positive if unique.get((e.kind, e.ref, e.detail, e.line)) is e], notes


def _join(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def decide(req: Requirement, catalog: Catalog, profile: Profile | None, index: _Index,
           inferred: dict[str, Any]) -> Verdict:
    """The verdict on one requirement (not 4-1, see ``_justification_verdict``)."""
    ref = f"{catalog.id}:{req.id}"
    app = applicability(req, catalog, profile, inferred)
    failing, bare_fails = _failing(ref, index)
    info_findings = [f for f in index.findings.get(ref, []) if f.severity is Severity.INFO]
    weak_findings = [f for f in index.findings.get(ref, [])
                     if f.severity is not Severity.INFO and is_weak(f)]

    if app.state == "not_applicable":
        if failing and app.unmet_conditions:
            return Verdict(
                verdict=VerdictValue.FAIL,
                reason=(f"Findings {_join([f.id for f in failing])} show the requirement's "
                        "condition holds although the profile says otherwise ("
                        + "; ".join(app.unmet_conditions) + "), and that it is not met."),
                evidence=[e for f in failing for e in finding_evidence(f)])
        note = ""
        if failing:
            note = f" {len(failing)} finding(s) cite it but do not apply at this level."
        return Verdict(verdict=VerdictValue.NOT_APPLICABLE, reason=app.reason + note,
                       evidence=[e for f in failing for e in finding_evidence(f)])

    needs = REQUIREMENT_NEEDS.get(ref)
    declaration_needs = needs.declarations if needs else ()
    judged = [(need, *_judge_need(need, profile)) for need in declaration_needs]
    justification = None
    if profile is not None and catalog.id == ETSI:
        justification = profile.declarations.justifications.get(req.id)
    attestation = profile.declarations.attestations.get(ref) if profile is not None else None
    attested = None
    if attestation is not None:
        attested = Evidence(kind="declaration", ref=f"declarations.attestations.{ref}",
                            detail=(f"attested {'met' if attestation.met else 'not met'}: "
                                    f"{attestation.evidence}"))
    # An attestation answers the declaration part of any requirement; technical evidence is
    # still needed wherever a check or the probe could give it (docs/verdicts.md).
    if needs is not None:
        needs_technical = needs.technical
    elif attestation is not None:
        needs_technical = technically_evidenced(ref)
    else:
        needs_technical = True

    # FAIL: a finding, a FAIL outcome, a negative declaration, or "not implemented" declared
    declared_not_met = [(need, ev) for need, ok, ev in judged if ok is False and ev is not None]
    attested_not_met = attestation is not None and not attestation.met
    if failing or bare_fails or declared_not_met or justification or attested_not_met:
        fail_evidence: list[Evidence] = [e for f in failing for e in finding_evidence(f)]
        for outcome in bare_fails:
            fail_evidence.extend(outcome_evidence(outcome))
        fail_evidence.extend(declared for _, declared in declared_not_met)
        parts = []
        if failing:
            parts.append(f"finding(s) {_join([f.id for f in failing])} show it is not met")
        if bare_fails:
            parts.append(f"check(s) {_join([o.check for o in bare_fails])} failed")
        for _, declared in declared_not_met:
            parts.append(f"the maker declares {declared.ref} = "
                         f"{declared.detail.removeprefix('declared: ')}")
        if attested_not_met and attested is not None and attestation is not None:
            fail_evidence.append(attested)
            parts.append(f"the maker attests it is not met ({attestation.evidence})")
        if justification:
            fail_evidence.append(Evidence(kind="declaration", ref=f"declarations.justifications.{req.id}",
                                     detail=justification))
            parts.append(f"declared not implemented, justification: {justification}")
        return Verdict(verdict=VerdictValue.FAIL, reason="Not met: " + "; ".join(parts) + ".",
                       evidence=fail_evidence)

    positive, check_notes = _technical_positive(ref, index)
    evidence = list(positive)
    evidence.extend(ev for _, ok, ev in judged if ok and ev is not None)
    for finding in info_findings:
        evidence.extend(finding_evidence(finding))
    missing: list[str] = []
    questions: list[str] = []
    if attested is not None:
        evidence.append(attested)
    for need, ok, ev in judged:
        if not ok and attested is None:
            if ev is not None:  # declared, but not a value that meets it
                missing.append(f"declaration declarations.{need.field} with a value that meets "
                               f"it ({ev.detail})")
            else:
                missing.append(f"declaration declarations.{need.field}")
            questions.append(need.question)
    if needs_technical and not positive:
        attestable = (not declaration_needs and attested is None and not check_notes
                      and not technically_evidenced(ref))
        if attestable:  # nothing technical can show it: only the maker can answer
            missing.append(f"the maker's attestation declarations.attestations['{ref}'] (no "
                           "firmware check or probe check can show this requirement)")
            questions.append(f"How does the product meet {req.id} "
                             f"({req.summary.rstrip('.')})? Attest it in "
                             f"declarations.attestations['{ref}'] with the evidence it rests on "
                             "(document, test report, review).")
        else:
            missing.append("technical evidence: a firmware check or live-probe observation "
                           "that shows it is met" + (f" ({'; '.join(check_notes)})"
                                                     if check_notes else
                                                     " (no check or observation covers it in "
                                                     "this run)"))
            if not declaration_needs and attested is None:
                questions.append(f"How does the product meet {req.id} "
                                 f"({req.summary.rstrip('.')})? Please provide test evidence.")
    for finding in weak_findings:  # "not found" / low confidence: ask, never FAIL on it alone
        evidence.extend(finding_evidence(finding))
        missing.append(f"confirmation of finding {finding.id} ({finding.title}; "
                       f"{'not found in the image' if finding.properties.get('absence') else 'low confidence'})")
        questions.append(str(finding.properties.get("question") or
                             f"{finding.title}: the image did not settle this ({finding.message[:160]}). "
                             "Is it so on the device, and if not, where is it implemented?"))
    if not missing:
        decided_by = []
        if positive:
            decided_by.append("technical evidence ("
                              + _join(sorted({e.ref for e in positive
                                              if e.kind in ("check", "observation")})) + ")")
        satisfied = [n for n, ok, _ in judged if ok]
        if satisfied:
            decided_by.append("the maker's declaration of " + _join(
                [f"declarations.{n.field}" for n in satisfied]))
        if attested is not None:
            decided_by.append(f"the maker's attestation ({attested.ref})")
        return Verdict(verdict=VerdictValue.PASS,
                       reason="Met, on " + " and ".join(decided_by) + ".", evidence=evidence)
    missing.extend(app.missing)
    questions.extend(q for q in app.questions if q not in questions)
    return Verdict(verdict=VerdictValue.INCONCLUSIVE,
                   reason="Not decided: missing " + "; ".join(missing) + ".",
                   evidence=evidence, missing=missing, questions=questions)


def _justification_verdict(catalog: Catalog, verdicts: dict[str, Verdict],
                           profile: Profile | None) -> Verdict:
    """ETSI 4-1: every recommendation not met must carry a justification."""
    justifications = profile.declarations.justifications if profile is not None else {}
    recommendations = [r for r in catalog.requirements
                       if r.status in RECOMMENDATION_STATUSES and r.id in verdicts]
    not_met = [r.id for r in recommendations
               if verdicts[r.id].verdict is VerdictValue.FAIL]
    undecided = [r.id for r in recommendations
                 if verdicts[r.id].verdict is VerdictValue.INCONCLUSIVE]
    unjustified = [rid for rid in not_met if rid not in justifications]
    evidence = [Evidence(kind="declaration", ref=f"declarations.justifications.{rid}",
                         detail=justifications[rid]) for rid in not_met if rid in justifications]
    if unjustified:
        # the FAIL rests on those verdicts: cite each one (a FAIL with no evidence at all was shown)
        evidence += [Evidence(kind="note", ref=f"{catalog.id}:{rid}",
                              detail=f"recommendation {rid} is FAIL and "
                                     f"declarations.justifications.{rid} is not given")
                     for rid in unjustified]
        return Verdict(verdict=VerdictValue.FAIL,
                       reason=("Recommendations not met without a recorded justification: "
                               + ", ".join(unjustified) + "."),
                       evidence=evidence,
                       questions=[f"Why is recommendation {rid} not implemented?"
                                  for rid in unjustified])
    if undecided:
        return Verdict(
            verdict=VerdictValue.INCONCLUSIVE,
            reason=("Not decided: it is not known whether recommendations "
                    f"{_join(undecided, 8)} are met, so it is not known whether each one not met "
                    "has a justification."),
            evidence=evidence,
            missing=["verdicts on recommendations " + ", ".join(undecided),
                     "for each recommendation not implemented: declarations.justifications"],
            questions=[("For every recommendation the product does not implement, why not? "
                       "(declarations.justifications)")])
    return Verdict(verdict=VerdictValue.PASS,
                   reason=(f"Every recommendation is met or not applicable, or its justification is "
                           f"recorded ({len(not_met)} justified)."),
                   evidence=evidence or [Evidence(kind="note", ref=f"{catalog.id}:verdicts",
                                                  detail="all recommendations met or N/A")])


def _default_mapper() -> Mapper:
    try:
        from iotbaseline.catalog.loader import CatalogError, mapped
    except ImportError:  # loader not installed: show no mapping rather than fail
        return lambda ref: []

    def safe(ref: str) -> list[tuple[str, str]]:
        try:
            return mapped(ref)
        except CatalogError:
            return []

    return safe


def assess(
    catalogs: dict[str, Catalog],
    profile: Profile | None,
    findings: list[Finding],
    outcomes: list[CheckOutcome],
    observations: list[Observation],
    components: list[Component],
    inferred: dict[str, Any],
    mapper: Mapper | None = None,
    partial: str | None = None,
) -> dict[str, dict[str, Verdict]]:
    """``{catalog: {requirement: Verdict}}`` for every non-group requirement.

    ``components`` are context only: vulnerable components arrive as IOTB-VULN-* findings.
    ``partial`` (see ``partial_image``) says why check outcomes cannot show absence: then no
    PASS outcome is evidence that a requirement is met.
    """
    del components
    mapper = mapper or _default_mapper()
    index = _index(findings, outcomes, observations)
    index.partial = partial
    result: dict[str, dict[str, Verdict]] = {}
    # baselines first: the regulation views are derived from their verdicts (assess.regulation)
    for catalog_id, catalog in catalogs.items():
        if catalog.regulation is None:
            result[catalog_id] = _assess_catalog(catalog, profile, index, inferred or {})
    for catalog_id, catalog in catalogs.items():
        if catalog.regulation is not None:
            result[catalog_id] = _assess_regulation(catalog, profile, index, inferred or {},
                                                    result, mapper)
    result = {cid: result[cid] for cid in catalogs}
    for catalog_id, ordered in result.items():
        for req_id, verdict in ordered.items():
            verdict.mapped = [other for other, _ in mapper(f"{catalog_id}:{req_id}")]
    return result


def _assess_catalog(catalog: Catalog, profile: Profile | None, index: _Index,
                    inferred: dict[str, Any]) -> dict[str, Verdict]:
    """Every requirement of one baseline from the evidence that cites it, in catalog order."""
    verdicts: dict[str, Verdict] = {}
    for req in catalog.requirements:
        if req.is_group or (catalog.id == ETSI and req.id == "4-1"):
            continue
        verdicts[req.id] = decide(req, catalog, profile, index, inferred)
    if catalog.id == ETSI and any(r.id == "4-1" for r in catalog.requirements):
        verdicts["4-1"] = _justification_verdict(catalog, verdicts, profile)
    return {r.id: verdicts[r.id] for r in catalog.requirements if r.id in verdicts}


def _assess_regulation(catalog: Catalog, profile: Profile | None, index: _Index,
                       inferred: dict[str, Any], decided: dict[str, dict[str, Verdict]],
                       mapper: Mapper) -> dict[str, Verdict]:
    """A regulation view: each requirement's own evidence combined with the verdicts of the
    basis baselines mapped to it (assessed here, unreported, when not selected)."""
    from iotbaseline.assess.regulation import combine, mapped_verdicts
    from iotbaseline.catalog.loader import load_catalog

    assert catalog.regulation is not None
    basis = catalog.regulation.basis
    for basis_id in basis:
        if basis_id not in decided:
            decided[basis_id] = _assess_catalog(load_catalog(basis_id), profile, index,
                                                inferred)
    verdicts: dict[str, Verdict] = {}
    for req in catalog.requirements:
        if req.is_group:
            continue
        ref = f"{catalog.id}:{req.id}"
        own = decide(req, catalog, profile, index, inferred)
        app = applicability(req, catalog, profile, inferred)
        verdicts[req.id] = combine(
            req, catalog, own, mapped_verdicts(ref, basis, decided, mapper),
            directly_evidenced=technically_evidenced(ref) or ref in index.findings,
            open_conditions=(app.missing, app.questions) if app.state == "unknown" else ([], []))
    return verdicts


def partial_image(extraction: ExtractionResult | None) -> str | None:
    """Why the scanned image is only part of the device, or None: partitions of which none is
    the root file system (an app or config partition alone), or an image whose trees have none
    of a root's directories. A check that finds no telnet there has not looked at the device's
    start-up at all. RTOS and bare-metal images (no trees) are whole images."""
    from iotbaseline.extract.roots import MIN_SCORE

    if extraction is None or not extraction.roots:
        return None
    if any(r.score >= MIN_SCORE for r in extraction.roots):
        if not extraction.partitions or any(p.mount_point == "/" for p in extraction.partitions):
            return None
    mounted = [f"{p.input} at {p.mount_point}" for p in extraction.partitions if p.mount_point]
    where = f" (inputs: {', '.join(mounted)})" if mounted else ""
    return ("the image holds no root file system" + where + ": what is absent here may be in "
            "the parts not scanned")


def unknown_citations(catalogs: dict[str, Catalog], findings: Iterable[Finding],
                      outcomes: Iterable[CheckOutcome],
                      observations: Iterable[Observation]) -> list[AnalysisError]:
    """Citations of requirements that do not exist in a selected catalog: reported, not lost."""
    known = {f"{cid}:{r.id}" for cid, cat in catalogs.items() for r in cat.requirements}
    errors: dict[str, AnalysisError] = {}
    for what, items in (("finding", findings), ("check", outcomes),
                        ("observation", observations)):
        for item in items:
            name = getattr(item, "id", None) or getattr(item, "check", "")
            for ref in item.provisions:
                catalog_id = ref.partition(":")[0]
                if catalog_id in catalogs and ref not in known:
                    errors.setdefault(f"{name}|{ref}", AnalysisError(
                        stage="assess",
                        message=f"{what} {name} cites {ref}, which is not in the catalog"))
    return list(errors.values())


def build_assessment(
    catalogs: dict[str, Catalog],
    profile: Profile | None,
    findings: list[Finding] | None = None,
    outcomes: list[CheckOutcome] | None = None,
    observations: list[Observation] | None = None,
    components: list[Component] | None = None,
    inferred: dict[str, Any] | None = None,
    *,
    target: Target | None = None,
    extraction: ExtractionResult | None = None,
    errors: list[AnalysisError] | None = None,
    options: dict[str, Any] | None = None,
    stage_seconds: dict[str, float] | None = None,
    vulnerability_db: dict[str, Any] | None = None,
    started: str | None = None,
    mapper: Mapper | None = None,
) -> Assessment:
    """The whole assessment.json model: verdicts plus everything they rest on."""
    findings = list(findings or [])
    outcomes = list(outcomes or [])
    observations = list(observations or [])
    components = list(components or [])
    inferred = dict(inferred or {})
    verdicts = assess(catalogs, profile, findings, outcomes, observations, components, inferred,
                      mapper=mapper, partial=partial_image(extraction))
    if target is None:
        name = profile.product.name if profile is not None else "unknown"
        target = Target(name=name, kind="profile-only")
    return Assessment(
        tool=ToolInfo(version=__version__),
        target=target,
        profile=profile.model_dump(mode="json", by_alias=True) if profile is not None else None,
        run=RunInfo(
            started=started or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            options=options or {},
            catalogs={cid: cat.version for cid, cat in catalogs.items()},
            vulnerability_db=vulnerability_db,
            stage_seconds=stage_seconds or {},
        ),
        extraction=extraction,
        findings=findings,
        outcomes=outcomes,
        observations=observations,
        components=components,
        verdicts=verdicts,
        inferred=inferred,
        errors=[*(errors or []), *unknown_citations(catalogs, findings, outcomes, observations)],
        readiness=regulation_readiness(catalogs, verdicts),
    )
