"""Linux kernel configuration: read it from the image, and place a kernel CVE in a subsystem.

Where the config comes from (first found wins): the IKCONFIG blob ("IKCFG_ST" + gzip +
"IKCFG_ED") in a kernel image — searched raw, then inside the image's compressed payload
(uImage gzip/bzip2/lzma/xz, or gzip/xz/lzma streams embedded in a zImage) with bounded output —
then a shipped ``/boot/config-*``, a ``config.gz`` (as /proc/config.gz would be), a ``.config``.
A file must look like a *kernel* config (BusyBox and Buildroot write ``.config`` files too).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import FileEntry

MAX_IMAGE_READ = 64 * 1024 * 1024
MAX_DECOMPRESSED = 96 * 1024 * 1024
MAX_CONFIG = 4 * 1024 * 1024
MAX_EMBEDDED_TRIES = 12

_KERNEL_NAMES = re.compile(r"(^|/)(vmlinu[xz][^/]*|[zb]?Image[^/]*|uImage[^/]*|kernel[^/]*|"
                           r"[^/]*-kernel\.bin|[^/]*uImage[^/]*)$")
_CONFIG_LINE = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$", re.MULTILINE)
_KERNEL_CONFIG_HINT = re.compile(
    r"Linux/\S+ [\d.]+.* Kernel Configuration|^# Linux kernel version|^CONFIG_MODULES=|"
    r"^CONFIG_LOCALVERSION=|^CONFIG_MMU=|^CONFIG_BLOCK=|^CONFIG_KERNEL_\w+=", re.MULTILINE)


def parse_kernel_config(text: str) -> set[str]:
    """Symbols set to anything but "n" (``=y``, ``=m``, strings, numbers)."""
    return {name for name, value in _CONFIG_LINE.findall(text) if value.strip() != "n"}


def looks_like_kernel_config(text: str) -> bool:
    return bool(_KERNEL_CONFIG_HINT.search(text[:200_000]))


def extract_ikconfig(blob: bytes) -> str | None:
    """The config embedded by CONFIG_IKCONFIG, if ``blob`` (an uncompressed image) holds it."""
    start = blob.find(b"IKCFG_ST")
    if start < 0:
        return None
    end = blob.find(b"IKCFG_ED", start)
    payload = blob[start + 8: end if end > 0 else start + 8 + MAX_CONFIG]
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        data = d.decompress(payload, MAX_CONFIG)
    except zlib.error:
        return None
    text = data.decode("utf-8", errors="replace")
    return text if _CONFIG_LINE.search(text) else None


def _bounded(decompressor: object, data: bytes) -> bytes | None:
    try:
        return decompressor.decompress(data, MAX_DECOMPRESSED)  # type: ignore[attr-defined, no-any-return]
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError):
        return None


def _payloads(blob: bytes) -> list[bytes]:
    """Decompressed payloads of a kernel image: uImage body, else embedded streams."""
    out: list[bytes] = []
    if blob[:4] == b"\x27\x05\x19\x56" and len(blob) > 64:
        comp = blob[31]
        body = blob[64:]
        maker: Callable[[], object] | None = {
                 1: lambda: zlib.decompressobj(16 + zlib.MAX_WBITS),
                 2: bz2.BZ2Decompressor,
                 3: lambda: lzma.LZMADecompressor(format=lzma.FORMAT_ALONE),
                 5: lambda: lzma.LZMADecompressor(format=lzma.FORMAT_XZ)}.get(comp)
        if maker is not None:
            data = _bounded(maker(), body)
            if data:
                out.append(data)
        if out:
            return out
    tries = 0
    for magic, maker2 in ((b"\x1f\x8b\x08", lambda: zlib.decompressobj(16 + zlib.MAX_WBITS)),
                          (b"\xfd7zXZ\x00", lambda: lzma.LZMADecompressor(format=lzma.FORMAT_XZ)),
                          (b"\x5d\x00\x00", lambda: lzma.LZMADecompressor(format=lzma.FORMAT_ALONE))):
        pos = blob.find(magic)
        while pos >= 0 and tries < MAX_EMBEDDED_TRIES:
            tries += 1
            data = _bounded(maker2(), blob[pos:])
            if data and len(data) > 4096:
                out.append(data)
                break
            pos = blob.find(magic, pos + 1)
    return out


def _image_candidates(index: FileIndex) -> list[FileEntry]:
    seen: list[FileEntry] = []
    for entry in index.files:
        if entry.kind in ("directory", "symlink", "special"):
            continue
        if entry.kind == "kernel_image" or _KERNEL_NAMES.search(entry.path):
            seen.append(entry)
    return seen


def _from_image(data: bytes) -> str | None:
    text = extract_ikconfig(data)
    if text is not None:
        return text
    for payload in _payloads(data):
        text = extract_ikconfig(payload)
        if text is not None:
            return text
    return None


def read_kernel_config(index: FileIndex) -> set[str] | None:
    """Enabled kernel config symbols of the image, or None when it carries no kernel config."""
    for entry in _image_candidates(index):
        data = index.read_bytes(entry, limit=MAX_IMAGE_READ)
        if data:
            text = _from_image(data)
            if text is not None:
                return parse_kernel_config(text)
    for path in index.flat_images:
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_IMAGE_READ)
        except OSError:
            continue
        text = _from_image(data)
        if text is not None:
            return parse_kernel_config(text)
    for pattern in ("/boot/config-*", "/boot/config", "*/config.gz", "/config.gz", "*/.config",
                    "/.config"):
        for entry in index.glob(pattern):
            if entry.kind in ("directory", "symlink", "special"):
                continue
            data = index.read_bytes(entry, limit=MAX_CONFIG)
            if not data:
                continue
            if data[:2] == b"\x1f\x8b":
                try:
                    data = gzip.GzipFile(fileobj=__import__("io").BytesIO(data)).read(MAX_CONFIG)
                except (OSError, EOFError):
                    continue
            text = data.decode("utf-8", errors="replace")
            if looks_like_kernel_config(text):
                return parse_kernel_config(text)
    return None


# ---- subsystem of a kernel CVE ----------------------------------------------------------------


@dataclass(frozen=True)
class SubsystemRules:
    paths: tuple[tuple[str, tuple[str, ...]], ...]  # longest prefix first
    words: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]


@lru_cache(maxsize=1)
def subsystem_rules() -> SubsystemRules:
    text = resources.files("iotbaseline.vulns").joinpath(
        "data/kernel_subsystems.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    paths = sorted(((str(k), tuple(v)) for k, v in data["paths"].items()),
                   key=lambda item: -len(item[0]))
    words = tuple((re.compile(k), tuple(v)) for k, v in data["words"].items())
    return SubsystemRules(paths=tuple(paths), words=words)


_SOURCE_PATH = re.compile(
    r"(?<![\w/.-])((?:arch|block|crypto|drivers|fs|include|ipc|kernel|lib|mm|net|security|sound|"
    r"virt)/[\w.+-]+(?:/[\w.+-]+)*)")


@dataclass(frozen=True)
class KernelPlacement:
    """Where a kernel CVE lives: the symbol groups found, and whether core code is named."""

    groups: tuple[tuple[str, tuple[str, ...]], ...]  # (where it was seen, symbols)
    core: tuple[str, ...]  # source paths that no rule covers (core code)


def place_kernel_cve(description: str, references: list[str]) -> KernelPlacement:
    """Subsystems named by source paths in the description and reference URLs (git commit
    links often carry the file), else by words of the description."""
    rules = subsystem_rules()
    found: list[tuple[str, tuple[str, ...]]] = []
    core: list[str] = []
    texts = [description] + [r for r in references if "git.kernel.org" in r or "github.com/torvalds"
                             in r or "/blob/" in r]
    for text in texts:
        for path in _SOURCE_PATH.findall(text):
            path = path.rstrip(".")
            for prefix, symbols in rules.paths:
                if path == prefix or path.startswith(prefix + "/") or (
                        prefix.endswith(".c") and path == prefix):
                    found.append((path, symbols))
                    break
            else:
                if text is description:
                    core.append(path)
    if not found and not core:
        for pattern, symbols in rules.words:
            match = pattern.search(description)
            if match:
                found.append((match.group(0), symbols))
    return KernelPlacement(groups=tuple(dict.fromkeys(found)), core=tuple(dict.fromkeys(core)))


def kernel_config_verdict(placement: KernelPlacement, enabled: set[str]) -> str | None:
    """Why the CVE does not apply under this config, or None when it may apply."""
    if placement.core or not placement.groups:
        return None
    for _where, symbols in placement.groups:
        if any(s in enabled for s in symbols):
            return None
    reasons = "; ".join(f"{where}: {' / '.join(symbols)} not set"
                        for where, symbols in placement.groups)
    return f"kernel config leaves the subsystem out ({reasons})"
