"""Which CPE vendor:product pairs (and OSV package names) a component is looked up under."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from iotbaseline.model import Component
from iotbaseline.vulns.cpe import parse_cpe


@dataclass(frozen=True)
class AliasTable:
    by_pair: dict[tuple[str, str], frozenset[tuple[str, str]]]
    by_name: dict[str, frozenset[tuple[str, str]]]
    names_of_pair: dict[tuple[str, str], frozenset[str]]
    osv_ecosystems: frozenset[str]  # lower-case ecosystem families of C/system software
    osv_packages: dict[str, frozenset[str]]  # component name -> further OSV package names


@lru_cache(maxsize=1)
def alias_table() -> AliasTable:
    text = resources.files("iotbaseline.vulns").joinpath("data/aliases.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    by_pair: dict[tuple[str, str], set[tuple[str, str]]] = {}
    by_name: dict[str, set[tuple[str, str]]] = {}
    names_of_pair: dict[tuple[str, str], set[str]] = {}
    for group in data["groups"]:
        pairs = {tuple(str(c).lower().split(":", 1)) for c in group["cpes"]}
        names = {str(n).lower() for n in group["names"]}
        for pair in pairs:
            by_pair.setdefault(pair, set()).update(pairs)  # type: ignore[arg-type]
            names_of_pair.setdefault(pair, set()).update(names)  # type: ignore[arg-type]
        for name in names:
            by_name.setdefault(name, set()).update(pairs)  # type: ignore[arg-type]
    osv = data.get("osv") or {}
    return AliasTable(
        by_pair={k: frozenset(v) for k, v in by_pair.items()},
        by_name={k: frozenset(v) for k, v in by_name.items()},
        names_of_pair={k: frozenset(v) for k, v in names_of_pair.items()},
        osv_ecosystems=frozenset(str(e).lower() for e in osv.get("ecosystems") or []),
        osv_packages={str(k).lower(): frozenset(str(n).lower() for n in v)
                      for k, v in (osv.get("packages") or {}).items()},
    )


def identities(component: Component) -> frozenset[tuple[str, str]]:
    """vendor:product pairs for a component: its CPE's pair plus that pair's aliases; by name
    only when the component carries no CPE."""
    table = alias_table()
    cpe = parse_cpe(component.cpe) if component.cpe else None
    if cpe is not None:
        pair = (cpe.vendor, cpe.product)
        return frozenset({pair}) | table.by_pair.get(pair, frozenset())
    return table.by_name.get(component.name.lower(), frozenset())


def package_names(component: Component) -> frozenset[str]:
    """Names an OSV package of this component may carry."""
    table = alias_table()
    names = {component.name.lower()} | table.osv_packages.get(component.name.lower(), frozenset())
    for pair in identities(component):
        names |= table.names_of_pair.get(pair, frozenset())
        names.add(pair[1])
    return frozenset(names)


def component_version(component: Component) -> str | None:
    """The version to compare: the CPE's version (+ update) when present, else ``version``."""
    cpe = parse_cpe(component.cpe) if component.cpe else None
    if cpe is not None and cpe.has_version:
        return cpe.full_version()
    return component.version or None
