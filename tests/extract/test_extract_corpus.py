"""The real images of ../shared/firmware: each must extract fully, checked against
independent tools (unsquashfs, tar, objcopy)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from iotbaseline.extract import extract_image, load_modes

SQUASHFS_OFFSET = 0xED0CC  # from the image's GROUND_TRUTH.md ("SquashFS 4.0 xz at 0xED0CC")


def _tree_listing(root: Path) -> set[str]:
    out = set()
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            out.add("/" + str(Path(base, name).relative_to(root)))
    return out


def test_openwrt_image_full_root(openwrt_image: Path, tmp_path: Path) -> None:
    result = extract_image(openwrt_image, tmp_path / "work")
    assert [r.label for r in result.roots] == ["rootfs"]
    root = Path(result.roots[0].path)
    assert (root / "etc" / "shadow").is_file()
    assert (root / "bin" / "busybox").is_file()
    assert (root / "etc" / "init.d" / "telnet").is_file()
    listing = subprocess.run(
        ["unsquashfs", "-d", "", "-lls", "-o", str(SQUASHFS_OFFSET), str(openwrt_image)],
        capture_output=True, text=True, check=True).stdout.splitlines()
    expected = set()
    for line in listing:
        match = re.search(r" \d\d:\d\d (/.*?)( -> .*)?$", line)
        if match:
            expected.add(match[1])
    assert len(expected) == 868  # 869 inodes minus the root directory
    assert _tree_listing(root) == expected
    assert os.readlink(root / "bin" / "sh") == "busybox"
    provenance = " | ".join(result.roots[0].provenance)
    assert "TP-Link v1 header" in provenance and "0xed0cc" in provenance and "xz" in provenance
    kinds = [c.kind for c in result.chunks]
    assert kinds[:3] == ["tplink", "kernel", "squashfs"]
    kernel = next(c for c in result.chunks if c.kind == "kernel")
    assert kernel.extracted_to and b"Linux version 3.3.8" in (
        tmp_path / "work" / kernel.extracted_to).read_bytes()
    modes = load_modes(root)
    assert modes is not None and modes["/bin/busybox"]["mode"] == "0755"
    assert modes["/etc/shadow"]["type"] == "file"
    assert result.errors == [] and result.limits_hit == []


def test_dvar_tarball(dvar_tarball: Path, tmp_path: Path) -> None:
    result = extract_image(dvar_tarball, tmp_path / "work")
    assert result.input_kind == "archive"
    assert len(result.roots) == 1
    root = Path(result.roots[0].path)
    names = subprocess.run(["tar", "tjf", str(dvar_tarball)], capture_output=True, text=True,
                           check=True).stdout.split()
    assert len(names) == 458
    expected = {"/" + n.rstrip("/").removeprefix("rootfs-arm").lstrip("/") for n in names}
    expected.discard("/")
    assert _tree_listing(root) == expected
    assert os.readlink(root / "var") == "/tmp"  # kept exactly, not rewritten
    assert (root / "etc" / "shadow").read_text().startswith("root::0:0:99999:7:::")
    assert (root / "usr" / "bin" / "miniweb").is_file()
    assert load_modes(root) is not None


def test_avr_hex_to_flat_binaries(avr_dir: Path, tmp_path: Path) -> None:
    hex_files = sorted(avr_dir.glob("*.hex"))
    assert len(hex_files) == 3
    for hex_file in hex_files:
        work = tmp_path / hex_file.stem
        result = extract_image(hex_file, work)
        assert result.input_kind == "ihex"
        assert result.roots == [] and result.errors == []
        assert len(result.flat_images) == 1
        reference = tmp_path / (hex_file.stem + ".objcopy.bin")
        subprocess.run(["objcopy", "-I", "ihex", "-O", "binary", str(hex_file), str(reference)],
                       check=True)
        assert Path(result.flat_images[0]).read_bytes() == reference.read_bytes()
    assert b"sup3rp4ssw0rd" in Path(
        extract_image(avr_dir / "hardcodedPassword.ino.arduino_standard.hex",
                      tmp_path / "again").flat_images[0]).read_bytes()


def test_extraction_json_round_trip(openwrt_image: Path, tmp_path: Path) -> None:
    from iotbaseline.model import ExtractionResult

    result = extract_image(openwrt_image, tmp_path / "work")
    again = ExtractionResult.model_validate(json.loads(result.model_dump_json(by_alias=True)))
    assert again.roots == result.roots
