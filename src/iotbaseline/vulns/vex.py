"""VEX: the maker's statements about a CVE in a component ("not affected: the code is not
present"), read from OpenVEX or CycloneDX VEX, written for the maker to fill in, and applied
to the matched components so verdicts and reports show what was suppressed and why.

Formats: OpenVEX 0.2.0 (https://github.com/openvex/spec) and CycloneDX 1.6 ``vulnerabilities``
with ``analysis``. No maintained OpenVEX library is on PyPI for Python, so both are read and
written as the small JSON documents they are; the CycloneDX output is validated against the
CycloneDX schema by cyclonedx-python-lib in the tests.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iotbaseline.model import Component

OPENVEX_CONTEXT = "https://openvex.dev/ns/v0.2.0"
# OpenVEX status → does it suppress the CVE in verdicts?
SUPPRESSING = {"not_affected", "fixed"}
OPENVEX_STATUSES = {"not_affected", "affected", "fixed", "under_investigation"}
OPENVEX_JUSTIFICATIONS = {
    "component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist",
}
# CycloneDX analysis.state / justification → OpenVEX terms
_CDX_STATE = {"not_affected": "not_affected", "false_positive": "not_affected", "resolved": "fixed",
              "resolved_with_pedigree": "fixed", "exploitable": "affected", "in_triage": "under_investigation"}
_CDX_JUSTIFICATION = {
    "code_not_present": "vulnerable_code_not_present", "code_not_reachable": "vulnerable_code_not_in_execute_path",
    "requires_configuration": "vulnerable_code_cannot_be_controlled_by_adversary",
    "requires_dependency": "component_not_present", "requires_environment": "vulnerable_code_cannot_be_controlled_by_adversary",
    "protected_by_compiler": "inline_mitigations_already_exist", "protected_at_runtime": "inline_mitigations_already_exist",
    "protected_at_perimeter": "inline_mitigations_already_exist", "protected_by_mitigating_control": "inline_mitigations_already_exist",
}
_TO_CDX_JUSTIFICATION = {
    "component_not_present": "requires_dependency", "vulnerable_code_not_present": "code_not_present",
    "vulnerable_code_not_in_execute_path": "code_not_reachable",
    "vulnerable_code_cannot_be_controlled_by_adversary": "requires_environment",
    "inline_mitigations_already_exist": "protected_by_mitigating_control",
}
_TO_CDX_STATE = {"not_affected": "not_affected", "fixed": "resolved", "affected": "exploitable",
                 "under_investigation": "in_triage"}


class VexError(Exception):
    """A VEX file that cannot be used (one line naming the file and what is wrong)."""


@dataclass(frozen=True)
class VexStatement:
    vulnerability: str  # CVE id
    products: tuple[str, ...]  # purl, CPE, bom-ref or "name" / "name@version"
    status: str  # OpenVEX status
    justification: str = ""
    impact: str = ""
    source: str = ""  # file it came from


def read_vex(path: Path) -> list[VexStatement]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VexError(f"{path}: not a readable JSON VEX file ({exc})") from exc
    if not isinstance(data, dict):
        raise VexError(f"{path}: a VEX document is a JSON object")
    if str(data.get("@context", "")).startswith("https://openvex.dev/ns"):
        return _read_openvex(data, path)
    if data.get("bomFormat") == "CycloneDX":
        return _read_cyclonedx(data, path)
    raise VexError(f"{path}: neither OpenVEX (@context openvex.dev) nor CycloneDX (bomFormat)")


def _read_openvex(data: dict[str, Any], path: Path) -> list[VexStatement]:
    out: list[VexStatement] = []
    for i, st in enumerate(data.get("statements") or []):
        vuln = st.get("vulnerability")
        vid = vuln.get("name") if isinstance(vuln, dict) else vuln
        status = st.get("status")
        if not vid or status not in OPENVEX_STATUSES:
            raise VexError(f"{path}: statement {i + 1}: needs a vulnerability name and a status "
                           f"({', '.join(sorted(OPENVEX_STATUSES))})")
        justification = st.get("justification", "")
        if status == "not_affected" and not (justification or st.get("impact_statement")):
            raise VexError(f"{path}: statement {i + 1} ({vid}): not_affected needs a justification "
                           "or an impact_statement")
        if justification and justification not in OPENVEX_JUSTIFICATIONS:
            raise VexError(f"{path}: statement {i + 1} ({vid}): unknown justification {justification!r}")
        products = tuple(str(p.get("@id", "")) if isinstance(p, dict) else str(p)
                         for p in st.get("products") or [])
        if not products:
            raise VexError(f"{path}: statement {i + 1} ({vid}): names no product")
        out.append(VexStatement(str(vid), products, status, justification,
                                str(st.get("impact_statement", "")), str(path)))
    return out


def _read_cyclonedx(data: dict[str, Any], path: Path) -> list[VexStatement]:
    out: list[VexStatement] = []
    for i, v in enumerate(data.get("vulnerabilities") or []):
        analysis = v.get("analysis") or {}
        state = analysis.get("state")
        if not v.get("id") or state not in _CDX_STATE:
            raise VexError(f"{path}: vulnerability {i + 1}: needs an id and analysis.state "
                           f"({', '.join(sorted(_CDX_STATE))})")
        products = tuple(str(a.get("ref", "")) for a in v.get("affects") or [] if a.get("ref"))
        if not products:
            raise VexError(f"{path}: vulnerability {i + 1} ({v['id']}): affects names no component")
        out.append(VexStatement(str(v["id"]), products, _CDX_STATE[state],
                                _CDX_JUSTIFICATION.get(analysis.get("justification", ""), ""),
                                str(analysis.get("detail", "")), str(path)))
    return out


def _identifiers(c: Component) -> set[str]:
    ids = {c.ref, c.name, f"{c.name}@{c.version}" if c.version else c.name}
    for value in (c.purl, c.cpe):
        if value:
            ids.add(value)
    if c.purl:
        ids.add(c.purl.split("?", 1)[0])
    return ids


def apply_vex(components: list[Component], statements: list[VexStatement]) -> tuple[list[Component], list[dict[str, str]]]:
    """Components with the CVEs a statement clears marked ``not_affected_vex`` (kept, with the
    reason), and one record per suppression for the reports."""
    suppressed: list[dict[str, str]] = []
    out: list[Component] = []
    for c in components:
        ids = _identifiers(c)
        vulns = []
        for v in c.vulnerabilities:
            st = next((s for s in statements if s.vulnerability == v.id and s.status in SUPPRESSING
                       and ids & set(s.products)), None)
            if st is not None and v.status == "affected":
                reason = (f"VEX {Path(st.source).name}: {st.status}"
                          + (f" ({st.justification})" if st.justification else "")
                          + (f": {st.impact}" if st.impact else ""))
                v = v.model_copy(update={"status": "not_affected_vex", "status_reason": reason})
                suppressed.append({"vulnerability": v.id, "component": c.ref, "status": st.status,
                                   "justification": st.justification, "impact": st.impact,
                                   "source": st.source})
            vulns.append(v)
        out.append(c.model_copy(update={"vulnerabilities": vulns}))
    return out, suppressed


def template(components: list[Component], fmt: str, author: str = "") -> dict[str, Any]:
    """A VEX document listing every affected CVE of every component as ``under_investigation``:
    the maker edits status/justification per line."""
    rows = [(c, v) for c in components for v in c.vulnerabilities if v.status == "affected"]
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    if fmt == "openvex":
        return {
            "@context": OPENVEX_CONTEXT,
            "@id": f"urn:iotbaseline:vex:{now}",
            "author": author or "unknown",
            "timestamp": now,
            "version": 1,
            "statements": [{
                "vulnerability": {"name": v.id},
                "products": [{"@id": c.purl or c.ref}],
                "status": "under_investigation",
            } for c, v in rows],
        }
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"timestamp": now},
        "components": [{"type": "library", "bom-ref": c.ref, "name": c.name,
                        **({"version": c.version} if c.version else {}),
                        **({"purl": c.purl} if c.purl else {})}
                       for c in {c.ref: c for c, _ in rows}.values()],
        "vulnerabilities": [{
            "id": v.id,
            "source": {"name": "NVD", "url": f"https://nvd.nist.gov/vuln/detail/{v.id}"},
            "analysis": {"state": _TO_CDX_STATE["under_investigation"]},
            "affects": [{"ref": c.ref}],
        } for c, v in rows],
    }


def apply_to_saved(components: list[Component], findings: list[Any], outcomes: list[Any],
                   statements: list[VexStatement]) -> tuple[list[Component], list[Any], list[Any], list[dict[str, str]]]:
    """For ``assess --vex`` on saved results: apply the statements to the components and redo
    the component checks (IOTB-VULN-*) from them; every other finding is kept as it was."""
    from iotbaseline.vulns.findings import component_findings

    components, suppressed = apply_vex(components, statements)
    matched = any(c.vulnerabilities for c in components)
    kept_f = [f for f in findings if not f.check.startswith("IOTB-VULN-")]
    kept_o = [o for o in outcomes if not o.check.startswith("IOTB-VULN-")]
    new_f, new_o = component_findings(components, matched=matched)
    return components, kept_f + new_f, kept_o + new_o, suppressed
