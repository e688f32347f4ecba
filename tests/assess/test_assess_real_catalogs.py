"""The engine on the shipped catalogs against hand-written expectations from ETSI EN 303 645
Annex B Table B.1 and Xiaomi 2.0 Appendix B (not derived from our catalog data)."""

from __future__ import annotations

import pytest

from iotbaseline.assess.engine import build_assessment
from iotbaseline.assess.profile import load_profile, parse_profile
from iotbaseline.catalog.loader import load_catalogs
from iotbaseline.demo import demo_profile_path
from iotbaseline.model import Finding, Location, Severity, VerdictValue

ETSI = "etsi-en-303-645"
NA = VerdictValue.NOT_APPLICABLE

# Table B.1: provisions whose status is conditional, with their condition numbers.
TABLE_B1_CONDITIONAL = {
    "5.1-1": {1}, "5.1-2": {2}, "5.1-4": {8}, "5.1-5": {5}, "5.3-2": {5}, "5.3-3": {12},
    "5.3-4": {12}, "5.3-5": {12}, "5.3-6": {9, 12}, "5.3-7": {12}, "5.3-8": {12}, "5.3-9": {12},
    "5.3-10": {11, 12}, "5.3-11": {12}, "5.3-12": {12}, "5.3-14": {3, 4}, "5.3-15": {3, 4},
    "5.4-2": {10}, "5.6-4": {13}, "5.10-1": {6}, "6-2": {7}, "6-4": {6}, "6-5": {6},
}

# Xiaomi 2.0 Appendix B: requirements not required at level L (levels M,H or H only).
XIAOMI_NOT_AT_L = {
    "1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.2.1", "1.2.2", "1.5", "1.6", "1.7", "1.8",
    "2.1.2", "2.1.3", "2.1.5", "2.1.6", "3.1.1", "3.1.5", "3.2.1", "3.2.2", "3.2.3", "3.2.4",
    "3.2.5", "3.2.6", "3.2.7", "3.2.8", "4.1.1", "4.1.3", "4.1.4", "4.2.2", "4.2.4", "4.2.5",
    "4.3.8", "4.5.2", "4.5.3", "5.2", "6.2", "6.4", "6.6",
}


@pytest.fixture(scope="module")
def catalogs():
    return load_catalogs()


def na_set(assessment, catalog=ETSI) -> set[str]:
    return {rid for rid, v in assessment.verdicts[catalog].items() if v.verdict is NA}


def profile(text: str):
    return parse_profile("product: {name: t, category: camera}\n" + text)


def test_complete_table_and_no_pass_without_evidence(catalogs) -> None:
    a = build_assessment(catalogs, profile(""))
    assert set(a.verdicts) == {"etsi-en-303-645", "xiaomi-2.0", "tencent-qtx-001.1", "owasp-isvs",
                               "uk-psti", "en-18031-1", "en-18031-2", "en-18031-3",
                               "eu-cra-annex-i"}
    for cid, cat in catalogs.items():
        expected = {r.id for r in cat.requirements if not r.is_group}
        assert set(a.verdicts[cid]) == expected, cid
        for rid, v in a.verdicts[cid].items():
            # nothing declared and no findings: nothing may PASS or FAIL
            assert v.verdict in (VerdictValue.INCONCLUSIVE, NA), (cid, rid, v.verdict)
            if v.verdict is VerdictValue.INCONCLUSIVE:
                assert v.missing and v.questions, (cid, rid)
    assert len(a.verdicts[ETSI]) == 68
    # ETSI: only conditional provisions may ever be N/A; here nothing is answered → none
    assert na_set(a) == set()


@pytest.mark.parametrize(("text", "expected"), [
    ("conditions: {uses_passwords: false}", {"5.1-1", "5.1-2"}),  # 2 implied by 1
    ("conditions: {user_authentication: false}", {"5.1-4"}),
    ("constrained_device: true", {"5.1-5", "5.3-2"}),  # condition 5 false
    ("constrained_device: false\nconditions: {software_updatable: true}", {"5.3-14", "5.3-15"}),
    ("conditions: {update_mechanism: false}",
     {"5.3-3", "5.3-4", "5.3-5", "5.3-6", "5.3-7", "5.3-8", "5.3-9", "5.3-10", "5.3-11",
      "5.3-12"}),
    ("conditions: {automatic_updates_or_notifications: false}", {"5.3-6"}),
    ("conditions: {updates_via_network: false}", {"5.3-10"}),
    ("conditions: {telemetry_collected: false}", {"5.10-1", "6-4", "6-5"}),
    (("conditions: {consent_based_processing: false, hardcoded_unique_identity: false, "
     "debug_interface_physically_accessible: false}"), {"6-2", "5.4-2", "5.6-4"}),
])
def test_etsi_na_exactly_where_table_b1_conditions_say(catalogs, text, expected) -> None:
    a = build_assessment({ETSI: catalogs[ETSI]}, profile(text))
    assert na_set(a) == expected
    assert expected <= set(TABLE_B1_CONDITIONAL)


