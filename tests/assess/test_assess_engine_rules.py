"""Engine rules on small hand-made catalogs (independent of the shipped catalog data)."""

from __future__ import annotations

from iotbaseline.assess.engine import assess, build_assessment
from iotbaseline.assess.profile import parse_profile
from iotbaseline.catalog.model import Catalog, Condition, Requirement
from iotbaseline.model import (
    CheckOutcome,
    Evidence,
    Finding,
    Location,
    Observation,
    OutcomeStatus,
    Severity,
    VerdictValue,
)

ETSI = "etsi-en-303-645"


def mini_etsi() -> Catalog:
    """A few ETSI-like provisions; ids reuse real ones so the declaration table applies."""
    return Catalog(
        id=ETSI, title="mini", version="t", publisher="t", source="t",
        statuses={"M": "", "R": "", "MC": "", "RC": ""},
        conditions=[
            Condition(id="1", summary="uses passwords", profile_field="uses_passwords"),
            Condition(id="3", summary="not updatable", profile_field="software_updatable",
                      negated=True),
            Condition(id="4", summary="constrained", profile_field="constrained_device"),
            Condition(id="5", summary="not constrained", profile_field="constrained_device",
                      negated=True),
        ],
        requirements=[
            Requirement(id="5.1", summary="group", is_group=True),
            Requirement(id="5.1-1", summary="unique passwords", status="MC", conditions=["1"]),
            Requirement(id="5.1-5", summary="brute force", status="MC", conditions=["5"]),
            Requirement(id="5.2-1", summary="disclosure policy", status="M"),
            Requirement(id="5.3-14", summary="non-updatable", status="RC",
                        conditions=["3", "4"]),
            Requirement(id="5.5-1", summary="crypto comms", status="M"),
            Requirement(id="5.6-9", summary="secure development", status="R"),
            Requirement(id="9.9-9", summary="technical only", status="M"),
        ],
    )


def mini_xiaomi() -> Catalog:
    return Catalog(
        id="xiaomi-2.0", title="mini xiaomi", version="t", publisher="t", source="t",
        levels=["L", "M", "H"],
        conditions=[
            Condition(id="smart-lock", summary="smart lock", profile_field="device_is_smart_lock"),
            Condition(id="doorbell", summary="doorbell", profile_field="device_is_doorbell"),
        ],
        requirements=[
            Requirement(id="1.1.1", summary="debug off", levels=["M", "H"]),
            Requirement(id="2.2", summary="ports minimal", levels=["L", "M", "H"]),
            Requirement(id="1.5", summary="anti dismantle", levels=["H"],
                        conditions=["smart-lock", "doorbell"], condition_logic="any"),
            Requirement(id="1.3", summary="no level in table"),
        ],
    )


def profile(text: str = ""):
    return parse_profile("product: {name: t, category: camera}\n" + text)


def run(prof, findings=(), outcomes=(), observations=(), inferred=None, catalogs=None):
    catalogs = catalogs or {ETSI: mini_etsi(), "xiaomi-2.0": mini_xiaomi()}
    return assess(catalogs, prof, list(findings), list(outcomes), list(observations), [],
                  inferred or {}, mapper=lambda ref: [])


def finding(fid: str, refs: list[str], severity: Severity = Severity.HIGH) -> Finding:
    return Finding(id=fid, check=fid.split("#")[0], title="t", severity=severity,
                   provisions=refs,
                   location=Location(path="/etc/shadow", sha256="ab" * 32, line=1),
                   evidence=[Evidence(kind="file", ref="/etc/shadow", excerpt="root::0:")])


def outcome(check: str, status: OutcomeStatus, refs: list[str], findings=()) -> CheckOutcome:
    return CheckOutcome(check=check, title="t", status=status, provisions=refs,
                        summary="looked at /etc", findings=list(findings))


def test_groups_get_no_verdict_and_every_other_requirement_does() -> None:
    verdicts = run(profile())[ETSI]
    assert "5.1" not in verdicts
    assert set(verdicts) == {"5.1-1", "5.1-5", "5.2-1", "5.3-14", "5.5-1", "5.6-9", "9.9-9"}


