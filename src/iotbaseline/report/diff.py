"""What changed between two assessments of a product (two firmware releases, or before/after a
fix): verdicts that got worse or better, new and fixed findings, components added, removed or
re-versioned, CVEs introduced and fixed.

Findings are matched by ``report.fingerprint.finding_key`` (check + place + message), never by
their run-local ids; a check's one location-less summary finding matches the other run's. Verdicts are ordered FAIL < INCONCLUSIVE < PASS; a change to or from
NOT_APPLICABLE is a change of scope, listed apart and never counted as a regression.
A regression is a verdict that got worse, a new finding, or a CVE introduced.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from iotbaseline.model import Assessment, Component, Finding, Severity, VerdictValue
from iotbaseline.report.fingerprint import SecretScrubber, finding_key, where
from iotbaseline.vulns.versions import compare_versions

AGGREGATE = "<summary of the check>"
VERDICT_RANK = {VerdictValue.FAIL: 0, VerdictValue.INCONCLUSIVE: 1, VerdictValue.PASS: 2}

ChangeKind = Literal["worse", "better", "scope"]


@dataclass(frozen=True)
class VerdictChange:
    catalog: str
    requirement: str
    old: VerdictValue | None  # None: not assessed in the old run
    new: VerdictValue | None
    kind: ChangeKind
    new_reason: str = ""


@dataclass(frozen=True)
class FindingChange:
    check: str
    title: str
    severity: Severity
    where: str
    line: int | None
    message: str
    id: str  # id in the run it comes from (new run for new findings, old run for fixed ones)


@dataclass(frozen=True)
class ComponentChange:
    name: str
    old_versions: tuple[str, ...]
    new_versions: tuple[str, ...]
    kind: Literal["added", "removed", "upgraded", "downgraded", "changed"]


@dataclass(frozen=True)
class CveChange:
    id: str
    component: str  # name and version in the run it comes from
    score: float | None
    kev: bool


@dataclass(frozen=True)
class TargetSummary:
    name: str
    sha256: str | None
    started: str | None
    tool_version: str


@dataclass
class AssessmentDiff:
    old: TargetSummary
    new: TargetSummary
    worse: list[VerdictChange] = field(default_factory=list)
    better: list[VerdictChange] = field(default_factory=list)
    scope: list[VerdictChange] = field(default_factory=list)  # to/from N/A, added/removed ids
    new_findings: list[FindingChange] = field(default_factory=list)
    fixed_findings: list[FindingChange] = field(default_factory=list)
    components: list[ComponentChange] = field(default_factory=list)
    cves_introduced: list[CveChange] = field(default_factory=list)
    cves_fixed: list[CveChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> bool:
        return bool(self.worse or self.new_findings or self.cves_introduced)

    def components_of(self, kind: str) -> list[ComponentChange]:
        return [c for c in self.components if c.kind == kind]


def _summary(a: Assessment) -> TargetSummary:
    return TargetSummary(a.target.name, a.target.sha256, a.run.started, a.tool.version)


def _verdict_changes(old: Assessment, new: Assessment, diff: AssessmentDiff) -> None:
    for catalog in sorted(set(old.verdicts) | set(new.verdicts)):
        if catalog not in old.verdicts or catalog not in new.verdicts:
            diff.notes.append(f"catalog {catalog} assessed only in the "
                              f"{'new' if catalog in new.verdicts else 'old'} run; not compared")
            continue
        before, after = old.verdicts[catalog], new.verdicts[catalog]
        for req in [*before, *(r for r in after if r not in before)]:
            o = before[req].verdict if req in before else None
            n = after[req].verdict if req in after else None
            if o == n:
                continue
            reason = after[req].reason if req in after else ""
            if o in VERDICT_RANK and n in VERDICT_RANK:
                kind: ChangeKind = "worse" if VERDICT_RANK[n] < VERDICT_RANK[o] else "better"
            else:
                kind = "scope"
            change = VerdictChange(catalog, req, o, n, kind, reason)
            {"worse": diff.worse, "better": diff.better, "scope": diff.scope}[kind].append(change)


def _finding_change(f: Finding, scrub: SecretScrubber) -> FindingChange:
    return FindingChange(f.check, f.title, f.severity, where(f.location), f.location.line,
                         scrub.for_finding(f)(f.message), f.id)


def _keys(findings: list[Finding], scrub: SecretScrubber) -> list[tuple[str, str, str]]:
    """``finding_key`` per finding, except a check's single location-less finding (its summary,
    e.g. "2 of 3 other ELF files…"), which matches the other run's summary whatever it says."""
    placeless = Counter(f.check for f in findings if not where(f.location))
    return [(f.check, "", AGGREGATE) if not where(f.location) and placeless[f.check] == 1
            else finding_key(f, scrub) for f in findings]


