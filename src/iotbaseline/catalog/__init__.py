"""Baseline catalogs (ETSI EN 303 645, Xiaomi 2.0, Tencent Q/TX 001.1, OWASP ISVS) as validated
data files, the mappings between them, and the loader."""

from iotbaseline.catalog.loader import (
    CATALOG_IDS,
    CatalogError,
    load_catalog,
    load_catalogs,
    load_mappings,
    mapped,
    parse_ref,
    requirement,
)

__all__ = [
    "CATALOG_IDS",
    "CatalogError",
    "load_catalog",
    "load_catalogs",
    "load_mappings",
    "mapped",
    "parse_ref",
    "requirement",
]
