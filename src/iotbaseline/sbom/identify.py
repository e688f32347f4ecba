"""Component identification: package databases + version signatures + kernel evidence.

``identify_components(index)`` returns one Component per (name, version) with the evidence of
every source merged; a component seen both in a package database and in a binary gets higher
confidence. Compilers named in ELF ``.comment`` sections are returned with kind
``"build-tool"`` and no CPE: they are build facts, not software on the device
(see ``runtime_components``).

Speed: each file is read at most once (``FileIndex.read_bytes`` with a limit); only ELF files,
kernel modules/images and files a signature names are read; signature regexes run only after
a literal anchor was found in the bytes.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace
from datetime import UTC, datetime
from collections.abc import Iterable, Sequence
from pathlib import Path

from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import Component, ComponentEvidence, FileEntry
from iotbaseline.sbom.kernel import WEIGHTS as KERNEL_WEIGHTS
from iotbaseline.sbom.kernel import (
    KernelHint,
    decide_kernel,
    hints_from_bytes,
    kernel_payloads,
    uimage_headers,
    uimage_names,
)
from iotbaseline.sbom.conflicts import resolve_versions, symbol_floor_conflict
from iotbaseline.sbom.draft import Draft as _Draft
from iotbaseline.sbom.naming import component_ref, make_cpe, make_purl
from iotbaseline.sbom.packages import OsRelease, PackageRecord, read_os_release, read_packages
from iotbaseline.sbom.signatures import Signature, SignatureSet, load_signatures, match_signature
from iotbaseline.sbom.symbol_versions import (
    MAX_PROGRAMS_PER_ROOT,
    SymbolFloor,
    below_floor,
    floors_defined,
    floors_needed,
    wants_needs,
)
from iotbaseline.sbom.versions import normalise_hostap, upstream_from_package

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_KERNEL_IMAGE_BYTES = 64 * 1024 * 1024

# Confidence of one piece of evidence by how it was found; combined as 1 - Π(1 - c).
METHOD_CONFIDENCE = {
    "package": 0.8,
    "signature": 0.7,
    "kernel": 0.7,
    "filename": 0.5,
    "os": 0.8,
    "elf-comment": 0.6,
    "markers": 0.6,
    "symbol-version": 0.5,
}

_KERNEL_IMAGE_NAMES = re.compile(
    r"^(?:vmlinu[xz].*|[zbu]Image.*|.*kernel.*|.*\.uimage|.*\.ubi|openwrt-.*-(?:kernel|uImage).*)$",
    re.IGNORECASE,
)
_MODULE_SUFFIX = (".ko", ".o")
_COMMENT = re.compile(rb"GCC: \(([^)\x00\n]{0,120})\) (\d+\.\d+(?:\.\d+)?)|clang version (\d+\.\d+(?:\.\d+)?)")
_LIBC_FLAVOURS = (
    (re.compile(r"(?:lib|ld)-?uClibc-(1\.\d+\.\d+)\.so"), "uclibc-ng"),
    (re.compile(r"(?:lib|ld)-?uClibc-(0\.\d+\.\d+(?:\.\d+)?)\.so"), "uclibc"),
    (re.compile(r"ld-musl-"), "musl"),
    (re.compile(r"/libc-2\.\d+"), "glibc"),
)
# opkg packages that are parts of another component rather than components of their own
_KERNEL_PACKAGE = "kernel"


class _Collector:
    """Drafts keyed by (name, version); merging happens on add."""

    def __init__(self, sigs: SignatureSet) -> None:
        self.sigs = sigs
        self.drafts: dict[tuple[str, str | None], _Draft] = {}
        self.floors: list[SymbolFloor] = []  # from ELF symbol versions, applied at the end

    def draft(self, name: str, version: str | None, sig: Signature | None, kind: str | None = None) -> _Draft:
        key = (name, version)
        d = self.drafts.get(key)
        if d is None:
            d = _Draft(name, version, kind or (sig.kind if sig else "application"), sig)
            if sig and sig.cpe_vendor and sig.cpe_product:
                part = "o" if d.kind == "operating-system" else "a"
                d.cpe = make_cpe(sig.cpe_vendor, sig.cpe_product, version, part)
            self.drafts[key] = d
        return d

    def add_signature_version(self, sig: Signature, raw_version: str, ev: ComponentEvidence,
                              source: str) -> None:
        version, note = _normalise(sig, raw_version)
        d = self.draft(sig.name, version, sig)
        d.add(ev, source)
        if note:
            d.note(note)


def _normalise(sig: Signature, version: str) -> tuple[str, str | None]:
    if sig.version_scheme == "hostap":
        return normalise_hostap(version)
    return version, None


def identify_components(index: FileIndex, *, extra_blobs: Sequence[Path] = ()) -> list[Component]:
    """All components of every root in ``index`` (build tools included, kind "build-tool").

    ``extra_blobs`` are files outside the roots that the extractor carved (a kernel partition,
    the image itself): they are searched for the kernel banner only. ``index.flat_images``
    are treated the same way.
    """
    sigs = load_signatures()
    col = _Collector(sigs)
    build_tools: dict[tuple[str, str], _Draft] = {}
    blobs = [Path(p) for p in extra_blobs] + [Path(p) for p in index.flat_images]
    blob_hints = _blob_kernel_hints(sigs, blobs)
    for root in index.roots:
        _identify_root(index, root.label, sigs, col, build_tools, blob_hints)
    _boot_loaders_in_blobs(col, sigs, blobs)
    # flat images (an RTOS image such as VxWorks, MCU firmware) and, with no root file system
    # at all, every carved blob: their software is linked into the blob, so the version
    # signatures and markers read the blob itself
    _components_in_flat_blobs(col, sigs, blobs if not index.roots else
                              [Path(p) for p in index.flat_images])
    if not index.roots and blob_hints:
        # no root file system (a bare kernel partition, an RTOS-less dump): the banner in a
        # carved blob still names the kernel
        _add_kernel(col, sigs.kernel(), blob_hints)
    _apply_symbol_floors(col)
    drafts = resolve_versions(list(col.drafts.values()))
    return _finish(drafts + list(build_tools.values()))


def runtime_components(components: Iterable[Component]) -> list[Component]:
    """What runs on the device: everything except build facts (compilers from .comment)."""
    return [c for c in components if c.kind != "build-tool"]


# ---------------------------------------------------------------------------------------------


def _identify_root(index: FileIndex, root: str, sigs: SignatureSet, col: _Collector,
                   build_tools: dict[tuple[str, str], _Draft], blob_hints: list[KernelHint]) -> None:
    kernel_sig = sigs.kernel()
    kernel_hints: list[KernelHint] = [
        KernelHint(h.version, h.local, h.method, h.path, root, h.match, h.sha256) for h in blob_hints
    ]
    packages = read_packages(index, root)
    programs_read = 0  # .gnu.version_r reads in this root (bounded: pyelftools is slow)
    libc_flavour = _libc_flavour(index, root)
    for pkg in packages:
        _add_package(col, sigs, pkg, root, libc_flavour, kernel_hints)
    for osr in read_os_release(index, root):
        _add_os(col, osr, root)

    for entry in index.iter(root=root):
        if entry.kind in ("directory", "symlink", "special"):
            if entry.kind == "directory" and entry.path.startswith("/lib/modules/"):
                for rx in kernel_sig.path_patterns:
                    m = rx.match(entry.path)
                    if m:
                        kernel_hints.append(KernelHint(m.group(1), m.group(2) or "", "kernel-modules-dir",
                                                       entry.path, root, entry.path))
            continue
        base = posixpath.basename(entry.path)
        for sig, version in sigs.scan_path(entry.path):
            ev = ComponentEvidence(path=entry.path, root=root, method=f"filename:{sig.name}",
                                   match=base, sha256=entry.sha256)
            col.add_signature_version(sig, version, ev, "filename")
        is_module = entry.kind == "kernel_module" or (
            base.endswith(_MODULE_SUFFIX) and entry.kind in ("elf", "kernel_module"))
        is_kernel_image = entry.kind == "kernel_image" or (
            entry.kind in ("data", "elf") and _KERNEL_IMAGE_NAMES.match(base) is not None
            and not base.endswith((".so", ".ko", ".o")) and "/lib/modules/" not in entry.path)
        wanted_by_name = sigs.names_file(base)
        if not (entry.kind == "elf" or is_module or is_kernel_image or wanted_by_name):
            continue
        limit = MAX_KERNEL_IMAGE_BYTES if is_kernel_image else MAX_FILE_BYTES
        # read(n) reserves n bytes up front: ask for the file's size, not the cap
        data = index.read_bytes(entry, limit=min(limit, entry.size) if entry.size else limit)
        if not data:
            continue
        if is_module:
            kernel_hints.extend(hints_from_bytes(kernel_sig, data, ("vermagic", "kernel_version"),
                                                 entry.path, root, entry.sha256))
            continue
        if is_kernel_image:
            kernel_hints.extend(_image_hints(kernel_sig, data, entry.path, root, entry.sha256))
            continue
        versioned: set[str] = set()
        for hit in sigs.scan_bytes(data, base):
            ev = ComponentEvidence(path=entry.path, root=root, method=f"signature:{hit.signature.name}",
                                   match=hit.matched[:200], sha256=entry.sha256)
            col.add_signature_version(hit.signature, hit.version, ev, "signature")
            versioned.add(hit.signature.name)
        if entry.kind == "elf":
            _add_markers(col, sigs, entry, data, root, frozenset(versioned))
            defined = floors_defined(entry, data, root)
            col.floors.extend(defined)
            if not defined and programs_read < MAX_PROGRAMS_PER_ROOT and wants_needs(entry):
                programs_read += 1
                col.floors.extend(floors_needed(entry, data, root))
        if entry.kind == "elf":
            # (a banner-like string in an ordinary program is not the kernel: only files named
            # like kernel images, handled above, are searched for the banner)
            _build_tools_of(entry, data, root, build_tools)

    _add_kernel(col, kernel_sig, kernel_hints)


def _add_kernel(col: _Collector, kernel_sig: Signature, kernel_hints: list[KernelHint]) -> None:
    decision = decide_kernel(kernel_hints)
    if decision is not None:
        d = col.draft(kernel_sig.name, decision.version, kernel_sig, "operating-system")
        for h in sorted(decision.hints, key=lambda h: -KERNEL_WEIGHTS.get(h.method, 1.0)):
            d.add(ComponentEvidence(path=h.path, root=h.root, method=h.method, match=h.match,
                                    sha256=h.sha256), "kernel" if h.method != "kernel-package" else "package")
        locals_ = sorted({h.local for h in decision.hints if h.local})
        if locals_:
            d.note("local version suffix: " + ", ".join(locals_))
        for note in decision.notes:
            d.note(note)


def _apply_symbol_floors(col: _Collector) -> None:
    """Symbol-version floors against the versions other sources gave (see symbol_versions):
    confirm, report a conflict, or name the component without a version."""
    for f in sorted(col.floors, key=lambda x: x.needed_from is not None):
        versioned = [d for d in col.drafts.values() if d.name == f.component and d.version]
        same_file = [d for d in versioned
                     if any(e.path == f.path and e.root == f.root for e in d.evidence)]
        same_root = [d for d in versioned if any(e.root == f.root for e in d.evidence)]
        if f.needed_from is not None:
            for d in same_root:
                assert d.version is not None
                if below_floor(d.version, f.floor):
                    d.add(f.evidence(), "symbol-version")
                    d.note(f"{f.path} needs {f.node} from {f.needed_from}, i.e. {f.component} "
                           f"{f.floor} or later, newer than the {d.version} identified: check "
                           "which version ships (a program built for another system?)")
            continue
        targets = same_file or (same_root if len(same_root) == 1 else [])
        if not targets:
            d = col.draft(f.component, None, col.sigs.by_name.get(f.component))
            d.add(f.evidence(), "symbol-version")
            d.note(f"symbol versions show {f.component} {f.floor} or later ({f.node} defined in "
                   f"{f.path}); no version string was read, so the version is unknown")
            continue
        for d in targets:
            assert d.version is not None
            if not below_floor(d.version, f.floor):
                d.add(f.evidence(), "symbol-version")
                continue
            del col.drafts[(d.name, d.version)]
            merged = symbol_floor_conflict(d, f)
            existing = col.drafts.get((d.name, None))
            if existing is None:
                col.drafts[(d.name, None)] = merged
            else:
                for ev in merged.evidence:
                    existing.add(ev, "signature")
                existing.sources |= merged.sources
                for note in merged.notes:
                    existing.note(note)


def _add_markers(col: _Collector, sigs: SignatureSet, entry: FileEntry, data: bytes, root: str,
                 versioned: frozenset[str]) -> None:
    """Components without a version string (P2P SDKs, vendor media SDKs), found by the
    symbols the file exports or the names it contains; one instance per file."""
    elf = entry.elf
    exports = frozenset(elf.exports) if elf is not None and elf.exports else None
    imports = frozenset(elf.imports) if elf is not None else frozenset()
    for hit in sigs.scan_markers(data, exports, imports, skip=versioned):
        how = "exports" if hit.exported else "contains"
        ev = ComponentEvidence(path=entry.path, root=root, method=f"markers:{hit.signature.name}",
                               match=f"{how} {', '.join(hit.markers[:6])}"[:200], sha256=entry.sha256)
        d = col.draft(hit.signature.name, None, hit.signature)
        d.add(ev, "markers")
        d.note("identified by its symbols/names; the file carries no version string")


def _add_package(col: _Collector, sigs: SignatureSet, pkg: PackageRecord, root: str,
                 libc_flavour: tuple[str, str | None] | None, kernel_hints: list[KernelHint]) -> None:
    upstream = upstream_from_package(pkg.version, pkg.manager)
    ev = ComponentEvidence(path=pkg.db_path, root=root, method=pkg.method,
                           match=f"{pkg.name} {pkg.version}")
    if pkg.name == _KERNEL_PACKAGE or pkg.name.startswith(("kmod-", "linux-image-")):
        if pkg.name.startswith("linux-image-") and pkg.manager == "dpkg":
            upstream = pkg.name.removeprefix("linux-image-").split("-", 1)[0]
        m = re.match(r"(\d+\.\d+(?:\.\d+){0,2})", upstream)
        if m:
            method = "kernel-package" if not pkg.name.startswith("kmod-") else "kernel-module-package"
            kernel_hints.append(KernelHint(m.group(1), "", method, pkg.db_path, root,
                                           f"{pkg.name} {pkg.version}"))
        return
    matched = sigs.for_package(pkg.name)
    if pkg.name == "libc":
        flavour = _libc_from_list(pkg.files) or libc_flavour
        if flavour:
            matched = [sigs.by_name[flavour[0]]]
    purl = _package_purl(pkg)
    if not matched:
        d = col.draft(pkg.name, upstream, None, "library" if pkg.name.startswith("lib") else "application")
        d.add(ev, "package")
        if (d.purl_rank, d.purl) > (0, purl):
            d.purl, d.purl_rank = purl, 0
        if upstream != pkg.version:
            d.note(f"package version {pkg.version}")
        return
    for sig in matched:
        version, note = _normalise(sig, upstream)
        d = col.draft(sig.name, version, sig)
        d.add(ev, "package")
        rank = 0 if pkg.name == sig.name else (1 if pkg.name.startswith(sig.name) else 2)
        if rank < d.purl_rank:
            d.purl, d.purl_rank = purl, rank
        if note:
            d.note(note)
        d.note(f"package {pkg.name} {pkg.version} ({pkg.manager})")


def _package_purl(pkg: PackageRecord) -> str:
    qualifiers = {"arch": pkg.arch} if pkg.arch else None
    if pkg.manager in ("opkg", "ipkg"):
        return make_purl("openwrt", pkg.name, pkg.version, qualifiers=qualifiers)
    if pkg.manager == "dpkg":
        return make_purl("deb", pkg.name, pkg.version, namespace="debian", qualifiers=qualifiers)
    return make_purl("generic", pkg.name, pkg.version, namespace=pkg.manager, qualifiers=qualifiers)


def _add_os(col: _Collector, osr: OsRelease, root: str) -> None:
    d = col.draft(osr.name, osr.version, None, "operating-system")
    if osr.cpe_vendor and osr.cpe_product and d.cpe is None:
        d.cpe = make_cpe(osr.cpe_vendor, osr.cpe_product, osr.version, "o")
    d.add(ComponentEvidence(path=osr.source, root=root, method=osr.method, match=osr.detail[:200]), "os")
    if osr.detail:
        d.note(osr.detail)


def _libc_flavour(index: FileIndex, root: str) -> tuple[str, str | None] | None:
    for entry in index.iter(root=root):
        if not entry.path.startswith(("/lib/", "/usr/lib/")):
            continue
        for rx, name in _LIBC_FLAVOURS:
            m = rx.search(entry.path)
            if m:
                return name, (m.group(1) if m.groups() else None)
    return None


def _libc_from_list(files: list[str]) -> tuple[str, str | None] | None:
    for path in files:
        for rx, name in _LIBC_FLAVOURS:
            m = rx.search(path)
            if m:
                return name, (m.group(1) if m.groups() else None)
    return None


def _image_hints(kernel_sig: Signature, data: bytes, path: str, root: str | None,
                 sha256: str | None) -> list[KernelHint]:
    hints = hints_from_bytes(kernel_sig, data, ("banner",), path, root, sha256)
    times = dict(uimage_headers(data))
    for name in uimage_names(data):
        found = hints_from_bytes(kernel_sig, name.encode(), ("uimage",), path, root, sha256)
        if name in times:  # the header's build time travels with the evidence (build_date.py)
            stamp = datetime.fromtimestamp(times[name], UTC).strftime("%Y-%m-%d %H:%M:%S")
            found = [replace(h, match=f"{h.match} (uImage header time {stamp} UTC)") for h in found]
        hints.extend(found)
    if not any(h.method == "kernel-banner" for h in hints):
        for label, payload in kernel_payloads(data):
            found = hints_from_bytes(kernel_sig, payload, ("banner",), f"{path}#{label}", root, sha256)
            if found:
                hints.extend(found)
                break
    return hints


_BOOT_LOADERS = ("u-boot",)


def _boot_loaders_in_blobs(col: _Collector, sigs: SignatureSet, blobs: list[Path]) -> None:
    """U-Boot in a carved partition or the image: its version banner, in the raw bytes or in
    a compressed uImage payload (a boot loader is not in any root file system)."""
    for blob in blobs:
        try:
            with blob.open("rb") as fh:
                data = fh.read(min(MAX_KERNEL_IMAGE_BYTES, blob.stat().st_size))
        except OSError:
            continue
        for name in _BOOT_LOADERS:
            sig = sigs.by_name[name]
            hits = match_signature(sig, data) if any(a in data for a in sig.anchors) else []
            label = blob.name
            # only a uImage of type "firmware" (5) is decompressed here: kernels do not carry U-Boot
            if not hits and data[:4] == b"\x27\x05\x19\x56" and len(data) > 30 and data[30] == 5:
                for where, payload in kernel_payloads(data):
                    hits = match_signature(sig, payload)
                    if hits:
                        label = f"{blob.name}#{where}"
                        break
            for hit in hits:
                col.add_signature_version(sig, hit.version, ComponentEvidence(
                    path=label, root=None, method=f"signature:{name}", match=hit.matched[:200]),
                    "signature")


def _components_in_flat_blobs(col: _Collector, sigs: SignatureSet, blobs: list[Path]) -> None:
    for blob in blobs:
        try:
            with blob.open("rb") as fh:
                data = fh.read(min(MAX_KERNEL_IMAGE_BYTES, blob.stat().st_size))
        except OSError:
            continue
        versioned: set[str] = set()
        for hit in sigs.scan_bytes(data, blob.name):
            if hit.signature.name in _BOOT_LOADERS:
                continue  # read by _boot_loaders_in_blobs
            col.add_signature_version(hit.signature, hit.version, ComponentEvidence(
                path=blob.name, root=None, method=f"signature:{hit.signature.name}",
                match=f"{hit.matched[:180]} @0x{hit.offset:x}"), "signature")
            versioned.add(hit.signature.name)
        for marker_hit in sigs.scan_markers(data, None, skip=frozenset(versioned)):
            d = col.draft(marker_hit.signature.name, None, marker_hit.signature)
            d.add(ComponentEvidence(path=blob.name, root=None,
                                    method=f"markers:{marker_hit.signature.name}",
                                    match=f"contains {', '.join(marker_hit.markers[:6])}"), "markers")
            d.note("identified by its symbols/names; the image carries no version string")


def _blob_kernel_hints(sigs: SignatureSet, blobs: list[Path]) -> list[KernelHint]:
    hints: list[KernelHint] = []
    kernel_sig = sigs.kernel()
    for blob in blobs:
        try:
            with blob.open("rb") as fh:
                data = fh.read(min(MAX_KERNEL_IMAGE_BYTES, blob.stat().st_size))
        except OSError:
            continue
        hints.extend(_image_hints(kernel_sig, data, blob.name, None, None))
    return hints


def _build_tools_of(entry: FileEntry, data: bytes, root: str,
                    build_tools: dict[tuple[str, str], _Draft]) -> None:
    comments = list(entry.elf.comment) if entry.elf is not None and entry.elf.comment else []
    texts = [c.encode("utf-8", "replace") for c in comments] if comments else (
        [data] if b"GCC: (" in data or b"clang version" in data else [])
    for text in texts:
        for m in _COMMENT.finditer(text):
            if m.group(3):
                name, version = "clang", m.group(3).decode()
                detail = m.group(0).decode("ascii", "replace")
            else:
                name, version = "gcc", m.group(2).decode()
                detail = m.group(0).decode("ascii", "replace")
            key = (name, version)
            d = build_tools.get(key)
            if d is None:
                d = build_tools[key] = _Draft(name, version, "build-tool")
                d.note("compiler named in ELF .comment sections: a build fact, not a component on the device")
            d.add(ComponentEvidence(path=entry.path, root=root, method="elf-comment", match=detail[:200],
                                    sha256=entry.sha256), "elf-comment")


def _confidence(sources: set[str]) -> float:
    remaining = 1.0
    for s in sources:
        remaining *= 1.0 - METHOD_CONFIDENCE.get(s, 0.5)
    return round(1.0 - remaining, 3)


def confidence_label(value: float) -> str:
    return "high" if value >= 0.8 else "medium" if value >= 0.6 else "low"


def evidence_confidence(component: Component) -> float:
    """Numeric confidence (0..1) from the kinds of evidence behind a component."""
    sources: set[str] = set()
    for ev in component.evidence:
        sources.add(_source_of(ev.method))
    return _confidence(sources)


def _source_of(method: str) -> str:
    if method.startswith("signature:"):
        return "signature"
    if method.startswith("filename:"):
        return "filename"
    if method.startswith("markers:"):
        return "markers"
    if method.startswith(("symbol-version:", "symbol-needs:")):
        return "symbol-version"
    if method.startswith("kernel-package") or method.endswith(("-status", "-control", "-manifest")):
        return "package"
    if method.startswith("kernel-"):
        return "kernel"
    if method in ("openwrt-release", "os-release", "build.prop"):
        return "os"
    if method == "elf-comment":
        return "elf-comment"
    return "other"


def _finish(drafts: list[_Draft]) -> list[Component]:
    components: list[Component] = []
    for d in sorted(drafts, key=lambda x: (x.kind == "build-tool", x.name, x.version or "")):
        notes = list(d.notes)
        if d.dropped_evidence:
            notes.append(f"{d.dropped_evidence} more evidence item(s) not listed")
        purl = d.purl
        if purl is None:
            ptype = d.sig.purl_type if d.sig else "generic"
            purl = make_purl(ptype, d.name, d.version)
        vendor = d.sig.cpe_vendor if d.sig else None
        if vendor is None and d.cpe:
            vendor = d.cpe.split(":")[3]
        components.append(Component(
            ref=component_ref(d.name, d.version),
            name=d.name,
            version=d.version,
            vendor=vendor,
            cpe=None if d.kind == "build-tool" else d.cpe,
            purl=purl,
            kind=d.kind,  # type: ignore[arg-type]
            confidence=confidence_label(_confidence(d.sources)),  # type: ignore[arg-type]
            evidence=d.evidence,
            notes=notes,
        ))
    return components
