"""Shared, bounded scanning of an image's text files and binaries.

Many checks grep the same files. This module reads every text-like file once (bounded in size),
keeps the decoded text in the check context (``ctx.fact``) and offers line-aware regex search,
plus a bounded search over binaries (ELF and data files, flat microcontroller images) that
returns the printable string around each match. Checks of both groups may use it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from iotbaseline.checks.context import CheckContext
from iotbaseline.model import FileEntry

TEXT_KINDS = frozenset({"script", "config", "text", "key", "certificate"})
BINARY_KINDS = frozenset({"elf", "data", "kernel_module"})
MAX_TEXT_BYTES = 256 * 1024  # a config or script larger than this is not read as text
MAX_BINARY_BYTES = 16 * 1024 * 1024  # per binary scanned for strings
MAX_BINARY_TOTAL = 256 * 1024 * 1024  # over all binaries of one image
MAX_EXCERPT = 200


@dataclass
class TextFile:
    """One text file of the image, decoded once; line numbers computed on demand."""

    entry: FileEntry
    text: str
    _starts: list[int] | None = field(default=None, repr=False)
    _lower: str | None = field(default=None, repr=False)

    @property
    def lower(self) -> str:
        """The text in lower case, for cheap keyword pre-filters before a regex runs."""
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower

    def in_markup_comment(self, offset: int) -> bool:
        """Whether ``offset`` falls inside an XML/HTML ``<!-- -->`` comment."""
        start = self.text.rfind("<!--", 0, offset)
        return start >= 0 and self.text.find("-->", start, offset) < 0

    def mentions(self, hints: tuple[str, ...]) -> bool:
        return any(h in self.lower for h in hints)

    @property
    def path(self) -> str:
        return self.entry.path

    @property
    def root(self) -> str:
        return self.entry.root

    def line_number(self, offset: int) -> int:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        return bisect.bisect_right(self._starts, offset)

    def line_text(self, offset: int) -> str:
        start = self.text.rfind("\n", 0, offset) + 1
        end = self.text.find("\n", offset)
        return self.text[start : end if end >= 0 else len(self.text)]

    def lines(self) -> list[str]:
        return self.text.splitlines()


@dataclass(frozen=True)
class TextMatch:
    file: TextFile
    line: int  # 1-based
    line_text: str
    match: re.Match[str]


@dataclass(frozen=True)
class Blob:
    """One binary: a file of the image (``entry``), or a flat image on disk (``disk``)."""

    name: str  # in-image path, or the flat image's file name
    entry: FileEntry | None = None
    disk: str | None = None


@dataclass(frozen=True)
class BinaryMatch:
    blob: Blob
    offset: int  # of the match in the file
    string: str  # the printable run holding the match
    match: re.Match[str]


def _looks_text(data: bytes) -> bool:
    return b"\x00" not in data[:4096]


def _load_text_files(ctx: CheckContext) -> list[TextFile]:
    out: list[TextFile] = []
    for entry in ctx.index.iter():
        if entry.kind not in TEXT_KINDS or entry.size > MAX_TEXT_BYTES or entry.size == 0:
            continue
        data = ctx.index.read_bytes(entry, limit=MAX_TEXT_BYTES)
        if not data or not _looks_text(data):
            continue
        out.append(TextFile(entry=entry, text=data.decode("utf-8", errors="replace")))
    return out


def text_files(ctx: CheckContext) -> list[TextFile]:
    """Every text-like file of the image (scripts, configs, web pages), read once per run."""
    files: list[TextFile] = ctx.fact("textscan.text_files", _load_text_files)
    return files


def text_file(ctx: CheckContext, path: str) -> TextFile | None:
    """A text file by in-image path, following symlinks inside the image; None if absent."""
    entry = ctx.index.resolve(path)
    if entry is None or entry.kind in ("directory", "special", "symlink"):
        return None
    by_key: dict[tuple[str, str], TextFile] = ctx.fact(
        "textscan.by_key", lambda c: {(t.root, t.path): t for t in text_files(c)}
    )
    found = by_key.get((entry.root, entry.path))
    if found is not None:
        return found
    data = ctx.index.read_bytes(entry, limit=MAX_TEXT_BYTES)
    if data is None or not _looks_text(data):
        return None
    return TextFile(entry=entry, text=data.decode("utf-8", errors="replace"))


def search(
    ctx: CheckContext,
    pattern: re.Pattern[str],
    where: Callable[[TextFile], bool] | None = None,
    files: list[TextFile] | None = None,
    hints: tuple[str, ...] = (),
) -> Iterator[TextMatch]:
    """Regex matches over text files, with 1-based line numbers and the line's text.
    ``hints``: lower-case words one of which a file must contain for the regex to run on it."""
    for tf in files if files is not None else text_files(ctx):
        if where is not None and not where(tf):
            continue
        if hints and not tf.mentions(hints):
            continue
        for m in pattern.finditer(tf.text):
            yield TextMatch(tf, tf.line_number(m.start()), tf.line_text(m.start()), m)


def excerpt(text: str, limit: int = MAX_EXCERPT) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_comment(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(("#", "//", ";", "<!--", "*"))


# ---- binaries ---------------------------------------------------------------------------------


def _binary_sources(ctx: CheckContext) -> list[Blob]:
    blobs = [Blob(name=e.path, entry=e) for e in ctx.index.iter()
             if e.kind in BINARY_KINDS and e.size > 0]
    blobs += [Blob(name=Path(flat).name, disk=flat) for flat in ctx.index.flat_images]
    return blobs


def binaries(ctx: CheckContext) -> list[Blob]:
    """The binaries of the image: ELF and data files, and flat (microcontroller) images."""
    blobs: list[Blob] = ctx.fact("textscan.blobs", _binary_sources)
    return blobs


def read_blob(ctx: CheckContext, blob: Blob) -> bytes:
    """A binary's bytes, bounded by MAX_BINARY_BYTES; empty when it cannot be read."""
    if blob.entry is not None:
        return ctx.index.read_bytes(blob.entry, limit=MAX_BINARY_BYTES) or b""
    try:
        with open(blob.disk or "", "rb") as fh:
            return fh.read(MAX_BINARY_BYTES)
    except OSError:
        return b""


