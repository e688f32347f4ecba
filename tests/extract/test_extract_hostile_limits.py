"""The OS limits of the extraction worker and the bounded decompression helper, checked
directly: a child started with ``sandbox.PreExec`` cannot write a file past its limit
(EFBIG, not death), sees the lowered limits, and gets a private TMPDIR."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import resource
import subprocess
import sys
import zlib
from pathlib import Path

import pyzstd
import pytest

from iotbaseline.extract.limits import OutputTooLarge, decompress_bounded
from iotbaseline.extract.sandbox import PreExec, SandboxLimits, private_tmp, worker_env

CHILD = """
import errno, json, os, resource, sys
out = {"fsize": resource.getrlimit(resource.RLIMIT_FSIZE)[0],
       "cpu": resource.getrlimit(resource.RLIMIT_CPU)[0],
       "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
       "as": resource.getrlimit(resource.RLIMIT_AS)[0], "tmp": os.environ["TMPDIR"]}
try:
    with open(sys.argv[1], "wb", buffering=0) as fh:
        for _ in range(3):  # the kernel cuts the write at the limit, the next one fails
            fh.write(b"x" * 60_000)
    out["write"] = "ok"
except OSError as exc:
    out["write"] = errno.errorcode[exc.errno]
print(json.dumps(out))
"""


def test_worker_limits_hold_in_the_child(tmp_path: Path) -> None:
    limits = SandboxLimits(file_bytes=100_000, cpu_seconds=7, open_files=256)
    proc = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "big.bin")],
                          env=worker_env({"PATH": "/usr/bin:/bin"}, tmp_path),
                          preexec_fn=PreExec(limits), start_new_session=True,
                          capture_output=True, text=True, check=True)
    seen = json.loads(proc.stdout)
    assert seen["write"] == "EFBIG"  # SIGXFSZ ignored: the write fails, the process lives
    assert (tmp_path / "big.bin").stat().st_size == 100_000
    assert (seen["fsize"], seen["cpu"], seen["nofile"]) == (100_000, 7, 256)
    assert seen["as"] == limits.memory_bytes
    assert seen["tmp"] == str(private_tmp(tmp_path)) and seen["tmp"].startswith(str(tmp_path))
    # the parent itself is untouched
    assert resource.getrlimit(resource.RLIMIT_FSIZE)[0] != 100_000


MIB = 1 << 20


@pytest.mark.parametrize("codec,pack", [
    ("gzip", gzip.compress), ("zlib", zlib.compress), ("xz", lzma.compress),
    ("lzma", lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE)), ("bzip2", bz2.compress),
    ("zstd", pyzstd.compress)])
def test_decompress_bounded(codec: str, pack: object) -> None:
    data = bytes(range(256)) * (32 * MIB // 256)
    packed = pack(data)  # type: ignore[operator]
    assert decompress_bounded(packed, codec, 32 * MIB) == data
    with pytest.raises(OutputTooLarge) as hit:
        decompress_bounded(packed, codec, MIB)
    assert hit.value.bound == "max_total_bytes" and str(MIB) in str(hit.value)


def test_decompress_bounded_unknown_codec() -> None:
    with pytest.raises(ValueError, match="unknown codec"):
        decompress_bounded(b"", "rar", 10)


def test_squashfs4_hard_linked_file_extracts(tmp_path: Path) -> None:
    """mksquashfs stores a hard-linked file as an extended inode (LREG); its 7-field layout
    was read with 6 formats and crashed (found by fuzzing, tests/fuzz_regressions/squashfs)."""
    import os

    from iotbaseline.extract.limits import Budget, Limits
    from iotbaseline.extract.squashfs.extract import extract_squashfs

    root = tmp_path / "root" / "etc"
    root.mkdir(parents=True)
    (root / "a").write_bytes(os.urandom(5000))
    os.link(root / "a", root / "b")
    image = tmp_path / "i.sqfs"
    subprocess.run(["mksquashfs", str(root.parent), str(image), "-noappend", "-quiet"],
                   check=True, capture_output=True)
    data = image.read_bytes()
    outcome = extract_squashfs(data, 0, tmp_path / "out", Budget(Limits(), len(data)))
    assert outcome.errors == []
    assert (tmp_path / "out" / "etc" / "b").read_bytes() == (root / "a").read_bytes()
