"""What follows the root filesystem in a flash image: a second filesystem (JFFS2 overlay,
ext4 data partition), a compressed blob, padding and OpenWrt's JFFS2 end-of-filesystem
marker. Each image is built here: a vendor header, a SquashFS root (mksquashfs), then the
partition built with its own tool (mkfs.jffs2, mkfs.ext4 -d) at an erase-block boundary."""

from __future__ import annotations

import gzip
import json
import lzma
import os
import struct
import subprocess
from pathlib import Path

import pytest
from conftest import PASSWD

from iotbaseline.extract import extract_image, load_modes

NETWORK = b"config interface 'lan'\n\toption proto 'static'\n\toption ipaddr '192.168.1.1'\n"
ERASE = 0x10000


def _sh(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def _tplink_v1(kernel: bytes) -> bytes:
    """Header per OpenWrt's mktplinkfw layout (vendor at 0x04, version at 0x1c, hardware id
    at 0x40, kernel offset and length at 0x80)."""
    header = bytearray(512)
    header[0:4] = b"\x01\x00\x00\x00"
    header[4:11] = b"TP-LINK"
    header[28:40] = b"ver. 1.0 tst"
    struct.pack_into(">II", header, 0x40, 0x30200001, 1)
    struct.pack_into(">5I", header, 0x74, 0x80060000, 0x80060000, 0, 512, len(kernel))
    return bytes(header)


def _kernel() -> bytes:
    return lzma.compress(b"Linux version 4.4.0 (test)\0" * 100, format=lzma.FORMAT_ALONE)


def _tplink_image(squashfs: bytes) -> bytes:
    """Header + LZMA kernel + root, padded with 0xff to the next erase block."""
    kernel = _kernel()
    body = _tplink_v1(kernel) + kernel + squashfs
    return body + b"\xff" * (-len(body) % ERASE)


def _uimage_image(squashfs: bytes, tmp: Path) -> bytes:
    (tmp / "vmlinux.gz").write_bytes(gzip.compress(b"Linux version 5.4.0 (test)\0" * 200))
    _sh(["mkimage", "-A", "arm", "-O", "linux", "-T", "kernel", "-C", "gzip", "-a", "0x80008000",
         "-e", "0x80008000", "-n", "test kernel", "-d", str(tmp / "vmlinux.gz"), str(tmp / "uImage")])
    body = (tmp / "uImage").read_bytes() + squashfs
    return body + b"\xff" * (-len(body) % ERASE)


def _chunk_at(result, start: int):
    return next(c for c in result.chunks if c.start == start and c.depth == 0)


OVERLAYS = {  # format → (build command, label suffix)
    "jffs2-be": ("mkfs.jffs2 -b -p -e 0x10000 -r {src} -o {out}", "jffs2"),
    "jffs2-le": ("mkfs.jffs2 -l -p -e 0x10000 -r {src} -o {out}", "jffs2"),
    "ubi": (("mkfs.ubifs -r {src} -m 2048 -e 126976 -c 32 -o {out}.ubifs && "
            "printf '[data]\\nmode=ubi\\nimage={out}.ubifs\\nvol_id=0\\nvol_type=dynamic\\n"
            "vol_name=rootfs_data\\n' > {out}.ini && ubinize -o {out} -m 2048 -p 128KiB {out}.ini"),
            "ubi"),
}


@pytest.mark.parametrize("fmt", sorted(OVERLAYS))
def test_overlay_partition_after_squashfs_root(squashfs: bytes, tmp_path: Path, fmt: str) -> None:
    overlay = tmp_path / "overlay"
    (overlay / "etc" / "config").mkdir(parents=True)
    (overlay / "etc" / "config" / "network").write_bytes(NETWORK)
    command, suffix = OVERLAYS[fmt]
    subprocess.run(command.format(src=overlay, out=tmp_path / "cfg.img"), shell=True, check=True,
                   capture_output=True)
    head = _tplink_image(squashfs)
    image = tmp_path / "fw.bin"
    image.write_bytes(head + (tmp_path / "cfg.img").read_bytes() + b"\xff" * 2 * ERASE)
    result = extract_image(image, tmp_path / "work")

    assert [r.label for r in result.roots] == ["rootfs", f"partition-{len(head):#x}-{suffix}"]
    rootfs, partition = result.roots
    assert (Path(rootfs.path) / "etc" / "passwd").read_bytes() == PASSWD
    found = [p for p in Path(partition.path).rglob("network") if p.parent.name == "config"]
    assert [p.read_bytes() for p in found] == [NETWORK]
    header = "TP-Link v1 header (TP-LINK ver. 1.0 tst, hw 30200001 v1)"
    assert partition.provenance[:2] == ["fw.bin", header]
    assert partition.provenance[2].startswith(f"image offset {len(head):#x}-")
    assert suffix in partition.provenance[2]
    modes = load_modes(partition.path)
    assert modes is not None and any(path.endswith("/etc/config/network") for path in modes)
    chunk = _chunk_at(result, len(head))
    assert chunk.kind.startswith(suffix) and chunk.extracted_to
    # the padding between the root and the partition is padding, not "unknown"
    squashfs_end = 512 + len(_kernel()) + struct.unpack_from("<Q", squashfs, 40)[0]
    assert _chunk_at(result, squashfs_end).kind == "padding"
    assert not [c for c in result.chunks if c.kind == "unknown"]
    assert not (tmp_path / "work" / ".regions").exists()  # region copies removed
    report = json.loads(result.model_dump_json(by_alias=True))
    assert report["roots"][1]["label"] == f"partition-{len(head):#x}-{suffix}"


def test_ext4_partition_after_uimage_root(squashfs: bytes, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "www").mkdir(parents=True)
    (data / "www" / "index.html").write_bytes(b"<html>router</html>\n")
    (data / "notes.txt").write_bytes(b"kept on the data partition\n")
    _sh(["mkfs.ext4", "-q", "-d", str(data), str(tmp_path / "data.ext4"), "2M"])
    head = _uimage_image(squashfs, tmp_path)
    image = tmp_path / "fw.bin"
    image.write_bytes(head + (tmp_path / "data.ext4").read_bytes())
    result = extract_image(image, tmp_path / "work")

    labels = [r.label for r in result.roots]
    assert labels[0] == "rootfs" and labels[1].startswith(f"partition-{len(head):#x}-")
    assert len(labels) == 2
    partition = Path(result.roots[1].path)
    assert (partition / "www" / "index.html").read_bytes() == b"<html>router</html>\n"
    assert (partition / "notes.txt").read_bytes() == b"kept on the data partition\n"
    assert "U-Boot uImage 'test kernel'" in result.roots[1].provenance[1]
    assert "ext" in _chunk_at(result, len(head)).kind
    kernel = next(c for c in result.chunks if c.kind == "kernel")
    assert kernel.start == 64 and "gzip kernel" in kernel.note


def test_gzip_blob_after_root(squashfs: bytes, tmp_path: Path) -> None:
    blob = os.urandom(3000).hex().encode()  # compresses to ~3 KB, enough to carve
    head = _tplink_image(squashfs)
    image = tmp_path / "fw.bin"
    image.write_bytes(head + gzip.compress(blob, mtime=0) + b"\xff" * 4096)
    result = extract_image(image, tmp_path / "work")
    assert [r.label for r in result.roots] == ["rootfs", f"partition-{len(head):#x}-gzip"]
    files = [p for p in Path(result.roots[1].path).rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in files] == [blob]


def test_openwrt_style_tail_needs_no_unblob(squashfs: bytes, tmp_path: Path) -> None:
    """Root, 0xff up to an erase block, 0xdeadc0de, 0xff: recognised without unblob."""
    head = _tplink_image(squashfs)
    image = tmp_path / "fw.bin"
    image.write_bytes(head + b"\xde\xad\xc0\xde" + b"\xff" * (3 * ERASE - 4))
    result = extract_image(image, tmp_path / "work")
    assert [r.label for r in result.roots] == ["rootfs"]
    marker = _chunk_at(result, len(head))
    assert (marker.kind, marker.end) == ("jffs2-eof", len(head) + 4)
    assert _chunk_at(result, len(head) + 4).kind == "padding"
    assert not (tmp_path / "work" / "unblob").exists()  # unblob never started


def test_small_stray_bytes_stay_unknown(squashfs: bytes, tmp_path: Path) -> None:
    head = _tplink_image(squashfs)
    image = tmp_path / "fw.bin"
    image.write_bytes(head + b"VERSION=1.2.3\n" + b"\xff" * 1000)
    result = extract_image(image, tmp_path / "work")
    stray = _chunk_at(result, len(head))
    assert (stray.kind, stray.end) == ("unknown", len(head) + 14)
    assert "too small to carve" in stray.note
    assert not (tmp_path / "work" / "unblob").exists()


def test_unidentifiable_region_reported(squashfs: bytes, tmp_path: Path) -> None:
    head = _tplink_image(squashfs)
    noise = bytes((i * 7919 + 13) % 251 for i in range(20000))  # no magic of any format
    image = tmp_path / "fw.bin"
    image.write_bytes(head + noise)
    result = extract_image(image, tmp_path / "work")
    assert [r.label for r in result.roots] == ["rootfs"]
    unknown = [c for c in result.chunks if c.kind == "unknown" and c.depth == 0]
    assert [(c.start, c.end) for c in unknown] == [(len(head), len(head) + len(noise))]
    assert unknown[0].note in ("unblob recognised no format here", "handed to unblob: unblob found nothing")


def test_openwrt_image_tail_is_marker_and_padding(openwrt_image: Path, tmp_path: Path) -> None:
    """The real image: after the SquashFS (ends 0x2ed5ce by its superblock), 0xff padding,
    0xdeadc0de at 0x2f0000 (seen with xxd), 0xff to the end — and no unblob run."""
    result = extract_image(openwrt_image, tmp_path / "work")
    tail = [(c.kind, c.start, c.end) for c in result.chunks if c.start >= 0x2ED5CE]
    size = openwrt_image.stat().st_size
    assert tail == [("padding", 0x2ED5CE, 0x2F0000), ("jffs2-eof", 0x2F0000, 0x2F0004),
                    ("padding", 0x2F0004, size)]
    assert not (tmp_path / "work" / "unblob").exists()
