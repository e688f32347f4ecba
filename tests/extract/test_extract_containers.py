"""Vendor containers around the root filesystem, built with the vendors' own tools where
Debian has them (mkimage, mkbootimg, img2simg) or from the published header layouts."""

from __future__ import annotations

import gzip
import lzma
import os
import struct
import subprocess
from pathlib import Path

import pytest

from iotbaseline.extract import extract_image

PASSWD = b"root:x:0:0:root:/root:/bin/sh\n"


@pytest.fixture(scope="module")
def rootdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("croot") / "root"
    for sub in ("etc", "bin", "sbin", "lib"):
        (root / sub).mkdir(parents=True)
    (root / "etc" / "passwd").write_bytes(PASSWD)
    (root / "bin" / "busybox").write_bytes(os.urandom(10_000))
    os.symlink("../bin/busybox", root / "sbin" / "init")
    return root


def _sh(cmd: str, cwd: Path) -> None:
    subprocess.run(cmd, shell=True, check=True, cwd=cwd, capture_output=True)


def _squashfs(rootdir: Path, tmp: Path) -> bytes:
    out = tmp / "root.sqfs"
    _sh(f"mksquashfs {rootdir} {out} -comp xz -all-root -noappend -quiet", tmp)
    return out.read_bytes()


def _ramdisk(rootdir: Path, tmp: Path) -> Path:
    out = tmp / "ramdisk.cpio.gz"
    _sh(f"cd {rootdir} && find . | cpio -o -H newc 2>/dev/null | gzip -9 > {out}", tmp)
    return out


def _assert_root(result) -> Path:
    assert result.roots, [e.message for e in result.errors]
    root = Path(result.roots[0].path)
    assert (root / "etc" / "passwd").read_bytes() == PASSWD
    assert os.readlink(root / "sbin" / "init") == "../bin/busybox"
    return root


def _kernel(tmp: Path) -> Path:
    kernel = tmp / "vmlinux.bin.gz"
    kernel.write_bytes(gzip.compress(b"Linux version 4.14.0 (test)\0" + bytes(20000)))
    return kernel


def test_uimage_kernel_then_squashfs(rootdir: Path, tmp_path: Path) -> None:
    _sh(f"mkimage -A mips -O linux -T kernel -C gzip -a 0x80000000 -e 0x80000000 "
        f"-n 'Test kernel' -d {_kernel(tmp_path)} uImage", tmp_path)
    image = tmp_path / "fw.bin"
    image.write_bytes((tmp_path / "uImage").read_bytes() + _squashfs(rootdir, tmp_path))
    result = extract_image(image, tmp_path / "work")
    _assert_root(result)
    assert "U-Boot uImage 'Test kernel'" in result.roots[0].provenance[1]


def test_uimage_ramdisk_via_unblob(rootdir: Path, tmp_path: Path) -> None:
    _sh(f"mkimage -A arm -O linux -T ramdisk -C none -n rd -d {_ramdisk(rootdir, tmp_path)} "
        "rd.uimg", tmp_path)
    result = extract_image(tmp_path / "rd.uimg", tmp_path / "work")
    _assert_root(result)
    assert "iotb_uimage" in [c.kind for c in result.chunks]


@pytest.mark.parametrize("external", [False, True])
def test_fit_image(rootdir: Path, tmp_path: Path, external: bool) -> None:
    its = tmp_path / "fw.its"
    its.write_text(f"""/dts-v1/;
/ {{
    description = "test FIT";
    #address-cells = <1>;
    images {{
        kernel-1 {{
            data = /incbin/("{_kernel(tmp_path)}");
            type = "kernel"; arch = "arm"; os = "linux"; compression = "gzip";
            load = <0x80008000>; entry = <0x80008000>;
        }};
        ramdisk-1 {{
            data = /incbin/("{_ramdisk(rootdir, tmp_path)}");
            type = "ramdisk"; arch = "arm"; os = "linux"; compression = "none";
        }};
    }};
    configurations {{
        default = "conf-1";
        conf-1 {{ kernel = "kernel-1"; ramdisk = "ramdisk-1"; }};
    }};
}};
""")
    _sh(f"mkimage {'-E ' if external else ''}-f {its} fit.itb", tmp_path)
    result = extract_image(tmp_path / "fit.itb", tmp_path / "work")
    _assert_root(result)
    assert "iotb_uboot_fit" in [c.kind for c in result.chunks]


