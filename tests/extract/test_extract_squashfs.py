"""SquashFS extractor: mksquashfs images in every compressor, our writer's v2/v3/v4 images in
both byte orders (first checked against Debian's unsquashfs), and the vendor LZMA layouts."""

from __future__ import annotations

import json
import lzma
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from extract_sqfs_writer import Entry, SquashfsWriter

from iotbaseline.extract.limits import Budget, Limits
from iotbaseline.extract.squashfs.extract import extract_squashfs
from iotbaseline.extract.squashfs.reader import SquashfsError

RANDOM = os.urandom(300_000)
ENTRIES = [
    Entry("etc", "dir", 0o755),
    Entry("etc/passwd", "file", 0o644, b"root:x:0:0:root:/root:/bin/ash\n"),
    Entry("etc/shadow", "file", 0o600, b"root::0:0:99999:7:::\n"),
    Entry("etc/empty", "file", 0o644, b""),
    Entry("bin/busybox", "file", 0o4755, RANDOM[:20_000] + b"\0" * 30_000),
    Entry("bin/sh", "symlink", 0o777, target="busybox"),
    Entry("var", "symlink", 0o777, target="/tmp"),
    Entry("dev/console", "chr", 0o600, rdev=(5 << 8) | 1),
    Entry("dev/initctl", "fifo", 0o600),
    Entry("lib/big.bin", "file", 0o644, RANDOM),
] + [Entry(f"usr/share/f{i:03d}.txt", "file", 0o644, f"file {i}\n".encode() * i) for i in range(300)]


def _extract(image: bytes, out: Path):
    return extract_squashfs(image, 0, out, Budget(Limits(), len(image)))


def _assert_tree_matches(out: Path, entries: list[Entry]) -> None:
    """Compare the extracted tree with the entries the image was built from."""
    modes = None
    for entry in entries:
        path = out / entry.path
        if entry.kind == "file":
            assert path.read_bytes() == entry.data, entry.path
            assert not path.stat().st_mode & 0o7000, f"{entry.path}: setuid applied on disk"
        elif entry.kind == "symlink":
            assert path.is_symlink() and os.readlink(path) == entry.target, entry.path
        elif entry.kind in ("chr", "blk", "fifo"):
            assert not path.exists() and not path.is_symlink(), f"{entry.path} created"
        else:
            assert path.is_dir() and not path.is_symlink()
    del modes


def _unsquashfs_tree(image: Path, dest: Path) -> list[str]:
    """Debian's unsquashfs listing of an image (the independent reference)."""
    listing = subprocess.run(["unsquashfs", "-d", "", "-lls", str(image)], capture_output=True,
                             text=True, check=True).stdout
    return sorted(line for line in listing.splitlines() if line[:1] in "-dlcbps")


@pytest.mark.parametrize("version,big", [(2, False), (2, True), (3, False), (3, True), (4, False)])
def test_writer_images_are_valid_for_unsquashfs(tmp_path: Path, version: int, big: bool) -> None:
    """The test writer itself is checked by Debian's unsquashfs (gzip, no vendor changes)."""
    image = tmp_path / "fs.sqfs"
    image.write_bytes(SquashfsWriter(version, big).build(ENTRIES))
    subprocess.run(["unsquashfs", "-d", str(tmp_path / "ref"), str(image)], check=True,
                   capture_output=True)
    ref = tmp_path / "ref"
    assert (ref / "lib/big.bin").read_bytes() == RANDOM
    assert os.readlink(ref / "var") == "/tmp"
    assert stat.S_IMODE((ref / "bin/busybox").stat().st_mode) == 0o4755


@pytest.mark.parametrize("version,big", [(2, False), (2, True), (3, False), (3, True), (4, False),
                                         (4, True)])
def test_extracts_writer_images_gzip(tmp_path: Path, version: int, big: bool) -> None:
    image = SquashfsWriter(version, big).build(ENTRIES)
    outcome = _extract(image, tmp_path / "out")
    assert outcome.errors == []
    assert f"SquashFS {version}." in outcome.description
    assert ("big-endian" if big else "little-endian") in outcome.description
    _assert_tree_matches(tmp_path / "out", ENTRIES)
    assert outcome.manifest.entries["/bin/busybox"].mode == 0o4755
    assert outcome.manifest.entries["/dev/console"].type == "chr"
    assert outcome.manifest.entries["/dev/console"].rdev == (5 << 8) | 1
    assert outcome.manifest.entries["/var"].target == "/tmp"


def _raw(lc: int, lp: int, pb: int, dict_size: int = 1 << 16):
    filters = [{"id": lzma.FILTER_LZMA1, "lc": lc, "lp": lp, "pb": pb, "dict_size": dict_size}]

    def compress(block: bytes) -> bytes:
        return lzma.compress(block, format=lzma.FORMAT_RAW, filters=filters)

    return compress


def _five_byte_header(block: bytes) -> bytes:
    props = 3 + 9 * (0 + 5 * 2)  # lc=3 lp=0 pb=2
    return bytes([props]) + (1 << 16).to_bytes(4, "little") + _raw(3, 0, 2)(block)


def _lzma_alone(block: bytes) -> bytes:
    return lzma.compress(block, format=lzma.FORMAT_ALONE)


