"""Version signatures loaded from ``data/signatures.yaml``.

Signatures are data so a new component is a YAML entry with its own test samples, not code.
Loading compiles every regex once; scanning a file is: literal anchor prefilter (``in`` on the
bytes, C speed), then only the regexes of the signatures whose anchors were seen.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from iotbaseline.sbom import SbomError

Kind = str  # "application" | "library" | "operating-system" | "firmware"


@dataclass(frozen=True)
class Signature:
    name: str
    cpe_vendor: str | None
    cpe_product: str | None
    purl_type: str
    kind: Kind
    packages: tuple[str, ...]
    files: tuple[str, ...]
    anchors: tuple[bytes, ...]
    requires: tuple[bytes, ...]
    patterns: tuple[re.Pattern[bytes], ...]
    path_patterns: tuple[re.Pattern[str], ...]
    version_scheme: str = ""
    special: str = ""
    named_patterns: dict[str, re.Pattern[bytes]] = field(default_factory=dict)
    tests: tuple[dict[str, Any], ...] = ()
    markers: tuple[bytes, ...] = ()  # names that identify the component without a version
    markers_min: int = 2

    def applies_to_file(self, basename: str) -> bool:
        return not self.files or any(fnmatch.fnmatchcase(basename, p) for p in self.files)

    def matches_package(self, package: str) -> bool:
        return any(fnmatch.fnmatchcase(package, p) for p in self.packages)


@dataclass(frozen=True)
class MarkerMatch:
    """A component identified by its markers (exported symbols or names), version unknown."""

    signature: Signature
    markers: tuple[str, ...]
    exported: bool  # True when the markers were checked against the ELF's dynamic exports


@dataclass(frozen=True)
class StringMatch:
    signature: Signature
    version: str
    matched: str  # the matched text, decoded for evidence
    offset: int


def version_from(match: re.Match[Any]) -> str:
    """Group 1, or all non-empty groups joined with '.' (libpng16.so.16.37.0 -> 1.6.37)."""
    groups = [g for g in match.groups() if g]
    if not groups:
        return ""
    if len(match.groups()) > 1 and all(isinstance(g, str) and g.isdigit() for g in groups):
        return ".".join(groups)
    first = groups[0]
    return first.decode("ascii", "replace") if isinstance(first, bytes) else first


class SignatureSet:
    def __init__(self, signatures: list[Signature]) -> None:
        self.signatures = signatures
        self.by_name = {s.name: s for s in signatures}
        self.string_signatures = [s for s in signatures if s.patterns and not s.special]
        self.path_signatures = [s for s in signatures if s.path_patterns and not s.special]
        self.marker_signatures = [s for s in signatures if s.markers and not s.special]
        file_globs = sorted({g for s in self.string_signatures for g in s.files})
        self._named_files = re.compile("|".join(fnmatch.translate(g) for g in file_globs)) if file_globs else None

    def names_file(self, basename: str) -> bool:
        """True when some signature restricted to file names wants this file read."""
        return bool(self._named_files and self._named_files.match(basename))

    def kernel(self) -> Signature:
        for s in self.signatures:
            if s.special == "kernel":
                return s
        raise SbomError("signatures.yaml has no kernel entry (special: kernel)")

    def for_package(self, package: str) -> list[Signature]:
        return [s for s in self.signatures if s.packages and s.matches_package(package)]

    def scan_bytes(self, data: bytes, basename: str) -> list[StringMatch]:
        """All version matches of all (non-kernel) signatures in one file's bytes."""
        found: list[StringMatch] = []
        for sig in self.string_signatures:
            if sig.files and not sig.applies_to_file(basename):
                continue
            if sig.anchors and not any(a in data for a in sig.anchors):
                continue
            if sig.requires and not any(r in data for r in sig.requires):
                continue
            found.extend(match_signature(sig, data))
        return found

    def scan_markers(self, data: bytes, exports: frozenset[str] | None = None,
                     imports: frozenset[str] = frozenset(),
                     skip: frozenset[str] = frozenset()) -> list[MarkerMatch]:
        """Components present by their markers. A symbol marker an ELF imports does not count
        (a program calling PPPP_Connect uses the library, it is not the library); one it exports
        does; otherwise the bytes decide (static or stripped images, string markers)."""
        found: list[MarkerMatch] = []
        for sig in self.marker_signatures:
            if sig.name in skip:
                continue
            seen: list[str] = []
            for marker in sig.markers:
                name = marker.decode("latin-1")
                if _symbol_like(marker) and name in imports:
                    continue
                if (exports is not None and name in exports) or marker in data:
                    seen.append(name)
            if seen and len(seen) >= min(sig.markers_min, len(sig.markers)):
                exported = exports is not None and any(m in exports for m in seen)
                found.append(MarkerMatch(sig, tuple(seen), exported))
        return found

    def scan_path(self, path: str) -> list[tuple[Signature, str]]:
        hits: list[tuple[Signature, str]] = []
        for sig in self.path_signatures:
            for rx in sig.path_patterns:
                m = rx.search(path)
                if m:
                    version = version_from(m)
                    if version:
                        hits.append((sig, version))
                        break
        return hits


