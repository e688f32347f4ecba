"""ICS (Table B.1) rendering, assessment.json and its shipped JSON Schema."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from iotbaseline.assess.engine import build_assessment
from iotbaseline.assess.profile import load_profile
from iotbaseline.catalog.loader import load_catalogs
from iotbaseline.demo import demo_profile_path
from iotbaseline.model import (
    Assessment,
    CheckOutcome,
    Evidence,
    Finding,
    Location,
    OutcomeStatus,
    Severity,
)
from iotbaseline.report.ics import render_ics_csv, render_ics_markdown
from iotbaseline.report.schema import assessment_json_schema, schema_text

ETSI = "etsi-en-303-645"
DOCS_SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "assessment.schema.json"

# Table B.1 statuses, written out by hand from the standard's table (5.3-10 carries conditions
# 11 and 12, so it is conditional; 4-1 is a 'shall' of clause 4).
TABLE_B1 = {
    "4-1": "M", "5.1-1": "MC (1)", "5.1-2": "MC (2)", "5.1-3": "M", "5.1-4": "MC (8)",
    "5.1-5": "MC (5)", "5.2-1": "M", "5.2-2": "R", "5.2-3": "R", "5.3-1": "R", "5.3-2": "MC (5)",
    "5.3-3": "MC (12)", "5.3-4": "RC (12)", "5.3-5": "RC (12)", "5.3-6": "RC (9, 12)",
    "5.3-7": "MC (12)", "5.3-8": "MC (12)", "5.3-9": "RC (12)", "5.3-10": "MC (11, 12)",
    "5.3-11": "RC (12)", "5.3-12": "RC (12)", "5.3-13": "M", "5.3-14": "RC (3, 4)",
    "5.3-15": "RC (3, 4)", "5.3-16": "M", "5.4-1": "M", "5.4-2": "MC (10)", "5.4-3": "M",
    "5.4-4": "M", "5.5-1": "M", "5.5-2": "R", "5.5-3": "R", "5.5-4": "R", "5.5-5": "M",
    "5.5-6": "R", "5.5-7": "M", "5.5-8": "M", "5.6-1": "M", "5.6-2": "M", "5.6-3": "R",
    "5.6-4": "MC (13)", "5.6-5": "R", "5.6-6": "R", "5.6-7": "R", "5.6-8": "R", "5.6-9": "R",
    "5.7-1": "R", "5.7-2": "R", "5.8-1": "R", "5.8-2": "M", "5.8-3": "M", "5.9-1": "R",
    "5.9-2": "R", "5.9-3": "R", "5.10-1": "RC (6)", "5.11-1": "M", "5.11-2": "R",
    "5.11-3": "R", "5.11-4": "R", "5.12-1": "R", "5.12-2": "R", "5.12-3": "R", "5.13-1": "M",
    "6-1": "M", "6-2": "MC (7)", "6-3": "M", "6-4": "RC (6)", "6-5": "MC (6)",
}


@pytest.fixture(scope="module")
def catalogs():
    return load_catalogs()


@pytest.fixture(scope="module")
def demo_assessment(catalogs) -> Assessment:
    """Demo profile plus: a failing finding on 5.1-1, a PASS check on 5.6-1, and a declared
    'not done' recommendation without justification (5.3-6)."""
    prof = load_profile(demo_profile_path())
    prof.declarations.updates.enabled_by_default_and_configurable = False
    shadow = Finding(
        id="IOTB-CRED-001#1", check="IOTB-CRED-001", title="Universal root password",
        severity=Severity.CRITICAL, provisions=[f"{ETSI}:5.1-1"],
        location=Location(path="/etc/shadow", sha256="12" * 32, line=1),
        evidence=[Evidence(kind="file", ref="/etc/shadow", excerpt="root:$1$…:0:")],
        secret="admin", redacted="a***n")
    ports = CheckOutcome(check="IOTB-SVC-001", title="No unused services",
                         status=OutcomeStatus.PASS, provisions=[f"{ETSI}:5.6-1"],
                         summary="init scripts start no telnet/ftp")
    return build_assessment(catalogs, prof, findings=[shadow], outcomes=[ports])


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_ics_csv_has_68_rows_with_table_b1_statuses(demo_assessment, catalogs) -> None:
    rows = csv_rows(render_ics_csv(demo_assessment, catalogs))
    assert len(rows) == 68
    assert {r["provision"]: r["status"] for r in rows} == TABLE_B1


def test_ics_support_mapping(demo_assessment, catalogs) -> None:
    rows = {r["provision"]: r for r in csv_rows(render_ics_csv(demo_assessment, catalogs))}
    expected = {"5.1-1": ("N", "FAIL"), "5.6-1": ("Y", "PASS"), "5.2-1": ("Y", "PASS"),
                "5.3-14": ("N/A", "NOT_APPLICABLE"), "5.4-2": ("N/A", "NOT_APPLICABLE"),
                "5.5-8": ("?", "INCONCLUSIVE"), "5.3-4": ("N", "FAIL"), "5.3-6": ("N", "FAIL")}
    for rid, (support, verdict) in expected.items():
        assert (rows[rid]["support"], rows[rid]["verdict"]) == (support, verdict), rid
    for row in rows.values():
        assert row["support"] == {"PASS": "Y", "FAIL": "N", "NOT_APPLICABLE": "N/A",
                                  "INCONCLUSIVE": "?"}[row["verdict"]]
    assert "IOTB-CRED-001#1" in rows["5.1-1"]["detail"] and "/etc/shadow" in rows["5.1-1"]["detail"]
    assert "declarations.security_parameters.management_process" in rows["5.5-8"]["detail"]
    # recommendations not met: the 4-1 justification, or a request for one
    assert "Justification (4-1): updates change recording behaviour" in rows["5.3-4"]["detail"]
    assert "justification required (4-1)" in rows["5.3-6"]["detail"]
    assert "justification required" not in rows["5.1-1"]["detail"]  # mandatory, not an R
    assert "5.3-6" in rows["4-1"]["detail"] and rows["4-1"]["support"] == "N"


def test_ics_markdown_table(demo_assessment, catalogs) -> None:
    md = render_ics_markdown(demo_assessment, catalogs)
    provision_rows = [line for line in md.splitlines()
                      if line.startswith("| ") and not line.startswith("| **")
                      and line.split("|")[2].strip() in TABLE_B1]
    assert len(provision_rows) == 68
    assert "| 5.1 | 5.1-1 | MC (1) | N |" in md
    assert "| 12 | An update mechanism is implemented. | `update_mechanism` | holds (" in md
    # condition 3 is "NOT updatable": the demo's software_updatable: true means it does not hold
    assert "| `software_updatable` (holds when false) | does not hold (" in md


def test_assessment_json_validates_against_shipped_schema(demo_assessment) -> None:
    assert DOCS_SCHEMA.read_text(encoding="utf-8") == schema_text(), (
        "docs/assessment.schema.json is stale: "
        "python -m iotbaseline.report.schema docs/assessment.schema.json")
    schema = json.loads(DOCS_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads(demo_assessment.to_json())
    assert data["schema"] == "iotbaseline.assessment/1"
    assert "secret" not in data["findings"][0]
    assert json.loads(demo_assessment.to_json(show_secrets=True))["findings"][0]["secret"] == "admin"
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    broken = json.loads(demo_assessment.to_json())
    broken["verdicts"][ETSI]["5.1-1"]["verdict"] = "MAYBE"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema, cls=jsonschema.Draft202012Validator)
    wrong_version = dict(data, schema="iotbaseline.assessment/0")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong_version, schema, cls=jsonschema.Draft202012Validator)


def test_required_top_level_keys(demo_assessment) -> None:
    data = json.loads(demo_assessment.to_json())
    assert {"schema", "tool", "target", "profile", "findings", "components", "verdicts",
            "errors"} <= set(data)
    v = data["verdicts"][ETSI]["5.1-1"]
    assert v["verdict"] == "FAIL" and v["reason"] and v["evidence"]
    assert set(assessment_json_schema()["required"]) >= {"schema", "tool", "target"}
