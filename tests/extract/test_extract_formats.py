"""Filesystems and archives carved by unblob (with our handlers): each built here from the
same small root with the format's own tool, then extracted back and compared."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from iotbaseline.extract import extract_image

PASSWD = b"root:x:0:0:root:/root:/bin/sh\n"
BUSYBOX = os.urandom(20_000)


@pytest.fixture(scope="module")
def rootdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rootsrc") / "root"
    for sub in ("etc", "bin", "sbin", "lib", "usr/bin"):
        (root / sub).mkdir(parents=True)
    (root / "etc" / "passwd").write_bytes(PASSWD)
    (root / "bin" / "busybox").write_bytes(BUSYBOX)
    os.chmod(root / "bin" / "busybox", 0o755)
    os.symlink("../bin/busybox", root / "sbin" / "init")
    os.symlink("/tmp/resolv.conf", root / "etc" / "resolv.conf")
    return root


def _sh(cmd: str, cwd: Path) -> None:
    subprocess.run(cmd, shell=True, check=True, cwd=cwd, capture_output=True)


BUILDERS = {
    "ext4": "mkfs.ext4 -q -d {root} {out} 8M",
    "jffs2-le": "mkfs.jffs2 -l -r {root} -o {out} -e 0x10000",
    "jffs2-be": "mkfs.jffs2 -b -r {root} -o {out} -e 0x10000",
    "cramfs": "mkfs.cramfs {root} {out}",
    "romfs": "genromfs -d {root} -f {out}",
    "tar-bz2": "tar -C {root} -cjf {out} .",
    "tar-lzma": "tar -C {root} --lzma -cf {out} .",
    "cpio-gz": "cd {root} && find . | cpio -o -H newc 2>/dev/null | gzip > {out}",
    "tar-xz": "tar -C {root} -cJf {out} .",
    "tar-zst": "tar -C {root} --zstd -cf {out} .",
    "7z": "cd {root} && 7z a -snl {out} . >/dev/null",
    "zip": "cd {root} && zip -qry {out} .",
    "ubi": ("mkfs.ubifs -r {root} -m 2048 -e 126976 -c 64 -o {out}.ubifs && "
            "printf '[rootfs]\\nmode=ubi\\nimage={out}.ubifs\\nvol_id=0\\nvol_type=dynamic\\n"
            "vol_name=rootfs\\nvol_flags=autoresize\\n' > {out}.ini && "
            "ubinize -o {out} -m 2048 -p 128KiB {out}.ini"),
}


@pytest.mark.parametrize("fmt", sorted(BUILDERS))
def test_format_round_trip(rootdir: Path, tmp_path: Path, fmt: str) -> None:
    if fmt == "zip" and shutil.which("zip") is None:
        pytest.fail("zip is not installed (system-packages.txt)")
    image = tmp_path / f"image.{fmt}"
    _sh(BUILDERS[fmt].format(root=rootdir, out=image), tmp_path)
    result = extract_image(image, tmp_path / "work")
    assert result.roots, [e.message for e in result.errors]
    root = Path(result.roots[0].path)
    assert (root / "etc" / "passwd").read_bytes() == PASSWD
    assert (root / "bin" / "busybox").read_bytes() == BUSYBOX
    assert os.readlink(root / "sbin" / "init") == "../bin/busybox"
    assert os.readlink(root / "etc" / "resolv.conf") == "/tmp/resolv.conf"
