"""The end-of-run summary table shared by `scan` and `demo`, and the --fail-on rule."""

from __future__ import annotations

from collections import Counter

from rich.table import Table

from iotbaseline.cli.common import console, err_console
from iotbaseline.model import Assessment, Finding, Severity, VerdictValue


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
    if not result.db_available:
        err_console.print(
            "[bold yellow]No vulnerability database: components were NOT matched against CVEs.[/] "
            "Run `iotbaseline db import FILE…` or `iotbaseline db update`."
        )
    if a.errors:
        err_console.print(f"[yellow]{len(a.errors)} item(s) could not be analysed — see 'errors' in assessment.json / the report.[/]")
    for name, path in sorted(result.written.items()):
        console.print(f"  {name:<11} {path}")
