"""Kernel config: reading it from an image, placing kernel CVEs in subsystems, and marking CVEs
of left-out subsystems "not affected (kernel config)" without dropping them."""

from __future__ import annotations

import gzip
import json
import lzma
import struct
from pathlib import Path

import pytest

from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import Component
from iotbaseline.vulns.db import VulnDatabase
from iotbaseline.vulns.kernel import (
    kernel_config_verdict,
    parse_kernel_config,
    place_kernel_cve,
    read_kernel_config,
)
from iotbaseline.vulns.matcher import match_components

# A MIPS router's config in the kernel's own .config syntax: SCTP and KVM left out.
ROUTER_CONFIG = """#
# Automatically generated file; DO NOT EDIT.
# Linux/mips 3.3.8 Kernel Configuration
#
CONFIG_MIPS=y
CONFIG_MMU=y
CONFIG_NET=y
CONFIG_INET=y
# CONFIG_IP_SCTP is not set
# CONFIG_KVM is not set
CONFIG_BT=m
CONFIG_LOCALVERSION=""
CONFIG_NR_CPUS=1
"""
BUSYBOX_CONFIG = """#
# Automatically generated make config: don't edit
# Busybox version: 1.19.4
#
CONFIG_HAVE_DOT_CONFIG=y
CONFIG_FEATURE_SH_IS_ASH=y
"""


def _index(root: Path) -> FileIndex:
    return FileIndex.from_directory(root)


def _with_ikconfig(config: str) -> bytes:
    return (b"\x00" * 4096 + b"Linux version 3.3.8 (builder@host)\x00" + b"IKCFG_ST"
            + gzip.compress(config.encode()) + b"IKCFG_ED" + b"\xff" * 2048)


def test_parse_config_symbols() -> None:
    enabled = parse_kernel_config(ROUTER_CONFIG)
    assert {"CONFIG_MIPS", "CONFIG_BT", "CONFIG_NR_CPUS", "CONFIG_LOCALVERSION"} <= enabled
    assert "CONFIG_IP_SCTP" not in enabled and "CONFIG_KVM" not in enabled


def test_ikconfig_in_raw_kernel_image(tmp_path: Path) -> None:
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot" / "vmlinux").write_bytes(_with_ikconfig(ROUTER_CONFIG))
    assert read_kernel_config(_index(tmp_path)) == parse_kernel_config(ROUTER_CONFIG)


def test_ikconfig_inside_lzma_uimage(tmp_path: Path) -> None:
    payload = lzma.compress(_with_ikconfig(ROUTER_CONFIG), format=lzma.FORMAT_ALONE)
    # legacy uImage header: magic, hcrc, time, size, load, ep, dcrc, os, arch, type, comp=3 (lzma)
    header = struct.pack(">IIIIIIIBBBB32s", 0x27051956, 0, 0, len(payload), 0x80060000,
                         0x80060000, 0, 5, 5, 2, 3, b"MIPS OpenWrt Linux-3.3.8")
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot" / "uImage").write_bytes(header + payload)
    enabled = read_kernel_config(_index(tmp_path))
    assert enabled is not None and "CONFIG_BT" in enabled and "CONFIG_IP_SCTP" not in enabled


def test_shipped_config_files(tmp_path: Path) -> None:
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot" / "config-3.3.8").write_text(ROUTER_CONFIG)
    assert "CONFIG_MIPS" in (read_kernel_config(_index(tmp_path)) or set())
    other = tmp_path / "other"
    (other / "proc").mkdir(parents=True)
    (other / "proc" / "config.gz").write_bytes(gzip.compress(ROUTER_CONFIG.encode()))
    assert "CONFIG_MIPS" in (read_kernel_config(_index(other)) or set())


def test_busybox_config_is_not_a_kernel_config(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / ".config").write_text(BUSYBOX_CONFIG)
    (tmp_path / "etc" / "vmlinux.txt").write_text("not a kernel")
    assert read_kernel_config(_index(tmp_path)) is None