def match_signature(sig: Signature, data: bytes) -> list[StringMatch]:
    """Matches of one signature's patterns; one per distinct version (first occurrence)."""
    seen: dict[str, StringMatch] = {}
    for rx in sig.patterns:
        for m in rx.finditer(data):
            version = version_from(m)
            if version and version not in seen:
                text = m.group(0).strip(b"\x00\n").decode("ascii", "replace")
                seen[version] = StringMatch(sig, version, text, m.start())
        if seen:
            break  # patterns are ordered most to least specific
    return list(seen.values())


def _symbol_like(marker: bytes) -> bool:
    return re.fullmatch(rb"[A-Za-z_][A-Za-z0-9_]*", marker) is not None


def _bytes_list(value: Any) -> tuple[bytes, ...]:
    return tuple(str(v).encode("latin-1") for v in (value or []))


def _compile_bytes(pattern: str, name: str) -> re.Pattern[bytes]:
    try:
        return re.compile(pattern.encode("latin-1"))
    except re.error as exc:
        raise SbomError(f"signature {name!r}: bad pattern {pattern!r}: {exc}") from exc


def parse_signatures(entries: Any) -> SignatureSet:
    """Validate and compile the YAML entries (errors name the entry)."""
    if not isinstance(entries, list):
        raise SbomError("signatures.yaml must be a list of entries")
    out: list[Signature] = []
    names: set[str] = set()
    for raw in entries:
        if not isinstance(raw, dict) or "name" not in raw:
            raise SbomError(f"signature entry without a name: {raw!r}")
        name = str(raw["name"])
        if name in names:
            raise SbomError(f"signature {name!r} appears twice")
        names.add(name)
        cpe = raw.get("cpe") or {}
        pats = raw.get("patterns") or []
        named: dict[str, re.Pattern[bytes]] = {}
        if isinstance(pats, dict):
            named = {k: _compile_bytes(v, name) for k, v in pats.items()}
            compiled: tuple[re.Pattern[bytes], ...] = tuple(named.values())
        else:
            compiled = tuple(_compile_bytes(p, name) for p in pats)
        for rx in compiled:
            if rx.groups < 1:
                raise SbomError(f"signature {name!r}: pattern {rx.pattern!r} has no version group")
        try:
            path_rx = tuple(re.compile(p) for p in raw.get("path_patterns") or [])
        except re.error as exc:
            raise SbomError(f"signature {name!r}: bad path pattern: {exc}") from exc
        out.append(
            Signature(
                name=name,
                cpe_vendor=cpe.get("vendor"),
                cpe_product=cpe.get("product"),
                purl_type=str(raw.get("purl_type", "generic")),
                kind=str(raw.get("kind", "application")),
                packages=tuple(raw.get("packages") or []),
                files=tuple(raw.get("files") or []),
                anchors=_bytes_list(raw.get("anchors")),
                requires=_bytes_list(raw.get("requires")),
                patterns=compiled,
                path_patterns=path_rx,
                version_scheme=str(raw.get("version_scheme", "")),
                special=str(raw.get("special", "")),
                named_patterns=named,
                tests=tuple(raw.get("tests") or []),
                markers=_bytes_list(raw.get("markers")),
                markers_min=int(raw.get("markers_min", 2)),
            )
        )
    return SignatureSet(out)


@lru_cache(maxsize=1)
def load_signatures() -> SignatureSet:
    """The packaged signature set (parsed once per process)."""
    text = resources.files("iotbaseline.sbom").joinpath("data/signatures.yaml").read_text("utf-8")
    return parse_signatures(yaml.safe_load(text))
