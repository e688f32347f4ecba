"""The ETSI EN 303 645 implementation conformance statement: Annex B Table B.1 filled in from
the verdicts, as Markdown and CSV.

Support column: PASS → Y, FAIL → N, NOT_APPLICABLE → N/A, INCONCLUSIVE → ? (Table B.1 has no
symbol for "not yet decided"; the Detail column then says what is missing). For every
recommendation (R/RC) not met, Detail carries the 4-1 justification from the profile's
``declarations.justifications``, or "justification required (4-1)" when there is none.
Rendered from the assessment alone (the profile is read from ``assessment.profile``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from iotbaseline.catalog.model import Catalog, Requirement
from iotbaseline.model import Assessment, Evidence, Verdict, VerdictValue

ETSI = "etsi-en-303-645"
SUPPORT = {
    VerdictValue.PASS: "Y",
    VerdictValue.FAIL: "N",
    VerdictValue.NOT_APPLICABLE: "N/A",
    VerdictValue.INCONCLUSIVE: "?",
}
JUSTIFICATION_REQUIRED = "justification required (4-1)"
_EVIDENCE_SHOWN = 6


@dataclass(frozen=True)
class IcsRow:
    clause: str
    provision: str
    status: str  # "MC (1)"
    conditions: str  # "1" / "11, 12"
    support: str  # Y / N / N/A / ?
    verdict: str
    detail: str


def _status(req: Requirement) -> str:
    status = req.status or ""
    return f"{status} ({', '.join(req.conditions)})" if req.conditions else status


def _justifications(assessment: Assessment) -> dict[str, str]:
    profile: dict[str, Any] = assessment.profile or {}
    declarations = profile.get("declarations") or {}
    found = declarations.get("justifications") or {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def _evidence_summary(evidence: list[Evidence]) -> str:
    parts: list[str] = []
    for ev in evidence:
        if ev.kind == "file":
            text = f"file {ev.ref}" + (f" (sha256 {ev.sha256[:12]}…)" if ev.sha256 else "")
        elif ev.kind == "declaration":
            text = f"{ev.ref}: {ev.detail.removeprefix('declared: ')}"
        elif ev.kind in ("finding", "check", "observation"):
            text = f"{ev.kind} {ev.ref}"
        else:
            continue
        if text not in parts:
            parts.append(text)
    shown = parts[:_EVIDENCE_SHOWN]
    if len(parts) > len(shown):
        shown.append(f"{len(parts) - len(shown)} more in assessment.json")
    return "; ".join(shown)


def _detail(req: Requirement, verdict: Verdict | None, justification: str | None) -> str:
    if verdict is None:
        return "not assessed (catalog not selected)"
    pieces: list[str] = []
    if verdict.verdict is VerdictValue.INCONCLUSIVE:
        pieces.append("Undecided; missing: " + "; ".join(verdict.missing or ["evidence"]))
    else:
        pieces.append(verdict.reason)
    summary = _evidence_summary(verdict.evidence)
    if summary and verdict.verdict is not VerdictValue.NOT_APPLICABLE:
        pieces.append("Evidence: " + summary)
    recommendation = (req.status or "").startswith("R")
    if verdict.verdict is VerdictValue.FAIL and recommendation:
        pieces.append(f"Justification (4-1): {justification}" if justification
                      else JUSTIFICATION_REQUIRED)
    elif justification and f"justification: {justification}" not in verdict.reason:
        pieces.append(f"Justification (4-1): {justification}")
    return " ".join(p if p.endswith(".") else p + "." for p in pieces)


def ics_rows(assessment: Assessment, catalogs: dict[str, Catalog]) -> Iterator[IcsRow]:
    """One row per ETSI provision (68), in the catalog's order."""
    catalog = catalogs.get(ETSI)
    if catalog is None:
        from iotbaseline.catalog.loader import load_catalog

        catalog = load_catalog(ETSI)
    verdicts = assessment.verdicts.get(ETSI, {})
    justifications = _justifications(assessment)
    for req in catalog.requirements:
        if req.is_group:
            continue
        verdict = verdicts.get(req.id)
        yield IcsRow(
            clause=req.clause or req.chapter or "",
            provision=req.id,
            status=_status(req),
            conditions=", ".join(req.conditions),
            support=SUPPORT[verdict.verdict] if verdict else "?",
            verdict=verdict.verdict.value if verdict else "",
            detail=_detail(req, verdict, justifications.get(req.id)),
        )


