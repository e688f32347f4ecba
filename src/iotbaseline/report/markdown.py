"""The Markdown report: the HTML report's content for pull requests, wikis and tickets.

Same view as the HTML report (``report.view``). Every text from the firmware goes through
``md_text``: Markdown renderers pass inline HTML through, so ``<``, ``>`` and ``&`` are
escaped as entities, and table cells get their pipes and newlines neutralised.
"""

from __future__ import annotations

import re

from iotbaseline.catalog.model import Catalog
from iotbaseline.model import Assessment, BlockingRequirement, Readiness
from iotbaseline.report.view import VERDICT_LABEL, VERDICT_ORDER, ReportView, build_view

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")
MAX_EVIDENCE = 4


def md_text(text: str | None) -> str:
    """Hostile text made inert for a Markdown table cell or paragraph."""
    if not text:
        return ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return " ".join(text.split())


def _code(text: str) -> str:
    """Inline code (Markdown shows its content literally) that no backtick inside can close;
    only used outside tables."""
    text = " ".join(text.split())
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def _header(view: ReportView) -> list[str]:
    lines = [f"# Security baseline report — {md_text(view.target['name'])}", ""]
    lines += [f"- **{label}:** {md_text(value)}" for label, value in view.header]
    lines.append("")
    if view.vuln_db_missing:
        lines += [("> **Warning — no vulnerability database was used:** components were NOT checked "
                   "against known CVEs. Import data with `iotbaseline db import` and scan again."), ""]
    elif view.vuln_db_warning:
        lines += [f"> **Vulnerability data:** {md_text(view.vuln_db_warning)}", ""]
    return lines


def _glance(view: ReportView) -> list[str]:
    lines = ["## At a glance", "", "| Catalog | PASS | FAIL | INCONCLUSIVE | N/A | decided by evidence |",
             "|---|---:|---:|---:|---:|---|"]
    for c in view.catalogs:
        counts = " | ".join(str(c.counts[v]) for v in VERDICT_ORDER)
        lines.append(f"| {md_text(c.title)} {md_text(c.version)} | {counts} | "
                     f"{c.decided_by_evidence} of {c.total} ({c.decided_by_declaration} on declarations only) |")
    sev = ", ".join(f"{n} {s.value}" for s, n in view.severity_counts)
    lines += ["", f"Findings: {view.total_findings} ({sev}).", ""]
    return lines


def _blocker_line(b: BlockingRequirement) -> str:
    """One blocking requirement: its verdict, why, and the evidence (or what is missing)."""
    shown = [f"{e.kind} {_code(e.ref + (f':{e.line}' if e.line else ''))}" for e in b.evidence[:MAX_EVIDENCE]]
    more = f"; {len(b.evidence) - MAX_EVIDENCE} more" if len(b.evidence) > MAX_EVIDENCE else ""
    missing = f" Missing: {md_text('; '.join(b.missing))}." if b.missing and not b.evidence else ""
    title = f" {md_text(b.title)}" if b.title else ""
    seen = f" Evidence: {'; '.join(shown)}{more}." if shown else ""
    return f"- **{b.verdict.value}** {md_text(b.ref)}{title}: {md_text(b.reason)}{missing}{seen}"


def _readiness(items: list[Readiness]) -> list[str]:
    """Per regulation, the readiness answer and every requirement that blocks it (the terminal
    shows the first few; a report for a ticket or a pull request shows them all)."""
    if not items:
        return []
    lines = ["## Regulation readiness", "",
             "The evidence's reading of each regulation, not a legal decision.", "",
             "| Regulation | Applies from | Status | Why |", "|---|---|---|---|"]
    for r in items:
        lines.append(f"| {md_text(r.name)} | {md_text(r.applies_from)} | **{r.status.value}** | "
                     f"{md_text(r.summary)} |")
    lines.append("")
    for r in items:
        if r.blocking:
            lines += [f"### {md_text(r.name)}: what blocks it", ""]
            lines += [_blocker_line(b) for b in r.blocking]
            lines.append("")
    return lines


