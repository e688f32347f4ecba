"""The image's build date from build stamps in the SBOM evidence: uImage header time (CRC
checked), kernel banner compile time, BusyBox build date; the newest wins, implausible stamps
are ignored. Banner texts are those of the corpus (GROUND_TRUTH.md of netgear-wnr2000v5,
escam-g02-goke, zyxel-p663h51-rootfs)."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import Component, ComponentEvidence
from iotbaseline.sbom.build_date import build_date, stamps
from iotbaseline.sbom.identify import identify_components

NETGEAR_BANNER = ("Linux version 2.6.31 (june.lin@dnixm-compiler3) (gcc version 4.3.3 (GCC) ) "
                  "#1 Wed Apr 22 16:24:00 CST 2015")
ESCAM_BANNER = ("Linux version 3.4.43-gk (root@localhost) (gcc version 4.6.1) "
                "#6 PREEMPT Sat Sep 30 10:14:30 CST 2017")


def kernel(match: str, method: str = "kernel-banner") -> Component:
    return Component(ref="k", name="linux-kernel", version="2.6.31",
                     evidence=[ComponentEvidence(path="kernel.bin", method=method, match=match)])


def busybox(match: str) -> Component:
    return Component(ref="b", name="busybox", version="1.00",
                     evidence=[ComponentEvidence(path="/bin/busybox", method="signature:busybox",
                                                 match=match)])


def uimage(name: bytes, when: datetime, good_crc: bool = True) -> bytes:
    header = bytearray(struct.pack(">IIIIIIIBBBB32s", 0x27051956, 0, int(when.timestamp()), 0,
                                   0x80060000, 0x80060000, 0, 5, 5, 2, 3, name))
    crc = zlib.crc32(bytes(header)) ^ (0 if good_crc else 1)
    header[4:8] = struct.pack(">I", crc)
    return bytes(header)


def test_kernel_banner_compile_time() -> None:
    found = build_date([kernel(NETGEAR_BANNER)])
    assert found is not None
    assert (found.date, found.source, found.path) == (date(2015, 4, 22), "kernel-banner", "kernel.bin")
    assert "Wed Apr 22 16:24:00 CST 2015" in found.detail


def test_busybox_build_date_in_both_vendor_formats() -> None:
    assert build_date([busybox("BusyBox v1.00 (2009.02.12-09:06+0000)")]).date == date(2009, 2, 12)  # type: ignore[union-attr]
    assert build_date([busybox("BusyBox v1.14.1 (2013-09-17 16:21:12 CST)")]).date == date(2013, 9, 17)  # type: ignore[union-attr]
    assert build_date([busybox("BusyBox v1.00")]) is None


def test_newest_stamp_wins_and_implausible_ones_are_ignored() -> None:
    comps = [kernel(NETGEAR_BANNER), kernel(ESCAM_BANNER),
             busybox("BusyBox v1.2.3 (1970-01-01 00:00:00 UTC)"),
             busybox("BusyBox v1.2.3 (2099-01-01 00:00:00 UTC)")]
    assert [s.date for s in stamps(comps, today=date(2026, 1, 1))] == [date(2015, 4, 22), date(2017, 9, 30)]
    assert build_date(comps, today=date(2026, 1, 1)).date == date(2017, 9, 30)  # type: ignore[union-attr]


def test_uimage_header_time_travels_in_the_kernel_evidence(tmp_path: Path) -> None:
    when = datetime(2015, 4, 22, 8, 24, 5, tzinfo=UTC)
    blob = tmp_path / "kernel.bin"
    blob.write_bytes(uimage(b"MIPS OpenWrt Linux-2.6.31", when) + b"\x00" * 256)
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    comps = identify_components(FileIndex.from_directory(root), extra_blobs=[blob])
    found = build_date(comps)
    assert found is not None and (found.date, found.source) == (date(2015, 4, 22), "uimage-header")
    assert "2015-04-22 08:24:05 UTC" in found.detail


def test_uimage_header_with_a_bad_crc_gives_no_date(tmp_path: Path) -> None:
    blob = tmp_path / "kernel.bin"
    blob.write_bytes(uimage(b"MIPS OpenWrt Linux-2.6.31", datetime(2015, 4, 22, tzinfo=UTC),
                            good_crc=False) + b"\x00" * 256)
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    comps = identify_components(FileIndex.from_directory(root), extra_blobs=[blob])
    assert build_date(comps) is None
