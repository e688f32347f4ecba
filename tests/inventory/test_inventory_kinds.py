"""File kinds, stat facts, the modes manifest, the cache and parallel runs of the inventory."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import shutil
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from iotbaseline.inventory.builder import build_inventory
from iotbaseline.inventory.classify import classify, shebang_interpreter
from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import FileEntry, Inventory, RootFilesystem

PEM_KEY = b"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"
OPENSSH_KEY = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n"
CERT = b"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"
DROPBEAR_KEY = b"\x00\x00\x00\x07ssh-rsa\x00\x00\x00\x03\x01\x00\x01" + bytes(64)


def _uimage() -> bytes:
    # legacy U-Boot header: magic, hcrc, time, size, load, ep, dcrc, os, arch, type, comp, name
    header = struct.pack(">IIIIIIIBBBB32s", 0x27051956, 0, 0, 16, 0x80000000, 0x80000000, 0,
                         5, 5, 2, 3, b"Linux-3.3.8")
    return header + bytes(16)


def _zimage() -> bytes:
    data = bytearray(0x40)
    data[0x24:0x28] = struct.pack("<I", 0x016F2818)
    return bytes(data) + b"\x01" * 64


def _tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("a.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    return buf.getvalue()


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hi")
    return buf.getvalue()


FILES: dict[str, tuple[bytes, str, str | None]] = {
    # path: (content, expected kind, expected interpreter)
    "/etc/init.d/network": (b"#!/bin/sh /etc/rc.common\nstart() { :; }\n", "script", "/bin/sh"),
    "/usr/bin/tool.py": (b"#!/usr/bin/env python3\nprint(1)\n", "script", "/usr/bin/env python3"),
    "/usr/lib/lua/x.lua": (b"local a = 1\nreturn a\n", "script", None),
    "/etc/ssl/private/server.key": (PEM_KEY, "key", None),
    "/root/.ssh/id_ed25519": (OPENSSH_KEY, "key", None),
    "/etc/dropbear/dropbear_rsa_host_key": (DROPBEAR_KEY, "key", None),
    "/etc/dropbear/dropbear_dss_host_key": (b"", "data", None),  # empty placeholder, not a key
    "/root/.ssh/authorized_keys": (b"ssh-rsa AAAAB3NzaC1yc2E user@host\n", "key", None),
    "/etc/ssl/certs/ca.crt": (CERT, "certificate", None),
    "/etc/config/network": (b"config interface 'lan'\n\toption proto 'static'\n", "config", None),
    "/usr/share/app/settings.json": (b'{"a": 1}\n', "config", None),
    "/usr/share/doc/README": (b"Just some words.\n", "text", None),
    "/boot/uImage": (_uimage(), "kernel_image", None),
    "/boot/zImage": (_zimage(), "kernel_image", None),
    "/boot/vmlinuz-3.3.8": (gzip.compress(b"\0" * 100), "kernel_image", None),
    "/tmp/a.tar": (_tar(), "archive", None),
    "/tmp/a.zip": (_zip(), "archive", None),
    "/tmp/a.gz": (gzip.compress(b"data"), "archive", None),
    "/tmp/a.bz2": (bz2.compress(b"data"), "archive", None),
    "/tmp/a.xz": (lzma.compress(b"data"), "archive", None),
    "/tmp/a.lzma": (lzma.compress(b"data", format=lzma.FORMAT_ALONE), "archive", None),
    "/tmp/fs.sqfs": (b"hsqs" + bytes(92), "archive", None),
    "/usr/share/img.bin": (bytes(range(256)) * 4, "data", None),
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Inventory]:
    work = tmp_path_factory.mktemp("kinds")
    root = work / "rootfs"
    for path, (content, _, _) in FILES.items():
        disk = root / path.lstrip("/")
        disk.parent.mkdir(parents=True, exist_ok=True)
        disk.write_bytes(content)
    (root / "bin").mkdir(exist_ok=True)
    (root / "bin" / "sh").symlink_to("busybox")
    (root / "etc" / "resolv.conf").symlink_to("/tmp/resolv.conf")  # absolute, kept exactly
    (root / "lib").mkdir(exist_ok=True)
    (root / "lib" / "escape").symlink_to("../../../../etc")  # never followed
    os.mkfifo(root / "tmp" / "fifo")  # must not block the scan
    (root / "tmp" / "shared").mkdir()
    (root / "tmp" / "shared").chmod(0o1777)
    (root / "bin" / "busybox").write_bytes(b"\0")
    (root / "bin" / "busybox").chmod(0o755)
    (root / "bin" / os.fsdecode(b"caf\xe9")).write_bytes(b"x")  # not UTF-8
    # the extractor's manifest of original modes: setuid that it did not apply on disk
    (work / "modes.json").write_text(json.dumps({
        "/bin/busybox": {"mode": 0o104755, "uid": 0, "gid": 0},
        "usr/bin/tool.py": {"mode": "2755"},
        "/etc/config/network": {"mode": "garbage"},
    }))
    inventory = build_inventory([RootFilesystem(label="rootfs", path=str(root))], jobs=1)
    return root, inventory


def test_extractor_sidecar_manifest_wins(tmp_path: Path) -> None:
    """The layout iotbaseline.extract writes: <root>.modes.json with "entries", octal strings,
    and device nodes that exist only in the manifest."""
    root = tmp_path / "rootfs"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "su").write_bytes(b"x")
    (tmp_path / "rootfs.modes.json").write_text(json.dumps({
        "schema": "iotbaseline.modes/1", "root": "rootfs",
        "entries": {"/bin/su": {"type": "file", "mode": "4755", "uid": 0, "gid": 0},
                    "/dev/console": {"type": "chr", "mode": "0622", "rdev": 1281}},
    }))
    (tmp_path / "modes.json").write_text(json.dumps({"/bin/su": {"mode": 0o644}}))  # loses
    files = _files(build_inventory([RootFilesystem(label="rootfs", path=str(root))]))
    assert (files["/bin/su"].mode, files["/bin/su"].setuid) == (0o4755, True)
    console = files["/dev/console"]
    assert (console.kind, console.mode, console.world_writable) == ("special", 0o622, True)


def _files(inventory: Inventory) -> dict[str, FileEntry]:
    return {f.path: f for f in inventory.files}


@pytest.mark.parametrize("path", sorted(FILES))
def test_kind_of_each_file(tree: tuple[Path, Inventory], path: str) -> None:
    entry = _files(tree[1])[path]
    _, kind, interpreter = FILES[path]
    assert (entry.kind, entry.interpreter) == (kind, interpreter)
    assert entry.size == len(FILES[path][0])
    import hashlib

    assert entry.sha256 == hashlib.sha256(FILES[path][0]).hexdigest()


def test_symlinks_kept_exactly_and_never_followed(tree: tuple[Path, Inventory]) -> None:
    files = _files(tree[1])
    assert (files["/bin/sh"].kind, files["/bin/sh"].link_target) == ("symlink", "busybox")
    assert files["/etc/resolv.conf"].link_target == "/tmp/resolv.conf"
    assert files["/lib/escape"].link_target == "../../../../etc"
    assert not any(p.startswith("/lib/escape/") for p in files)
    index = FileIndex(tree[1])
    assert index.resolve("/bin/sh") is files["/bin/busybox"]
    assert index.resolve("/lib/escape/passwd") is None


def test_special_files_and_directories(tree: tuple[Path, Inventory]) -> None:
    files = _files(tree[1])
    assert files["/tmp/fifo"].kind == "special"
    assert files["/"].kind == "directory"
    shared = files["/tmp/shared"]
    assert shared.kind == "directory" and shared.world_writable and shared.mode == 0o1777


def test_modes_manifest_overrides_disk_modes(tree: tuple[Path, Inventory]) -> None:
    files = _files(tree[1])
    busybox = files["/bin/busybox"]
    assert (busybox.mode, busybox.setuid, busybox.setgid) == (0o4755, True, False)
    tool = files["/usr/bin/tool.py"]
    assert (tool.mode, tool.setgid) == (0o2755, True)
    # an unreadable record falls back to the file's own mode
    assert files["/etc/config/network"].mode == (tree[0] / "etc/config/network").stat().st_mode & 0o7777


def test_non_utf8_name_is_escaped_and_reported(tree: tuple[Path, Inventory]) -> None:
    files = _files(tree[1])
    assert "/bin/caf\\xe9" in files
    assert any("not valid UTF-8" in e.message for e in tree[1].errors)
    json.loads(tree[1].model_dump_json())  # the inventory stays serialisable


def test_shebang_parsing() -> None:
    assert shebang_interpreter(b"#!/bin/sh -e\n") == "/bin/sh"
    assert shebang_interpreter(b"#! /usr/bin/lua\n") == "/usr/bin/lua"
    assert shebang_interpreter(b"#!\n") is None
    assert classify("/x", b"\x7f\x00\x01", 3) == ("data", None)


def test_cache_is_used_on_the_second_run(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    shutil.copy("/bin/true", root / "bin" / "true")
    cache = tmp_path / "cache"
    first = _files(build_inventory([RootFilesystem(label="r", path=str(root))], cache_dir=cache))
    sha = first["/bin/true"].sha256
    assert sha is not None
    cached = cache / sha[:2] / f"{sha}.json"
    payload = json.loads(cached.read_text())
    payload["elf"]["machine"] = "FROM-CACHE"  # prove the second run reads it instead of parsing
    cached.write_text(json.dumps(payload))
    second = _files(build_inventory([RootFilesystem(label="r", path=str(root))], cache_dir=cache))
    elf = second["/bin/true"].elf
    assert elf is not None and elf.machine == "FROM-CACHE"


def test_parallel_and_serial_runs_agree(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    for i in range(1050):  # above the pool threshold (POOL_MIN_FILES)
        (root / "bin" / f"f{i}.sh").write_bytes(b"#!/bin/sh\necho %d\n" % i)
    for i, lib in enumerate(sorted(Path("/usr/lib/x86_64-linux-gnu").glob("lib*.so.*"))[:60]):
        if lib.is_file() and not lib.is_symlink():
            shutil.copy(lib, root / "bin" / f"lib{i}.so")
    rootfs = [RootFilesystem(label="r", path=str(root))]
    serial = build_inventory(rootfs, jobs=1).model_dump(exclude={"seconds"})
    parallel = build_inventory(rootfs, jobs=2).model_dump(exclude={"seconds"})
    assert serial == parallel
    assert sum(1 for f in serial["files"] if f["elf"]) > 10


def test_missing_root_is_reported(tmp_path: Path) -> None:
    inventory = build_inventory([RootFilesystem(label="gone", path=str(tmp_path / "nope"))])
    assert inventory.files == [] and "not a directory" in inventory.errors[0].message


@pytest.mark.corpus
def test_uclibc_offers_no_fortify(openwrt_image: Path, tmp_path: Path) -> None:
    """uClibc 0.9.33 exports no __*_chk functions (checked with readelf below), so nothing in
    the OpenWrt image is fortifiable: FORTIFY is 'not applicable', not 'missing'."""
    import subprocess

    data = openwrt_image.read_bytes()
    (tmp_path / "fs").write_bytes(data[data.find(b"hsqs"):])
    subprocess.run(["unsquashfs", "-no-xattrs", "-d", str(tmp_path / "root"), str(tmp_path / "fs")],
                   check=True, capture_output=True)
    syms = subprocess.run(["readelf", "-sDW", str(tmp_path / "root/lib/libuClibc-0.9.33.2.so")],
                          capture_output=True, text=True, check=True).stdout
    assert "_chk" not in syms.replace("__stack_chk", "")
    files = _files(build_inventory([RootFilesystem(label="r", path=str(tmp_path / "root"))]))
    busybox = files["/bin/busybox"].elf
    assert busybox is not None and busybox.fortifiable == [] and busybox.fortify is None


def test_big_files_are_mapped_and_hashed_correctly(tmp_path: Path) -> None:
    import hashlib

    from iotbaseline.inventory.scanner import MMAP_THRESHOLD

    root = tmp_path / "root"
    root.mkdir()
    small = Path("/bin/true").read_bytes()
    big = small + bytes(MMAP_THRESHOLD + 12345)  # trailing bytes do not change the ELF facts
    (root / "small").write_bytes(small)
    (root / "big").write_bytes(big)
    files = _files(build_inventory([RootFilesystem(label="r", path=str(root))]))
    assert files["/big"].sha256 == hashlib.sha256(big).hexdigest()
    assert files["/big"].size == len(big)
    a, b = files["/small"].elf, files["/big"].elf
    assert a is not None and b is not None and b.error is None
    assert a.model_dump() == b.model_dump()


def test_a_corrupt_cache_entry_is_a_miss(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy("/bin/true", root / "true")
    cache = tmp_path / "cache"
    sha = _files(build_inventory([RootFilesystem(label="r", path=str(root))], cache_dir=cache))["/true"].sha256
    assert sha is not None
    (cache / sha[:2] / f"{sha}.json").write_text(json.dumps({"v": 1, "elf": {"bits": "many"}}))
    elf = _files(build_inventory([RootFilesystem(label="r", path=str(root))], cache_dir=cache))["/true"].elf
    assert elf is not None and elf.machine == "x86-64" and elf.bits == 64
