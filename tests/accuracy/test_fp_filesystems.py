"""False-positive classes of issue 10 that depend on where a file lives on the device.

Built from real corpus images, unpacked by the project's own extraction (as a scan does):
- ZyXEL P-663H-51: the root is a SquashFS 2.0 (read-only) whose files carry mode 0777 from the
  build host; no overlay is mounted at boot (etc/init.d/rcS, etc/profile read by hand), so none
  of them can be written on the device (GROUND_TRUTH.md "Format").
- ESCAM G02 camera: rootfs.bin and mtd.bin are SquashFS, conf.bin is JFFS2 mounted at
  /mnt/mtd/ipc/conf (etc/init.d/S90ipc:3-4, read by hand). The 0777 files of conf.bin are
  really world-writable; the app partition at /mnt/mtd/ipc is internal flash (mtdblock4), so
  the programs conf/run starts from there do not come from removable storage.
- ESCAM wpa_supplicant holds the PEM BEGIN/END lines as parser constants (GROUND_TRUTH.md
  "Negative controls" 1): not a key.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iotbaseline.analysis.mounts import filesystem_of, overlay_mounts
from iotbaseline.analysis.partitions import attribute_files, extract_device
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.hardening import file_permissions
from iotbaseline.checks.runner import run_one
from iotbaseline.checks.secrets import private_keys
from iotbaseline.extract import extract_image
from iotbaseline.inventory.builder import build_inventory
from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import ExtractionResult

pytestmark = pytest.mark.corpus


def _context(extraction: ExtractionResult) -> CheckContext:
    inventory = build_inventory(list(extraction.roots), jobs=1)
    attribute_files(inventory, extraction)
    return CheckContext(FileIndex(inventory))


@pytest.fixture(scope="module")
def zyxel(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> ExtractionResult:
    work = tmp_path_factory.mktemp("zyxel")
    return extract_image(corpus / "zyxel-p663h51-rootfs" / "squashfs_v2.bin", work)


@pytest.fixture(scope="module")
def escam(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> ExtractionResult:
    folder = corpus / "escam-g02-goke"
    parts = [folder / n for n in ("rootfs.bin", "mtd.bin", "conf.bin", "kernel.bin", "bootenv.bin")]
    return extract_device(parts, tmp_path_factory.mktemp("escam"))


def test_read_only_squashfs_root_is_not_world_writable(zyxel: ExtractionResult) -> None:
    ctx = _context(zyxel)
    assert filesystem_of(zyxel.roots[0].provenance) == "squashfs"
    modes = {e.path: e.mode for e in ctx.index.files}
    assert modes["/etc/inittab"] & 0o002, "the image really carries world-writable modes"
    outcome, findings, _ = run_one(file_permissions.find_world_writable, ctx)
    assert findings == []
    assert any("read-only squashfs" in e.detail for e in outcome.evidence)
    _, startup, _ = run_one(file_permissions.find_writable_startup_files, ctx)
    assert startup == []


def test_overlay_over_read_only_root_makes_it_writable(zyxel: ExtractionResult) -> None:
    root = Path(zyxel.roots[0].path)
    script = root / "etc" / "init.d" / "S01overlay"  # synthetic: an overlay over /etc at boot
    script.write_text("#!/bin/sh\nmount -t overlay overlay -o lowerdir=/etc,upperdir=/data/etc,"
                      "workdir=/data/w /etc\n")
    try:
        assert [m.mount_point for m in overlay_mounts(root)] == ["/etc"]
        _, findings, _ = run_one(file_permissions.find_world_writable, _context(zyxel))
        paths = {f.location.path for f in findings}
        assert "/etc/inittab" in paths or any("/etc/inittab" in f.message for f in findings)
        assert not any(p and p.startswith("/bin/") for p in paths)
    finally:
        script.unlink()


def test_writable_jffs2_partition_stays_reported(escam: ExtractionResult) -> None:
    ctx = _context(escam)
    _, findings, _ = run_one(file_permissions.find_world_writable, ctx)
    text = " ".join(f.message for f in findings)
    assert "/mnt/mtd/ipc/conf/config_debug.ini" in text  # JFFS2, mode 0777: writable
    assert not any((f.location.path or "").startswith(("/etc/", "/bin/")) for f in findings)
    assert not any((f.location.path or "").startswith("/mnt/mtd/ipc/")
                   and not (f.location.path or "").startswith("/mnt/mtd/ipc/conf")
                   for f in findings)  # mtd.bin is SquashFS
    _, startup, _ = run_one(file_permissions.find_writable_startup_files, ctx)
    assert [f.location.path for f in startup] == ["/mnt/mtd/ipc/conf/run"]


def test_internal_flash_mount_is_not_removable_storage(escam: ExtractionResult) -> None:
    _, findings, _ = run_one(file_permissions.find_external_storage_execution, _context(escam))
    assert findings == []


def test_removable_path_not_shipped_is_still_reported(tmp_path: Path) -> None:
    (tmp_path / "etc" / "init.d").mkdir(parents=True)
    (tmp_path / "etc" / "inittab").write_text("::sysinit:/etc/init.d/rcS\n")
    (tmp_path / "etc" / "init.d" / "rcS").write_text(
        "#!/bin/sh\nmount -t jffs2 /dev/mtdblock4 /mnt/app\nmount /dev/mmcblk0p1 /mnt/sd\n"
        "/mnt/app/daemon &\nsh /mnt/sd/autorun.sh\n")
    _, findings, _ = run_one(file_permissions.find_external_storage_execution,
                             CheckContext(FileIndex.from_directory(tmp_path, jobs=1)))
    assert {f.location.line for f in findings} == {5}  # the SD card, not the mtdblock4 mount


def test_pem_parser_strings_are_not_a_key(escam: ExtractionResult) -> None:
    ctx = _context(escam)
    wpa = ctx.index.get("/usr/bin/wpa_supplicant")
    assert wpa is not None
    data = ctx.index.read_bytes(wpa, limit=1 << 22) or b""
    assert b"-----BEGIN RSA PRIVATE KEY-----" in data
    _, findings, _ = run_one(private_keys.find_private_keys, ctx)
    assert findings == []


def test_real_pem_key_body_is_still_a_key(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "server.pem").write_bytes(pem)
    _, findings, _ = run_one(private_keys.find_private_keys,
                             CheckContext(FileIndex.from_directory(tmp_path, jobs=1)))
    assert len(findings) == 1 and "EC" in findings[0].message


def test_c_library_providing_ssp_is_not_unprotected(escam: ExtractionResult) -> None:
    """uClibc 0.9.33.2 defines __stack_chk_fail/__stack_chk_guard (readelf --dyn-syms): it is
    the stack protector's provider, not a program built without it."""
    from iotbaseline.checks.hardening import elf_hardening

    ctx = _context(escam)
    libc = ctx.index.get("/lib/libuClibc-0.9.33.2.so")
    assert libc is not None and libc.elf is not None
    assert "__stack_chk_fail" in libc.elf.exports
    _, findings, _ = run_one(elf_hardening.find_missing_canary, ctx)
    assert findings, "the camera's programs really lack the canary (GROUND_TRUTH.md 7)"
    assert not any("libuClibc" in f.message for f in findings)


