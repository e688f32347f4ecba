"""Fixtures shared by the extraction tests."""

from __future__ import annotations

import os
import subprocess

import pytest

PASSWD = b"root:x:0:0:root:/root:/bin/sh\n"


@pytest.fixture(scope="session")
def squashfs(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small root filesystem (etc/passwd, bin/busybox, sbin/init symlink) packed by mksquashfs."""
    tmp = tmp_path_factory.mktemp("sqroot")
    root = tmp / "root"
    for sub in ("etc", "bin", "sbin", "lib"):
        (root / sub).mkdir(parents=True)
    (root / "etc" / "passwd").write_bytes(PASSWD)
    (root / "bin" / "busybox").write_bytes(os.urandom(8000))
    os.symlink("../bin/busybox", root / "sbin" / "init")
    subprocess.run(["mksquashfs", str(root), str(tmp / "root.sqfs"), "-comp", "xz", "-all-root",
                    "-noappend", "-quiet"], check=True, capture_output=True)
    return (tmp / "root.sqfs").read_bytes()