MIN_STRING = 6
_RUN = re.compile(rb"[\x20-\x7e\t]{%d,}" % MIN_STRING)
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]{3,40})-----")
MAX_PEM_BLOCK = 16 * 1024


@dataclass
class BlobStrings:
    """The printable strings of one binary joined by newlines, and the PEM blocks (keys,
    certificates) it holds. The bytes are not kept: offsets in the file are worked out again
    only for strings that matched (most binaries never match anything)."""

    blob: Blob
    joined: str
    pem_blocks: list[tuple[int, str]]  # (offset, "-----BEGIN …-----END …-----")
    _reload: Callable[[], bytes] = field(repr=False)
    _offsets: list[int] | None = field(default=None, repr=False)

    def file_offset(self, pos: int) -> tuple[int, str]:
        if self._offsets is None:
            self._offsets = [m.start() for m in _RUN.finditer(self._reload())]
        index = self.joined.count("\n", 0, pos)
        start = self.joined.rfind("\n", 0, pos) + 1
        end = self.joined.find("\n", pos)
        string = self.joined[start : end if end >= 0 else len(self.joined)]
        if index >= len(self._offsets):  # the file changed under us: no offset to give
            return -1, string
        return self._offsets[index] + (pos - start), string


def _pem_blocks(data: bytes) -> list[tuple[int, str]]:
    out = []
    for m in _PEM_BLOCK.finditer(data):
        marker = b"-----END " + m.group(1) + b"-----"
        end = data.find(marker, m.end(), m.end() + MAX_PEM_BLOCK)
        if end >= 0:
            block = data[m.start() : end + len(marker)].decode("ascii", errors="replace")
            out.append((m.start(), block.replace("\\n", "\n")))  # C string literals
    return out


def _load_blob_strings(ctx: CheckContext) -> list[BlobStrings]:
    out: list[BlobStrings] = []
    total = 0
    for blob in binaries(ctx):
        if total >= MAX_BINARY_TOTAL:
            break
        data = read_blob(ctx, blob)
        total += len(data)
        pems = _pem_blocks(data) if b"-----BEGIN " in data else []
        joined = b"\n".join(_RUN.findall(data)).decode("ascii")
        out.append(BlobStrings(blob, joined, pems, partial(read_blob, ctx, blob)))
    return out


def blob_strings(ctx: CheckContext) -> list[BlobStrings]:
    """`strings`-style text of every binary, extracted once per run (min. 6 characters),
    reading each binary once; bounded by MAX_BINARY_BYTES per file and MAX_BINARY_TOTAL."""
    result: list[BlobStrings] = ctx.fact("textscan.blob_strings", _load_blob_strings)
    return result


def search_binaries(
    ctx: CheckContext, pattern: re.Pattern[str], where: Callable[[Blob], bool] | None = None
) -> Iterator[BinaryMatch]:
    """Regex matches over the printable strings of binaries (a match never spans two strings)."""
    for bs in blob_strings(ctx):
        if where is not None and not where(bs.blob):
            continue
        for m in pattern.finditer(bs.joined):
            offset, string = bs.file_offset(m.start())
            yield BinaryMatch(bs.blob, offset, excerpt(string), m)


def strings(data: bytes, min_len: int = 4) -> Iterator[tuple[int, str]]:
    """Printable ASCII runs of at least ``min_len`` characters, with their offsets."""
    for m in re.finditer(rb"[\x20-\x7e\t]{%d,}" % min_len, data):
        yield m.start(), m.group().decode("ascii")
