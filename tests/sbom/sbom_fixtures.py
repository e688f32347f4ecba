"""Unpacking the real corpus for the SBOM tests, without the extraction stage.

OpenWrt (TP-Link TL-MR3020 factory image): the SquashFS is carved at its ``hsqs`` magic and
unpacked with ``unsquashfs -d``; the bytes before it (TP-Link header + LZMA kernel) are kept as
``kernel.bin`` so the kernel banner can be found. DVAR: tarfile with the ``data`` filter;
absolute symlinks (``/etc/resolv.conf -> /tmp/resolv.conf``) are made relative to the root
first, as the device would resolve them, so the filter accepts them.
"""

from __future__ import annotations

import posixpath
import shutil
import subprocess
import tarfile
from pathlib import Path


def unpack_openwrt(image: Path, dest: Path) -> tuple[Path, Path]:
    """(root directory, kernel blob) of the OpenWrt factory image."""
    data = image.read_bytes()
    offset = data.find(b"hsqs")
    assert offset > 0, "no SquashFS magic in the OpenWrt image"
    dest.mkdir(parents=True, exist_ok=True)
    sqfs = dest / "rootfs.squashfs"
    sqfs.write_bytes(data[offset:])
    kernel = dest / "kernel.bin"
    kernel.write_bytes(data[:offset])
    root = dest / "root"
    unsquashfs = shutil.which("unsquashfs")
    assert unsquashfs, "unsquashfs (squashfs-tools, system-packages.txt) is not installed"
    subprocess.run([unsquashfs, "-no-xattrs", "-q", "-n", "-d", str(root), str(sqfs)], check=True,
                   stdout=subprocess.DEVNULL, timeout=300)
    return root, kernel


def _relative_links(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    if member.issym() and member.linkname.startswith("/"):
        top = member.name.split("/", 1)[0]
        target = posixpath.join(top, member.linkname.lstrip("/"))
        member = member.replace(linkname=posixpath.relpath(target, posixpath.dirname(member.name)))
    if member.isdev() or member.isfifo():
        return None
    return tarfile.data_filter(member, dest)


def unpack_dvar(tarball: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as tar:
        tar.extractall(dest, filter=_relative_links)
    roots = [p for p in dest.iterdir() if p.is_dir()]
    assert len(roots) == 1, f"expected one top directory in the DVAR tarball, got {roots}"
    return roots[0]