def _grouped_paths(f: Finding) -> list[str]:
    """Files a grouped finding stands for (checks report minor files as one finding)."""
    paths = f.properties.get("paths") if not where(f.location) else None
    return [p for p in paths if isinstance(p, str)] if isinstance(paths, list) else []


def _paths_by_check(findings: list[Finding]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(check, file) pairs named by any finding, and those named by grouped findings only."""
    located = {(f.check, f.location.path) for f in findings if f.location.path}
    grouped = {(f.check, p) for f in findings for p in _grouped_paths(f)}
    return located | grouped, grouped


def _unmatched(findings: list[Finding], keys: list[tuple[str, str, str]],
               other: list[Finding], other_keys: list[tuple[str, str, str]]) -> list[Finding]:
    """Findings of one run with no counterpart in the other. A file that moves between a
    per-file finding and a check's grouped finding (e.g. a binary that stopped being
    network-facing) is the same problem, not a new or a fixed one."""
    other_set = set(other_keys)
    other_paths, other_grouped = _paths_by_check(other)
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for f, key in zip(findings, keys):
        grouped = _grouped_paths(f)
        if grouped:
            if all((f.check, p) in other_paths for p in grouped):
                continue
        elif key in other_set or (f.location.path and (f.check, f.location.path) in other_grouped):
            continue
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _finding_changes(old: Assessment, new: Assessment, diff: AssessmentDiff) -> None:
    old_scrub, new_scrub = SecretScrubber(old.findings), SecretScrubber(new.findings)
    # compare with both runs' secrets redacted the same way
    both = SecretScrubber([*old.findings, *new.findings])
    old_keys, new_keys = _keys(old.findings, both), _keys(new.findings, both)
    diff.new_findings.extend(_finding_change(f, new_scrub)
                             for f in _unmatched(new.findings, new_keys, old.findings, old_keys))
    diff.fixed_findings.extend(_finding_change(f, old_scrub)
                               for f in _unmatched(old.findings, old_keys, new.findings, new_keys))
    order = lambda c: (-c.severity.rank, c.check, c.where, c.line or 0)
    diff.new_findings.sort(key=order)
    diff.fixed_findings.sort(key=order)


def _versions(components: list[Component]) -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = {}
    for c in components:
        out.setdefault(c.name.lower(), set()).add(c.version or "")
    return {name: tuple(sorted(v)) for name, v in out.items()}


def _component_changes(old: Assessment, new: Assessment, diff: AssessmentDiff) -> None:
    before, after = _versions(old.components), _versions(new.components)
    for name in sorted(set(before) | set(after)):
        o, n = before.get(name, ()), after.get(name, ())
        if o == n:
            continue
        if not o:
            kind: Literal["added", "removed", "upgraded", "downgraded", "changed"] = "added"
        elif not n:
            kind = "removed"
        elif len(o) == 1 and len(n) == 1 and o[0] and n[0]:
            order = compare_versions(n[0], o[0])
            kind = "upgraded" if order > 0 else "downgraded" if order < 0 else "changed"
        else:
            kind = "changed"
        diff.components.append(ComponentChange(name, o, n, kind))


def _cves(a: Assessment) -> dict[tuple[str, str], CveChange]:
    out: dict[tuple[str, str], CveChange] = {}
    for c in a.components:
        label = f"{c.name} {c.version}" if c.version else c.name
        for v in c.vulnerabilities:
            if v.status == "affected":
                out.setdefault((v.id, c.name.lower()), CveChange(v.id, label, v.best_score, v.kev))
    return out


def _cve_changes(old: Assessment, new: Assessment, diff: AssessmentDiff) -> None:
    if (old.run.vulnerability_db is None) != (new.run.vulnerability_db is None):
        diff.notes.append("only one of the runs used a vulnerability database: "
                          "CVE changes partly reflect that, not the firmware")
    before, after = _cves(old), _cves(new)
    order = lambda c: (not c.kev, -(c.score or 0.0), c.id)
    diff.cves_introduced = sorted((after[k] for k in after.keys() - before.keys()), key=order)
    diff.cves_fixed = sorted((before[k] for k in before.keys() - after.keys()), key=order)


def diff_assessments(old: Assessment, new: Assessment) -> AssessmentDiff:
    """Compare two assessments; ``old`` is the baseline, ``new`` the candidate."""
    diff = AssessmentDiff(old=_summary(old), new=_summary(new))
    _verdict_changes(old, new, diff)
    _finding_changes(old, new, diff)
    _component_changes(old, new, diff)
    _cve_changes(old, new, diff)
    return diff
