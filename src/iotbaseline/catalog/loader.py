"""Load and validate the catalog and mapping data files shipped in ``catalog/data``.

Catalogs are data: every file is validated against ``catalog.model`` plus the cross-field rules
pydantic cannot express (unique ids, referenced conditions/chapters/levels/statuses exist,
mapping refs resolve). Any problem raises ``CatalogError`` naming the file and what is wrong, so
a broken data file stops the tool at start-up instead of yielding wrong verdicts later.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from iotbaseline.catalog.model import Catalog, MappingFile, MappingRow, Relation, Requirement

BASELINE_IDS: tuple[str, ...] = ("etsi-en-303-645", "xiaomi-2.0", "tencent-qtx-001.1", "owasp-isvs")
# Views of laws whose verdicts flow from the baselines through the mapping files (after the
# baselines, so an assessment decides a regulation's basis first).
REGULATION_IDS: tuple[str, ...] = (
    "uk-psti", "en-18031-1", "en-18031-2", "en-18031-3", "eu-cra-annex-i",
)
CATALOG_IDS: tuple[str, ...] = BASELINE_IDS + REGULATION_IDS

_INVERSE: dict[str, Relation] = {
    "equivalent": "equivalent",
    "narrower": "broader",
    "broader": "narrower",
    "related": "related",
}

_Model = TypeVar("_Model", bound=BaseModel)

# the C loader is several times faster; fall back when PyYAML was built without libyaml
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CatalogError(ValueError):
    """A catalog or mapping data file is missing, malformed or inconsistent."""


def _data_dir() -> Traversable:
    return resources.files("iotbaseline.catalog").joinpath("data")


def _read_yaml(path: Traversable, label: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CatalogError(f"{label}: file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{label}: cannot read: {exc}") from exc
    try:
        return yaml.load(text, Loader=_YamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise CatalogError(f"{label}:{where}: invalid YAML: {exc}") from exc


def _describe_loc(data: Any, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic error location into 'requirements[5.1-1].status' when ids are known."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            node = node[key]
            ident = node.get("id") if isinstance(node, dict) else None
            parts[-1:] = [f"{parts[-1] if parts else ''}[{ident if ident is not None else key}]"]
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts)


def _validate(model: type[_Model], data: Any, label: str) -> _Model:
    if not isinstance(data, dict):
        raise CatalogError(f"{label}: top level must be a mapping, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_describe_loc(data, tuple(err['loc']))}: {err['msg']}" for err in exc.errors()
        )
        raise CatalogError(f"{label}: {problems}") from exc


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dups: list[str] = []
    for value in values:
        if value in seen and value not in dups:
            dups.append(value)
        seen.add(value)
    return dups


def check_catalog(catalog: Catalog, label: str) -> None:
    """Cross-field rules: unique ids and every referenced condition/chapter/level/status exists."""
    problems: list[str] = []
    for what, ids in (
        ("requirement", [r.id for r in catalog.requirements]),
        ("condition", [c.id for c in catalog.conditions]),
        ("chapter", [c.id for c in catalog.chapters]),
    ):
        for dup in _duplicates(ids):
            problems.append(f"duplicate {what} id {dup!r}")
    condition_ids = {c.id for c in catalog.conditions}
    chapter_ids = {c.id for c in catalog.chapters}
    levels = set(catalog.levels)
    for req in catalog.requirements:
        for cond in req.conditions:
            if cond not in condition_ids:
                problems.append(f"requirement {req.id!r} names unknown condition {cond!r}")
        if req.chapter is not None and chapter_ids and req.chapter not in chapter_ids:
            problems.append(f"requirement {req.id!r} names unknown chapter {req.chapter!r}")
        for level in req.levels:
            if level not in levels:
                problems.append(f"requirement {req.id!r} names unknown level {level!r}")
        if req.status is not None and catalog.statuses and req.status not in catalog.statuses:
            problems.append(f"requirement {req.id!r} has unknown status {req.status!r}")
        if req.is_group and (req.status or req.levels or req.conditions):
            problems.append(f"group heading {req.id!r} must not carry status, levels or conditions")
    view = catalog.regulation
    if view is not None:
        for basis in view.basis:
            if basis not in BASELINE_IDS:
                problems.append(f"regulation basis {basis!r} is not a baseline catalog")
        if not view.basis:
            problems.append("a regulation view needs at least one basis catalog")
    if problems:
        raise CatalogError(f"{label}: " + "; ".join(problems))


@cache
def load_catalog(catalog_id: str) -> Catalog:
    """The validated catalog ``catalog_id`` (one of ``CATALOG_IDS``), cached per process."""
    if catalog_id not in CATALOG_IDS:
        raise CatalogError(
            f"unknown catalog {catalog_id!r}; known catalogs: {', '.join(CATALOG_IDS)}"
        )
    label = f"catalog/data/{catalog_id}.yaml"
    catalog = _validate(Catalog, _read_yaml(_data_dir() / f"{catalog_id}.yaml", label), label)
    if catalog.id != catalog_id:
        raise CatalogError(f"{label}: id {catalog.id!r} does not match the file name")
    check_catalog(catalog, label)
    return catalog


def load_catalogs(ids: list[str] | None = None) -> dict[str, Catalog]:
    """Several catalogs by id (all of ``CATALOG_IDS`` when ``ids`` is None), in the order asked."""
    return {cid: load_catalog(cid) for cid in (CATALOG_IDS if ids is None else ids)}


def parse_ref(ref: str) -> tuple[str, str]:
    """Split ``"catalog:requirement"`` into its two parts (the requirement id may hold colons)."""
    catalog_id, sep, req_id = ref.partition(":")
    if not sep or not catalog_id or not req_id:
        raise CatalogError(f"bad requirement reference {ref!r}: expected 'catalog:requirement'")
    return catalog_id, req_id


@cache
def _requirement_index(catalog_id: str) -> dict[str, Requirement]:
    return {r.id: r for r in load_catalog(catalog_id).requirements}


def requirement(ref: str) -> Requirement:
    """The requirement named by ``"catalog:id"``; ``CatalogError`` when it does not exist."""
    catalog_id, req_id = parse_ref(ref)
    try:
        return _requirement_index(catalog_id)[req_id]
    except KeyError:
        raise CatalogError(f"{ref!r}: no requirement {req_id!r} in catalog {catalog_id!r}") from None


def ref_exists(ref: str) -> bool:
    try:
        requirement(ref)
    except CatalogError:
        return False
    return True


def _mapping_paths() -> list[Traversable]:
    folder = _data_dir() / "mappings"
    if not folder.is_dir():
        return []
    return sorted(
        (p for p in folder.iterdir() if p.name.endswith((".yaml", ".yml"))), key=lambda p: p.name
    )


def check_mapping(mapping: MappingFile, label: str) -> None:
    """Every ref resolves (catalog requirement, or a declared external framework); no duplicates."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for row in mapping.rows:
        for ref in (row.source, row.target):
            try:
                framework, _ = parse_ref(ref)
            except CatalogError as exc:
                problems.append(str(exc))
                continue
            if framework in CATALOG_IDS:
                if not ref_exists(ref):
                    problems.append(f"unknown requirement {ref!r}")
            elif framework not in mapping.external_frameworks:
                problems.append(f"{ref!r}: framework {framework!r} is neither a catalog nor listed "
                                "in external_frameworks")
        key = (row.source, row.target)
        if key in seen or (row.target, row.source) in seen:
            problems.append(f"duplicate row {row.source} -> {row.target}")
        seen.add(key)
        if row.source == row.target:
            problems.append(f"row maps {row.source!r} to itself")
    if problems:
        raise CatalogError(f"{label}: " + "; ".join(problems))


