"""Group-A checks on the real firmware corpus (ground truth in ../shared/firmware/*/GROUND_TRUTH.md).

The images are unpacked here with standard tools (unsquashfs, tarfile, intelhex), not with
the project's extractor, so these tests do not depend on the extraction stage."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest
from checks_a_helpers import run, where
from intelhex import IntelHex

from iotbaseline.checks.credentials import accounts as cred_accounts

from iotbaseline.checks.credentials import flat_image as cred_flat

from iotbaseline.checks.secrets import private_keys as secret_keys
from iotbaseline.checks.context import CheckContext, CheckOptions
from iotbaseline.checks.registry import checks_of
from iotbaseline.checks.runner import run_checks
from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import Inventory, OutcomeStatus


@pytest.fixture(scope="module")
def openwrt_index(openwrt_image: Path, tmp_path_factory: pytest.TempPathFactory) -> FileIndex:
    work = tmp_path_factory.mktemp("openwrt")
    data = openwrt_image.read_bytes()
    start = data.find(b"hsqs")
    assert start > 0, "no squashfs superblock in the OpenWrt image"
    (work / "root.sqfs").write_bytes(data[start:])
    subprocess.run(["unsquashfs", "-no-progress", "-d", str(work / "root"), str(work / "root.sqfs")],
                   check=True, capture_output=True)
    return FileIndex.from_directory(work / "root")


def _data_keeping_absolute_links(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
    """The 'data' filter, except that symlinks to absolute paths (/tmp/resolv.conf) are kept
    as they are: the file index resolves them inside the image, never on this machine."""
    if member.issym() and member.linkname.startswith("/"):
        return tarfile.tar_filter(member, path)
    return tarfile.data_filter(member, path)


@pytest.fixture(scope="module")
def dvar_index(dvar_tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> FileIndex:
    work = tmp_path_factory.mktemp("dvar")
    with tarfile.open(dvar_tarball) as tar:
        tar.extractall(work, filter=_data_keeping_absolute_links)
    return FileIndex.from_directory(work / "rootfs-arm")


def _avr_index(avr_dir: Path, name: str, work: Path) -> FileIndex:
    binary = work / f"{name}.bin"
    IntelHex(str(avr_dir / f"{name}.hex")).tofile(str(binary), format="bin")
    return FileIndex(Inventory(), flat_images=[str(binary)])


def test_openwrt_root_without_password(openwrt_index):
    _, findings = run(cred_accounts.find_empty_passwords, openwrt_index)
    assert where(findings) == [("/etc/shadow", 1)]  # root:x:0:0:99999:7::: and /bin/login.sh
    assert findings[0].properties["user"] == "root"


def test_openwrt_empty_dropbear_keys_are_not_findings(openwrt_index):
    for c in (secret_keys.find_private_keys, secret_keys.find_ssh_host_keys):
        outcome, findings = run(c, openwrt_index)
        assert findings == [] and outcome.status == OutcomeStatus.PASS
    outcome, _ = run(secret_keys.find_ssh_host_keys, openwrt_index)
    assert sorted(e.ref for e in outcome.evidence) == [
        "/etc/dropbear/dropbear_dss_host_key", "/etc/dropbear/dropbear_rsa_host_key"]


def test_openwrt_all_group_a_checks_run_without_error(openwrt_index):
    outcomes, _, inferred = run_checks(CheckContext(openwrt_index, CheckOptions(crack_seconds=2)),
                                       checks_of("credentials", "secrets", "crypto", "privacy"))
    assert [o.check for o in outcomes if o.status == OutcomeStatus.ERROR] == []
    assert inferred["uses_passwords"] is True


def test_dvar_empty_root_password(dvar_index):
    _, findings = run(cred_accounts.find_empty_passwords, dvar_index)
    assert where(findings) == [("/etc/shadow", 1)]  # root::0:0:99999:7:::
    assert findings[0].severity.value == "critical"
    outcome, findings = run(secret_keys.find_ssh_host_keys, dvar_index)
    assert findings == [] and [e.ref for e in outcome.evidence] == [
        "/etc/dropbear/dropbear_rsa_host_key"]


def test_avr_hardcoded_password(avr_dir, tmp_path):
    index = _avr_index(avr_dir, "hardcodedPassword.ino.arduino_standard", tmp_path)
    outcome, findings = run(cred_flat.find_flat_image_passwords, index)
    assert outcome.status == OutcomeStatus.FAIL
    high = [f for f in findings if f.confidence == "high"]
    assert [f.secret for f in high] == ["sup3rp4ssw0rd"]  # hardcodedPassword.ino line 18
    assert high[0].redacted != "sup3rp4ssw0rd"
    # rootfs checks do not apply to a microcontroller image
    outcome, _ = run(cred_accounts.find_empty_passwords, index)
    assert outcome.status == OutcomeStatus.NOT_APPLICABLE


def test_avr_without_password_prompt_has_no_password_finding(avr_dir, tmp_path):
    index = _avr_index(avr_dir, "simple_bof.ino", tmp_path)
    outcome, findings = run(cred_flat.find_flat_image_passwords, index)
    assert findings == [] and outcome.status == OutcomeStatus.PASS