def test_condition_false_gives_na_naming_condition_and_field() -> None:
    v = run(profile("conditions: {uses_passwords: false}"))[ETSI]["5.1-1"]
    assert v.verdict is VerdictValue.NOT_APPLICABLE
    assert "condition 1" in v.reason and "conditions.uses_passwords" in v.reason


def test_negated_condition_and_all_logic() -> None:
    # constrained → condition 5 false → 5.1-5 N/A; 5.3-14 needs 3 AND 4: 3 unknown → not N/A
    v = run(profile("constrained_device: true"))[ETSI]
    assert v["5.1-5"].verdict is VerdictValue.NOT_APPLICABLE
    assert v["5.3-14"].verdict is VerdictValue.INCONCLUSIVE
    assert any("conditions.software_updatable" in q for q in v["5.3-14"].questions)
    # updatable → condition 3 false → N/A even with 4 unknown
    v = run(profile("conditions: {software_updatable: true}"))[ETSI]
    assert v["5.3-14"].verdict is VerdictValue.NOT_APPLICABLE


def test_unconditional_provision_is_never_na() -> None:
    text = ("constrained_device: true\nconditions: {uses_passwords: false, "
            "software_updatable: false, update_mechanism: false}")
    v = run(profile(text))[ETSI]
    for rid in ("5.2-1", "5.5-1", "5.6-9", "9.9-9"):
        assert v[rid].verdict is not VerdictValue.NOT_APPLICABLE


def test_nothing_passes_without_evidence() -> None:
    for prof in (None, profile()):
        for catalog in run(prof).values():
            for v in catalog.values():
                assert v.verdict in (VerdictValue.INCONCLUSIVE, VerdictValue.NOT_APPLICABLE)
                if v.verdict is VerdictValue.INCONCLUSIVE:
                    assert v.missing, v


def test_failing_finding_makes_fail_with_file_evidence() -> None:
    ref = f"{ETSI}:5.1-1"
    v = run(profile(), findings=[finding("IOTB-CRED-001#1", [ref])])[ETSI]["5.1-1"]
    assert v.verdict is VerdictValue.FAIL
    kinds = {(e.kind, e.ref) for e in v.evidence}
    assert ("finding", "IOTB-CRED-001#1") in kinds and ("file", "/etc/shadow") in kinds
    file_ev = next(e for e in v.evidence if e.kind == "file")
    assert file_ev.sha256 == "ab" * 32
    assert next(e for e in v.evidence if e.kind == "finding").excerpt == "root::0:"


def test_info_finding_does_not_fail() -> None:
    v = run(profile(), findings=[finding("X#1", [f"{ETSI}:9.9-9"], Severity.INFO)])[ETSI]
    assert v["9.9-9"].verdict is VerdictValue.INCONCLUSIVE


def test_technical_only_requirement_passes_on_pass_outcome_or_observation() -> None:
    ref = f"{ETSI}:9.9-9"
    v = run(profile(), outcomes=[outcome("IOTB-X-001", OutcomeStatus.PASS, [ref])])[ETSI]
    assert v["9.9-9"].verdict is VerdictValue.PASS
    assert any(e.kind == "check" and e.ref == "IOTB-X-001" for e in v["9.9-9"].evidence)
    obs = Observation(id="tls/443/protocols", kind="tls", host="127.0.0.1", port=443,
                      summary="TLS 1.2+ only", provisions=[ref])
    v = run(profile(), observations=[obs])[ETSI]["9.9-9"]
    assert v.verdict is VerdictValue.PASS and v.evidence[0].ref == "tls/443/protocols"


def test_pass_check_alone_does_not_pass_a_provision_that_needs_a_declaration() -> None:
    ref = f"{ETSI}:5.1-1"
    good = outcome("IOTB-CRED-001", OutcomeStatus.PASS, [ref])
    v = run(profile("conditions: {uses_passwords: true}"), outcomes=[good])[ETSI]["5.1-1"]
    assert v.verdict is VerdictValue.INCONCLUSIVE
    assert any("declarations.authentication.password_scheme" in m for m in v.missing)
    declared = profile("conditions: {uses_passwords: true}\n"
                       "declarations: {authentication: {password_scheme: user_defined}}")
    v = run(declared, outcomes=[good])[ETSI]["5.1-1"]
    assert v.verdict is VerdictValue.PASS
    assert {e.kind for e in v.evidence} >= {"check", "declaration"}
    # the declaration alone is not enough either: the provision needs technical evidence
    v = run(declared)[ETSI]["5.1-1"]
    assert v.verdict is VerdictValue.INCONCLUSIVE
    assert any(m.startswith("technical evidence") for m in v.missing)


