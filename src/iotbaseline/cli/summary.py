"""The end-of-run summary table shared by `scan` and `demo`, and the --fail-on rule."""

from __future__ import annotations

from collections import Counter

from rich.markup import escape
from rich.table import Table

from iotbaseline.cli.common import console, err_console
from iotbaseline.model import (
    Assessment,
    BlockingRequirement,
    Finding,
    ReadinessStatus,
    Severity,
    VerdictValue,
)

_READINESS_STYLE = {ReadinessStatus.READY: "green", ReadinessStatus.NOT_READY: "bold red",
                    ReadinessStatus.NEEDS_EVIDENCE: "yellow"}
_BLOCKERS_SHOWN = 4


def threshold_reached(assessment: Assessment, fail_on: str) -> bool:
    """A severity threshold trips on any finding at or above it; ``fail`` trips on any FAIL
    verdict, ``inconclusive`` on any FAIL or INCONCLUSIVE verdict."""
    key = fail_on.lower()
    if key in {s.value for s in Severity}:
        limit = Severity(key).rank
        return any(f.severity.rank >= limit for f in assessment.findings)
    wanted = {VerdictValue.FAIL}
    if key == "inconclusive":
        wanted.add(VerdictValue.INCONCLUSIVE)
    return any(v.verdict in wanted for reqs in assessment.verdicts.values() for v in reqs.values())


def _headline(finding: Finding, limit: int = 110) -> str:
    """First sentence of a finding's message, secrets redacted: the table is a summary, the
    reports have the full text."""
    text = finding.message
    if finding.secret and finding.redacted:
        text = text.replace(finding.secret, finding.redacted)
    cut = text.find(". ")
    text = text if cut < 0 else text[: cut + 1]
    # the value found (a cracked password…), redacted as in the HTML report
    shown = f"; value: {finding.redacted}" if finding.redacted else ""
    room = limit - len(shown)
    return (text if len(text) <= room else text[: room - 1] + "…") + shown


def _blocker_text(blocker: BlockingRequirement, limit: int = 170) -> str:
    """'uk-psti:S1.1 No universal default passwords — via etsi…:5.1-1: <finding> (seen at
    <file:line>)' in one line: which baseline verdict blocks it, and the first finding."""
    where = next((f"{e.ref}:{e.line}" if e.line else e.ref
                  for e in blocker.evidence if e.kind == "file"), "")
    if blocker.verdict is VerdictValue.FAIL:
        via = [e.ref for e in blocker.evidence if e.kind == "note" and e.detail.startswith("FAIL")]
        finding = next((e.detail for e in blocker.evidence if e.kind == "finding"), "")
        why = ("via " + ", ".join(via[:2]) + (" …" if len(via) > 2 else "")) if via else ""
        why = "; ".join(x for x in (why, finding) if x) or blocker.reason
    else:
        why = blocker.missing[0] if blocker.missing else blocker.reason
    text = f"{blocker.ref} {blocker.title} — {why}"
    room = limit - (len(where) + 11 if where else 0)
    if len(text) > room:
        text = text[: max(room - 1, 40)] + "…"
    return text + (f" (seen at {where})" if where else "")


def print_readiness(assessment: Assessment) -> None:
    """Per regulation: READY / NOT READY / NEEDS EVIDENCE and the first blocking requirements,
    as plain lines (a table squeezes the reasons into an unreadable column in a CI log)."""
    if not assessment.readiness:
        return
    console.print("[bold]Regulation readiness[/] (the evidence's reading, not a legal decision)")
    for item in assessment.readiness:
        style = _READINESS_STYLE[item.status]
        console.print(f"  {item.name:<45} [{style}]{item.status.value:<14}[/] {item.summary}",
                      highlight=False, soft_wrap=True)
        for blocker in item.blocking[:_BLOCKERS_SHOWN]:
            console.print(f"    • {escape(_blocker_text(blocker))}", highlight=False,
                          soft_wrap=True)
        if len(item.blocking) > _BLOCKERS_SHOWN:
            console.print(f"    … {len(item.blocking) - _BLOCKERS_SHOWN} more in the report",
                          highlight=False)


def print_summary(result) -> None:  # type: ignore[no-untyped-def]
    a: Assessment = result.assessment
    table = Table(title=f"Verdicts — {a.target.name}")
    table.add_column("catalog")
    for v in VerdictValue:
        table.add_column(v.value, justify="right")
    for cid, reqs in a.verdicts.items():
        counts = Counter(v.verdict for v in reqs.values())
        table.add_row(cid, *(str(counts.get(v, 0)) for v in VerdictValue))
    console.print(table)
    if a.findings:
        top = sorted(a.findings, key=lambda f: -f.severity.rank)[:8]
        ft = Table(title=f"Top findings ({len(a.findings)} in all)")
        for col in ("severity", "check"):
            ft.add_column(col, no_wrap=True)
        ft.add_column("where", overflow="fold")  # a cut path is no use in a CI log
        ft.add_column("what")
        for f in top:
            where = f.location.path or (f"{f.location.host}:{f.location.port}" if f.location.host else "")
            ft.add_row(f.severity.value, f.check, where or "-", _headline(f))
        console.print(ft)
    vulnerable = sorted((c for c in a.components if c.vulnerabilities), key=lambda c: -len(c.vulnerabilities))[:6]
    if vulnerable:
        ct = Table(title="Components with most known CVEs")
        for col in ("component", "version", "CVEs", "worst CVSS", "KEV"):
            ct.add_column(col)
        for c in vulnerable:
            worst = max((v.best_score or 0.0) for v in c.vulnerabilities)
            ct.add_row(c.name, c.version or "?", str(len(c.vulnerabilities)), f"{worst:.1f}", str(sum(v.kev for v in c.vulnerabilities)))
        console.print(ct)
    print_readiness(a)
    if not result.db_available:
        err_console.print(
            "[bold yellow]No vulnerability database: components were NOT matched against CVEs.[/] "
            "Run `iotbaseline db import FILE…` or `iotbaseline db update`."
        )
    if a.errors:
        err_console.print(f"[yellow]{len(a.errors)} item(s) could not be analysed — see 'errors' in assessment.json / the report.[/]")
    for name, path in sorted(result.written.items()):
        console.print(f"  {name:<11} {path}")
