"""Every requirement of the three baselines has a way to be decided — a firmware check, the
live probe or a specific declaration field — and OWASP ISVS items without one fall back to the
generic attestation, named as such."""

from __future__ import annotations

import pydantic
import pytest
import yaml

from iotbaseline.assess.declarations import DECLARATION_PROVISIONS, REQUIREMENT_NEEDS
from iotbaseline.assess.profile import Declarations
from iotbaseline.assess.template import render_template
from iotbaseline.catalog.coverage import (
    collect_sources,
    coverage_table,
    requirement_coverage,
)
from iotbaseline.catalog.loader import load_catalog

BASELINES = ("etsi-en-303-645", "xiaomi-2.0", "tencent-qtx-001.1")


@pytest.fixture(scope="module")
def sources():
    return collect_sources()


@pytest.mark.parametrize("catalog_id", BASELINES)
def test_no_baseline_requirement_is_uncovered(sources, catalog_id: str) -> None:
    assert coverage_table(catalog_id, sources)["none"] == []
    # and none of them rests on the generic attestation: each has its own check or field
    by = requirement_coverage(catalog_id, sources)
    assert [rid for rid, ways in by.items() if ways == ["declaration:attestations"]] == []


def test_isvs_uncovered_items_fall_back_to_attestation_only(sources) -> None:
    table = coverage_table("owasp-isvs", sources)
    assert table["none"] == []
    by = requirement_coverage("owasp-isvs", sources)
    only_attested = {rid for rid, ways in by.items() if ways == ["declaration:attestations"]}
    specific = {rid for rid, ways in by.items() if ways != ["declaration:attestations"]}
    # hand-picked: process and hardware items no image or probe shows, and items a check
    # covers (V3.2.7 memory protections, V2.4.3 randomness, V3.2.4 component CVEs)
    assert {"V1.1.3", "V1.5.1", "V5.1.10", "V4.3.2"} <= only_attested
    assert {"V3.2.7", "V2.4.3", "V3.2.4", "V1.4.4", "V2.3.2"} <= specific
    isvs = load_catalog("owasp-isvs")
    assert only_attested | specific == {r.id for r in isvs.requirements if not r.is_group}


def test_vulnerability_check_counts_in_coverage(sources) -> None:
    from iotbaseline.vulns import findings

    # the requirements vulns/findings.py declares for IOTB-VULN-001
    assert "IOTB-VULN-001" in sources.checks["xiaomi-2.0:2.1.5"]
    for ref in getattr(findings, "PROVISIONS", ()):
        assert "IOTB-VULN-001" in sources.checks[ref]
    assert "check:IOTB-VULN-001" in requirement_coverage("tencent-qtx-001.1", sources)["5.1.6-2"]


def test_coverage_cites_only_existing_requirements(sources) -> None:
    assert sources.unknown_refs == ()


def _leaves(model: type[pydantic.BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, pydantic.BaseModel):
            out += _leaves(ann, f"{prefix}{name}.")
        else:
            out.append(prefix + name)
    return out


def test_every_declaration_field_exists_and_is_in_the_template() -> None:
    leaves = set(_leaves(Declarations))
    assert set(DECLARATION_PROVISIONS) <= leaves
    template = yaml.safe_load(render_template("camera"))["declarations"]
    for dotted in leaves:
        node = template
        for part in dotted.split("."):
            assert isinstance(node, dict) and part in node, f"template lacks {dotted}"
            node = node[part]


def test_every_declared_need_names_a_requirement_of_its_catalog() -> None:
    for ref in REQUIREMENT_NEEDS:
        catalog_id, _, rid = ref.partition(":")
        ids = {r.id for r in load_catalog(catalog_id).requirements if not r.is_group}
        assert rid in ids, ref
