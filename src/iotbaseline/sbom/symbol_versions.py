"""Component evidence from ELF symbol versions (.gnu.version_d and .gnu.version_r).

A library that versions its symbols defines one node per release that added symbols
(``GLIBC_2.17``, ``OPENSSL_1_1_1d``, ``ZLIB_1.2.9``); a program records the nodes it uses. The
newest node is a *floor*: the library is that release or a later one. So this evidence
- confirms a version read elsewhere for the same instance (the version is at or above the floor);
- turns into a reported conflict when it contradicts it (the version is below the floor: the
  string and the symbol table cannot both be right, and we do not pick one);
- on its own names the component without a version (the floor goes in a note, never as the
  version: CVE ranges need the real release).
Nodes needed by programs (.gnu.version_r) are checked the same way against the component of
their root, but only as a note: a stray program built for another system does not make the
library's own version wrong.

Data: ``data/symbol_versions.yaml``. Parsing: pyelftools, on bytes already read; a malformed
ELF yields nothing (firmware is hostile). pyelftools costs ~1–8 ms per file, so programs are
read for .gnu.version_r only while a root has fewer than ``MAX_PROGRAMS_PER_ROOT`` of them.
"""

from __future__ import annotations

import fnmatch
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from iotbaseline.model import ComponentEvidence, FileEntry
from iotbaseline.sbom import SbomError
from iotbaseline.vulns.versions import version_key

MAX_PROGRAMS_PER_ROOT = 32
_VER_FLG_BASE = 0x1


@dataclass(frozen=True)
class SymbolRule:
    component: str
    defines: tuple[str, ...]
    provides: tuple[str, ...]
    node: re.Pattern[str]
    version: str
    source: str

    def release(self, node: str) -> str | None:
        m = self.node.match(node)
        if m is None:
            return None
        return self.version.format(None, *(g or "" for g in m.groups()))


@dataclass(frozen=True)
class SymbolFloor:
    """The newest node of one component seen in one file: the component is at least ``floor``."""

    component: str
    floor: str
    node: str
    path: str
    root: str | None
    sha256: str | None
    needed_from: str | None = None  # soname, for a node a program needs (.gnu.version_r)

    def evidence(self) -> ComponentEvidence:
        if self.needed_from:
            what = f"needs {self.node} from {self.needed_from}"
            method = f"symbol-needs:{self.component}"
        else:
            what = f"defines symbol version {self.node} (newest)"
            method = f"symbol-version:{self.component}"
        return ComponentEvidence(path=self.path, root=self.root, method=method,
                                 match=f"{what}: at least {self.floor}", sha256=self.sha256)


@lru_cache(maxsize=1)
def load_rules() -> tuple[SymbolRule, ...]:
    text = resources.files("iotbaseline.sbom").joinpath("data/symbol_versions.yaml").read_text("utf-8")
    try:
        data: dict[str, Any] = yaml.safe_load(text)
        return tuple(SymbolRule(name, tuple(e["defines"]), tuple(e["provides"]),
                                re.compile(e["node"]), str(e["version"]), str(e["source"]))
                     for name, e in data["components"].items())
    except (KeyError, TypeError, re.error, yaml.YAMLError) as exc:
        raise SbomError(f"data/symbol_versions.yaml: {exc}") from exc


def read_version_nodes(data: bytes) -> tuple[list[str], list[tuple[str, str]]]:
    """(nodes the file defines, (soname, node) pairs it needs); empty on a malformed ELF."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    from elftools.elf.gnuversions import GNUVerDefSection, GNUVerNeedSection

    defined: list[str] = []
    needed: list[tuple[str, str]] = []
    try:
        elf = ELFFile(io.BytesIO(data))
        for section in elf.iter_sections():
            if isinstance(section, GNUVerDefSection):
                for verdef, auxiliaries in section.iter_versions():
                    if verdef["vd_flags"] & _VER_FLG_BASE:
                        continue  # the library's own name, not a version node
                    first = next(iter(auxiliaries), None)
                    if first is not None:
                        defined.append(first.name)
            elif isinstance(section, GNUVerNeedSection):
                for verneed, auxiliaries in section.iter_versions():
                    needed.extend((verneed.name, aux.name) for aux in auxiliaries)
    except (ELFError, ValueError, KeyError, IndexError, AttributeError, UnicodeDecodeError,
            OSError, AssertionError, TypeError):  # hostile input: no evidence, no crash
        return [], []
    return defined, needed


def _newest(items: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(release, node) with the highest release."""
    return max(items, key=lambda item: version_key(item[0]), default=None)


def floors_defined(entry: FileEntry, data: bytes, root: str | None) -> list[SymbolFloor]:
    """Floors from the version nodes a component's own library defines."""
    import posixpath

    base = posixpath.basename(entry.path)
    rules = [r for r in load_rules() if any(fnmatch.fnmatchcase(base, p) for p in r.defines)]
    if not rules or not data.startswith(b"\x7fELF"):
        return []
    defined, _ = read_version_nodes(data)
    out: list[SymbolFloor] = []
    for rule in rules:
        newest = _newest([(rel, n) for n in defined if (rel := rule.release(n))])
        if newest is not None:
            out.append(SymbolFloor(rule.component, newest[0], newest[1], entry.path, root,
                                   entry.sha256))
    return out


def wants_needs(entry: FileEntry) -> bool:
    """Does this ELF link a library whose nodes we read (.gnu.version_r worth parsing)?"""
    needed = entry.elf.needed if entry.elf is not None else []
    return any(fnmatch.fnmatchcase(lib, p) for r in load_rules() for p in r.provides for lib in needed)


def floors_needed(entry: FileEntry, data: bytes, root: str | None) -> list[SymbolFloor]:
    """Floors from the nodes a program needs, one per component (its newest need)."""
    _, needed = read_version_nodes(data)
    out: list[SymbolFloor] = []
    for rule in load_rules():
        items = [(rel, f"{lib}\x00{n}") for lib, n in needed
                 if any(fnmatch.fnmatchcase(lib, p) for p in rule.provides) and (rel := rule.release(n))]
        newest = _newest(items)
        if newest is not None:
            lib, node = newest[1].split("\x00", 1)
            out.append(SymbolFloor(rule.component, newest[0], node, entry.path, root,
                                   entry.sha256, needed_from=lib))
    return out


def below_floor(version: str, floor: str) -> bool:
    return version_key(version) < version_key(floor)
