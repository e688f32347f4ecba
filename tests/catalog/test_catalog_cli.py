"""`iotbaseline catalog …` through click's CliRunner, and the coverage table."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from iotbaseline.catalog import coverage as coverage_mod
from iotbaseline.catalog.coverage import CoverageSources, coverage_table, requirement_coverage
from iotbaseline.cli import catalog as catalog_cli
from iotbaseline.cli import main


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["catalog", *args], env={"COLUMNS": "220"})
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_every_catalog_with_counts() -> None:
    code, out, _ = _run("list")
    assert code == 0
    for cid in ("etsi-en-303-645", "xiaomi-2.0", "tencent-qtx-001.1", "owasp-isvs"):
        assert cid in out
    code, out, _ = _run("list", "--json")
    counts = {c["id"]: c["requirements"] for c in json.loads(out)}
    assert counts == {"etsi-en-303-645": 68, "xiaomi-2.0": 69, "tencent-qtx-001.1": 83,
                      "owasp-isvs": 169, "uk-psti": 10, "en-18031-1": 7, "en-18031-2": 7,
                      "en-18031-3": 3, "eu-cra-annex-i": 22}


def test_show_requirement_with_conditions_tests_and_mappings() -> None:
    code, out, _ = _run("show", "etsi-en-303-645", "5.3-10")
    assert code == 0
    assert "MC" in out and "(11)" in out and "(12)" in out
    assert "[profile: updates_via_network]" in out
    assert "IXIT: 7-UpdMech" in out
    code, out, _ = _run("show", "etsi-en-303-645", "5.1-1")
    assert "5.1-1-2 (functional)" in out
    assert "xiaomi-2.0:3.1.2" in out and "broader" in out
    code, out, _ = _run("show", "xiaomi-2.0", "3.1.2")
    assert "etsi-en-303-645:5.1-1" in out and "narrower" in out
    assert "levels: L, M, H" in out


def test_show_whole_catalog_and_errors() -> None:
    code, out, _ = _run("show", "tencent-qtx-001.1")
    assert code == 0 and "5.1.6-4" in out and "5.3.5-10" in out
    code, _, err = _run("show", "xiaomi-2.0", "9.9")
    assert code == 2 and "no requirement '9.9'" in err
    code, _, err = _run("show", "nope")
    assert code == 2 and "nope" in err


def test_export_json_csv_md(tmp_path) -> None:
    code, out, _ = _run("export", "etsi-en-303-645", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and len(doc["requirements"]) == 68
    assert doc["requirements"][0]["id"] == "4-1"

    code, out, _ = _run("export", "xiaomi-2.0", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len([r for r in rows if not r["is_group"]]) == 69
    row = next(r for r in rows if r["id"] == "1.5")
    assert row["levels"] == "H" and row["conditions"] == "smart-lock doorbell"

    target = tmp_path / "isvs.md"
    code, _, err = _run("export", "owasp-isvs", "--format", "md", "-o", str(target))
    text = target.read_text(encoding="utf-8")
    assert code == 0 and "wrote" in err
    assert "CC-BY-SA-4.0" in text and "| V1.1.1 |" in text
    assert text.count("\n| V") == 169


def test_coverage_table_partitions_requirements() -> None:
    sources = CoverageSources(
        checks={"etsi-en-303-645:5.1-1": ("IOTB-CRED-001",), "xiaomi-2.0:3.2.2": ("IOTB-X",)},
        probe=frozenset({"etsi-en-303-645:5.1-1", "etsi-en-303-645:5.6-2"}),
        declarations={"etsi-en-303-645:5.2-1": ("declarations.vdp.url",)},
    )
    table = coverage_table("etsi-en-303-645", sources)
    assert table["checks"] == ["5.1-1"]
    assert table["probe"] == ["5.1-1", "5.6-2"]
    assert table["declarations"] == ["5.2-1"]
    assert len(table["none"]) == 68 - 3 and "5.1-1" not in table["none"]
    per_req = requirement_coverage("etsi-en-303-645", sources)
    assert per_req["5.1-1"] == ["check:IOTB-CRED-001", "probe"]
    assert per_req["5.2-1"] == ["declaration:declarations.vdp.url"]
    # Xiaomi headings are not requirements
    assert "1.1" not in requirement_coverage("xiaomi-2.0", sources)


def test_coverage_cli_json_and_table(monkeypatch) -> None:
    sources = CoverageSources(
        checks={"tencent-qtx-001.1:5.1.6-4": ("IOTB-SEC-001",)},
        probe=frozenset(),
        declarations={},
        unknown_refs=("xiaomi-2.0:9.9",),
    )
    monkeypatch.setattr(catalog_cli, "collect_sources", lambda: sources)
    code, out, _ = _run("coverage", "tencent-qtx-001.1", "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["catalogs"]["tencent-qtx-001.1"]["checks"] == ["5.1.6-4"]
    assert len(doc["catalogs"]["tencent-qtx-001.1"]["none"]) == 82  # 83 with 5.2.2-0 (issue 16)
    assert doc["unknown_refs"] == ["xiaomi-2.0:9.9"]
    code, out, _ = _run("coverage")
    assert code == 0 and "firmware checks" in out and "owasp-isvs" in out
    assert "xiaomi-2.0:9.9" in out


def test_collect_sources_reads_the_live_tables() -> None:
    # whatever the other stages declare today, every requirement lands in at least one category
    sources = coverage_mod.collect_sources()
    table = coverage_table("etsi-en-303-645", sources)
    placed = set().union(*map(set, table.values()))
    assert len(placed) == 68