def test_etsi_all_conditions_negative(catalogs) -> None:
    text = ("constrained_device: false\nconditions: {uses_passwords: false, "
            "software_updatable: true, telemetry_collected: false, "
            "consent_based_processing: false, user_authentication: false, "
            "automatic_updates_or_notifications: false, hardcoded_unique_identity: false, "
            "updates_via_network: false, update_mechanism: false, "
            "debug_interface_physically_accessible: false}")
    a = build_assessment({ETSI: catalogs[ETSI]}, profile(text))
    # every conditional provision except the two on condition 5 (device not constrained holds)
    assert na_set(a) == set(TABLE_B1_CONDITIONAL) - {"5.1-5", "5.3-2"}


def test_xiaomi_level_l_makes_m_and_h_only_requirements_na(catalogs) -> None:
    a = build_assessment({"xiaomi-2.0": catalogs["xiaomi-2.0"]}, profile("xiaomi: {level: L}"))
    assert na_set(a, "xiaomi-2.0") == XIAOMI_NOT_AT_L


def test_xiaomi_level_h_camera_conditions(catalogs) -> None:
    text = ("xiaomi: {level: H}\nconditions: {device_is_outdoor: false, "
            "device_opens_wifi_hotspot: false}")
    a = build_assessment({"xiaomi-2.0": catalogs["xiaomi-2.0"]}, profile(text))
    # 1.5 lock or doorbell; 1.6, 1.7 lock; 4.2.4, 4.2.5 own hotspot; 6.4 outdoor
    assert na_set(a, "xiaomi-2.0") == {"1.5", "1.6", "1.7", "4.2.4", "4.2.5", "6.4"}


def test_xiaomi_level_from_appendix_a_facts(catalogs) -> None:
    text = "xiaomi: {personal_information: [basic], integrity_impact: minor, availability_impact: minor}"
    a = build_assessment({"xiaomi-2.0": catalogs["xiaomi-2.0"]}, profile(text))
    assert na_set(a, "xiaomi-2.0") == XIAOMI_NOT_AT_L
    assert "Appendix A" in a.verdicts["xiaomi-2.0"]["1.1.1"].reason


def test_4_1_needs_justification_for_each_recommendation_not_met(catalogs) -> None:
    demo = load_profile(demo_profile_path())
    cats = {ETSI: catalogs[ETSI]}
    a = build_assessment(cats, demo)
    assert a.verdicts[ETSI]["5.3-4"].verdict is VerdictValue.FAIL  # declared + justified
    assert a.verdicts[ETSI]["4-1"].verdict is VerdictValue.INCONCLUSIVE  # others undecided
    # a failing recommendation without justification makes 4-1 FAIL
    f = Finding(id="IOTB-SVC-009#1", check="IOTB-SVC-009", title="t", severity=Severity.MEDIUM,
                provisions=[f"{ETSI}:5.6-5"], location=Location(path="/etc/init.d/telnet"))
    a = build_assessment(cats, demo, findings=[f])
    v = a.verdicts[ETSI]["4-1"]
    assert v.verdict is VerdictValue.FAIL and "5.6-5" in v.reason and "5.3-4" not in v.reason


def test_demo_profile_loads_and_every_pass_has_evidence(catalogs) -> None:
    a = build_assessment(catalogs, load_profile(demo_profile_path()))
    passes = [v for cat in a.verdicts.values() for v in cat.values()
              if v.verdict is VerdictValue.PASS]
    assert passes and all(v.evidence for v in passes)
    assert a.verdicts[ETSI]["5.2-1"].verdict is VerdictValue.PASS
    assert a.verdicts[ETSI]["5.3-14"].verdict is NA


def test_every_declaration_rule_names_a_real_requirement_and_profile_field(catalogs) -> None:
    from iotbaseline.assess.declarations import DECLARATION_PROVISIONS, REQUIREMENT_NEEDS
    from iotbaseline.assess.profile import Profile

    known = {f"{cid}:{r.id}" for cid, cat in catalogs.items() for r in cat.requirements
             if not r.is_group}
    assert set(REQUIREMENT_NEEDS) <= known
    # every ETSI provision except 4-1 (decided from the others) has a row: each needs an IXIT fact
    etsi = {f"{ETSI}:{r.id}" for r in catalogs[ETSI].requirements} - {f"{ETSI}:4-1"}
    assert etsi <= set(REQUIREMENT_NEEDS)
    blank = Profile.model_validate({"product": {"name": "x"}})
    for field in DECLARATION_PROVISIONS:
        node = blank.declarations
        for part in field.split("."):
            assert hasattr(node, part), field
            node = getattr(node, part)
