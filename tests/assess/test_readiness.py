"""Regulation views and readiness: how verdicts flow from ETSI/ISVS through the mappings
(assess.regulation) and what READY / NOT READY / NEEDS EVIDENCE means (assess.readiness).

Expectations are written from the rules in docs/catalogs.md and from the legal texts (PSTI
Schedule 2 deems S1.1 met by ETSI 5.1-1 with 5.1-2, S1.2 by 5.2-1, S1.3 by 5.3-13), never
copied from output. The corpus tests use IOTBASELINE_CORPUS and skip, saying so, without it.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from iotbaseline.assess.engine import build_assessment
from iotbaseline.assess.profile import parse_profile
from iotbaseline.assess.readiness import regulation_readiness
from iotbaseline.assess.regulation import MappedVerdict, combine
from iotbaseline.catalog.loader import load_catalog, load_catalogs
from iotbaseline.model import (
    CheckOutcome,
    Finding,
    Location,
    OutcomeStatus,
    ReadinessStatus,
    Severity,
    Verdict,
    VerdictValue,
)

PASS, FAIL = VerdictValue.PASS, VerdictValue.FAIL
INC, NA = VerdictValue.INCONCLUSIVE, VerdictValue.NOT_APPLICABLE
PSTI = "uk-psti"
ETSI = "etsi-en-303-645"


def v(value: VerdictValue, reason: str = "r") -> Verdict:
    return Verdict(verdict=value, reason=reason)


def req(catalog_id: str, req_id: str):
    catalog = load_catalog(catalog_id)
    return catalog, next(r for r in catalog.requirements if r.id == req_id)


def decide(catalog_id: str, req_id: str, own: Verdict, *mapped: tuple[str, str, VerdictValue],
           direct: bool = False) -> Verdict:
    catalog, requirement = req(catalog_id, req_id)
    return combine(requirement, catalog, own,
                   [MappedVerdict(ref, rel, v(val, f"{ref} is {val.value}"))
                    for ref, rel, val in mapped],
                   directly_evidenced=direct)


OPEN = v(INC, "Not decided: missing the maker's attestation")


# ---- combine(): the flow rules ------------------------------------------------------------

def test_equivalent_fail_fails_and_names_the_baseline_verdict() -> None:
    out = decide(PSTI, "S1.1", OPEN, (f"{ETSI}:5.1-1", "equivalent", FAIL),
                 (f"{ETSI}:5.1-2", "broader", NA))
    assert out.verdict is FAIL
    assert f"{ETSI}:5.1-1" in out.reason
    assert any(e.ref == f"{ETSI}:5.1-1" and e.detail.startswith("FAIL") for e in out.evidence)


def test_a_failing_part_fails_the_whole() -> None:
    out = decide(PSTI, "S1.1", OPEN, (f"{ETSI}:5.1-1", "equivalent", PASS),
                 (f"{ETSI}:5.1-2", "broader", FAIL))
    assert out.verdict is FAIL and f"{ETSI}:5.1-2" in out.reason


def test_schedule_2_deemed_compliance_passes_only_with_both_parts() -> None:
    both = decide(PSTI, "S1.1", OPEN, (f"{ETSI}:5.1-1", "equivalent", PASS),
                  (f"{ETSI}:5.1-2", "broader", PASS))
    assert both.verdict is PASS
    no_factory_passwords = decide(PSTI, "S1.1", OPEN, (f"{ETSI}:5.1-1", "equivalent", PASS),
                                  (f"{ETSI}:5.1-2", "broader", NA))
    assert no_factory_passwords.verdict is PASS
    undecided = decide(PSTI, "S1.1", OPEN, (f"{ETSI}:5.1-1", "equivalent", PASS),
                       (f"{ETSI}:5.1-2", "broader", INC))
    assert undecided.verdict is INC
    assert any(f"{ETSI}:5.1-2" in m for m in undecided.missing)


def test_parts_alone_never_pass_and_say_what_is_missing() -> None:
    out = decide("eu-cra-annex-i", "I.2(d)", OPEN, (f"{ETSI}:5.1-1", "broader", PASS),
                 (f"{ETSI}:5.1-3", "broader", PASS))
    assert out.verdict is INC
    assert any("declarations.attestations['eu-cra-annex-i:I.2(d)']" in m
               and "only part" in m for m in out.missing)


def test_related_failure_asks_for_review_never_fails() -> None:
    attested = v(PASS, "Met, on the maker's attestation (declarations.attestations.x).")
    out = decide("eu-cra-annex-i", "I.2(l)", attested, (f"{ETSI}:5.10-1", "related", FAIL))
    assert out.verdict is INC
    assert any("review" in m and f"{ETSI}:5.10-1" in m for m in out.missing)
    clean = decide("eu-cra-annex-i", "I.2(l)", attested, (f"{ETSI}:5.10-1", "related", PASS))
    assert clean.verdict is PASS


def test_a_broader_baseline_failing_is_not_this_requirement_failing() -> None:
    # the regulation requirement is narrower than the baseline one: its failure may lie outside
    out = decide(PSTI, "S1.2", OPEN, (f"{ETSI}:5.2-1", "narrower", FAIL))
    assert out.verdict is INC and any("review" in m for m in out.missing)


def test_equivalent_not_applicable_carries_the_reason() -> None:
    out = decide(PSTI, "S1.1", OPEN, (f"{ETSI}:5.1-1", "equivalent", NA),
                 (f"{ETSI}:5.1-2", "broader", NA))
    assert out.verdict is NA and f"{ETSI}:5.1-1" in out.reason


def test_declaration_only_item_needs_the_attestation() -> None:
    out = decide(PSTI, "SoC.d", OPEN)
    assert out.verdict is INC
    assert out.missing == [("the maker's attestation declarations.attestations['uk-psti:SoC.d'] "
                            "(no firmware, probe or baseline evidence can show it)")]
    assert out.questions and "uk-psti:SoC.d" in out.questions[0]
    attested = decide(PSTI, "SoC.d", v(PASS, "Met, on the maker's attestation (x)."))
    assert attested.verdict is PASS


def test_own_failure_is_kept() -> None:
    out = decide(PSTI, "SoC.d", v(FAIL, "Not met: the maker attests it is not met (draft)."))
    assert out.verdict is FAIL and "draft" in out.reason


# ---- readiness ----------------------------------------------------------------------------

def test_readiness_statuses_from_verdicts() -> None:
    catalogs = load_catalogs([PSTI, "eu-cra-annex-i"])
    psti = {r.id: v(PASS) for r in catalogs[PSTI].requirements}
    cra = {r.id: v(NA) for r in catalogs["eu-cra-annex-i"].requirements if not r.is_group}
    ready = regulation_readiness(catalogs, {PSTI: psti, "eu-cra-annex-i": cra})
    assert [(r.regulation, r.status) for r in ready] == [
        ("uk-psti", ReadinessStatus.READY), ("eu-cra", ReadinessStatus.READY)]
    psti["SoC.b"] = v(INC)
    psti["S1.3"] = v(INC)
    (psti_view,) = regulation_readiness({PSTI: catalogs[PSTI]}, {PSTI: psti})
    assert psti_view.status is ReadinessStatus.NEEDS_EVIDENCE
    assert [b.ref for b in psti_view.blocking] == ["uk-psti:S1.3", "uk-psti:SoC.b"]
    psti["S1.1"] = v(FAIL)
    (psti_view,) = regulation_readiness({PSTI: catalogs[PSTI]}, {PSTI: psti})
    assert psti_view.status is ReadinessStatus.NOT_READY
    assert [b.ref for b in psti_view.blocking] == ["uk-psti:S1.1"]  # only the failures block
    assert psti_view.counts == {"PASS": 7, "FAIL": 1, "INCONCLUSIVE": 2, "NOT_APPLICABLE": 0}


def test_red_is_one_regulation_of_three_catalogs() -> None:
    a = build_assessment(load_catalogs(["en-18031-1", "en-18031-2", "en-18031-3"]), None)
    assert [(r.regulation, r.catalogs) for r in a.readiness] == [
        ("eu-red", ["en-18031-1", "en-18031-2", "en-18031-3"])]
    # no evidence at all: nothing can fail, nothing is decided
    assert a.readiness[0].status is ReadinessStatus.NEEDS_EVIDENCE
    assert a.readiness[0].counts["INCONCLUSIVE"] == 17


def _shadow_finding() -> Finding:
    return Finding(id="IOTB-CRED-001#1", check="IOTB-CRED-001", title="root logs in with 'admin'",
                   severity=Severity.CRITICAL, provisions=[f"{ETSI}:5.1-1"],
                   location=Location(path="/etc/shadow", line=1, root="rootfs"))


def test_universal_password_finding_blocks_psti_with_its_file() -> None:
    a = build_assessment(load_catalogs([PSTI]), None, [_shadow_finding()])
    assert set(a.verdicts) == {PSTI}  # the basis is assessed but not reported
    (psti,) = a.readiness
    assert psti.status is ReadinessStatus.NOT_READY
    (blocker,) = psti.blocking
    assert blocker.ref == "uk-psti:S1.1" and blocker.verdict is FAIL
    assert any(e.kind == "file" and e.ref == "rootfs:/etc/shadow" and e.line == 1
               for e in blocker.evidence)
    assert any(e.kind == "finding" and e.ref == "IOTB-CRED-001#1" for e in blocker.evidence)


READY_PROFILE = textwrap.dedent("""\
    product: {name: t, category: camera}
    constrained_device: false
    conditions: {uses_passwords: true, preinstalled_passwords: false}
    declarations:
      authentication: {password_scheme: user_defined}
      vulnerability_disclosure:
        url: https://example.com/security
        contact: security@example.com
        timelines: acknowledged within 5 working days
      support_period:
        end: 2030-12-31
        published_at: https://example.com/support
      attestations:
    """) + "".join(
    f"    'uk-psti:SoC.{x}': {{met: true, evidence: 'statement of compliance v1 item {x}'}}\n"
    for x in "abcdefg")


def test_psti_ready_with_declarations_and_a_passing_credential_check() -> None:
    profile = parse_profile(READY_PROFILE)
    passing = CheckOutcome(check="IOTB-CRED-001", title="password check",
                           status=OutcomeStatus.PASS, provisions=[f"{ETSI}:5.1-1"],
                           summary="no account with an empty or cracked password")
    a = build_assessment(load_catalogs([ETSI, PSTI]), profile, outcomes=[passing])
    verdicts = {rid: x.verdict for rid, x in a.verdicts[PSTI].items()}
    assert verdicts == {"S1.1": PASS, "S1.2": PASS, "S1.3": PASS,
                        **{f"SoC.{x}": PASS for x in "abcdefg"}}
    (psti,) = a.readiness
    assert psti.status is ReadinessStatus.READY and psti.blocking == []
    for rid, verdict in a.verdicts[PSTI].items():  # no PASS without the evidence it rests on
        assert verdict.evidence, rid
    assert any(e.ref == "IOTB-CRED-001" for e in a.verdicts[PSTI]["S1.1"].evidence)
    assert any(e.ref == "declarations.vulnerability_disclosure.url"
               for e in a.verdicts[PSTI]["S1.2"].evidence)
    # the same profile with a universal-password finding is not ready
    b = build_assessment(load_catalogs([PSTI]), profile, [_shadow_finding()], [passing])
    assert b.readiness[0].status is ReadinessStatus.NOT_READY


def test_red_parts_follow_their_profile_conditions() -> None:
    profile = parse_profile("product: {name: t, category: camera}\n"
                            "conditions: {processes_personal_data: true, "
                            "enables_monetary_transfer: false}\n")
    a = build_assessment(load_catalogs(["en-18031-2", "en-18031-3"]), profile)
    assert {x.verdict for x in a.verdicts["en-18031-3"].values()} == {NA}
    assert NA not in {x.verdict for x in a.verdicts["en-18031-2"].values()}
    unknown = build_assessment(load_catalogs(["en-18031-3"]), None, [Finding(
        id="f1", check="IOTB-X", title="weak TLS", severity=Severity.HIGH,
        provisions=["owasp-isvs:V4.1.2"])])
    # a baseline failure cannot show that payments exist: undecided, with the question asked
    channel = unknown.verdicts["en-18031-3"]["transaction-channel-encryption"]
    assert channel.verdict is INC
    assert any("enables_monetary_transfer" in q for q in channel.questions)


# ---- reports ------------------------------------------------------------------------------

def test_readiness_in_json_sarif_html_and_terminal(tmp_path: Path, capsys) -> None:
    from iotbaseline.cli.summary import print_readiness
    from iotbaseline.report.html import render_html
    from iotbaseline.report.sarif import build_sarif

    catalogs = load_catalogs([PSTI])
    a = build_assessment(catalogs, None, [_shadow_finding()])
    data = json.loads(a.to_json())
    assert data["readiness"][0]["status"] == "NOT READY"
    assert data["readiness"][0]["blocking"][0]["ref"] == "uk-psti:S1.1"
    sarif = build_sarif(a)
    props = sarif["runs"][0]["properties"]["regulationReadiness"]
    assert props[0]["status"] == "NOT READY" and props[0]["blocking"][0]["ref"] == "uk-psti:S1.1"
    page = render_html(a, catalogs)
    section = page[page.index('<section id="readiness">'):]
    section = section[:section.index("</section>")]
    assert "NOT READY" in section and "uk-psti:S1.1" in section and "/etc/shadow" in section
    print_readiness(a)
    out = capsys.readouterr().out
    assert "UK PSTI" in out and "NOT READY" in out and "rootfs:/etc/shadow:1" in out


# ---- real images -------------------------------------------------------------------------

def _scan(image: Path, out: Path, profile: Path | None = None) -> dict:
    from click.testing import CliRunner

    from iotbaseline.cli import main

    args = ["scan", str(image), "-o", str(out), "--no-db", "--format", "json",
            "--crack-seconds", "2"]
    if profile is not None:
        args += ["--profile", str(profile)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 1), result.output
    return json.loads((out / "assessment.json").read_text())


def _status(data: dict) -> dict[str, str]:
    return {r["regulation"]: r["status"] for r in data["readiness"]}


def test_librarybox_no_root_password_and_telnet_block_psti(openwrt_image: Path,
                                                            tmp_path: Path) -> None:
    """GROUND_TRUTH.md fact 1: root has no password (/etc/shadow 'root:x') and
    /etc/init.d/telnet starts telnetd while root has no password."""
    data = _scan(openwrt_image, tmp_path / "out")
    assert _status(data) == {"uk-psti": "NOT READY", "eu-red": "NOT READY",
                             "eu-cra": "NOT READY"}
    psti = next(r for r in data["readiness"] if r["regulation"] == "uk-psti")
    s11 = next(b for b in psti["blocking"] if b["ref"] == "uk-psti:S1.1")
    assert any(e["kind"] == "file" and e["ref"].endswith("/etc/shadow") for e in s11["evidence"])
    red = next(r for r in data["readiness"] if r["regulation"] == "eu-red")
    surface = next(b for b in red["blocking"] if b["ref"] == "en-18031-1:attack-surface")
    assert any(e["ref"].endswith("/etc/init.d/telnet") for e in surface["evidence"])
    # no disclosure policy or support period can be read from an image: never FAIL, undecided
    assert data["verdicts"]["uk-psti"]["S1.2"]["verdict"] == "INCONCLUSIVE"
    assert data["verdicts"]["uk-psti"]["S1.3"]["verdict"] == "INCONCLUSIVE"


def test_demo_image_readiness(tmp_path: Path) -> None:
    """The demo camera (src/iotbaseline/demo/build.py) has a hard-coded root password shared
    by every unit, and its profile declares the disclosure policy and support period."""
    from iotbaseline.demo import demo_profile_path
    from iotbaseline.demo.build import build_demo_image

    image = build_demo_image(tmp_path / "demo").path
    data = _scan(image, tmp_path / "out", demo_profile_path())
    assert _status(data) == {"uk-psti": "NOT READY", "eu-red": "NOT READY",
                             "eu-cra": "NOT READY"}
    psti = data["verdicts"]["uk-psti"]
    assert psti["S1.1"]["verdict"] == "FAIL"
    assert psti["S1.2"]["verdict"] == "PASS"  # disclosure policy URL, contact, timelines declared
    assert psti["S1.3"]["verdict"] == "PASS"  # support period end and where it is published
    assert {psti[f"SoC.{x}"]["verdict"] for x in "abcdefg"} == {"INCONCLUSIVE"}
    # the demo profile says the camera takes no payments
    assert {x["verdict"] for x in data["verdicts"]["en-18031-3"].values()} == {"NOT_APPLICABLE"}


def test_assess_cli_ends_with_readiness(tmp_path: Path) -> None:
    """`iotbaseline assess --findings` with a universal-password finding and the demo profile
    (disclosure policy and support period declared): PSTI is blocked by S1.1 only."""
    from click.testing import CliRunner

    from iotbaseline.cli import main
    from iotbaseline.demo import demo_profile_path
    from iotbaseline.model import FindingsFile

    findings = tmp_path / "findings.json"
    findings.write_text(FindingsFile(findings=[_shadow_finding()]).model_dump_json(by_alias=True))
    result = CliRunner().invoke(main, ["assess", "--profile", str(demo_profile_path()),
                                       "--findings", str(findings), "--catalog", PSTI,
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Regulation readiness" in result.output
    line = next(x for x in result.output.splitlines() if x.strip().startswith("UK PSTI"))
    assert "NOT READY" in line and "1 of 10 requirements not met" in line
    assert "uk-psti:S1.1" in result.output and "uk-psti:S1.2" not in result.output