VENDOR_VARIANTS = {
    # name: (version, big-endian, compress, magic, spare superblock bytes, compression id)
    "v3-le-lzma-alone-shsq-magic": (3, False, _lzma_alone, b"shsq", b"", 1),
    "v3-be-lzma-alone-qshs-magic": (3, True, _lzma_alone, b"qshs", b"", 1),
    "v3-be-lzma-5-byte-header": (3, True, _five_byte_header, b"sqsh", b"", 1),
    "v3-le-raw-lzma-default-props": (3, False, _raw(3, 0, 2), b"hsqs", b"", 1),
    "v3-be-raw-lzma-props-in-superblock": (3, True, _raw(0, 2, 0), b"sqsh",
                                           bytes([0 + 9 * (2 + 5 * 0)]), 1),
    "v3-le-raw-lzma-unusual-props-bruteforced": (3, False, _raw(1, 3, 0), b"hsqs", b"", 1),
    "v2-be-lzma-alone": (2, True, _lzma_alone, b"sqsh", b"", 1),
    "v4-le-declared-lzma-raw-stream": (4, False, _raw(3, 0, 2), b"hsqs", b"", 2),
    "v4-le-declared-gzip-but-lzma-alone": (4, False, _lzma_alone, b"hsqs", b"", 1),
}


@pytest.mark.parametrize("name", sorted(VENDOR_VARIANTS))
def test_vendor_lzma_variants(tmp_path: Path, name: str) -> None:
    version, big, compress, magic, spare, comp_id = VENDOR_VARIANTS[name]
    writer = SquashfsWriter(version, big, compress=compress, magic=magic, spare=spare,
                            compression_id=comp_id)
    image = writer.build(ENTRIES)
    path = tmp_path / "vendor.sqfs"
    path.write_bytes(image)
    # Debian's unsquashfs cannot read these layouts: the reason this extractor exists.
    ref = subprocess.run(["unsquashfs", "-d", str(tmp_path / "ref"), str(path)],
                         capture_output=True, check=False)
    assert ref.returncode != 0 or not (tmp_path / "ref" / "lib" / "big.bin").exists()
    outcome = _extract(image, tmp_path / "out")
    assert outcome.errors == []
    _assert_tree_matches(tmp_path / "out", ENTRIES)
    assert "lzma" in outcome.description.lower()


MKSQUASHFS_COMPRESSORS = ["gzip", "xz", "lzo", "lz4", "zstd", "lzma"]


@pytest.fixture(scope="module")
def source_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("src") / "root"
    for entry in ENTRIES:
        path = root / entry.path
        if entry.kind == "dir":
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if entry.kind == "file":
            path.write_bytes(entry.data)
            os.chmod(path, entry.mode)
        elif entry.kind == "symlink":
            os.symlink(entry.target, path)
    return root


PSEUDO = ["-p", "dev/console c 600 0 0 5 1", "-p", "dev/initctl f 600 0 0 true"]


@pytest.mark.parametrize("comp", MKSQUASHFS_COMPRESSORS)
def test_mksquashfs_images_every_compressor(tmp_path: Path, source_tree: Path, comp: str) -> None:
    image = tmp_path / "fs.sqfs"
    subprocess.run(["mksquashfs", str(source_tree), str(image), "-comp", comp, "-all-root",
                    "-noappend", "-quiet", "-p", "dev/console c 600 0 0 5 1"],
                   check=True, capture_output=True)
    outcome = _extract(image.read_bytes(), tmp_path / "out")
    assert outcome.errors == []
    entries = [e for e in ENTRIES if e.kind != "fifo"]
    _assert_tree_matches(tmp_path / "out", entries)
    assert outcome.manifest.entries["/bin/busybox"].mode == 0o4755
    assert outcome.manifest.entries["/dev/console"].rdev == os.makedev(5, 1)
    # same entry list as unsquashfs -lls
    listing = subprocess.run(["unsquashfs", "-d", "", "-lls", str(image)], capture_output=True,
                             text=True, check=True).stdout.splitlines()
    ref = set()
    for line in listing:
        match = re.search(r" \d\d:\d\d (/.*?)( -> .*)?$", line)
        if match:
            ref.add(match[1])
    assert len(ref) > 300
    assert set(outcome.manifest.entries) - {"/"} == ref


def test_truncated_image_is_a_clear_error(tmp_path: Path) -> None:
    image = SquashfsWriter(3, False).build(ENTRIES)
    with pytest.raises(SquashfsError, match="bytes_used|truncated"):
        _extract(image[: len(image) // 2], tmp_path / "out")


def test_corrupt_data_block_reports_the_file_and_continues(tmp_path: Path) -> None:
    text = b"compressible line of text\n" * 2000
    entries = [Entry("a.txt", "file", 0o644, text), Entry("b.txt", "file", 0o644, text)]
    image = bytearray(SquashfsWriter(4, False).build(entries))
    # a.txt's first block is the first data in the image (offset 128): a zlib stream;
    # break its header
    image[128:130] = b"\xff\xff"
    outcome = _extract(bytes(image), tmp_path / "out")
    assert any(message.startswith("/a.txt:") for message in outcome.errors), outcome.errors
    assert (tmp_path / "out" / "b.txt").read_bytes() == text


def test_manifest_json_shape(tmp_path: Path) -> None:
    outcome = _extract(SquashfsWriter(4, False).build(ENTRIES), tmp_path / "out")
    data = json.loads(json.dumps({k: v.as_json() for k, v in outcome.manifest.entries.items()}))
    assert data["/bin/busybox"]["mode"] == "4755"
    assert data["/etc/shadow"]["mode"] == "0600"
    assert data["/dev/initctl"]["type"] == "fifo"
