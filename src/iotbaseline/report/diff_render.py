"""Text, JSON and HTML views of an ``AssessmentDiff`` (``iotbaseline diff --format …``)."""

from __future__ import annotations

import dataclasses
import json
from enum import Enum
from typing import Any

from iotbaseline.report.diff import AssessmentDiff, FindingChange, VerdictChange

DIFF_SCHEMA = "iotbaseline.diff/1"


def _verdict(v: Any) -> str:
    return v.value if v is not None else "(not assessed)"


def _vc_line(c: VerdictChange) -> str:
    return f"  {c.catalog} {c.requirement}: {_verdict(c.old)} -> {_verdict(c.new)}"


def _fc_line(f: FindingChange) -> str:
    place = f" {f.where}{':' + str(f.line) if f.line else ''}" if f.where else ""
    return f"  [{f.severity.value}] {f.check}{place}: {f.message}"


def render_diff_text(diff: AssessmentDiff) -> str:
    """Plain text for terminals and CI logs (one line per change; the counts first)."""
    lines = [
        f"old: {diff.old.name} ({diff.old.started or 'unknown date'})",
        f"new: {diff.new.name} ({diff.new.started or 'unknown date'})",
        (f"regressions: {'YES' if diff.regressions else 'none'} — {len(diff.worse)} verdicts worse, "
         f"{len(diff.new_findings)} new findings, {len(diff.cves_introduced)} CVEs introduced"),
        "",
    ]
    sections: list[tuple[str, list[str]]] = [
        ("Verdicts worse", [_vc_line(c) for c in diff.worse]),
        ("Verdicts better", [_vc_line(c) for c in diff.better]),
        ("Scope changes (not applicable / not assessed)", [_vc_line(c) for c in diff.scope]),
        ("New findings", [_fc_line(f) for f in diff.new_findings]),
        ("Fixed findings", [_fc_line(f) for f in diff.fixed_findings]),
        ("Components", [f"  {c.kind:<10} {c.name} {' '.join(c.old_versions) or '-'} -> "
                        f"{' '.join(c.new_versions) or '-'}" for c in diff.components]),
        ("CVEs introduced", [f"  {c.id} in {c.component}" + (f" (CVSS {c.score})" if c.score is not None else "")
                             + (" KEV" if c.kev else "") for c in diff.cves_introduced]),
        ("CVEs fixed", [f"  {c.id} in {c.component}" for c in diff.cves_fixed]),
    ]
    for title, body in sections:
        lines.append(f"{title} ({len(body)}):")
        lines.extend(body or ["  none"])
    if diff.notes:
        lines.append("Notes:")
        lines.extend(f"  {n}" for n in diff.notes)
    return "\n".join(lines) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def diff_to_dict(diff: AssessmentDiff) -> dict[str, Any]:
    data: dict[str, Any] = _plain(diff)
    data["schema"] = DIFF_SCHEMA
    data["regressions"] = diff.regressions
    return data


def render_diff_json(diff: AssessmentDiff) -> str:
    return json.dumps(diff_to_dict(diff), indent=2, ensure_ascii=False) + "\n"


def render_diff_html(diff: AssessmentDiff) -> str:
    """A self-contained page (same styles as the report; autoescaped)."""
    from iotbaseline.report.html import inline_static, template_environment

    template = template_environment().get_template("diff.html.j2")
    return template.render(d=diff, css=inline_static("report.css"))
