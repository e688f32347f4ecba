"""File systems in the variants vendors ship, built here with each format's own tool and
extracted back: CramFS big-endian and behind a uImage whose type field lies, ext2/ext3,
Android sparse, SquashFS with the vendor magics."""

from __future__ import annotations

import os
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from iotbaseline.extract import extract_image

PASSWD = b"root:x:0:0:root:/root:/bin/sh\n"
BUSYBOX = os.urandom(30_000)


@pytest.fixture(scope="module")
def rootdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fsroot") / "root"
    for sub in ("etc", "bin", "sbin", "lib"):
        (root / sub).mkdir(parents=True)
    (root / "etc" / "passwd").write_bytes(PASSWD)
    (root / "bin" / "busybox").write_bytes(BUSYBOX)
    os.symlink("../bin/busybox", root / "sbin" / "init")
    return root


def _check_root(image: Path, work: Path) -> Path:
    result = extract_image(image, work)
    assert result.roots, [e.message for e in result.errors]
    root = Path(result.roots[0].path)
    assert (root / "etc" / "passwd").read_bytes() == PASSWD
    assert (root / "bin" / "busybox").read_bytes() == BUSYBOX
    assert os.readlink(root / "sbin" / "init") == "../bin/busybox"
    return root


def _uimage(payload: bytes, image_type: int, compression: int) -> bytes:
    header = struct.pack(">IIIIIIIBBBB32s", 0x27051956, 0, 0, len(payload), 0x80000000,
                         0x80000000, zlib.crc32(payload), 5, 2, image_type, compression,
                         b"Linux-3.10")
    return header[:4] + struct.pack(">I", zlib.crc32(header)) + header[8:] + payload


@pytest.mark.parametrize("endian", ["big", "little"])
def test_cramfs_both_byte_orders(rootdir: Path, tmp_path: Path, endian: str) -> None:
    image = tmp_path / f"cramfs-{endian}.img"
    subprocess.run(["mkfs.cramfs", "-N", endian, str(rootdir), str(image)], check=True,
                   capture_output=True)
    magic = image.read_bytes()[:4]
    assert magic == (b"\x28\xcd\x3d\x45" if endian == "big" else b"\x45\x3d\xcd\x28")
    _check_root(image, tmp_path / "work")


def test_cramfs_behind_uimage_that_claims_a_kernel(rootdir: Path, tmp_path: Path) -> None:
    """The header says "kernel, LZMA-compressed"; the payload is a plain CramFS root."""
    cramfs = tmp_path / "root.cramfs"
    subprocess.run(["mkfs.cramfs", str(rootdir), str(cramfs)], check=True, capture_output=True)
    image = tmp_path / "lying.uimage"
    image.write_bytes(_uimage(cramfs.read_bytes(), image_type=2, compression=3))
    listed = subprocess.run(["mkimage", "-l", str(image)], capture_output=True, text=True,
                            check=False).stdout
    assert "Kernel" in listed and "lzma" in listed  # what the header claims
    _check_root(image, tmp_path / "work")


@pytest.mark.parametrize("fstype", ["ext2", "ext3"])
def test_ext2_ext3(rootdir: Path, tmp_path: Path, fstype: str) -> None:
    image = tmp_path / f"root.{fstype}"
    subprocess.run(["mke2fs", "-q", "-t", fstype, "-d", str(rootdir), str(image), "4M"],
                   check=True, capture_output=True)
    _check_root(image, tmp_path / "work")


def test_android_sparse(rootdir: Path, tmp_path: Path) -> None:
    raw = tmp_path / "root.ext4"
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-d", str(rootdir), str(raw), "8M"],
                   check=True, capture_output=True)
    sparse = tmp_path / "root.simg"
    subprocess.run(["img2simg", str(raw), str(sparse)], check=True, capture_output=True)
    assert sparse.read_bytes()[:4] == b"\x3a\xff\x26\xed"
    _check_root(sparse, tmp_path / "work")


@pytest.mark.parametrize("magic", [b"shsq", b"qshs", b"sqlz", b"hsqt"])
def test_squashfs_vendor_magic(rootdir: Path, tmp_path: Path, magic: bytes) -> None:
    """A standard image with its magic replaced as vendors do; the byte order still comes
    from the version field, so the content must come back unchanged."""
    image = tmp_path / "root.sqfs"
    subprocess.run(["mksquashfs", str(rootdir), str(image), "-comp", "gzip", "-noappend",
                    "-all-root", "-quiet"], check=True, capture_output=True)
    data = bytearray(image.read_bytes())
    data[:4] = magic
    image.write_bytes(bytes(data))
    _check_root(image, tmp_path / "work")
