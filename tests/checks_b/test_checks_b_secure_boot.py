"""Secure boot and integrity (IOTB-BOOT-00x). FIT images and U-Boot control DTBs are built
here with the ``fdt`` package; uImage and vbmeta headers with struct, following their published
layouts (U-Boot image.h, libavb avb_vbmeta_image.h)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import fdt
from checks_b_helpers import run, tree_context, where

from iotbaseline.checks.updates import secure_boot as boot_secure
from iotbaseline.model import OutcomeStatus


def _fit(signed: bool) -> bytes:
    tree = fdt.FDT()
    tree.set_property("description", "test FIT", path="/")
    tree.set_property("data", b"\x00" * 64, path="/images/kernel-1")
    tree.set_property("algo", "sha256", path="/images/kernel-1/hash-1")
    tree.set_property("value", b"\x11" * 32, path="/images/kernel-1/hash-1")
    tree.set_property("kernel", "kernel-1", path="/configurations/conf-1")
    if signed:
        tree.set_property("algo", "sha256,rsa2048", path="/configurations/conf-1/signature-1")
        tree.set_property("key-name-hint", "dev", path="/configurations/conf-1/signature-1")
        tree.set_property("value", b"\x22" * 256, path="/configurations/conf-1/signature-1")
    return bytes(tree.to_dtb(version=17))


def _uimage(name: bytes) -> bytes:
    payload = b"\x00" * 128
    header = struct.pack(">IIIIIIIBBBB32s", 0x27051956, 0, 0, len(payload), 0x80008000,
                         0x80008000, zlib.crc32(payload), 5, 2, 2, 0, name)
    return header + payload


def _vbmeta(algorithm: int, flags: int) -> bytes:
    header = bytearray(256)
    header[0:4] = b"AVB0"
    struct.pack_into(">II", header, 4, 1, 0)
    struct.pack_into(">I", header, 28, algorithm)
    struct.pack_into(">QI", header, 112, 7, flags)
    return bytes(header)


def test_fit_with_and_without_signature_and_legacy_uimage(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {"/boot/fit-unsigned.itb": _fit(False),
                                          "/boot/uImage": _uimage(b"Linux-5.10")})
    outcome, findings, _ = run(boot_secure.find_unsigned_kernel_image, ctx)
    assert sorted(where(findings)) == [("/boot/fit-unsigned.itb", None), ("/boot/uImage", None)]
    messages = " ".join(f.message for f in findings)
    assert "hashes only: sha256" in messages and "'Linux-5.10'" in messages
    ctx = tree_context(tmp_path / "good", {"/boot/fit.itb": _fit(True)})
    outcome, findings, _ = run(boot_secure.find_unsigned_kernel_image, ctx)
    assert findings == [] and outcome.status == OutcomeStatus.PASS
    assert "sha256,rsa2048" in outcome.evidence[0].detail


def test_boot_checks_inconclusive_on_rootfs_only(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/etc/passwd": "root:x:0:0::/:/bin/sh\n"})
    for check in (boot_secure.find_unsigned_kernel_image,
                  boot_secure.find_uboot_without_verified_boot,
                  boot_secure.find_rootfs_integrity, boot_secure.find_uboot_env_risks,
                  boot_secure.find_unsigned_modules):
        outcome, findings, _ = run(check, ctx)
        assert outcome.status == OutcomeStatus.NOT_APPLICABLE and findings == [], check.spec.id


def _uboot_control_dtb(required: bool) -> bytes:
    tree = fdt.FDT()
    tree.set_property("model", "board", path="/")
    tree.set_property("key-name-hint", "dev", path="/signature/key-dev")
    tree.set_property("algo", "sha256,rsa2048", path="/signature/key-dev")
    if required:
        tree.set_property("required", "conf", path="/signature/key-dev")
    return bytes(tree.to_dtb(version=17))


def test_uboot_verified_boot(tmp_path: Path) -> None:
    banner = b"\x00U-Boot 2021.01 (Jan 01 2021)\x00"
    weak = banner + b"## Booting kernel from Legacy Image\x00" + b"\x00" * 64
    ctx = tree_context(tmp_path / "bad", {"/boot/u-boot.bin": weak})
    _, findings, _ = run(boot_secure.find_uboot_without_verified_boot, ctx)
    assert where(findings) == [("/boot/u-boot.bin", None)]
    assert "no required public key" in findings[0].message
    assert "legacy" in findings[0].message and findings[0].location.offset == 1
    strong = banner + b"Verifying Hash Integrity\x00sha256,rsa2048\x00" + _uboot_control_dtb(True)
    ctx = tree_context(tmp_path / "good", {"/boot/u-boot.bin": strong})
    outcome, findings, _ = run(boot_secure.find_uboot_without_verified_boot, ctx)
    assert findings == [] and "required=conf" in outcome.evidence[0].detail
    ctx = tree_context(tmp_path / "optional", {
        "/boot/u-boot.bin": banner + b"sha256,rsa2048\x00" + _uboot_control_dtb(False)})
    _, findings, _ = run(boot_secure.find_uboot_without_verified_boot, ctx)
    assert len(findings) == 1


def test_vbmeta_and_dm_verity(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {"/images/vbmeta.img": _vbmeta(0, 0),
                                          "/images/vbmeta_system.img": _vbmeta(1, 2)})
    _, findings, _ = run(boot_secure.find_rootfs_integrity, ctx)
    assert sorted((f.location.path, f.location.offset) for f in findings) == [
        ("/images/vbmeta.img", 28), ("/images/vbmeta_system.img", 120)]
    ctx = tree_context(tmp_path / "good", {"/images/vbmeta.img": _vbmeta(1, 0),
                                           "/etc/veritytab": "root /dev/sda2 /dev/sda3 abc\n"})
    outcome, findings, _ = run(boot_secure.find_rootfs_integrity, ctx)
    assert findings == [] and outcome.status == OutcomeStatus.PASS
    assert "rollback index 7" in outcome.evidence[0].detail


def test_uboot_environment(tmp_path: Path) -> None:
    env = b"\x00\x00\x00\x00bootdelay=3\x00bootcmd=tftpboot 0x80000000 uImage; bootm\x00\x00"
    ctx = tree_context(tmp_path / "bad", {"/boot/u-boot-env.bin": b"\xd0\x0d\xfe\xed" + env,
                                          "/boot/uEnv.txt": "bootdelay=5\nbootcmd=run mmcboot\n"})
    _, findings, _ = run(boot_secure.find_uboot_env_risks, ctx)
    messages = sorted(f.message for f in findings)
    assert len(findings) == 3
    assert any("bootdelay=5" in m for m in messages) and any("tftpboot" in m for m in messages)
    ctx = tree_context(tmp_path / "good", {"/boot/uEnv.txt": "bootdelay=0\nbootcmd=run mmcboot\n"})
    outcome, findings, _ = run(boot_secure.find_uboot_env_risks, ctx)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_kernel_module_signatures(tmp_path: Path) -> None:
    gcc = shutil.which("gcc")
    assert gcc, "gcc is needed (system-packages.txt)"
    src = tmp_path / "mod.c"  # a relocatable object with .modinfo, as a kernel module is
    src.write_text('int init_module(void) { return 0; }\n__attribute__((section(".modinfo"))) '
                   'const char vermagic[] = "vermagic=5.10.0 SMP mod_unload";\n')
    subprocess.run([gcc, "-c", "-o", str(tmp_path / "mod.ko"), str(src)], check=True)
    module = (tmp_path / "mod.ko").read_bytes()
    # a signed module ends in the signature, its length block and this marker (module_signing)
    signed = module + b"\x00" * 40 + boot_secure.MODULE_SIG
    ctx = tree_context(tmp_path / "bad", {"/lib/modules/5.10/a.ko": module,
                                          "/lib/modules/5.10/b.ko": signed})
    _, findings, _ = run(boot_secure.find_unsigned_modules, ctx)
    assert where(findings) == [("/lib/modules/5.10/a.ko", None)]
    assert findings[0].properties["paths"] == ["/lib/modules/5.10/a.ko"]
    ctx = tree_context(tmp_path / "good", {"/lib/modules/5.10/b.ko": signed})
    outcome, findings, _ = run(boot_secure.find_unsigned_modules, ctx)
    assert findings == [] and outcome.status == OutcomeStatus.PASS