def test_declaration_only_provision_and_negative_declaration() -> None:
    v = run(profile())[ETSI]["5.2-1"]
    assert v.verdict is VerdictValue.INCONCLUSIVE and len(v.questions) == 3
    full = profile("declarations:\n  vulnerability_disclosure:\n"
                   "    url: https://example.com/vdp\n    contact: sec@example.com\n"
                   "    timelines: ack in 5 days\n")
    v = run(full)[ETSI]["5.2-1"]
    assert v.verdict is VerdictValue.PASS
    assert {e.ref for e in v.evidence} == {
        "declarations.vulnerability_disclosure.url",
        "declarations.vulnerability_disclosure.contact",
        "declarations.vulnerability_disclosure.timelines"}
    bad = profile("conditions: {uses_passwords: true}\n"
                  "declarations: {authentication: {password_scheme: universal}}")
    v = run(bad)[ETSI]["5.1-1"]
    assert v.verdict is VerdictValue.FAIL and "universal" in v.reason


def test_justification_declares_a_recommendation_not_met() -> None:
    v = run(profile("declarations: {justifications: {'5.6-9': 'no SDL yet'}}"))[ETSI]["5.6-9"]
    assert v.verdict is VerdictValue.FAIL and "no SDL yet" in v.reason


def test_fail_outcome_whose_findings_cite_other_requirements_is_positive_here() -> None:
    a, b = f"{ETSI}:9.9-9", f"{ETSI}:5.5-1"
    f = finding("IOTB-A-001#1", [b])
    o = outcome("IOTB-A-001", OutcomeStatus.FAIL, [a, b], findings=[f.id])
    v = run(profile(), findings=[f], outcomes=[o])[ETSI]
    assert v["9.9-9"].verdict is VerdictValue.PASS
    assert v["5.5-1"].verdict is VerdictValue.FAIL


def test_error_and_not_applicable_outcomes_are_named_in_missing() -> None:
    ref = f"{ETSI}:9.9-9"
    crashed = outcome("IOTB-B-001", OutcomeStatus.ERROR, [ref]).model_copy(
        update={"error": "boom"})
    v = run(profile(), outcomes=[crashed])[ETSI]["9.9-9"]
    assert v.verdict is VerdictValue.INCONCLUSIVE
    assert any("IOTB-B-001 failed to run: boom" in m for m in v.missing)


def test_inferred_condition_is_used_and_said() -> None:
    inferred = {"uses_passwords": {"value": False, "evidence": "no shadow or passwd entries"}}
    v = run(None, inferred=inferred)[ETSI]["5.1-1"]
    assert v.verdict is VerdictValue.NOT_APPLICABLE
    assert "inferred from firmware: no shadow or passwd entries" in v.reason
    # flat form with a shared source
    v = run(None, inferred={"uses_passwords": False, "source": "IOTB-CRED-001"})[ETSI]["5.1-1"]
    assert "inferred from firmware: IOTB-CRED-001" in v.reason


def test_profile_contradicted_by_firmware_is_not_na() -> None:
    inferred = {"uses_passwords": {"value": True, "evidence": "/etc/shadow has hashes"}}
    v = run(profile("conditions: {uses_passwords: false}"), inferred=inferred)[ETSI]["5.1-1"]
    assert v.verdict is VerdictValue.INCONCLUSIVE
    assert any("/etc/shadow has hashes" in m for m in v.missing)


def test_failing_finding_overrides_a_false_condition() -> None:
    ref = f"{ETSI}:5.1-1"
    v = run(profile("conditions: {uses_passwords: false}"),
            findings=[finding("IOTB-CRED-001#1", [ref])])[ETSI]["5.1-1"]
    assert v.verdict is VerdictValue.FAIL and "conditions.uses_passwords" in v.reason


