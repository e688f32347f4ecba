"""The speed work of issue 12 must not change what is extracted: unblob's padding skip
replaced by a block-wise one, one unblob pool for all leftover regions (report in a fixed
order), leftovers carved while SquashFS is still extracted, SquashFS images two at a time,
and a byte budget shared between threads."""

from __future__ import annotations

import binascii
import gzip
import os
import struct
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from unblob.file_utils import File
from unblob.file_utils import read_until_past as unblob_read_until_past

from iotbaseline.extract import carve, extract_image, pipeline
from iotbaseline.extract.early import EarlyLeftovers
from iotbaseline.extract.limits import Budget, LimitHit, Limits
from iotbaseline.extract.unblob_worker import PADDING_BLOCK, _report_order, read_until_past
from iotbaseline.model import Chunk

ERASE = 0x10000


@pytest.mark.parametrize("pattern", [b"\x00\xff", b"\xff", b"\x00"])
def test_block_wise_padding_skip_answers_as_unblob_does(pattern: bytes) -> None:
    assert unblob_read_until_past.__module__ == "unblob.file_utils"  # the original, unpatched
    pad = pattern * (PADDING_BLOCK // len(pattern))
    buffers = [
        pad + pad + b"\x85\x19data",  # data after two full blocks of padding
        b"\x85\x19" + pad,  # no padding at the start
        pad[:100],  # padding to the end of the file
        pad[: PADDING_BLOCK - 1] + b"Z" + pad,  # data just before a block boundary
        pad + b"Z",  # data exactly at a block boundary
        bytes(range(256)) * 10,
    ]
    for buf in buffers:
        for start in sorted({0, 1, len(buf) // 2, len(buf) - 1, len(buf)}):
            ours, theirs = File.from_bytes(buf), File.from_bytes(buf)
            ours.seek(start)
            theirs.seek(start)
            expected = unblob_read_until_past(theirs, pattern)
            assert read_until_past(ours, pattern) == expected
            assert ours.tell() == theirs.tell()


def test_worker_report_in_input_order(tmp_path: Path) -> None:
    """Results come back in the order pool workers finish; the report must not."""
    config = SimpleNamespace(get_extract_dir_for=lambda p: tmp_path / "unblob" / f"{p.name}_extract")
    inputs = [tmp_path / "region-0x2000.bin", tmp_path / "region-0x13d0000.bin"]
    done = [tmp_path / "unblob/region-0x13d0000.bin_extract/fs/a.zip",
            tmp_path / "region-0x13d0000.bin",
            tmp_path / "unblob/region-0x2000.bin_extract",
            tmp_path / "region-0x2000.bin"]
    results = [SimpleNamespace(task=SimpleNamespace(path=p)) for p in done]
    results.sort(key=_report_order(config, inputs))  # type: ignore[arg-type]
    assert [r.task.path for r in results] == [done[3], done[2], done[1], done[0]]


def test_budget_shared_by_threads_counts_every_byte() -> None:
    budget = Budget(Limits(max_total_bytes=10**9, max_ratio=10**9), 1)

    def add() -> None:
        for _ in range(20000):
            budget.add_bytes(1)
            budget.add_file()

    threads = [threading.Thread(target=add) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (budget.bytes_written, budget.files_written) == (80000, 80000)
    budget.external_bytes = 10**9 - 80000  # the unblob worker's output counts too
    with pytest.raises(LimitHit):
        budget.add_bytes(1)


def test_each_thread_has_its_own_extractor_deadline() -> None:
    budget = Budget(Limits(extractor_timeout_s=0.0), 1)
    budget.start_extractor()  # this thread's extractor is already late
    seen: list[str] = []

    def other() -> None:  # never started an extractor: nothing to be late for
        budget.check_time("other")
        seen.append("ok")

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen == ["ok"]
    with pytest.raises(LimitHit):
        budget.check_time("this")


def _image(squashfs: bytes, count: int, tail: bytes) -> bytes:
    """``count`` copies of the root at erase-block boundaries, then ``tail``."""
    out = b""
    for _ in range(count):
        out += squashfs + b"\xff" * (-len(squashfs) % ERASE)
    return out + tail


def test_squashfs_images_taken_in_image_order(squashfs: bytes, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    data = _image(squashfs, 5, b"")
    offsets = [i * (len(squashfs) + -len(squashfs) % ERASE) for i in range(5)]
    # the first image is the slowest, so a later one finishes first
    real = carve.extract_squashfs

    def slow_first(data: bytes, offset: int, out: Path, budget: Budget):  # type: ignore[no-untyped-def]
        if offset == 0:
            threading.Event().wait(0.3)
        return real(data, offset, out, budget)

    monkeypatch.setattr(carve, "extract_squashfs", slow_first)
    seen: list[Path] = []
    result = carve.carve_image(data, "fw.bin", tmp_path / "fx", tmp_path,
                               Budget(Limits(), len(data)), lambda tree, _planned: seen.append(tree.path))
    expected = [tmp_path / "fx" / f"squashfs-{o:#x}" for o in offsets]
    assert [t.path for t in result.trees] == expected == seen
    assert [c.start for c in result.chunks if c.kind == "squashfs"] == offsets
    for path in expected:
        assert (path / "etc" / "passwd").is_file()


def test_leftovers_carved_while_squashfs_is_extracted(squashfs: bytes, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Two roots then a gzip blob: the blob's region goes to unblob as soon as the first root
    is written (never a second, sequential unblob run), with the same result."""
    blob = os.urandom(3000).hex().encode()
    data = _image(squashfs, 2, gzip.compress(blob, mtime=0) + b"\xff" * 4096)
    image = tmp_path / "fw.bin"
    image.write_bytes(data)

    def no_sequential_run(*_args: object, **_kw: object) -> None:
        raise AssertionError("the leftover regions were carved a second time")

    monkeypatch.setattr(pipeline, "run_unblob", no_sequential_run)
    result = extract_image(image, tmp_path / "work")
    blob_at = 2 * (len(squashfs) + -len(squashfs) % ERASE)
    assert [r.label for r in result.roots] == ["rootfs", "rootfs_b", f"partition-{blob_at:#x}-gzip"]
    files = [p for p in Path(result.roots[2].path).rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in files] == [blob]
    assert not (tmp_path / "work" / ".regions").exists()


def test_early_run_discarded_when_the_regions_change(squashfs: bytes, tmp_path: Path) -> None:
    """If the finished chunk list does not match the planned one (a bound stopped a
    SquashFS), the early worker is stopped and everything it wrote removed."""
    root = tmp_path / "tree"
    for sub in ("etc", "bin", "sbin", "lib"):
        (root / sub).mkdir(parents=True)
    blob = gzip.compress(os.urandom(4000), mtime=0)
    data = b"\xff" * ERASE + blob
    work = tmp_path / "work"
    work.mkdir()
    budget = Budget(Limits(), len(data))
    early = EarlyLeftovers(data, work, Limits(), len(data), budget)
    planned = [Chunk(start=0, end=ERASE, kind="squashfs", parent="fw.bin"),
               Chunk(start=ERASE, end=len(data), kind="unknown", parent="fw.bin")]
    early.on_tree(carve.Tree(root, ["fw.bin"]), planned)
    assert [(c.start, c.end) for c in early.regions or []] == [(ERASE, len(data))]  # started
    other = Chunk(start=ERASE + 512, end=len(data), kind="unknown", parent="fw.bin")
    assert early.take([other]) is None
    for name in ("unblob", ".regions", ".modes", ".unblob-report.json", ".unblob.log"):
        assert not (work / name).exists(), name
    assert budget.external_bytes == 0


def test_padding_skip_used_on_jffs2_with_erased_blocks(tmp_path: Path) -> None:
    """A JFFS2 image whose nodes are followed by whole erased blocks: the chunk unblob's
    handler computes with our skip is the one it computes with its own."""
    from unblob.handlers.filesystem import jffs2

    node = bytearray(struct.pack("<HHI", 0x1985, 0x2003, 12)) + b"\0" * 4  # clean marker
    crc = (binascii.crc32(bytes(node[:8]), -1) ^ -1) & 0xFFFFFFFF
    struct.pack_into("<I", node, 8, crc)
    data = bytes(node) + b"\xff" * (3 * ERASE - len(node))
    path = tmp_path / "fs.jffs2"
    path.write_bytes(data)
    handler = jffs2.JFFS2NewHandler()
    with File.from_path(path) as file:
        theirs = handler.calculate_chunk(file, 0)
    saved = jffs2.read_until_past
    jffs2.read_until_past = read_until_past
    try:
        with File.from_path(path) as file:
            ours = handler.calculate_chunk(file, 0)
    finally:
        jffs2.read_until_past = saved
    assert theirs is not None and ours is not None
    assert (ours.start_offset, ours.end_offset) == (theirs.start_offset, theirs.end_offset)
    assert ours.end_offset == len(data)
