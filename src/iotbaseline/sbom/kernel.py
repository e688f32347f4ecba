"""The Linux kernel of a root filesystem, decided by weight of evidence.

Evidence, strongest first: the banner in the kernel image ("Linux version 3.3.8 (…"), also
inside a compressed image (uImage / TP-Link LZMA / gzip / xz payloads are decompressed with a
hard output bound), the package database's ``kernel`` package, the uImage name
(``Linux-3.3.8``), ``/lib/modules/<version>``, and each module's ``vermagic=`` (``.ko``) or
``kernel_version=`` (2.4-era ``.o``). One version wins per root; a module built for another
kernel (a vendor blob) becomes a note on the kernel, never a second kernel.
"""

from __future__ import annotations

import bz2
import lzma
import re
import struct
import zlib
from collections import defaultdict
from dataclasses import dataclass

from iotbaseline.sbom.signatures import Signature

MAX_DECOMPRESSED = 64 * 1024 * 1024
MAX_STREAM_TRIES = 12

WEIGHTS = {
    "kernel-banner": 10.0,
    "kernel-package": 8.0,
    "kernel-uimage-name": 6.0,
    "kernel-modules-dir": 5.0,
    "kernel-vermagic": 1.0,
    "kernel-module-kernel_version": 1.0,
    "kernel-module-package": 0.5,
}
CAP_PER_METHOD = {"kernel-vermagic": 5.0, "kernel-module-kernel_version": 5.0,
                  "kernel-module-package": 2.0}

UIMAGE_MAGIC = b"\x27\x05\x19\x56"
_LZMA_ALONE = re.compile(rb"[\x5d\x6d]\x00\x00[\x01\x02\x04\x08\x10\x20\x40\x80]\x00")
_GZIP = b"\x1f\x8b\x08"
_XZ = b"\xfd7zXZ\x00"


@dataclass(frozen=True)
class KernelHint:
    version: str  # "3.3.8"
    local: str  # local version suffix as seen ("brcmarm", "" …)
    method: str  # key of WEIGHTS
    path: str
    root: str | None
    match: str
    sha256: str | None = None


@dataclass
class KernelDecision:
    version: str
    hints: list[KernelHint]  # the ones for the winning version
    notes: list[str]
    weight: float


def hints_from_bytes(sig: Signature, data: bytes, methods: tuple[str, ...], path: str,
                     root: str | None, sha256: str | None) -> list[KernelHint]:
    """Kernel version strings of the named kinds (banner/vermagic/kernel_version/uimage)."""
    names = {"banner": "kernel-banner", "vermagic": "kernel-vermagic",
             "kernel_version": "kernel-module-kernel_version", "uimage": "kernel-uimage-name"}
    hints: list[KernelHint] = []
    for key in methods:
        rx = sig.named_patterns.get(key)
        if rx is None:
            continue
        for m in rx.finditer(data):
            text = _line_at(data, m.start()).decode("ascii", "replace").strip("\x00 ")
            hints.append(KernelHint(m.group(1).decode(), (m.group(2) or b"").decode("ascii", "replace"),
                                    names[key], path, root, text[:200], sha256))
            break  # one per kind per file is enough
    return hints


def _line_at(data: bytes, start: int, limit: int = 200) -> bytes:
    """The text from ``start`` to the end of its line or string (the whole banner)."""
    chunk = data[start:start + limit]
    for stop in (b"\n", b"\x00"):
        cut = chunk.find(stop)
        if cut != -1:
            chunk = chunk[:cut]
    return chunk


STEP = 1024 * 1024
BANNER_MARK = b"Linux version "


def _drain(dec: object, data: bytes, start: int) -> bytes | None:
    """Decompress in 1 MiB steps, at most MAX_DECOMPRESSED, stopping soon after the banner.

    Stepping keeps memory proportional to what is needed (a kernel's banner usually sits in
    the first megabytes) and bounds a decompression bomb.
    """
    out = bytearray()
    pending: bytes | memoryview = memoryview(data)[start:]
    banner_at = -1
    try:
        while len(out) < MAX_DECOMPRESSED:
            chunk = dec.decompress(pending, max_length=STEP)  # type: ignore[attr-defined]
            pending = b""
            if not chunk:
                break
            search_from = max(0, len(out) - len(BANNER_MARK))
            out += chunk
            if banner_at < 0:
                banner_at = out.find(BANNER_MARK, search_from)
            if banner_at >= 0 and out.find(b"\n", banner_at) != -1:
                break
            if getattr(dec, "eof", False):
                break
    except (lzma.LZMAError, OSError, ValueError, EOFError, zlib.error):
        pass
    return bytes(out) or None


def _lzma_alone(data: bytes, start: int) -> bytes | None:
    return _drain(lzma.LZMADecompressor(lzma.FORMAT_ALONE), data, start)


def _xz(data: bytes, start: int) -> bytes | None:
    return _drain(lzma.LZMADecompressor(lzma.FORMAT_XZ), data, start)


