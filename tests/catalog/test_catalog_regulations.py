"""The regulation views (EU CRA Annex I, EN 18031-1/-2/-3, UK PSTI): structure against tables
transcribed by hand from the legal texts and from OWASP ISVS Appendix B (never from the YAML),
export, mappings, coverage, and the licence files."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from iotbaseline.catalog import loader
from iotbaseline.catalog.coverage import (
    collect_sources,
    regulation_decidability,
    requirement_coverage,
)
from iotbaseline.catalog.export import render
from iotbaseline.catalog.loader import (
    REGULATION_IDS,
    CatalogError,
    check_catalog,
    load_catalog,
    load_mapping_files,
    mapped,
)
from iotbaseline.catalog.model import DECLARATION_ONLY, Catalog

REPO = Path(__file__).resolve().parents[2]
APPENDIX_B_MD = Path("/work/shared/reference/owasp-isvs/Appendix_B-Compliance_Mapping.md")

# Regulation (EU) 2024/2847 Annex I: Part I points (1) and (2)(a)-(m), Part II points (1)-(8).
CRA_IDS = (["I.1"] + [f"I.2({c})" for c in "abcdefghijklm"] + [f"II.{n}" for n in range(1, 9)])
# SI 2023/1007 Schedule 1 paragraphs 1-3 and the seven statement-of-compliance items.
PSTI_IDS = ["S1.1", "S1.2", "S1.3"] + [f"SoC.{x}" for x in "abcdefg"]
# OWASP ISVS Appendix B Table 2: control areas per part of EN 18031 (rows of each table).
EN18031_AREAS = {"en-18031-1": 7, "en-18031-2": 7, "en-18031-3": 3}
REGULATION_OF = {"uk-psti": "uk-psti", "en-18031-1": "eu-red", "en-18031-2": "eu-red",
                 "en-18031-3": "eu-red", "eu-cra-annex-i": "eu-cra"}


def assessed(catalog: Catalog) -> list[str]:
    return [r.id for r in catalog.requirements if not r.is_group]


def test_cra_annex_i_structure() -> None:
    cat = load_catalog("eu-cra-annex-i")
    assert assessed(cat) == CRA_IDS
    assert {r.status for r in cat.requirements if not r.is_group} == {"M"}
    assert [r.id for r in cat.requirements if r.is_group] == ["I.2"]


def test_psti_structure_and_deemed_compliance_mapping() -> None:
    cat = load_catalog("uk-psti")
    assert assessed(cat) == PSTI_IDS
    # Schedule 2: 5.1-1 and 5.1-2 for passwords, 5.2-1 for reporting, 5.3-13 for support period
    assert ("etsi-en-303-645:5.1-1", "equivalent") in mapped("uk-psti:S1.1")
    assert ("etsi-en-303-645:5.1-2", "broader") in mapped("uk-psti:S1.1")
    assert ("etsi-en-303-645:5.2-1", "equivalent") in mapped("uk-psti:S1.2")
    assert ("etsi-en-303-645:5.3-13", "equivalent") in mapped("uk-psti:S1.3")
    soc = [r for r in cat.requirements if r.id.startswith("SoC.")]
    assert all(DECLARATION_ONLY in r.tags for r in soc)


def _table2_rows() -> dict[str, list[tuple[str, bool]]]:
    """Appendix B Table 2, read from the Markdown: section heading -> [(ISVS id, partial)]."""
    text = APPENDIX_B_MD.read_text(encoding="utf-8").split("## Table 2")[1]
    text = text.split("### NIST")[0]
    out: dict[str, list[tuple[str, bool]]] = {}
    for section in text.split("\n### ")[1:]:
        head = section.splitlines()[0]
        cells = []
        for line in section.splitlines():
            if re.match(r"\| (?!-|CRA|RED)", line):
                last = line.strip().strip("|").split("|")[-1]
                cells += [(m.group(1), bool(m.group(2)))
                          for m in re.finditer(r"(\d+\.\d+\.\d+)(\*\*\(P\)\*\*)?", last)]
        out[head] = cells
    return out


def test_en_18031_control_areas_follow_appendix_b_table_2() -> None:
    for catalog_id, count in EN18031_AREAS.items():
        assert len(assessed(load_catalog(catalog_id))) == count
    table2 = _table2_rows()
    rows = {m.id: m for m in load_mapping_files()}["isvs-regulations"].rows
    for part, word in (("en-18031-1", "3.3(d)"), ("en-18031-2", "3.3(e)"),
                       ("en-18031-3", "3.3(f)")):
        (head,) = [h for h in table2 if word in h]
        ours = [r for r in rows if r.target.startswith(part + ":")]
        assert len(ours) == len(table2[head]) > 0
        partial = sum(1 for _, p in table2[head] if p)
        assert sum(1 for r in ours if r.note and r.note.startswith("Partial")) == partial


def test_cra_rows_follow_appendix_b_table_2() -> None:
    table2 = _table2_rows()
    rows = {m.id: m for m in load_mapping_files()}["isvs-regulations"].rows
    part1 = next(h for h in table2 if "Part I" in h and "Part II" not in h)
    part2 = next(h for h in table2 if "Part II" in h)
    cra = [r for r in rows if r.target.startswith("eu-cra-annex-i:")]
    assert len(cra) == len(table2[part1]) + len(table2[part2])
    # spot rows, read by hand: 2(d) lists 2.1.1; 2(k) lists 3.1.1 as (P); SBOM is 1.2.1
    assert ("owasp-isvs:V2.1.1", "narrower") in mapped("eu-cra-annex-i:I.2(d)") or \
        ("owasp-isvs:V2.1.1", "broader") in mapped("eu-cra-annex-i:I.2(d)")
    assert any(r.source == "owasp-isvs:V3.1.1" and r.target == "eu-cra-annex-i:I.2(k)"
               and r.note and r.note.startswith("Partial") for r in rows)
    assert any(r.source == "owasp-isvs:V1.2.1" and r.target == "eu-cra-annex-i:II.1"
               for r in rows)
    # CRA 2(i) is an ecosystem obligation with no ISVS requirement (Appendix B note 7)
    assert not [r for r in rows if r.target == "eu-cra-annex-i:I.2(i)"]


@pytest.mark.parametrize("catalog_id", REGULATION_IDS)
def test_each_view_is_a_regulation_with_sources(catalog_id: str) -> None:
    cat = load_catalog(catalog_id)
    assert cat.regulation is not None
    assert cat.regulation.id == REGULATION_OF[catalog_id]
    assert cat.regulation.basis == ["etsi-en-303-645", "owasp-isvs"]
    assert cat.source and cat.notes


@pytest.mark.parametrize("catalog_id", REGULATION_IDS)
def test_every_requirement_has_an_evidence_source_or_says_declaration_only(
        catalog_id: str) -> None:
    sources = collect_sources()
    coverage = requirement_coverage(catalog_id, sources)
    decidable = regulation_decidability(catalog_id)
    assert decidable["none"] == []
    for req_id, by in coverage.items():
        assert by, f"{catalog_id}:{req_id} has no evidence source"
    for req_id in decidable["declaration-only"]:
        assert coverage[req_id] == ["declaration:attestations"] or \
            "declaration:attestations" in coverage[req_id]


def test_decidability_of_psti_and_cra() -> None:
    assert regulation_decidability("uk-psti") == {
        "whole": ["S1.1", "S1.2", "S1.3"], "part": [],
        "declaration-only": [f"SoC.{x}" for x in "abcdefg"], "none": []}
    cra = regulation_decidability("eu-cra-annex-i")
    assert cra["whole"] == []  # no baseline requirement covers a whole CRA point
    assert set(cra["declaration-only"]) == {"I.1", "I.2(i)", "II.3", "II.4"}
    with pytest.raises(CatalogError):
        regulation_decidability("etsi-en-303-645")


def test_our_etsi_rows_explain_themselves() -> None:
    ours = {m.id: m for m in load_mapping_files()}["etsi-regulations"]
    for row in ours.rows:
        assert row.note and len(row.note) > 15, row
        assert row.source.startswith("etsi-en-303-645:")


@pytest.mark.parametrize("catalog_id", REGULATION_IDS)
def test_export_json_csv_md(catalog_id: str) -> None:
    cat = load_catalog(catalog_id)
    doc = json.loads(render(cat, "json"))
    assert doc["id"] == catalog_id and doc["regulation"]["id"] == REGULATION_OF[catalog_id]
    rows = list(csv.DictReader(io.StringIO(render(cat, "csv"))))
    assert [r["id"] for r in rows if not r["is_group"]] == assessed(cat)
    md = render(cat, "md")
    assert md.startswith(f"# {cat.title}") and all(f"| {rid} |" in md for rid in assessed(cat))


def test_regulation_basis_must_be_a_baseline() -> None:
    bad = load_catalog("uk-psti").model_copy(update={
        "regulation": load_catalog("uk-psti").regulation.model_copy(  # type: ignore[union-attr]
            update={"basis": ["eu-cra-annex-i"]})})
    with pytest.raises(CatalogError, match="not a baseline"):
        check_catalog(bad, "uk-psti.yaml")
    assert loader.CATALOG_IDS[-len(REGULATION_IDS):] == REGULATION_IDS  # baselines first


def test_licence_files() -> None:
    license_text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    notice = (REPO / "NOTICE").read_text(encoding="utf-8")
    for needle in ("CC BY-SA 4.0", "Cédric Bassem", "Théo Rigas", "owasp-isvs.yaml",
                   "isvs-regulations.yaml", "nvd-sample.jsonl.gz", "not endorsed or certified"):
        assert needle in notice, needle
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'license = "Apache-2.0 AND CC-BY-SA-4.0"' in pyproject
    for path in ("owasp-isvs.yaml", "mappings/isvs-appendix-b.yaml",
                 "mappings/isvs-regulations.yaml"):
        text = (REPO / "src/iotbaseline/catalog/data" / path).read_text(encoding="utf-8")
        assert "Cédric Bassem" in text and "Théo Rigas" in text and "Cedric" not in text


def test_coverage_cli_shows_what_the_evidence_decides() -> None:
    from click.testing import CliRunner

    from iotbaseline.cli import main

    result = CliRunner().invoke(main, ["catalog", "coverage", "uk-psti", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["regulation_views"]["uk-psti"]["whole"] == ["S1.1", "S1.2", "S1.3"]
    assert "S1.1" in doc["catalogs"]["uk-psti"]["checks"]  # via ETSI 5.1-1's checks
    text = CliRunner().invoke(main, ["catalog", "coverage", "eu-cra-annex-i"]).output
    assert "what the evidence can decide" in text and "attestation only" in text
