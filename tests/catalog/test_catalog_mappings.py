"""Mappings: every ref resolves, relations are valid, no duplicates, and hand-verified rows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from iotbaseline.catalog import loader
from iotbaseline.catalog.loader import (
    CATALOG_IDS,
    CatalogError,
    check_mapping,
    load_mapping_files,
    load_mappings,
    mapped,
    parse_ref,
    ref_exists,
)
from iotbaseline.catalog.model import MappingFile, Relation

APPENDIX_B_MD = Path("/work/shared/reference/owasp-isvs/Appendix_B-Compliance_Mapping.md")


def _files() -> dict[str, MappingFile]:
    return {m.id: m for m in load_mapping_files()}


def test_both_mapping_files_load() -> None:
    assert set(_files()) == {"isvs-appendix-b", "etsi-xiaomi-tencent", "isvs-regulations",
                             "etsi-regulations"}


def test_every_ref_exists_and_relation_is_valid() -> None:
    valid = set(get_args(Relation))
    for mapping in load_mapping_files():
        for row in mapping.rows:
            assert row.relation in valid
            for ref in (row.source, row.target):
                framework, _ = parse_ref(ref)
                if framework in CATALOG_IDS:
                    assert ref_exists(ref), ref
                else:
                    assert framework in mapping.external_frameworks, ref


def test_no_duplicate_rows() -> None:
    for mapping in load_mapping_files():
        pairs = [frozenset((r.source, r.target)) for r in mapping.rows]
        assert len(pairs) == len(set(pairs)), mapping.id


def test_non_equivalent_rows_of_our_mapping_explain_themselves() -> None:
    ours = _files()["etsi-xiaomi-tencent"]
    assert len(ours.rows) >= 100
    for row in ours.rows:
        if row.relation != "equivalent":
            assert row.note and len(row.note) > 15, row


# Rows verified by hand against both texts (ETSI seed 002, Xiaomi 2.0 en, Tencent seed 004).
HAND_CHECKED = [
    ("xiaomi-2.0:3.1.2", "etsi-en-303-645:5.1-1", "narrower"),   # login-UI accounts only
    ("xiaomi-2.0:3.2.2", "etsi-en-303-645:5.1-1", "narrower"),   # system accounts only
    # brute force: ETSI only for network interfaces of non-constrained devices (issue 16)
    ("xiaomi-2.0:3.1.3", "etsi-en-303-645:5.1-5", "related"),
    ("tencent-qtx-001.1:5.2.2-0", "etsi-en-303-645:5.4-2", "broader"),  # ETSI: where used
    ("xiaomi-2.0:1.4", "etsi-en-303-645:5.7-1", "equivalent"),    # secure boot
    ("xiaomi-2.0:1.8", "etsi-en-303-645:5.4-2", "equivalent"),    # tamper-proof identity
    ("xiaomi-2.0:2.1.2", "etsi-en-303-645:5.3-2", "narrower"),    # ETSI example 4: anti-rollback
    ("xiaomi-2.0:5.7", "etsi-en-303-645:5.11-1", "equivalent"),   # factory reset wipes data
    ("xiaomi-2.0:6.5", "etsi-en-303-645:5.10-1", "equivalent"),   # log anomaly monitoring
    ("tencent-qtx-001.1:5.1.5-1", "etsi-en-303-645:5.7-1", "narrower"),  # Android verified boot
    ("tencent-qtx-001.1:5.2.1-4", "etsi-en-303-645:5.4-3", "narrower"),  # ZigBee default key
    ("xiaomi-2.0:1.1.2", "tencent-qtx-001.1:5.1.2-1", "equivalent"),    # PCB silkscreen
]


@pytest.mark.parametrize(("source", "target", "relation"), HAND_CHECKED)
def test_hand_checked_rows(source: str, target: str, relation: str) -> None:
    assert (target, relation) in mapped(source)


def test_mapped_inverts_relation_from_the_other_side() -> None:
    assert ("xiaomi-2.0:3.1.2", "broader") in mapped("etsi-en-303-645:5.1-1")
    assert ("xiaomi-2.0:1.4", "narrower") in mapped("tencent-qtx-001.1:5.1.5-1")
    assert ("xiaomi-2.0:1.4", "equivalent") in mapped("etsi-en-303-645:5.7-1")
    assert mapped("xiaomi-2.0:1.6") == []  # EMP shielding: no counterpart anywhere


def test_isvs_appendix_b_spot_rows() -> None:
    # V1.1.2 row of Appendix B Table 1: CRA 2(j), EN 18031-1 Partial, NIST DI (IMS), DS (DIN),
    # ETSI 5.6-1, 5.6-5
    got = {r.target: r.relation for r in _files()["isvs-appendix-b"].rows
           if r.source == "owasp-isvs:V1.1.2"}
    assert got == {
        "cra-annex-i:I.2(j)": "related",
        "red-2022-30:3.3(d)": "narrower",
        "nist-800-213a:DI(IMS)": "related",
        "nist-800-213a:DS(DIN)": "related",
        "etsi-en-303-645:5.6-1": "related",
        "etsi-en-303-645:5.6-5": "related",
    }
    # Appendix B calls "kernel capabilities" 3.3.4; in the requirement chapter it is V3.3.3
    assert ("etsi-en-303-645:5.6-3", "related") in mapped("owasp-isvs:V3.3.3")
    assert ("nist-800-213a:LA(ROL)", "related") in mapped("owasp-isvs:V3.3.3")
    partial = [r for r in load_mappings() if r.target.startswith("red-2022-30")]
    assert partial and all(r.note and r.note.startswith("Partial") for r in partial)


def test_isvs_etsi_rows_match_appendix_b_markdown() -> None:
    """Count the ETSI cells of Table 1 in the Markdown original (independent of the TSV)."""
    expected = 0
    for line in APPENDIX_B_MD.read_text(encoding="utf-8").splitlines():
        if re.match(r"\| \*\*\d+\.\d+\.\d+\*\*", line):
            expected += len(re.findall(r"\b[56](?:\.\d+)?-\d+\b", line.split("|")[-2]))
    rows = _files()["isvs-appendix-b"].rows
    got = sum(1 for r in rows if r.target.startswith("etsi-en-303-645:"))
    assert expected > 50 and got == expected


def test_check_mapping_rejects_bad_rows() -> None:
    bad = MappingFile.model_validate({
        "id": "x", "title": "x", "source": "x",
        "rows": [
            {"source": "etsi-en-303-645:5.1-1", "target": "xiaomi-2.0:9.9", "relation": "related"},
            {"source": "etsi-en-303-645:5.1-1", "target": "foo:1", "relation": "related"},
            {"source": "xiaomi-2.0:3.1.2", "target": "etsi-en-303-645:5.1-1",
             "relation": "narrower"},
            {"source": "etsi-en-303-645:5.1-1", "target": "xiaomi-2.0:3.1.2",
             "relation": "broader"},
        ],
    })
    with pytest.raises(CatalogError) as err:
        check_mapping(bad, "m.yaml")
    text = str(err.value)
    assert "unknown requirement 'xiaomi-2.0:9.9'" in text
    assert "framework 'foo'" in text
    assert "duplicate row" in text


def test_bad_relation_in_file_is_reported(tmp_path, monkeypatch) -> None:
    real = loader._data_dir()
    for name in ("etsi-en-303-645", "xiaomi-2.0", "tencent-qtx-001.1", "owasp-isvs"):
        (tmp_path / f"{name}.yaml").write_bytes((real / f"{name}.yaml").read_bytes())
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "m.yaml").write_text(
        "id: m\ntitle: m\nsource: s\nrows:\n"
        "  - {source: 'etsi-en-303-645:5.1-1', target: 'xiaomi-2.0:3.1.2', relation: same}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(loader, "_data_dir", lambda: tmp_path)
    loader.clear_caches()
    try:
        with pytest.raises(CatalogError, match=r"mappings/m\.yaml: rows\[0\]\.relation"):
            load_mappings()
    finally:
        loader.clear_caches()