# Real kernel CVEs (descriptions from ../shared/nvd/linux-kernel-cves.jsonl.gz), placed by hand:
#  CVE-2008-3526 names net/sctp/socket.c          → CONFIG_IP_SCTP (net/sctp/Makefile)
#  CVE-2009-1242 names arch/x86/kvm/vmx.c         → CONFIG_KVM
#  CVE-2010-2240 names mm/memory.c                → core code: always built
#  CVE-2006-6106 names net/bluetooth/cmtp/capi.c  → CONFIG_BT (set to m above: affected)
KERNEL_CVES = ("CVE-2008-3526", "CVE-2009-1242", "CVE-2010-2240", "CVE-2006-6106")


@pytest.fixture(scope="module")
def kernel_records(nvd_dir: Path) -> dict[str, dict[str, object]]:
    out = {}
    with gzip.open(nvd_dir / "linux-kernel-cves.jsonl.gz") as fh:
        for line in fh:
            record = json.loads(line)
            if record["cve"]["id"] in KERNEL_CVES:
                out[record["cve"]["id"]] = record
    assert set(out) == set(KERNEL_CVES)
    return out


def _description(record: dict[str, object]) -> str:
    cve = record["cve"]
    return next(d["value"] for d in cve["descriptions"] if d["lang"] == "en")  # type: ignore[index]


def test_placement_of_real_kernel_cves(kernel_records: dict[str, dict[str, object]]) -> None:
    enabled = parse_kernel_config(ROUTER_CONFIG)
    sctp = place_kernel_cve(_description(kernel_records["CVE-2008-3526"]), [])
    assert sctp.groups[0][1] == ("CONFIG_IP_SCTP",)
    assert "CONFIG_IP_SCTP not set" in (kernel_config_verdict(sctp, enabled) or "")
    kvm = place_kernel_cve(_description(kernel_records["CVE-2009-1242"]), [])
    assert kvm.groups[0][1] == ("CONFIG_KVM",) and kernel_config_verdict(kvm, enabled)
    core = place_kernel_cve(_description(kernel_records["CVE-2010-2240"]), [])
    assert core.core == ("mm/memory.c",) and kernel_config_verdict(core, enabled) is None
    bt = place_kernel_cve(_description(kernel_records["CVE-2006-6106"]), [])
    assert kernel_config_verdict(bt, enabled) is None  # CONFIG_BT=m: built as a module
    # a description without paths falls back to words
    words = place_kernel_cve("A flaw in the SCTP implementation allows remote DoS.", [])
    assert words.groups[0][1] == ("CONFIG_IP_SCTP",)


def test_marked_not_dropped(kernel_records: dict[str, dict[str, object]], tmp_path: Path) -> None:
    data = tmp_path / "kernel.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in kernel_records.values()))
    db = VulnDatabase.open(tmp_path / "k.sqlite")
    db.import_files([data])
    # read by hand from the records: 2.6.25 is in CVE-2008-3526's list of exact versions, below
    # CVE-2009-1242's versionEndExcluding 2.6.29.1 and CVE-2010-2240's versionEndIncluding
    # 2.6.27.51; CVE-2006-6106 lists 2.4.22-2.4.33.4 and 2.6.2-2.6.19 only (not matched)
    kernel = Component(ref="linux", name="linux", version="2.6.25", kind="operating-system",
                       cpe="cpe:2.3:o:linux:linux_kernel:2.6.25:*:*:*:*:*:*:*")
    plain = match_components([kernel], db)[0]
    assert {v.id for v in plain.vulnerabilities} == {"CVE-2008-3526", "CVE-2009-1242",
                                                     "CVE-2010-2240"}
    assert all(v.status == "affected" for v in plain.vulnerabilities)
    configured = match_components([kernel], db, parse_kernel_config(ROUTER_CONFIG))[0]
    status = {v.id: v.status for v in configured.vulnerabilities}
    assert status["CVE-2008-3526"] == "not_affected_kernel_config"
    assert status["CVE-2009-1242"] == "not_affected_kernel_config"  # CONFIG_KVM not set
    assert status["CVE-2010-2240"] == "affected"
    assert {v.id for v in configured.vulnerabilities} == {v.id for v in plain.vulnerabilities}
    sctp = next(v for v in configured.vulnerabilities if v.id == "CVE-2008-3526")
    assert "net/sctp/socket.c" in sctp.status_reason