@pytest.mark.parametrize("version", [0, 2, 3])  # Debian mkbootimg: up to v3
def test_android_boot_image(rootdir: Path, tmp_path: Path, version: int) -> None:
    kernel = tmp_path / "kernel"
    kernel.write_bytes(b"\x00" * 4096 + b"Linux version 5.10 (android)")
    extra = "--dtb kernel " if version == 2 else ""
    _sh(f"mkbootimg --header_version {version} --kernel {kernel} "
        f"--ramdisk {_ramdisk(rootdir, tmp_path)} {extra}-o boot.img", tmp_path)
    result = extract_image(tmp_path / "boot.img", tmp_path / "work")
    _assert_root(result)
    assert "iotb_android_boot" in [c.kind for c in result.chunks]


def test_android_sparse_ext4(rootdir: Path, tmp_path: Path) -> None:
    _sh(f"mkfs.ext4 -q -d {rootdir} raw.ext4 8M && img2simg raw.ext4 sparse.img", tmp_path)
    result = extract_image(tmp_path / "sparse.img", tmp_path / "work")
    _assert_root(result)


def _tplink_v2(payload_kernel: bytes, rootfs: bytes) -> bytes:
    """Header per OpenWrt's mktplinkfw2 layout: version 2, version string at 0x04, hardware
    id at 0x34, kernel load/entry/length/offsets from 0x68."""
    header = bytearray(512)
    header[0:4] = b"\x02\x00\x00\x00"
    header[4:20] = b"TL-WR841N v14 x1"
    struct.pack_into(">II", header, 0x34, 0x08410014, 1)
    total = 512 + len(payload_kernel) + len(rootfs)
    struct.pack_into(">7I", header, 0x68, 0x80000000, 0x80000000, total, 512,
                     len(payload_kernel), 512 + len(payload_kernel), len(rootfs))
    return bytes(header) + payload_kernel + rootfs


def test_tplink_v2_header(rootdir: Path, tmp_path: Path) -> None:
    kernel = lzma.compress(b"Linux version 4.4 (tplink)\0" * 100, format=lzma.FORMAT_ALONE)
    image = tmp_path / "tplink-v2.bin"
    image.write_bytes(_tplink_v2(kernel, _squashfs(rootdir, tmp_path)))
    result = extract_image(image, tmp_path / "work")
    _assert_root(result)
    assert result.roots[0].provenance[1].startswith("TP-Link v2 header (TL-WR841N v14 x1")
    kernel_chunk = next(c for c in result.chunks if c.kind == "kernel")
    assert kernel_chunk.start == 512 and kernel_chunk.extracted_to


def test_wrgg03_header(rootdir: Path, tmp_path: Path) -> None:
    """Layout from OpenWrt's mkwrggimg: signature[32], magic 0x20080321, version, model,
    flags, build number, size, offset, device name, MD5 digest (160 bytes)."""
    payload = (tmp_path / "uImage")
    _sh(f"mkimage -A mips -O linux -T kernel -C gzip -n k -d {_kernel(tmp_path)} uImage", tmp_path)
    body = payload.read_bytes() + _squashfs(rootdir, tmp_path)
    header = bytearray(160)
    header[0:14] = b"wapnd03_dlink."
    struct.pack_into("<II", header, 32, 0x20080321, 0x20080321)
    header[56:66] = b"DAP-2695A1"
    struct.pack_into("<II", header, 120, len(body), 0)
    image = tmp_path / "wrgg.bin"
    image.write_bytes(bytes(header) + body)
    result = extract_image(image, tmp_path / "work")
    _assert_root(result)
    assert "wrgg03" in result.roots[0].provenance[1]


