"""Hostile inputs generated here: each must end in a clear report, no crash, and nothing
written outside the work directory (checked by listing the parent before and after)."""

from __future__ import annotations

import gzip
import io
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest
from extract_sqfs_writer import Entry, SquashfsWriter

from iotbaseline.extract import ExtractError, Limits, extract_image


def _snapshot(top: Path, skip: Path) -> dict[str, tuple[int, int]]:
    seen = {}
    for base, dirs, files in os.walk(top):
        if Path(base) == skip or skip in Path(base).parents:
            dirs[:] = []
            continue
        for name in dirs + files:
            path = Path(base, name)
            if path == skip:
                continue
            st = path.lstat()
            seen[str(path)] = (st.st_mode, st.st_size)
    return seen


class Sandbox:
    """tmp_path/outside is the traversal target; tmp_path/work the work directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.outside = root / "outside"
        self.outside.mkdir()
        (self.outside / "keep.txt").write_text("original")
        self.inputs = root / "in" / "deep" / "er"
        self.inputs.mkdir(parents=True)
        self.work = root / "work"

    def run(self, name: str, payload: bytes, limits: Limits | None = None):
        source = self.inputs / name
        source.write_bytes(payload)
        before = _snapshot(self.root, self.work)
        result = extract_image(source, self.work, limits)
        after = _snapshot(self.root, self.work)
        assert after == before, f"written outside the work dir: {set(after) ^ set(before)}"
        assert (self.outside / "keep.txt").read_text() == "original"
        return result


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    return Sandbox(tmp_path)


def _messages(result) -> str:
    return "\n".join(e.message for e in result.errors)


# ---- path traversal ---------------------------------------------------------------------
def _tar(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _file(name: str, data: bytes = b"pwned\n") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _link(name: str, target: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info, None


def test_tar_traversal_and_absolute_names(box: Sandbox) -> None:
    payload = _tar([_file("etc/passwd", b"root:x:0:0\n"), _file("../../../../outside/evil"),
                    _file(str(box.outside / "abs")), _file("ok/../../../../outside/evil2")])
    result = box.run("trav.tar", payload)
    assert not (box.outside / "evil").exists() and not (box.outside / "abs").exists()
    text = _messages(result)
    assert "refused" in text and ".." in text


def test_tar_symlink_then_write(box: Sandbox) -> None:
    payload = _tar([_link("abs", str(box.outside)), _file("abs/pwned"),
                    _link("up", "../../../../outside"), _file("up/pwned2"),
                    _file("etc/passwd", b"root:x:0:0\n")])
    result = box.run("symlink.tar", payload)
    assert not (box.outside / "pwned").exists() and not (box.outside / "pwned2").exists()
    work_links = [p for p in box.work.rglob("*") if p.is_symlink()]
    assert {os.readlink(p) for p in work_links} == {str(box.outside), "../../../../outside"}
    assert result.errors  # both writes through links are reported


def test_zip_traversal(box: Sandbox) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("etc/passwd", "root:x:0:0\n")
        archive.writestr("../../../../outside/zipevil", "pwned")
        archive.writestr(str(box.outside / "zipabs"), "pwned")
    result = box.run("trav.zip", buf.getvalue())
    assert not (box.outside / "zipevil").exists() and not (box.outside / "zipabs").exists()
    text = _messages(result)
    assert "refused unsafe name '..'" in text and "refused absolute path" in text


def _cpio_newc(entries: list[tuple[str, int, bytes]]) -> bytes:
    out = bytearray()
    for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], start=1):
        raw = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(raw), 0]
        out += b"070701" + "".join(f"{f:08x}" for f in fields).encode() + raw
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def test_cpio_traversal(box: Sandbox) -> None:
    payload = _cpio_newc([("etc", 0o40755, b""), ("etc/passwd", 0o100644, b"root:x:0:0\n"),
                          ("../../../../outside/cpioevil", 0o100644, b"pwned"),
                          (str(box.outside / "cpioabs"), 0o100644, b"pwned")])
    result = box.run("trav.cpio", payload)
    assert not (box.outside / "cpioevil").exists() and not (box.outside / "cpioabs").exists()
    assert "path traversal" in _messages(result)


def _sqfs_with_names(replacements: dict[bytes, bytes], entries: list[Entry]) -> bytes:
    """Build an uncompressed image (names stored verbatim) and rename entries in place."""
    image = SquashfsWriter(4, False, compress=lambda block: block).build(entries)
    for old, new in replacements.items():
        assert len(old) == len(new) and image.count(old) == 1
        image = image.replace(old, new)
    return image


def test_squashfs_traversal_names(box: Sandbox) -> None:
    entries = [Entry("etc/passwd", "file", 0o644, b"root:x:0:0\n"),
               Entry("bin/sh", "file", 0o755, b"#!"), Entry("lib/x", "file", 0o644, b"x"),
               Entry("AAAAAAAAAAAAAAAAA", "file", 0o644, b"pwned"),
               Entry("zz", "file", 0o644, b"pwned")]
    image = _sqfs_with_names({b"AAAAAAAAAAAAAAAAA": b"../../../outside/", b"zz": b".."}, entries)
    result = box.run("trav.sqfs", image)
    assert len(result.roots) == 1
    text = _messages(result)
    assert "refused unsafe name '../../../outside/'" in text and "refused unsafe name '..'" in text


def test_squashfs_symlink_then_directory(box: Sandbox) -> None:
    entries = [Entry("etc/passwd", "file", 0o644, b"root:x:0:0\n"), Entry("bin/sh", "file"),
               Entry("lib/x", "file"), Entry("lin0", "symlink", 0o777, target=str(box.outside)),
               Entry("lin1/pwned", "file", 0o644, b"pwned")]
    image = _sqfs_with_names({b"lin0": b"lin1"}, entries)
    result = box.run("symdir.sqfs", image)
    assert not (box.outside / "pwned").exists()
    assert "not a directory" in _messages(result)


# ---- bombs ------------------------------------------------------------------------------
def test_gzip_decompression_bomb(box: Sandbox) -> None:
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9) as out:
        block = b"\0" * (1 << 20)
        for _ in range(200):
            out.write(block)
    result = box.run("bomb.gz", raw.getvalue(), Limits(max_ratio=50))
    assert "max_ratio" in result.limits_hit
    assert any(e.stage == "limits" for e in result.errors)


def test_squashfs_bomb(box: Sandbox) -> None:
    entries = [Entry("etc/a", "file", 0o644, b"x"), Entry("bin/b", "file"), Entry("lib/c", "file"),
               Entry("zero", "file", 0o644, b"\0" * (64 << 20))]
    image = SquashfsWriter(4, False, block_log=20).build(entries)
    result = box.run("bomb.sqfs", image, Limits(max_ratio=100))
    assert "max_ratio" in result.limits_hit
    total = sum(p.stat().st_size for p in box.work.rglob("*") if p.is_file())
    assert total <= 100 * len(image) + (1 << 20)


def test_recursion_bomb(box: Sandbox) -> None:
    payload = b"the innermost file\n"
    for _ in range(14):
        payload = gzip.compress(payload)
    result = box.run("nested.gz", payload, Limits(max_depth=5))
    assert "max_depth" in result.limits_hit


def test_too_many_files(box: Sandbox) -> None:
    entries = [Entry(f"etc/f{i}", "file", 0o644, b"x") for i in range(500)]
    result = box.run("many.sqfs", SquashfsWriter(4, False).build(entries), Limits(max_files=100))
    assert "max_files" in result.limits_hit


# ---- truncation and corruption at every stage -------------------------------------------
def _vendor_image() -> bytes:
    """TP-Link v1 header + LZMA kernel + SquashFS root, like a real router image."""
    kernel = lzma.compress(b"Linux version 9.9.9 (test)\0" + os.urandom(3000) * 20,
                           format=lzma.FORMAT_ALONE)
    sqfs = SquashfsWriter(4, False).build([
        Entry("etc/passwd", "file", 0o644, b"root:x:0:0\n"), Entry("bin/busybox", "file", 0o755, os.urandom(40000)),
        Entry("lib/libc.so", "file", 0o755, b"\x7fELF" + b"\0" * 9000), Entry("sbin/init", "symlink", target="../bin/busybox")])
    header = bytearray(512)
    header[0:4] = b"\x01\x00\x00\x00"
    header[4:11] = b"TP-LINK"
    header[28:40] = b"ver. 1.0 tst"
    struct.pack_into(">II", header, 64, 0x30200001, 1)
    struct.pack_into(">7I", header, 116, 0x80060000, 0x80060000, 512 + len(kernel) + len(sqfs),
                     512, len(kernel), 512 + len(kernel), len(sqfs))
    return bytes(header) + kernel + sqfs


def test_vendor_image_baseline(box: Sandbox) -> None:
    result = box.run("vendor.bin", _vendor_image())
    assert len(result.roots) == 1 and result.errors == []
    assert "TP-Link v1 header" in result.roots[0].provenance[1]


@pytest.mark.parametrize("where", ["in-header", "in-kernel", "in-squashfs-superblock",
                                   "in-squashfs-tables", "last-byte"])
def test_truncated_at_every_stage(box: Sandbox, where: str) -> None:
    image = _vendor_image()
    sq = image.find(b"hsqs")
    cut = {"in-header": 300, "in-kernel": 2000, "in-squashfs-superblock": sq + 40,
           "in-squashfs-tables": len(image) - 300, "last-byte": len(image) - 1}[where]
    result = box.run("cut.bin", image[:cut])
    assert not result.roots
    assert result.errors, "a truncated image must be reported"


@pytest.mark.parametrize("field,offset,value", [
    ("bytes_used", 40, 2**40), ("inode_table", 64, 2**33), ("root_inode", 32, 2**47),
    ("block_log", 22, 30), ("directory_table", 72, 5), ("id_table", 48, 2**50)])
def test_corrupted_squashfs_superblock(box: Sandbox, field: str, offset: int, value: int) -> None:
    image = bytearray(_vendor_image())
    sq = image.find(b"hsqs")
    size = 2 if field == "block_log" else 8
    image[sq + offset : sq + offset + size] = value.to_bytes(size, "little")
    result = box.run("corrupt.bin", bytes(image))
    assert result.errors or result.roots  # reported or (id table: ownership lost only)
    if field != "id_table":
        assert not result.roots


def test_corrupted_tplink_header(box: Sandbox) -> None:
    image = bytearray(_vendor_image())
    struct.pack_into(">II", image, 128, 0xFFFFFF00, 0xFFFFFF00)  # kernel offset/length
    result = box.run("badhdr.bin", bytes(image))
    # the SquashFS is still found by its magic; the kernel the header no longer locates is
    # left over and carved by unblob as a partition of its own
    assert [r.label for r in result.roots] == ["rootfs", "partition-0x200-lzma"]
    assert "SquashFS" in result.roots[0].provenance[-1]


def test_random_bytes(box: Sandbox) -> None:
    result = box.run("random.bin", os.urandom(256 * 1024))
    assert not result.roots and not result.flat_images
    assert "no root filesystem found" in _messages(result)
    # nothing silently lost: the whole input is reported as one unknown region
    unknown = [(c.start, c.end) for c in result.chunks if c.kind == "unknown" and c.depth == 0]
    assert unknown == [(0, 256 * 1024)]


def test_empty_file(box: Sandbox) -> None:
    result = box.run("empty.bin", b"")
    assert "empty" in _messages(result)
    assert not result.roots


def test_missing_input_raises(tmp_path: Path) -> None:
    with pytest.raises(ExtractError, match="no such file"):
        extract_image(tmp_path / "nope.bin", tmp_path / "work")


def test_broken_hex(box: Sandbox) -> None:
    result = box.run("bad.hex", b":10000000ZZ\n:00000001FF\n")
    assert result.input_kind == "ihex" and not result.flat_images
    assert "invalid ihex" in _messages(result)


# ---- unreadable input -------------------------------------------------------------------
def test_unreadable_files_in_directory_input() -> None:
    """As root every file is readable, so the check runs as user nobody (65534); the same
    tree as root must report nothing, proving the difference comes from permissions."""
    top = Path(tempfile.mkdtemp(prefix="iotb-unreadable-"))
    try:
        os.chmod(top, 0o755)
        root = top / "rootfs"
        for sub in ("etc", "bin", "lib", "sbin"):
            (root / sub).mkdir(parents=True)
        (root / "etc" / "passwd").write_text("root:x:0:0\n")
        secret = root / "etc" / "shadow"
        secret.write_text("root::0:0\n")
        os.chmod(secret, 0o000)
        locked = root / "lib" / "locked"
        locked.mkdir()
        os.chmod(locked, 0o000)
        for path in [root, *root.rglob("*")]:
            if path not in (secret, locked) and path.parent != locked:
                os.chmod(path, 0o755 if path.is_dir() else 0o644)
        script = ("import sys, json; from pathlib import Path; "
                  "from iotbaseline.extract import extract_image; "
                  "r = extract_image(Path(sys.argv[1]), Path(sys.argv[2])); "
                  "print(json.dumps([e.path for e in r.errors]))")
        as_root = extract_image(root, top / "work-root")
        assert not [e for e in as_root.errors if e.stage == "input"]
        if os.geteuid() != 0:
            pytest.fail("this test needs root to switch to user nobody")
        run = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                              sys.executable, "-c", script, str(root), str(top / "work")],
                             capture_output=True, text=True, check=True)
        reported = run.stdout
        assert str(secret) in reported and str(locked) in reported
    finally:
        for path in [top, *top.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                os.chmod(path, 0o755)
        shutil.rmtree(top)