class _GzipStep:
    """zlib's decompressobj with the ``decompress(data, max_length=)`` shape of the others."""

    def __init__(self) -> None:
        self._dec = zlib.decompressobj(wbits=31)
        self.eof = False

    def decompress(self, data: bytes | memoryview, max_length: int) -> bytes:
        source = bytes(data) if data else self._dec.unconsumed_tail
        out = self._dec.decompress(source, max_length)
        self.eof = self._dec.eof
        return out


def _gzip(data: bytes, start: int) -> bytes | None:
    return _drain(_GzipStep(), data, start)


def _bzip2(data: bytes, start: int) -> bytes | None:
    return _drain(bz2.BZ2Decompressor(), data, start)


def kernel_payloads(data: bytes) -> list[tuple[str, bytes]]:
    """Decompressed kernel payloads found in an image blob, each bounded in size.

    Tries uImage headers (payload compression from the header), then raw LZMA-alone, xz and
    gzip streams, at most MAX_STREAM_TRIES attempts in all so junk cannot make this slow.
    """
    out: list[tuple[str, bytes]] = []
    tries = 0
    pos = data.find(UIMAGE_MAGIC)
    while pos != -1 and tries < MAX_STREAM_TRIES:
        tries += 1
        header = data[pos:pos + 64]
        if len(header) == 64:
            comp = header[31]
            size = struct.unpack(">I", header[12:16])[0]
            payload_end = pos + 64 + min(size, len(data))
            decoder = {1: _gzip, 2: _bzip2, 3: _lzma_alone}.get(comp)
            if decoder is not None:
                result = decoder(data[:payload_end], pos + 64)
                if result:
                    out.append((f"uImage@{pos:#x}", result))
        pos = data.find(UIMAGE_MAGIC, pos + 4)
    for label, finder, decoder in (("lzma", None, _lzma_alone), ("xz", _XZ, _xz), ("gzip", _GZIP, _gzip)):
        if finder is None:
            starts = [m.start() for m in _LZMA_ALONE.finditer(data[: 4 * 1024 * 1024])]
        else:
            starts, p = [], data.find(finder)
            while p != -1 and len(starts) < 4:
                starts.append(p)
                p = data.find(finder, p + 1)
        for start in starts:
            if tries >= MAX_STREAM_TRIES:
                break
            tries += 1
            result = decoder(data, start)
            if result and len(result) > 4096:
                out.append((f"{label}@{start:#x}", result))
                break
    return out


def uimage_headers(data: bytes) -> list[tuple[str, int]]:
    """(image name, creation time) of the uImage headers whose header CRC holds: the time
    ``mkimage`` wrote (seconds since the epoch, UTC), i.e. when the image was built."""
    out: list[tuple[str, int]] = []
    pos = data.find(UIMAGE_MAGIC)
    while pos != -1 and len(out) < 8:
        header = data[pos:pos + 64]
        if len(header) == 64:
            stored = struct.unpack(">I", header[4:8])[0]
            if zlib.crc32(header[:4] + b"\x00" * 4 + header[8:]) == stored:
                name = header[32:64].split(b"\x00", 1)[0].decode("ascii", "replace")
                out.append((name, struct.unpack(">I", header[8:12])[0]))
        pos = data.find(UIMAGE_MAGIC, pos + 4)
    return out


def uimage_names(data: bytes) -> list[str]:
    """The 32-byte image names of uImage headers ("MIPS OpenWrt Linux-3.3.8")."""
    names: list[str] = []
    pos = data.find(UIMAGE_MAGIC)
    while pos != -1 and len(names) < 8:
        name = data[pos + 32:pos + 64].split(b"\x00", 1)[0]
        if name:
            names.append(name.decode("ascii", "replace"))
        pos = data.find(UIMAGE_MAGIC, pos + 4)
    return names


def decide_kernel(hints: list[KernelHint]) -> KernelDecision | None:
    """Weigh the hints; the heaviest version is the kernel, the others become notes."""
    if not hints:
        return None
    weight: dict[str, float] = defaultdict(float)
    per_method: dict[tuple[str, str], float] = defaultdict(float)
    for h in hints:
        w = WEIGHTS.get(h.method, 1.0)
        cap = CAP_PER_METHOD.get(h.method)
        key = (h.version, h.method)
        if cap is not None:
            w = max(0.0, min(w, cap - per_method[key]))
        per_method[key] += w
        weight[h.version] += w
    # the strongest single source breaks ties (a banner beats many module strings)
    best = max(weight, key=lambda v: (weight[v], max(WEIGHTS.get(h.method, 1.0)
                                                      for h in hints if h.version == v)))
    notes: list[str] = []
    for version in sorted(weight):
        if version == best:
            continue
        others = [h for h in hints if h.version == version]
        where = ", ".join(sorted({h.path for h in others})[:5])
        methods = ", ".join(sorted({h.method for h in others}))
        notes.append(
            f"{len(others)} file(s) name kernel {version} ({methods}: {where}); the root's "
            f"kernel is {best} by weight of evidence ({weight[best]:g} vs {weight[version]:g}), "
            f"so these are modules or leftovers built for another kernel, not a second kernel"
        )
    return KernelDecision(best, [h for h in hints if h.version == best], notes, weight[best])
