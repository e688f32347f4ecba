"""Bounds on what one extraction may produce, so a hostile image cannot exhaust the machine.

Hitting a bound stops the part of the extraction that hit it; the result records which bound
and keeps everything extracted up to then (see ``ExtractionResult.limits_hit``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    max_total_bytes: int = 4 * 1024**3  # bytes written to the work directory, all stages
    max_ratio: float = 200.0  # extracted bytes / input bytes
    max_depth: int = 8  # nested containers (archive in archive …)
    max_files: int = 200_000  # entries created in the work directory
    extractor_timeout_s: float = 300.0  # wall time of one extractor run

    def byte_budget(self, input_size: int) -> tuple[int, str]:
        """The effective byte bound for this input and the name of the bound that sets it."""
        by_ratio = int(max(input_size, 1) * self.max_ratio)
        if by_ratio < self.max_total_bytes:
            return by_ratio, "max_ratio"
        return self.max_total_bytes, "max_total_bytes"


class LimitHit(Exception):
    """A bound in ``Limits`` was reached; ``bound`` names it (``max_files`` …)."""

    def __init__(self, bound: str, message: str) -> None:
        super().__init__(message)
        self.bound = bound


@dataclass
class Budget:
    """Running account of one extraction against its limits (shared by all stages).

    Safe to share between threads (the fast path extracts several SquashFS images and a
    kernel at once): the counters are updated under a lock, and each thread has its own
    extractor deadline (``start_extractor`` times the extractor running in that thread)."""

    limits: Limits
    input_size: int
    bytes_written: int = 0
    files_written: int = 0
    # bytes other writers running at the same time have produced (the unblob worker carving
    # leftover regions while the fast path still writes): they count against the same bound
    external_bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _local: threading.local = field(default_factory=threading.local, repr=False, compare=False)

    def start_extractor(self) -> None:
        self._local.deadline = time.monotonic() + self.limits.extractor_timeout_s

    def check_time(self, what: str) -> None:
        deadline = getattr(self._local, "deadline", 0.0)
        if deadline and time.monotonic() > deadline:
            raise LimitHit(
                "extractor_timeout_s",
                f"{what} took longer than {self.limits.extractor_timeout_s:g} s",
            )

    def add_bytes(self, count: int) -> None:
        with self._lock:
            self.bytes_written += count
            total = self.bytes_written + self.external_bytes
        bound, name = self.limits.byte_budget(self.input_size)
        if total > bound:
            raise LimitHit(name, f"extracted data exceeds {bound} bytes ({name})")

    def add_file(self) -> None:
        with self._lock:
            self.files_written += 1
            count = self.files_written
        if count > self.limits.max_files:
            raise LimitHit("max_files", f"more than {self.limits.max_files} entries extracted")


class OutputTooLarge(LimitHit):
    """A stream decompressed past the size it was allowed (``decompress_bounded``)."""


def decompress_bounded(data: bytes, codec: str, max_out: int) -> bytes:
    """Decompress one in-memory stream (gzip, zlib, xz, lzma, bzip2, zstd) to at most
    ``max_out`` bytes; raise ``OutputTooLarge`` instead of producing more.

    For in-process decoders (kernel parts, vendor containers): the decompressor is asked
    for ``max_out + 1`` bytes at most, so a bomb never allocates more than that."""
    import bz2
    import lzma
    import zlib

    if codec in ("gzip", "zlib"):
        out = zlib.decompressobj(wbits=31 if codec == "gzip" else 15).decompress(data, max_out + 1)
    elif codec in ("xz", "lzma"):
        fmt = lzma.FORMAT_XZ if codec == "xz" else lzma.FORMAT_ALONE
        out = lzma.LZMADecompressor(format=fmt).decompress(data, max_out + 1)
    elif codec == "bzip2":
        out = bz2.BZ2Decompressor().decompress(data, max_out + 1)
    elif codec == "zstd":
        import pyzstd

        out = pyzstd.EndlessZstdDecompressor().decompress(data, max_out + 1)
    else:
        raise ValueError(f"unknown codec {codec!r}")
    if len(out) > max_out:
        raise OutputTooLarge("max_total_bytes",
                             f"{codec} stream decompresses to more than {max_out} bytes")
    return out
