"""Declarations added for Xiaomi/Tencent hardware, app, cloud and process items, and the generic
per-requirement attestation — on the shipped catalogs. Expected verdicts follow the rules in
docs/verdicts.md; the fields and answers are the ones written in each profile below."""

from __future__ import annotations

import pytest

from iotbaseline.assess.declarations import REQUIREMENT_NEEDS
from iotbaseline.assess.engine import build_assessment
from iotbaseline.assess.profile import ProfileError, parse_profile
from iotbaseline.catalog.loader import load_catalogs
from iotbaseline.model import CheckOutcome, Finding, Location, OutcomeStatus, Severity
from iotbaseline.model import VerdictValue as V

X, T, I = "xiaomi-2.0", "tencent-qtx-001.1", "owasp-isvs"


@pytest.fixture(scope="module")
def catalogs():
    cats = load_catalogs()
    return {cid: cats[cid] for cid in (X, T, I)}


def profile(declarations: str = "", level: str = "H"):
    text = f"product: {{name: t, category: camera}}\nxiaomi: {{level: {level}}}\n"
    if declarations:
        text += "declarations:\n" + declarations
    return parse_profile(text)


def verdicts(catalogs, prof, findings=(), outcomes=()):
    return build_assessment(catalogs, prof, list(findings), list(outcomes)).verdicts


def test_boolean_declaration_decides_pass_and_fail(catalogs) -> None:
    v = verdicts(catalogs, profile("  binding: {reset_before_rebinding: true}\n"
                                   "  cloud: {databases_not_internet_exposed: false}\n"))
    assert v[X]["6.3"].verdict is V.PASS
    assert v[X]["6.3"].evidence[0].ref == "declarations.binding.reset_before_rebinding"
    assert v[T]["5.3.4-2"].verdict is V.FAIL
    assert "declarations.cloud.databases_not_internet_exposed" in v[T]["5.3.4-2"].reason


def test_absent_declaration_is_inconclusive_with_the_question(catalogs) -> None:
    v = verdicts(catalogs, profile())
    for ref_catalog, rid, field in ((X, "6.3", "binding.reset_before_rebinding"),
                                    (T, "5.1.7-8", "app.verifies_own_signature"),
                                    (T, "5.3.5-3", "cloud.intrusion_detection")):
        verdict = v[ref_catalog][rid]
        assert verdict.verdict is V.INCONCLUSIVE
        assert f"declaration declarations.{field}" in verdict.missing
        need = REQUIREMENT_NEEDS[f"{ref_catalog}:{rid}"].declarations[0]
        assert need.question in verdict.questions


def test_feature_fact_answers(catalogs) -> None:
    v = verdicts(catalogs, profile("  radio: {ble_pairing_confirmation: not_present, "
                                   "ble_version_4_2_or_later: 'no', rf_frequency_hopping: 'yes'}\n"
                                   "  physical: {lock_cards: m1_card}\n"))
    assert v[X]["4.3.1"].verdict is V.PASS  # the product has no BLE: nothing is asked of it
    assert "not_present" in v[X]["4.3.1"].evidence[0].detail
    assert v[X]["4.3.5"].verdict is V.FAIL
    assert v[X]["4.5.3"].verdict is V.PASS
    # 1.7 applies to smart locks only: a camera makes it N/A whatever is declared
    assert v[X]["1.7"].verdict is V.NOT_APPLICABLE


def test_one_fact_decides_several_requirements(catalogs) -> None:
    v = verdicts(catalogs, profile("  physical: {debug_markings_removed: true}\n"
                                   "  cloud: {hosting: shared_not_isolated}\n"))
    assert v[X]["1.1.2"].verdict is V.PASS and v[T]["5.1.2-1"].verdict is V.PASS
    assert {v[T][r].verdict for r in ("5.3.1-1", "5.3.1-2", "5.3.1-3")} == {V.FAIL}


ZIGBEE_REF = f"{X}:4.4.1"


def _secret003(status: OutcomeStatus) -> CheckOutcome:
    return CheckOutcome(check="IOTB-SECRET-003", title="t", status=status,
                        provisions=[ZIGBEE_REF], summary="searched 12 files")