def _catalogs(view: ReportView) -> list[str]:
    lines = ["## Requirements", "",
             "Requirement texts are our own paraphrases (ISVS: its licensed text).", ""]
    for c in view.catalogs:
        lines += [f"### {md_text(c.title)} {md_text(c.version)}", "",
                  "| ID | Requirement | Status | Verdict | Reason | Evidence |", "|---|---|---|---|---|---|"]
        for r in c.rows:
            evidence = "; ".join(f"{e.kind} {md_text(e.label)}" for e in r.evidence[:MAX_EVIDENCE])
            if len(r.evidence) > MAX_EVIDENCE:
                evidence += f"; {len(r.evidence) - MAX_EVIDENCE} more"
            extra = [m for m in r.missing if m not in r.reason]  # not what the reason already says
            reason = r.reason + (f" Missing: {'; '.join(extra)}" if extra else "")
            summary = f"{r.title}: {r.summary}" if r.title else r.summary
            lines.append(f"| {md_text(r.id)} | {md_text(summary)} | {md_text(r.status)} | "
                         f"**{r.verdict_label}** | {md_text(reason)} | {evidence} |")
        lines.append("")
    return lines


def _findings(view: ReportView) -> list[str]:
    lines = ["## Findings", ""]
    if not view.check_groups:
        return lines + ["No findings.", ""]
    for g in view.check_groups:
        lines += [f"### {md_text(g.title)} ({g.check}, {g.severity.value})", ""]
        if g.rationale:
            lines.append(f"Why it matters: {md_text(g.rationale)}  ")
        if g.remedy:
            lines.append(f"Remedy: {md_text(g.remedy)}")
        lines.append("")
        for f in g.findings:
            place = f" at {_code(f.where + (f':{f.line}' if f.line else ''))}" if f.where else ""
            lines.append(f"- **{f.severity.value}** {f.id}{place}: {md_text(f.message)}")
            for x in f.excerpts:
                lines.append(f"  - excerpt: {_code(x)}")
            if f.redacted:  # the HTML report shows it too; the full value only with --show-secrets
                lines.append(f"  - secret value (redacted): {_code(f.redacted)}")
            if f.provenance:
                lines.append(f"  - provenance: {' → '.join(md_text(p) for p in f.provenance)}")
        lines.append("")
    return lines


def _components(view: ReportView) -> list[str]:
    lines = ["## Components and CVEs", ""]
    if view.vuln_db_missing:
        lines += ["Not matched against CVEs (no vulnerability database).", ""]
    if view.components:
        lines += ["| Component | Version | CVEs | Worst CVSS | KEV | Identified by |", "|---|---|---:|---:|---:|---|"]
        for c in view.components:
            worst = f"{c.worst_score:.1f}" if c.worst_score is not None else "–"
            extra = f" (+{c.not_affected} not affected: kernel config)" if c.not_affected else ""
            lines.append(f"| {md_text(c.name)} | {md_text(c.version or '?')} | {c.affected}{extra} | {worst} | "
                         f"{c.kev} | {md_text('; '.join(c.identified_by))} |")
        lines.append("")
    if view.cves:
        lines += ["| CVE | Component | CVSS | KEV | Status |", "|---|---|---:|---|---|"]
        for r in view.cves:
            score = f"{r.score:.1f}" if r.score is not None else "–"
            status = "affected" if r.affected else f"not affected: kernel config {md_text(r.status_reason)}"
            lines.append(f"| {r.id} | {md_text(r.component)} | {score} | {'KEV' if r.kev else ''} | {status} |")
        lines.append("")
    return lines


def _gaps_and_questions(view: ReportView) -> list[str]:
    lines = ["## What we could not analyse", ""]
    if not view.gaps:
        lines += ["Nothing: every part of the input was identified and every check ran.", ""]
    for g in view.gaps:
        where = f" {_code(g.where)}" if g.where else ""
        lines.append(f"- **{md_text(g.category)}**{where}: {md_text(g.message)}")
    lines += ["", "## Questions for the manufacturer", ""]
    if not view.questions:
        lines += ["None: every requirement was decided.", ""]
    for q in view.questions:
        asked = " ".join(md_text(t) for t in q.questions)
        missing = f" (missing: {md_text('; '.join(q.missing))})" if q.missing else ""
        lines.append(f"- {md_text(q.catalog)} {md_text(q.requirement)} [{VERDICT_LABEL[q.verdict]}]: "
                     f"{asked}{missing}")
    lines.append("")
    return lines


def render_markdown(assessment: Assessment, catalogs: dict[str, Catalog]) -> str:
    view = build_view(assessment, catalogs)
    parts = (_header(view) + _glance(view) + _readiness(assessment.readiness) + _catalogs(view) + _findings(view)
             + _components(view) + _gaps_and_questions(view))
    return "\n".join(parts)

