"""The loader: validation errors name the file and the problem; refs and mappings resolve."""

from __future__ import annotations

import pytest

from iotbaseline.catalog import loader
from iotbaseline.catalog.loader import (
    CATALOG_IDS,
    CatalogError,
    check_catalog,
    load_catalog,
    load_catalogs,
    parse_ref,
    requirement,
)
from iotbaseline.catalog.model import Catalog


def test_all_catalogs_load_and_are_cached() -> None:
    catalogs = load_catalogs()
    assert list(catalogs) == list(CATALOG_IDS)
    assert load_catalog("etsi-en-303-645") is catalogs["etsi-en-303-645"]


def test_unknown_catalog_is_a_catalog_error() -> None:
    with pytest.raises(CatalogError, match="unknown catalog 'nope'"):
        load_catalog("nope")
    assert issubclass(CatalogError, ValueError)


def test_parse_ref_and_requirement() -> None:
    assert parse_ref("etsi-en-303-645:5.1-1") == ("etsi-en-303-645", "5.1-1")
    assert parse_ref("cra-annex-i:I(2)(a)") == ("cra-annex-i", "I(2)(a)")
    with pytest.raises(CatalogError, match="bad requirement reference"):
        parse_ref("5.1-1")
    assert requirement("etsi-en-303-645:5.6-4").conditions == ["13"]
    with pytest.raises(CatalogError, match="no requirement '9.9-9'"):
        requirement("etsi-en-303-645:9.9-9")


def _catalog(**overrides: object) -> Catalog:
    data: dict[str, object] = {
        "id": "t",
        "title": "T",
        "version": "1",
        "publisher": "p",
        "source": "s",
        "conditions": [{"id": "1", "summary": "c"}],
        "requirements": [
            {"id": "a", "summary": "x", "conditions": ["1"]},
            {"id": "b", "summary": "y"},
        ],
    }
    data.update(overrides)
    return Catalog.model_validate(data)


def test_check_catalog_rejects_duplicate_ids() -> None:
    cat = _catalog(requirements=[{"id": "a", "summary": "x"}, {"id": "a", "summary": "y"}])
    with pytest.raises(CatalogError, match=r"t\.yaml: duplicate requirement id 'a'"):
        check_catalog(cat, "t.yaml")


def test_check_catalog_rejects_unknown_condition_and_level() -> None:
    cat = _catalog(
        levels=["L"],
        requirements=[{"id": "a", "summary": "x", "conditions": ["99"], "levels": ["Q"]}],
    )
    with pytest.raises(CatalogError) as err:
        check_catalog(cat, "t.yaml")
    assert "unknown condition '99'" in str(err.value)
    assert "unknown level 'Q'" in str(err.value)


def test_check_catalog_accepts_consistent_catalog() -> None:
    check_catalog(_catalog(), "t.yaml")


def test_bad_yaml_and_bad_schema_name_file_and_field(tmp_path, monkeypatch) -> None:
    (tmp_path / "etsi-en-303-645.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    (tmp_path / "xiaomi-2.0.yaml").write_text(
        "id: xiaomi-2.0\ntitle: X\nversion: '2'\npublisher: p\nsource: s\n"
        "requirements:\n  - id: '1.1'\n    summary: s\n    colour: red\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(loader, "_data_dir", lambda: tmp_path)
    loader.clear_caches()
    try:
        with pytest.raises(CatalogError, match=r"etsi-en-303-645\.yaml: line \d+: invalid YAML"):
            load_catalog("etsi-en-303-645")
        with pytest.raises(CatalogError, match=r"xiaomi-2\.0\.yaml: requirements\[1\.1\]\.colour"):
            load_catalog("xiaomi-2.0")
    finally:
        loader.clear_caches()


def test_file_id_must_match_name(tmp_path, monkeypatch) -> None:
    (tmp_path / "owasp-isvs.yaml").write_text(
        "id: other\ntitle: X\nversion: '2'\npublisher: p\nsource: s\nrequirements: []\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(loader, "_data_dir", lambda: tmp_path)
    loader.clear_caches()
    try:
        with pytest.raises(CatalogError, match="does not match the file name"):
            load_catalog("owasp-isvs")
    finally:
        loader.clear_caches()
