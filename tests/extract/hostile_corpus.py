"""The hostile corpus, generated (never stored): archives that try to escape the output
directory, decompression bombs that expand to 2 GiB from a few MB or less, recursion,
corrupt file systems, random bytes, an empty file. Shared by the tests and
``bench/bench_hostile.py``; every builder writes one file and returns its path.

Bombs are written streaming: one compressed member/frame of 64 MiB of zeros, repeated
(gzip, bzip2, xz and zstd decoders read concatenated members as one stream); LZMA "alone"
has no concatenation, so it is compressed once in 16 MiB steps with the fastest preset.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import random
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyzstd

BOMB_BYTES = 2 * 1024**3
MEMBER = 64 * 1024**2
OUTSIDE = "../../../../../outside"  # relative escape target used by the traversal cases


def _repeat(path: Path, member: bytes) -> Path:
    with path.open("wb") as out:
        for _ in range(BOMB_BYTES // MEMBER):
            out.write(member)
    return path


def _zeros_stream(compressor: object) -> bytes:
    block = bytes(16 * 1024**2)
    parts = [compressor.compress(block) for _ in range(MEMBER // len(block))]  # type: ignore[attr-defined]
    parts.append(compressor.flush())  # type: ignore[attr-defined]
    return b"".join(parts)


def gzip_bomb(path: Path) -> Path:
    return _repeat(path, gzip.compress(bytes(MEMBER), compresslevel=9, mtime=0))


def bzip2_bomb(path: Path) -> Path:
    return _repeat(path, _zeros_stream(bz2.BZ2Compressor(9)))


def xz_bomb(path: Path) -> Path:
    return _repeat(path, _zeros_stream(lzma.LZMACompressor(preset=6)))


def zstd_bomb(path: Path) -> Path:
    return _repeat(path, pyzstd.compress(bytes(MEMBER), 19))


def lzma_bomb(path: Path) -> Path:
    compressor = lzma.LZMACompressor(format=lzma.FORMAT_ALONE, filters=[
        {"id": lzma.FILTER_LZMA1, "preset": 0, "dict_size": 1 << 16}])
    block = bytes(16 * 1024**2)
    with path.open("wb") as out:
        for _ in range(BOMB_BYTES // len(block)):
            out.write(compressor.compress(block))
        out.write(compressor.flush())
    return path


def zip_recursion(path: Path) -> Path:
    """42.zip style: a zip of 16 zips of 16 zips … whose leaves are 64 MiB of zeros."""
    layer = _zip({"zeros.bin": bytes(MEMBER)})
    for _ in range(4):
        layer = _zip({f"{i:02d}.zip": layer for i in range(16)})
    path.write_bytes(layer)
    return path


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


# ---- escapes ----------------------------------------------------------------------------
def _tar(path: Path, members: list[tuple[str, str, str | bytes]]) -> Path:
    """members: (name, kind "file"/"sym"/"hard", content or link target)."""
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as archive:
        for name, kind, value in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                data = value if isinstance(value, bytes) else value.encode()
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            else:
                info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
                info.linkname = str(value)
                archive.addfile(info)
    return path


ROOT_FILES = [("etc/passwd", "file", "root:x:0:0:root:/root:/bin/sh\n"),
              ("bin/sh", "file", "#!"), ("lib/libc.so", "file", "x")]


def tar_traversal(path: Path) -> Path:
    return _tar(path, ROOT_FILES + [(f"{OUTSIDE}/tar-evil", "file", "pwned"),
                                    ("ok/../../../../../outside/tar-evil2", "file", "pwned")])


def tar_absolute(path: Path) -> Path:
    return _tar(path, ROOT_FILES + [("/tmp/iotb-hostile-abs", "file", "pwned")])


def tar_symlink_then_write(path: Path) -> Path:
    return _tar(path, ROOT_FILES + [("escape", "sym", OUTSIDE), ("escape/tar-via-link", "file",
                                                                 "pwned"),
                                    ("abs", "sym", "/tmp"), ("abs/iotb-hostile-link", "file",
                                                             "pwned")])


def tar_hard_link_out(path: Path) -> Path:
    return _tar(path, ROOT_FILES + [("etc/shadow", "hard", "/etc/shadow"),
                                    ("etc/keep", "hard", f"{OUTSIDE}/keep.txt")])


def zip_traversal(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, _kind, value in ROOT_FILES:
            archive.writestr(name, value)
        archive.writestr(f"{OUTSIDE}/zip-evil", "pwned")
        archive.writestr("/tmp/iotb-hostile-zipabs", "pwned")
    return path


def cpio_traversal(path: Path) -> Path:
    entries = [("etc", 0o40755, b""), ("etc/passwd", 0o100644, b"root:x:0:0\n"),
               (f"{OUTSIDE}/cpio-evil", 0o100644, b"pwned"),
               ("/tmp/iotb-hostile-cpioabs", 0o100644, b"pwned"),
               ("lnk", 0o120777, OUTSIDE.encode()), ("lnk/cpio-via-link", 0o100644, b"pwned")]
    out = bytearray()
    for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], start=1):
        raw = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(raw), 0]
        out += b"070701" + "".join(f"{f:08x}" for f in fields).encode() + raw
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    path.write_bytes(bytes(out))
    return path


# ---- corrupt file systems -----------------------------------------------------------------
def _corrupt(data: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    buf = bytearray(data)
    for _ in range(max(8, len(buf) // 200)):
        buf[rng.randrange(len(buf))] = rng.randrange(256)
    return bytes(buf)


def squashfs_truncated(path: Path, squashfs: bytes) -> Path:
    path.write_bytes(squashfs[: len(squashfs) * 2 // 3])
    return path


def squashfs_corrupt(path: Path, squashfs: bytes) -> Path:
    path.write_bytes(squashfs[:96] + _corrupt(squashfs[96:], 1))
    return path


def jffs2_corrupt(path: Path, jffs2: bytes) -> Path:
    path.write_bytes(_corrupt(jffs2, 2)[: len(jffs2) * 3 // 4])
    return path


def cramfs_corrupt(path: Path, cramfs: bytes) -> Path:
    path.write_bytes(cramfs[:64] + _corrupt(cramfs[64:], 3)[: len(cramfs) // 2])
    return path


def random_bytes(path: Path) -> Path:
    path.write_bytes(random.Random(4).randbytes(1024 * 1024))
    return path


def empty_file(path: Path) -> Path:
    path.write_bytes(b"")
    return path


SIMPLE: dict[str, Callable[[Path], Path]] = {
    "tar-traversal": tar_traversal, "tar-absolute": tar_absolute,
    "tar-symlink-then-write": tar_symlink_then_write, "tar-hard-link-out": tar_hard_link_out,
    "zip-traversal": zip_traversal, "cpio-traversal": cpio_traversal,
    "gzip-bomb": gzip_bomb, "bzip2-bomb": bzip2_bomb, "xz-bomb": xz_bomb,
    "zstd-bomb": zstd_bomb, "lzma-bomb": lzma_bomb, "zip-recursion": zip_recursion,
    "random-bytes": random_bytes, "empty-file": empty_file,
}
FS_CASES = ("squashfs-truncated", "squashfs-corrupt", "jffs2-corrupt", "cramfs-corrupt")
BOMBS = ("gzip-bomb", "bzip2-bomb", "xz-bomb", "zstd-bomb", "lzma-bomb", "zip-recursion")


def mkfs_images(work: Path) -> dict[str, bytes]:
    """Small valid SquashFS, JFFS2 and CramFS images made with the Debian tools, to corrupt."""
    import subprocess

    root = work / "fs-root"
    for sub in ("etc", "bin", "lib"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "bin" / "busybox").write_bytes(os.urandom(20000))
    images = {}
    commands = {
        "squashfs": ["mksquashfs", str(root), str(work / "fs.sqfs"), "-noappend", "-quiet",
                     "-all-root"],
        "jffs2": ["mkfs.jffs2", "-r", str(root), "-o", str(work / "fs.jffs2"), "-e", "64KiB"],
        "cramfs": ["mkfs.cramfs", str(root), str(work / "fs.cramfs")],
    }
    for name, command in commands.items():
        subprocess.run(command, check=True, capture_output=True)
        images[name] = Path(command[2] if name == "squashfs" else
                            (command[4] if name == "jffs2" else command[2])).read_bytes()
    return images


def build_case(name: str, directory: Path, fs_images: dict[str, bytes] | None = None) -> Path:
    """Write case ``name`` into ``directory`` (file systems need ``mkfs_images``)."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = {"gzip-bomb": ".gz", "bzip2-bomb": ".bz2", "xz-bomb": ".xz", "zstd-bomb": ".zst",
              "lzma-bomb": ".lzma", "zip-recursion": ".zip", "zip-traversal": ".zip",
              "cpio-traversal": ".cpio"}.get(name, ".tar" if name.startswith("tar") else ".bin")
    path = directory / f"{name}{suffix}"
    if name in SIMPLE:
        return SIMPLE[name](path)
    assert fs_images is not None, f"{name} needs mkfs_images()"
    fs = name.split("-")[0]
    builder = {"squashfs-truncated": squashfs_truncated, "squashfs-corrupt": squashfs_corrupt,
               "jffs2-corrupt": jffs2_corrupt, "cramfs-corrupt": cramfs_corrupt}[name]
    return builder(path, fs_images[fs])


ALL_CASES = tuple(SIMPLE) + FS_CASES