def test_declaration_and_check_both_needed_for_zigbee(catalogs) -> None:
    declared = profile("  radio: {zigbee_joining: install_codes}\n")
    assert verdicts(catalogs, declared)[X]["4.4.1"].verdict is V.INCONCLUSIVE
    assert verdicts(catalogs, profile(), outcomes=[_secret003(OutcomeStatus.PASS)])[X][
        "4.4.1"].verdict is V.INCONCLUSIVE
    assert verdicts(catalogs, declared, outcomes=[_secret003(OutcomeStatus.PASS)])[X][
        "4.4.1"].verdict is V.PASS
    key = Finding(id="IOTB-SECRET-003#1", check="IOTB-SECRET-003", title="t",
                  severity=Severity.HIGH, provisions=[ZIGBEE_REF],
                  location=Location(path="/usr/bin/zigbeed"))
    v = verdicts(catalogs, declared, findings=[key],
                 outcomes=[_secret003(OutcomeStatus.FAIL)])[X]["4.4.1"]
    assert v.verdict is V.FAIL and "IOTB-SECRET-003#1" in v.reason


def _attest(ref: str, met: bool) -> str:
    return (f"  attestations:\n    \"{ref}\": {{met: {str(met).lower()}, "
            "evidence: threat model TM-1}\n")


def test_attestation_decides_a_requirement_no_check_can_show(catalogs) -> None:
    ref = f"{I}:V1.1.3"  # threat modelling: a process item
    v = verdicts(catalogs, profile())[I]["V1.1.3"]
    assert v.verdict is V.INCONCLUSIVE
    assert v.missing[0].startswith(f"the maker's attestation declarations.attestations['{ref}']")
    assert f"declarations.attestations['{ref}']" in v.questions[0]
    v = verdicts(catalogs, profile(_attest(ref, True)))[I]["V1.1.3"]
    assert v.verdict is V.PASS and v.evidence[-1].ref == f"declarations.attestations.{ref}"
    v = verdicts(catalogs, profile(_attest(ref, False)))[I]["V1.1.3"]
    assert v.verdict is V.FAIL and "threat model TM-1" in v.reason


def test_attestation_never_replaces_technical_evidence_nor_beats_a_finding(catalogs) -> None:
    ref = f"{I}:V3.2.7"  # memory protections: IOTB-HARD-00x evidence it
    v = verdicts(catalogs, profile(_attest(ref, True)))[I]["V3.2.7"]
    assert v.verdict is V.INCONCLUSIVE
    assert any(m.startswith("technical evidence") for m in v.missing)
    nx = Finding(id="IOTB-HARD-001#1", check="IOTB-HARD-001", title="t", severity=Severity.HIGH,
                 provisions=[ref], location=Location(path="/usr/sbin/httpd"))
    v = verdicts(catalogs, profile(_attest(ref, True)), findings=[nx])[I]["V3.2.7"]
    assert v.verdict is V.FAIL and "IOTB-HARD-001#1" in v.reason
    passing = CheckOutcome(check="IOTB-HARD-001", title="t", status=OutcomeStatus.PASS,
                           provisions=[ref], summary="all NX")
    v = verdicts(catalogs, profile(_attest(ref, True)), outcomes=[passing])[I]["V3.2.7"]
    assert v.verdict is V.PASS


def test_attestation_keys_are_validated_with_line_numbers() -> None:
    text = ("product: {name: t}\ndeclarations:\n  attestations:\n"
            "    \"owasp-isvs:V9.9.9\": {met: true, evidence: x}\n"
            "    \"no-catalog\": {met: true, evidence: x}\n"
            "    \"owasp-isvs:V1.1.3\": {met: true, evidence: ' '}\n")
    with pytest.raises(ProfileError) as err:
        parse_profile(text, "p.yaml")
    lines = str(err.value).splitlines()
    assert lines[0] == ("p.yaml:4: declarations.attestations.owasp-isvs:V9.9.9: owasp-isvs has "
                        "no requirement 'V9.9.9'")
    assert lines[1].startswith("p.yaml:5: declarations.attestations.no-catalog: key must be")
    assert lines[2] == ("p.yaml:6: declarations.attestations.owasp-isvs:V1.1.3.evidence: "
                        "empty evidence")
