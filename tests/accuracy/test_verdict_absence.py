"""Issue 10, class 1: no FAIL verdict rests only on a low-confidence or an absence ("not found")
finding; such a finding gives INCONCLUSIVE with the question for the maker (docs/verdicts.md)."""

from __future__ import annotations

from iotbaseline.assess.engine import assess
from iotbaseline.catalog.model import Catalog, Requirement
from iotbaseline.model import Finding, Severity, VerdictValue

ETSI = "etsi-en-303-645"


def _catalog() -> Catalog:
    return Catalog(id=ETSI, title="mini", version="t", publisher="t", source="t",
                   statuses={"M": ""},
                   requirements=[Requirement(id="5.6-1", summary="unused interfaces off", status="M")])


def _finding(confidence: str, absence: bool) -> Finding:
    return Finding(id="IOTB-FW-001#1", check="IOTB-FW-001", title="No packet filter set up at boot",
                   severity=Severity.MEDIUM, provisions=[f"{ETSI}:5.6-1"],
                   message="no iptables rules found in boot scripts", confidence=confidence,  # type: ignore[arg-type]
                   properties={"absence": True} if absence else {})


def _verdict(*findings: Finding) -> tuple[VerdictValue, list[str]]:
    v = assess({ETSI: _catalog()}, None, list(findings), [], [], [], {})[ETSI]["5.6-1"]
    return v.verdict, v.questions


def test_absence_finding_gives_inconclusive_with_a_question() -> None:
    verdict, questions = _verdict(_finding("high", absence=True))
    assert verdict is VerdictValue.INCONCLUSIVE
    assert any("packet filter" in q.lower() for q in questions)


def test_low_confidence_finding_gives_inconclusive() -> None:
    verdict, _ = _verdict(_finding("low", absence=False))
    assert verdict is VerdictValue.INCONCLUSIVE


def test_positive_high_confidence_finding_still_fails() -> None:
    verdict, _ = _verdict(_finding("high", absence=False), _finding("low", absence=True))
    assert verdict is VerdictValue.FAIL
