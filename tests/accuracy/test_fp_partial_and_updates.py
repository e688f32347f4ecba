"""False-positive classes of issue 10 on real corpus images:
- Holy Stone HS720 drone: only the JFFS2 app partition (mounted at /app) and the U-Boot
  environment are in the corpus; the root file system is an initramfs in a kernel that is not
  (GROUND_TRUTH.md "Negative controls" 1). "No telnet started" there is absence in part of
  the device: no requirement may PASS on it, the verdict is INCONCLUSIVE.
- NETGEAR WNR2000v5: sbin/backup_caldata:88-89 (read by hand) erases /dev/mtd8 and writes the
  image's own /sbin/wnr2kv5-art calibration file back: not an update path (UPD-008).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from accuracy_images import context

from iotbaseline.analysis.partitions import extract_device
from iotbaseline.assess.engine import assess, partial_image
from iotbaseline.catalog.model import Catalog, Requirement
from iotbaseline.checks.runner import run_one
from iotbaseline.checks.updates import camera_practices
from iotbaseline.model import CheckOutcome, Evidence, OutcomeStatus, VerdictValue

TENCENT = "tencent-qtx-001.1"


def _catalog() -> Catalog:
    return Catalog(id=TENCENT, title="mini", version="t", publisher="t", source="t",
                   statuses={"M": ""},
                   requirements=[Requirement(id="5.3.2-4", summary="no telnet", status="M")])


def _no_telnet() -> CheckOutcome:
    return CheckOutcome(check="IOTB-SVC-001", title="Telnet server started at boot",
                        status=OutcomeStatus.PASS, provisions=[f"{TENCENT}:5.3.2-4"],
                        summary="no telnet server started at boot",
                        evidence=[Evidence(kind="note", ref="boot model", detail="0 services")])


@pytest.mark.corpus
def test_app_partition_alone_is_partial(corpus: Path, tmp_path: Path) -> None:
    folder = corpus / "holystone-hs720-drone"
    extraction = extract_device([folder / "rootfs.bin", folder / "u-boot-env.bin"], tmp_path,
                                mount_options={"rootfs.bin": "/app"})
    reason = partial_image(extraction)
    assert reason is not None and "rootfs.bin at /app" in reason
    verdict = assess({TENCENT: _catalog()}, None, [], [_no_telnet()], [], [], {},
                     partial=reason)[TENCENT]["5.3.2-4"]
    assert verdict.verdict is VerdictValue.INCONCLUSIVE
    assert "IOTB-SVC-001 found nothing" in verdict.reason


def test_whole_image_pass_still_passes() -> None:
    verdict = assess({TENCENT: _catalog()}, None, [], [_no_telnet()], [], [], {})[TENCENT]["5.3.2-4"]
    assert verdict.verdict is VerdictValue.PASS


@pytest.mark.corpus
def test_root_partition_present_is_not_partial(corpus: Path, tmp_path: Path) -> None:
    folder = corpus / "escam-g02-goke"
    extraction = extract_device([folder / "rootfs.bin", folder / "mtd.bin"], tmp_path)
    assert partial_image(extraction) is None


@pytest.mark.corpus
def test_calibration_restore_is_not_an_update_path(netgear_root: Path) -> None:
    text = (netgear_root / "sbin" / "backup_caldata").read_text()
    assert "mtd write -f /sbin/wnr2kv5-art /dev/mtd8" in text  # it does write flash
    _, findings, _ = run_one(camera_practices.find_unverified_flash_writes, context(netgear_root))
    assert not any(f.location.path == "/sbin/backup_caldata" for f in findings)


def test_flashing_script_taking_its_image_is_reported(tmp_path: Path) -> None:
    (tmp_path / "sbin").mkdir()
    (tmp_path / "sbin" / "fw_upgrade.sh").write_text(
        "#!/bin/sh\nIMG=$1\nmtd erase /dev/mtd4\nmtd write $IMG /dev/mtd4\n")
    (tmp_path / "sbin" / "restore_cal").write_text(
        "#!/bin/sh\nmtd write /sbin/board.cal /dev/mtd8\n")
    _, findings, _ = run_one(camera_practices.find_unverified_flash_writes, context(tmp_path))
    assert [f.location.path for f in findings] == ["/sbin/fw_upgrade.sh"]


@pytest.mark.corpus
def test_upgrade_inside_management_daemon_is_not_absent(corpus: Path, tmp_path: Path) -> None:
    """ZyXEL: the firmware upload is inside bin/cfm (do_upload_pre, upLoadImage, flashImage);
    there is no update script, yet no "no update mechanism" may be claimed (class 1)."""
    from iotbaseline.checks.updates import update_path
    from iotbaseline.extract import extract_image
    from iotbaseline.inventory.builder import build_inventory
    from iotbaseline.inventory.index import FileIndex
    from iotbaseline.checks.context import CheckContext

    extraction = extract_image(corpus / "zyxel-p663h51-rootfs" / "squashfs_v2.bin", tmp_path)
    ctx = CheckContext(FileIndex(build_inventory(list(extraction.roots), jobs=1)))
    outcome, findings, _ = run_one(update_path.find_update_mechanism, ctx)
    assert findings == []
    assert "/bin/cfm" in outcome.summary


@pytest.mark.corpus
def test_camera_app_partition_update_and_reset_are_found(corpus: Path, tmp_path: Path) -> None:
    """ESCAM: the upgrade tools live on the app partition at /mnt/mtd/ipc (upgrade,
    flash_upg.sh) and the reset/restore handlers inside ipc_server (HI_CGI_Restore)."""
    from iotbaseline.analysis.partitions import attribute_files
    from iotbaseline.checks.context import CheckContext
    from iotbaseline.checks.privacy import factory_reset
    from iotbaseline.checks.updates import update_path
    from iotbaseline.inventory.builder import build_inventory
    from iotbaseline.inventory.index import FileIndex

    folder = corpus / "escam-g02-goke"
    extraction = extract_device([folder / "rootfs.bin", folder / "mtd.bin", folder / "conf.bin",
                                 folder / "bootenv.bin"], tmp_path)
    inventory = build_inventory(list(extraction.roots), jobs=1)
    attribute_files(inventory, extraction)
    ctx = CheckContext(FileIndex(inventory))
    outcome, findings, _ = run_one(update_path.find_update_mechanism, ctx)
    assert findings == [] and "/mnt/mtd/ipc/flash_upg.sh" in outcome.summary
    _, unsigned, _ = run_one(update_path.find_unsigned_update, ctx)
    assert len(unsigned) == 1  # GROUND_TRUTH.md 8: no signature check
    _, reset_findings, _ = run_one(factory_reset.find_factory_reset, ctx)
    assert reset_findings == []
