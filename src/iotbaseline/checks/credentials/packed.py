"""Configuration files that hide their text: gzip-compressed defaults (``nvram.default.gz``),
Base64-encoded and single-byte-XOR-obfuscated credential files. Vendors do this to keep
defaults small or away from ``strings``; it hides nothing from whoever has the image.

Only small files whose name says configuration or credentials are tried, decompression and
decoding are bounded, and nothing is written: the decoded text is handed to the config checks
as a ``TextFile`` of the original path (line numbers are those of the decoded text).
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
import zlib
from dataclasses import dataclass

from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.textscan import MAX_TEXT_BYTES, TextFile

MAX_PACKED_BYTES = 64 * 1024
_NAME = re.compile(r"(?i)default|nvram|cfg|conf|config|setting|passw|shadow|user|account|"
                   r"\.ini|\.xml|\.json|\.dat|\.bin$")
_CREDENTIAL = re.compile(rb"(?i)pass(?:word|wd)?\s*[=:<\"]|pwd\s*[=:<\"]|<password>|\"password\"")
_B64 = re.compile(rb"^[A-Za-z0-9+/]+={0,2}$")


@dataclass(frozen=True)
class Decoded:
    file: TextFile
    how: str  # "gzip", "Base64", "XOR 0x5a"


def _printable(data: bytes) -> bool:
    if not data:
        return False
    good = sum(32 <= b < 127 or b in (9, 10, 13) for b in data)
    return good >= 0.95 * len(data)


def _gunzip(data: bytes) -> bytes | None:
    try:
        out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, MAX_TEXT_BYTES)
    except zlib.error:
        return None
    return out or None


def _unbase64(data: bytes) -> bytes | None:
    compact = b"".join(data.split())
    if len(compact) < 16 or len(compact) % 4 or not _B64.match(compact):
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def _unxor(data: bytes) -> tuple[int, bytes] | None:
    """The single-byte key that turns ``data`` into text holding a password key."""
    head = data[:4096]
    for key in range(1, 256):
        table = bytes(b ^ key for b in range(256))
        plain = head.translate(table)
        if _CREDENTIAL.search(plain) and _printable(plain):
            return key, data.translate(table)
    return None


def _decode(data: bytes) -> tuple[bytes, str] | None:
    if data[:2] == b"\x1f\x8b":
        out = _gunzip(data)
        return (out, "gzip") if out is not None else None
    if _printable(data):
        b64 = _unbase64(data)
        if b64 is not None and _printable(b64):
            return b64, "Base64"
        return None
    xored = _unxor(data)
    return (xored[1], f"XOR 0x{xored[0]:02x}") if xored else None


def _load(ctx: CheckContext) -> list[Decoded]:
    out: list[Decoded] = []
    paths = {e.path for e in ctx.index.iter()}
    for entry in ctx.index.iter():
        if entry.kind in ("directory", "symlink", "special", "elf") or not (0 < entry.size <= MAX_PACKED_BYTES):
            continue
        name = posixpath.basename(entry.path)
        if not _NAME.search(name) or f"{entry.path}_extract" in paths:
            continue  # the extractor already unpacked it
        data = ctx.index.read_bytes(entry, limit=MAX_PACKED_BYTES)
        decoded = _decode(data) if data else None
        if decoded is None or not _CREDENTIAL.search(decoded[0]) or not _printable(decoded[0][:4096]):
            continue
        text = decoded[0].decode("utf-8", errors="replace")
        out.append(Decoded(TextFile(entry=entry, text=text), decoded[1]))
    return out


def decoded_configs(ctx: CheckContext) -> list[Decoded]:
    """Compressed or obfuscated configuration files with password keys, decoded once per run."""
    result: list[Decoded] = ctx.fact("cred.decoded_configs", _load)
    return result


def unbase64_value(value: str) -> str | None:
    """A Base64-encoded config value decoded to short printable text, or None."""
    if len(value) < 8 or len(value) % 4 or not _B64.match(value.encode()):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.decode("ascii") if _printable(raw) and len(raw) <= 64 else None
