"""Camera-practice checks (white paper): update TLS verification, flash writes without a
signature, encrypted firmware, camera SoC secure boot, logs and storage encryption, hardware RNG.
Synthetic trees built here, and the ESCAM G02 partitions unpacked with unsquashfs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from iotbaseline.checks.base import Check, CheckReport
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.crypto.hardware_rng import find_no_hardware_rng
from iotbaseline.checks.privacy.stored_data_encryption import (
    find_no_storage_encryption,
    find_plain_logs_on_sd,
)
from iotbaseline.checks.updates.camera_practices import (
    find_camera_soc_secure_boot,
    find_unencrypted_firmware,
    find_unverified_flash_writes,
    find_update_tls_unverified,
)
from iotbaseline.inventory.index import FileIndex


def _tree(root: Path, files: dict[str, str]) -> CheckContext:
    from iotbaseline.analysis.boot import reset_caches

    reset_caches()
    for path, text in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        if text.startswith("#!"):
            target.chmod(0o755)
    return CheckContext(FileIndex.from_directory(root, jobs=1))


def _run(check: Check, ctx: CheckContext) -> CheckReport:
    return check.run(ctx)


OTA_INSECURE = "#!/bin/sh\ncurl -k -o /tmp/fw.bin https://ota.example.com/fw.bin\nmtd write /tmp/fw.bin firmware\n"
OTA_VERIFIED = ("#!/bin/sh\ncurl -o /tmp/fw.enc https://ota.example.com/fw.enc\n"
                "openssl enc -d -aes-128-cbc -K $K -iv $IV -in /tmp/fw.enc -out /tmp/fw.bin\n"
                "sha256sum -c /tmp/fw.sha256\n"
                "openssl dgst -sha256 -verify /etc/ota.pub -signature /tmp/fw.sig /tmp/fw.bin && "
                "mtd write /tmp/fw.bin firmware\n")


def test_update_tls_verification(tmp_path: Path) -> None:
    bad = _run(find_update_tls_unverified, _tree(tmp_path / "a", {"/usr/sbin/fw_update": OTA_INSECURE}))
    assert [(h.path, h.line) for h in bad.hits] == [("/usr/sbin/fw_update", 2)]
    good = _run(find_update_tls_unverified, _tree(tmp_path / "b", {"/usr/sbin/fw_update": OTA_VERIFIED}))
    assert good.hits == [] and [e.line for e in good.examined] == [2]


def test_flash_writes_without_signature(tmp_path: Path) -> None:
    sd = "#!/bin/sh\nif [ -f /mnt/sd/recovery.img ]; then\n  flash_erase /dev/mtd3 0 0\n  flashcp /mnt/sd/recovery.img /dev/mtd3\nfi\n"
    bad = _run(find_unverified_flash_writes, _tree(tmp_path / "a", {"/etc/init.d/S99recover": sd}))
    assert [(h.path, h.line, h.properties["removable_media"]) for h in bad.hits] == [
        ("/etc/init.d/S99recover", 4, True)]  # line 4: flashcp writes the card's image
    signed = ("#!/bin/sh\nopenssl dgst -sha256 -verify /etc/key.pub -signature /mnt/sd/fw.sig "
              "/mnt/sd/fw.img && flashcp /mnt/sd/fw.img /dev/mtd3\n")
    good = _run(find_unverified_flash_writes, _tree(tmp_path / "b", {"/etc/init.d/S99recover": signed}))
    assert good.hits == [] and [e.ref for e in good.examined] == ["/etc/init.d/S99recover"]
    helper = "#!/bin/sh\nget_image \"$1\" | mtd write - firmware\nmtd write /tmp/caldata art\n"
    piped = _run(find_unverified_flash_writes, _tree(tmp_path / "d", {"/lib/upgrade/common.sh": helper}))
    assert piped.hits == [] and piped.not_applicable
    none = _run(find_unverified_flash_writes, _tree(tmp_path / "c", {"/etc/motd": "hello\n"}))
    assert none.not_applicable


def test_encrypted_firmware_or_absence(tmp_path: Path) -> None:
    good = _run(find_unencrypted_firmware, _tree(tmp_path / "a", {"/usr/sbin/fw_update": OTA_VERIFIED}))
    assert good.hits == [] and "digest" in good.examined[0].detail
    plain = "#!/bin/sh\nwget -O /tmp/fw.bin http://x/fw.bin\nmd5sum /tmp/fw.bin\nmtd write /tmp/fw.bin firmware\n"
    absent = _run(find_unencrypted_firmware, _tree(tmp_path / "b", {
        "/usr/sbin/fw_update": plain, "/lib/modules/ak3918ev300_isp.ko": "x"}))
    assert len(absent.hits) == 1
    assert absent.hits[0].confidence == "low" and absent.hits[0].properties == {"absence": True}
    # a router, not a camera: the white paper's practice is not asked of it
    router = _run(find_unencrypted_firmware, _tree(tmp_path / "c", {"/usr/sbin/fw_update": plain}))
    assert router.hits == [] and router.not_applicable


def test_camera_soc_secure_boot(tmp_path: Path) -> None:
    soc = _run(find_camera_soc_secure_boot, _tree(tmp_path / "a", {"/lib/modules/hi3516ev300_isp.ko": "x"}))
    assert [(h.path, h.properties["soc"], h.confidence) for h in soc.hits] == [
        ("/lib/modules/hi3516ev300_isp.ko", "HiSilicon", "low")]
    tooled = _run(find_camera_soc_secure_boot, _tree(tmp_path / "b", {
        "/usr/lib/libimp.so": "x", "/usr/bin/otp_burn": "#!/bin/sh\n"}))
    assert tooled.hits == [] and [e.ref for e in tooled.examined] == ["/usr/bin/otp_burn"]
    other = _run(find_camera_soc_secure_boot, _tree(tmp_path / "c", {"/etc/motd": "hi\n"}))
    assert other.not_applicable


def test_logs_on_sd_card(tmp_path: Path) -> None:
    plain = "#!/bin/sh\nsyslogd -O /mnt/sd/log/messages\necho start >> /mnt/mmc/app.log\n"
    bad = _run(find_plain_logs_on_sd, _tree(tmp_path / "a", {"/etc/init.d/S10log": plain}))
    assert [(h.path, h.line) for h in bad.hits] == [("/etc/init.d/S10log", 2), ("/etc/init.d/S10log", 3)]
    enc = "#!/bin/sh\ncat /tmp/app.log | openssl enc -aes-128-cbc -pass file:/etc/k > /mnt/sd/app.log.enc\n"
    good = _run(find_plain_logs_on_sd, _tree(tmp_path / "b", {"/etc/init.d/S10log": enc}))
    assert good.hits == [] and [e.line for e in good.examined] == [2]
    unknown = _run(find_plain_logs_on_sd, _tree(tmp_path / "c", {"/etc/motd": "hi\n"}))
    assert unknown.hits == [] and unknown.not_applicable


def test_storage_encryption(tmp_path: Path) -> None:
    good = _run(find_no_storage_encryption, _tree(tmp_path / "a", {
        "/etc/init.d/S20data": "#!/bin/sh\ncryptsetup open /dev/mmcblk0p3 data\n"}))
    assert good.hits == [] and [(e.ref, e.line) for e in good.examined] == [("/etc/init.d/S20data", 2)]
    absent = _run(find_no_storage_encryption, _tree(tmp_path / "b", {"/usr/lib/libmpi.so": "x"}))
    assert [(h.confidence, h.properties) for h in absent.hits] == [("low", {"absence": True})]
    router = _run(find_no_storage_encryption, _tree(tmp_path / "c", {"/etc/motd": "hi\n"}))
    assert router.hits == [] and router.not_applicable


def test_hardware_rng(tmp_path: Path) -> None:
    used = _run(find_no_hardware_rng, _tree(tmp_path / "a", {
        "/etc/init.d/S05rng": "#!/bin/sh\ninsmod /lib/modules/hi_cipher.ko\nrngd -r /dev/hwrng\n"}))
    assert used.hits == [] and [e.line for e in used.examined] == [2, 3]
    shipped = _run(find_no_hardware_rng, _tree(tmp_path / "b", {"/lib/modules/hw_crypto.ko": "x"}))
    assert [(h.path, h.confidence) for h in shipped.hits] == [("/lib/modules/hw_crypto.ko", "low")]
    camera = _run(find_no_hardware_rng, _tree(tmp_path / "c", {"/lib/modules/sinfo.ko": "x"}))
    assert [(h.path, h.properties) for h in camera.hits] == [(None, {"absence": True})]
    router = _run(find_no_hardware_rng, _tree(tmp_path / "d", {"/etc/motd": "hi\n"}))
    assert router.hits == [] and router.not_applicable


CORPUS = os.environ.get("IOTBASELINE_CORPUS")


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS, reason="IOTBASELINE_CORPUS not set: real firmware not available")
def test_escam_g02_practices(tmp_path: Path) -> None:
    """ESCAM G02 (GROUND_TRUTH.md bullet 8): mtd/flash_upg.sh:5-6 flash_erase + flashcp $UPG_PATH, no
    signature; Goke GK7102C SoC; load_drv:19 inserts the vendor encript.ko crypto driver."""
    assert shutil.which("unsquashfs"), "unsquashfs (squashfs-tools) is required"
    product = Path(str(CORPUS)) / "escam-g02-goke"
    root = tmp_path / "root"
    subprocess.run(["unsquashfs", "-q", "-n", "-d", str(root), str(product / "rootfs.bin")],
                   check=True, capture_output=True)
    shutil.rmtree(root / "mnt" / "mtd", ignore_errors=True)
    (root / "mnt" / "mtd").mkdir(parents=True)
    subprocess.run(["unsquashfs", "-q", "-n", "-d", str(root / "mnt" / "mtd" / "ipc"),
                    str(product / "mtd.bin")], check=True, capture_output=True)
    from iotbaseline.analysis.boot import reset_caches

    reset_caches()
    ctx = CheckContext(FileIndex.from_directory(root, jobs=1))
    flash = _run(find_unverified_flash_writes, ctx)
    assert ("/mnt/mtd/ipc/flash_upg.sh", 6) in [(h.path, h.line) for h in flash.hits]
    soc = _run(find_camera_soc_secure_boot, ctx)
    assert [h.properties["soc"] for h in soc.hits] == ["Goke"]
    rng = _run(find_no_hardware_rng, ctx)
    assert ("/mnt/mtd/ipc/load_drv", 19) in [(e.ref, e.line) for e in rng.examined]


def test_flash_helper_called_after_a_verified_update_is_not_a_finding(tmp_path: Path) -> None:
    ctx = _tree(tmp_path, {
        "/sbin/sysupgrade": "#!/bin/sh\nusign -V -m \"$1\" -P /etc/opkg/keys || exit 1\n. /lib/upgrade/platform.sh\n",
        "/lib/upgrade/flash_image.sh": "#!/bin/sh\nmtd write \"$1\" firmware\n"})
    report = _run(find_unverified_flash_writes, ctx)
    assert report.hits == []
    assert [e.ref for e in report.examined] == ["/lib/upgrade/flash_image.sh"]


def test_camera_soc_names() -> None:
    from iotbaseline.checks.updates.camera_practices import SOC_FAMILIES

    def family(name: str) -> list[str]:
        return [f for f, pattern in SOC_FAMILIES.items() if pattern.search(name)]

    assert family("tx-isp-t31.ko") == ["Ingenic"]
    assert family("hi3516cv300_sys.ko") == ["HiSilicon"]
    assert family("gkio.ko") == ["Goke"]
    assert family("fh8856_isp.ko") == ["Fullhan"]
    assert family("ak3918ev300_isp.ko") == ["Anyka"]
    assert family("mi_sys.ko") == ["SigmaStar"]
    assert family("libxt20.so") == family("start20") == family("busybox") == []