CSV_HEADER = ("clause", "provision", "status", "conditions", "support", "verdict", "detail")


def render_ics_csv(assessment: Assessment, catalogs: dict[str, Catalog]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in ics_rows(assessment, catalogs):
        writer.writerow((row.clause, row.provision, row.status, row.conditions, row.support,
                         row.verdict, row.detail))
    return out.getvalue()


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def _condition_lines(assessment: Assessment, catalog: Catalog) -> list[str]:
    """Each Table B.1 condition with the answer used (profile, firmware inference, implied)."""
    from pydantic import ValidationError

    from iotbaseline.assess.applicability import answer
    from iotbaseline.assess.profile import Profile

    try:
        profile = Profile.model_validate(assessment.profile) if assessment.profile else None
    except ValidationError:
        profile = None
    lines = []
    for cond in catalog.conditions:
        shown = "no profile field"
        if cond.profile_field:
            ans = answer(cond.profile_field, profile, assessment.inferred)
            if ans.value is None:
                state = "unknown"
            else:
                state = "holds" if ans.value != cond.negated else "does not hold"
            shown = f"{state} ({ans.conflict or ans.source})"
        negation = " (holds when false)" if cond.negated else ""
        lines.append(f"| {cond.id} | {_cell(cond.summary)} | `{cond.profile_field}`{negation} | "
                     f"{_cell(shown)} |")
    return lines


def render_ics_markdown(assessment: Assessment, catalogs: dict[str, Catalog]) -> str:
    catalog = catalogs.get(ETSI)
    if catalog is None:
        from iotbaseline.catalog.loader import load_catalog

        catalog = load_catalog(ETSI)
    rows = list(ics_rows(assessment, catalogs))
    counts = {s: sum(1 for r in rows if r.support == s) for s in ("Y", "N", "N/A", "?")}
    target = assessment.target
    lines = [
        "# Implementation conformance statement — ETSI EN 303 645 Table B.1",
        "",
        f"- Product: {target.name}" + (f" ({target.kind})" if target.kind else ""),
        f"- Catalog: {catalog.title} {catalog.version}",
        f"- Tool: {assessment.tool.name} {assessment.tool.version}"
        + (f", run {assessment.run.started}" if assessment.run.started else ""),
        (f"- Support: {counts['Y']} Y, {counts['N']} N, {counts['N/A']} N/A, "
        f"{counts['?']} undecided (?)"),
        "",
        ("Support: **Y** supported (PASS), **N** not supported (FAIL), **N/A** not applicable "
        "(a condition of the provision does not hold), **?** not yet decided (INCONCLUSIVE: the "
        "Detail column says which evidence or declaration is missing). Status: M mandatory, "
        "R recommended, MC/RC conditional, with the condition numbers in brackets."),
        "",
        "| Clause | Provision | Status | Support | Detail |",
        "|---|---|---|---|---|",
    ]
    titles = {c.id: c.title for c in catalog.chapters}
    current = None
    for row in rows:
        if row.clause != current:
            current = row.clause
            lines.append(f"| **{_cell(current)}** | **{_cell(titles.get(current, ''))}** | | | |")
        lines.append(f"| {_cell(row.clause)} | {_cell(row.provision)} | {_cell(row.status)} | "
                     f"{row.support} | {_cell(row.detail)} |")
    lines += [
        "",
        "## Conditions (Table B.1)",
        "",
        "| No. | Condition | Profile field | Holds? |",
        "|---|---|---|---|",
        *_condition_lines(assessment, catalog),
        "",
    ]
    return "\n".join(lines)