def test_xiaomi_levels_and_any_conditions() -> None:
    v = run(profile("xiaomi: {level: L}"))["xiaomi-2.0"]
    assert v["1.1.1"].verdict is VerdictValue.NOT_APPLICABLE and "level" in v["1.1.1"].reason
    assert v["2.2"].verdict is VerdictValue.INCONCLUSIVE
    assert v["1.3"].verdict is VerdictValue.INCONCLUSIVE  # no level in the table: applies
    # level H camera: 1.5 (lock OR doorbell) N/A because the category answers both
    v = run(profile("xiaomi: {level: H}"))["xiaomi-2.0"]
    assert v["1.5"].verdict is VerdictValue.NOT_APPLICABLE
    assert "product.category" in v["1.5"].reason
    lock = parse_profile("product: {name: t, category: lock}\nxiaomi: {level: H}")
    assert run(lock)["xiaomi-2.0"]["1.5"].verdict is VerdictValue.INCONCLUSIVE
    # unknown level: an M/H requirement asks for the level
    v = run(profile())["xiaomi-2.0"]["1.1.1"]
    assert v.verdict is VerdictValue.INCONCLUSIVE
    assert any("security level" in m for m in v.missing)


def test_xiaomi_level_lower_than_a_failing_requirement_stays_na() -> None:
    ref = "xiaomi-2.0:1.1.1"
    v = run(profile("xiaomi: {level: L}"), findings=[finding("IOTB-SVC-001#1", [ref])])
    assert v["xiaomi-2.0"]["1.1.1"].verdict is VerdictValue.NOT_APPLICABLE


def test_verdicts_are_not_copied_through_the_mapping() -> None:
    cats = {ETSI: mini_etsi(), "xiaomi-2.0": mini_xiaomi()}
    mapping = {f"{ETSI}:9.9-9": [("xiaomi-2.0:2.2", "equivalent")],
               "xiaomi-2.0:2.2": [(f"{ETSI}:9.9-9", "equivalent")]}
    out = assess(cats, profile("xiaomi: {level: L}"),
                 [finding("X#1", [f"{ETSI}:9.9-9"])], [], [], [], {},
                 mapper=lambda ref: mapping.get(ref, []))
    assert out[ETSI]["9.9-9"].verdict is VerdictValue.FAIL
    assert out["xiaomi-2.0"]["2.2"].verdict is VerdictValue.INCONCLUSIVE
    assert out["xiaomi-2.0"]["2.2"].mapped == [f"{ETSI}:9.9-9"]


def test_unknown_citation_is_reported_not_lost() -> None:
    a = build_assessment({ETSI: mini_etsi()}, None,
                         findings=[finding("X#1", [f"{ETSI}:7.7-7"])], mapper=lambda r: [])
    assert any("7.7-7" in e.message for e in a.errors)


def test_probe_observation_cited_by_its_outcome_is_listed_once() -> None:
    # A probe check's PASS outcome carries its observation as evidence, and the observation
    # itself cites the requirement too: the verdict listed it twice.
    ref = f"{ETSI}:9.9-9"
    obs = Observation(id="http/8080/management", kind="http", host="127.0.0.1", port=8080,
                      summary="20 management paths requested: 0 open", provisions=[ref])
    passed = outcome("IOTB-HTTP-003", OutcomeStatus.PASS, [ref])
    passed.evidence = [Evidence(kind="observation", ref=obs.id, detail=obs.summary)]
    v = run(profile(), outcomes=[passed], observations=[obs])[ETSI]["9.9-9"]
    assert v.verdict is VerdictValue.PASS
    assert [(e.kind, e.ref) for e in v.evidence] == [
        ("check", "IOTB-HTTP-003"), ("observation", "http/8080/management")]


def test_4_1_fail_cites_each_unjustified_recommendation() -> None:
    # 4-1 was FAIL with an empty evidence list: the recommendations it rests on were only named
    # in the reason text
    from iotbaseline.catalog.loader import load_catalog

    ref = f"{ETSI}:5.6-9"  # a recommendation (R) in Table B.1
    v = run(profile(), findings=[finding("IOTB-X-001#1", [ref])],
            catalogs={ETSI: load_catalog(ETSI)})[ETSI]
    assert v["5.6-9"].verdict is VerdictValue.FAIL
    four = v["4-1"]
    assert four.verdict is VerdictValue.FAIL
    assert [(e.kind, e.ref) for e in four.evidence] == [("note", ref)]