@cache
def load_mapping_files() -> tuple[MappingFile, ...]:
    """All validated mapping files under ``catalog/data/mappings`` (sorted by file name)."""
    files: list[MappingFile] = []
    for path in _mapping_paths():
        label = f"catalog/data/mappings/{path.name}"
        mapping = _validate(MappingFile, _read_yaml(path, label), label)
        check_mapping(mapping, label)
        files.append(mapping)
    for dup in _duplicates(m.id for m in files):
        raise CatalogError(f"catalog/data/mappings: duplicate mapping id {dup!r}")
    return tuple(files)


def load_mappings() -> list[MappingRow]:
    """Every mapping row of every mapping file."""
    return [row for mapping in load_mapping_files() for row in mapping.rows]


@cache
def _mapping_index() -> dict[str, tuple[tuple[str, str], ...]]:
    index: dict[str, dict[str, str]] = defaultdict(dict)
    for row in load_mappings():
        index[row.source].setdefault(row.target, row.relation)
        index[row.target].setdefault(row.source, _INVERSE[row.relation])
    return {ref: tuple(sorted(targets.items())) for ref, targets in index.items()}


def mapped(ref: str) -> list[tuple[str, str]]:
    """``(other_ref, relation)`` pairs related to ``ref`` in any mapping, both directions.

    The relation reads from ``ref``'s side: ("x", "narrower") means ``ref`` is narrower than x.
    """
    parse_ref(ref)
    return list(_mapping_index().get(ref, ()))


def mapping_notes(ref: str) -> list[tuple[str, str, str | None]]:
    """Like ``mapped`` but with each row's note: ``(other_ref, relation, note)``."""
    out: list[tuple[str, str, str | None]] = []
    for row in load_mappings():
        if row.source == ref:
            out.append((row.target, row.relation, row.note))
        elif row.target == ref:
            out.append((row.source, _INVERSE[row.relation], row.note))
    return out


def clear_caches() -> None:
    """Forget loaded data (tests that swap data files)."""
    for fn in (load_catalog, _requirement_index, load_mapping_files, _mapping_index):
        fn.cache_clear()