def _tplink_v1(kernel: bytes, rootfs: bytes) -> bytes:
    """Header per OpenWrt's mktplinkfw layout: version 1, vendor at 0x04, version string at
    0x1c, hardware id at 0x40, kernel load/entry/length/offsets from 0x74."""
    header = bytearray(512)
    header[0:4] = b"\x01\x00\x00\x00"
    header[4:11] = b"TP-LINK"
    header[28:40] = b"ver. 1.0 tst"
    struct.pack_into(">II", header, 0x40, 0x30200001, 1)
    struct.pack_into(">5I", header, 0x74, 0x80060000, 0x80060000,
                     512 + len(kernel) + len(rootfs), 512, len(kernel))
    return bytes(header) + kernel + rootfs


@pytest.mark.parametrize("version", [1, 2])
def test_tplink_handlers_in_unblob(rootdir: Path, tmp_path: Path, version: int) -> None:
    """No SquashFS (a gzip'd cpio root): the fast path gives up and unblob must split the
    TP-Link container with our handler."""
    kernel = lzma.compress(b"Linux version 4.4 (tplink)\0" * 100, format=lzma.FORMAT_ALONE)
    rootfs = _ramdisk(rootdir, tmp_path).read_bytes()
    build = _tplink_v1 if version == 1 else _tplink_v2
    image = tmp_path / "tplink.bin"
    image.write_bytes(build(kernel, rootfs))
    result = extract_image(image, tmp_path / "work")
    _assert_root(result)
    assert f"iotb_tplink_v{version}" in [c.kind for c in result.chunks]


def _hwnp(items: list[tuple[str, bytes]]) -> bytes:
    """Packet per the HWNP layout documented by HuaweiFirmwareTool: 36-byte header, product
    list, 360-byte item records (index, crc, data offset, data size, path[256],
    section[16], version[64], policy, reserved), then the data."""
    products = b"COMMON|TEST|\0".ljust(64, b"\0")
    table = 36 + len(products)
    offset = table + 360 * len(items)
    records, blobs = b"", b""
    for index, (name, data) in enumerate(items):
        record = struct.pack("<IIII", index, 0, offset + len(blobs), len(data))
        record += name.encode().ljust(256, b"\0") + b"KERNEL".ljust(16, b"\0")
        record += b"V1".ljust(64, b"\0") + struct.pack("<II", 0, 0)
        records += record
        blobs += data
    header = b"HWNP" + struct.pack("<IIIIIBBHI", len(blobs), 0, table + len(records), 0,
                                   len(items), 0, 0, len(products), 360) + b"\0" * 4
    return header + products + records + blobs


@pytest.mark.parametrize("rootfs_kind", ["squashfs", "cpio"])
def test_huawei_hwnp_packet(rootdir: Path, tmp_path: Path, rootfs_kind: str) -> None:
    rootfs = (_squashfs(rootdir, tmp_path) if rootfs_kind == "squashfs"
              else _ramdisk(rootdir, tmp_path).read_bytes())
    image = tmp_path / "hwnp.bin"
    image.write_bytes(_hwnp([("file:/var/UpgradeCheck.xml", b"<upgradecheck/>\n"),
                             ("flash:kernel", gzip.compress(b"Linux version 3.10")),
                             ("flash:rootfs", rootfs)]))
    result = extract_image(image, tmp_path / "work")
    _assert_root(result)
    if rootfs_kind == "squashfs":
        assert "Huawei HWNP upgrade packet (3 items" in result.roots[0].provenance[1]
    else:
        assert "iotb_huawei_hwnp" in [c.kind for c in result.chunks]


def test_ab_image_keeps_both_roots(rootdir: Path, tmp_path: Path) -> None:
    first = _squashfs(rootdir, tmp_path)
    (rootdir / "etc" / "slot").write_text("b\n")
    try:
        second = _squashfs(rootdir, tmp_path)
    finally:
        (rootdir / "etc" / "slot").unlink()
    pad = b"\xff" * (-len(first) % 65536)
    image = tmp_path / "ab.bin"
    image.write_bytes(first + pad + second)
    result = extract_image(image, tmp_path / "work")
    assert sorted(r.label for r in result.roots) == ["rootfs", "rootfs_b"]
    slots = {(Path(r.path) / "etc" / "slot").exists() for r in result.roots}
    assert slots == {True, False}
    offsets = {r.provenance[-1].split(":")[0] for r in result.roots}
    assert offsets == {"image offset 0x0", f"image offset {len(first) + len(pad):#x}"}