def test_openwrt_overlay_root_is_writable(openwrt_root: Path) -> None:
    """OpenWrt (LibraryBox on the TL-MR3020): preinit's mount_root lays a JFFS2 overlay over
    the SquashFS root, so its modes do count on the device."""
    assert (openwrt_root / "sbin" / "mount_root").exists()
    assert "/" in [m.mount_point for m in overlay_mounts(openwrt_root)]


def test_filesystem_of_reads_the_innermost_format() -> None:
    assert filesystem_of(["fw.bin", "offset 0x40-0x2000: cpio", "offset 0x0-0x100: squashfs_v4_le"]) \
        == "squashfs"
    assert filesystem_of(["conf.bin", "offset 0x0-0x1a0000: jffs2_new",
                          "mounted at /x (`mount -t squashfs …`)", "conf.bin:/a"]) == "jffs2"
    assert filesystem_of(["directory /tmp/root"]) is None


def test_snapshot_upload_is_not_a_firmware_upgrade(tmp_path: Path) -> None:
    from iotbaseline.analysis.vendor_programs import vendor_facts

    (tmp_path / "usr" / "bin").mkdir(parents=True)
    (tmp_path / "usr" / "bin" / "snapd").write_text("#!/bin/sh\nupload_image_to_ftp /tmp/snap.jpg\n")
    (tmp_path / "usr" / "bin" / "fwd").write_text("#!/bin/sh\nsysFlashImageSet /tmp/fw.bin\n")
    facts = vendor_facts(CheckContext(FileIndex.from_directory(tmp_path, jobs=1)))
    assert [e.ref for e in facts.upgrade] == ["/usr/bin/fwd"]
