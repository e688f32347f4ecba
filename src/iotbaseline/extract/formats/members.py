"""Writing the members of a vendor container: names checked, nothing written through a link,
every LZMA stream bounded. Shared by the MFS, IMG0 and RNTP readers."""

from __future__ import annotations

import lzma
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from iotbaseline.extract.safe_fs import SafeTree, UnsafeName, check_name


class FormatError(Exception):
    """The container's header is not what its magic promised."""


@dataclass
class Written:
    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    total: int = 0


def lzma_alone(data: bytes | memoryview, max_out: int) -> tuple[bytes, int]:
    """Decode one "LZMA alone" stream (any properties byte); (plaintext, bytes consumed)."""
    decoder = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
    try:
        out = decoder.decompress(bytes(data), max_out + 1)
    except lzma.LZMAError as exc:
        raise FormatError(f"LZMA stream: {exc}") from exc
    if len(out) > max_out:
        raise FormatError(f"LZMA stream expands beyond the {max_out}-byte bound")
    consumed = len(data) - len(decoder.unused_data) if decoder.eof else len(data)
    return out, consumed


def write_members(outdir: Path, members: Iterable[tuple[bytes | str, bytes]],
                  max_total: int) -> Written:
    """Write (name, content) pairs flat into ``outdir``; unsafe names and the byte bound are
    reported, not obeyed."""
    written = Written()
    outdir.mkdir(parents=True, exist_ok=True)
    with SafeTree(outdir) as tree:
        for raw_name, content in members:
            try:
                name = check_name(raw_name)
            except UnsafeName as exc:
                written.problems.append(str(exc))
                continue
            if written.total + len(content) > max_total:
                written.problems.append(f"{name}: byte bound {max_total} reached; not written")
                break
            tree.write_file(tree.root_fd, name, 0o644, [content])
            written.files.append(name)
            written.total += len(content)
    return written
