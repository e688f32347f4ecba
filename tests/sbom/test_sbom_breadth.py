"""Identification breadth (issue 14 part 2, issue 17 part 4): camera stacks found by version
strings or by exported symbols, one version per instance, conflicts reported, the kernel from a
bare kernel partition. Real partitions are unpacked here with the reference tools (unsquashfs);
expected facts come from each product's GROUND_TRUTH.md."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from iotbaseline.inventory.builder import build_inventory
from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import Component, Inventory
from iotbaseline.sbom.identify import identify_components

ELF_HEADER = b"\x7fELF\x01\x01\x01" + b"\x00" * 9


def named(components: list[Component], name: str) -> list[Component]:
    return [c for c in components if c.name == name]


def tree(tmp_path: Path, files: dict[str, bytes]) -> FileIndex:
    for rel, data in files.items():
        path = tmp_path / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return FileIndex.from_directory(tmp_path)


def test_package_and_binary_disagree_is_a_conflict_not_a_guess(tmp_path: Path) -> None:
    index = tree(tmp_path, {
        "/usr/lib/opkg/status": b"Package: busybox\nVersion: 1.19.4-6\nStatus: install user installed\n\n",
        "/bin/busybox": ELF_HEADER + b"\x00BusyBox v1.19.3 (2014-01-01) multi-call binary\x00",
    })
    [busybox] = named(identify_components(index), "busybox")
    assert busybox.version is None
    conflict = next(n for n in busybox.notes if n.startswith("version conflict"))
    assert "1.19.3 from /bin/busybox" in conflict and "1.19.4 from /usr/lib/opkg/status" in conflict
    assert {e.path for e in busybox.evidence} == {"/bin/busybox", "/usr/lib/opkg/status"}


def test_snapshot_package_version_folds_into_the_binary_release(tmp_path: Path) -> None:
    # the Netgear WNR2000v5 case: opkg says miniupnpd 20070127-3, the binary says miniupnpd/1.0
    index = tree(tmp_path, {
        "/usr/lib/opkg/status": b"Package: miniupnpd\nVersion: 20070127-3\nStatus: install user installed\n\n",
        "/usr/sbin/miniupnpd": ELF_HEADER + b"\x00WNR2000v5 UPnP/1.0 miniupnpd/1.0\x00",
    })
    [mini] = named(identify_components(index), "miniupnpd")
    assert mini.version == "1.0"
    assert any("snapshot date" in n and "20070127" in n for n in mini.notes)


def test_two_files_with_two_versions_are_two_instances(tmp_path: Path) -> None:
    index = tree(tmp_path, {
        "/bin/busybox": ELF_HEADER + b"\x00BusyBox v1.19.4 (x)\x00",
        "/opt/vendor/busybox": ELF_HEADER + b"\x00BusyBox v1.12.1 (x)\x00",
    })
    assert sorted(c.version or "" for c in named(identify_components(index), "busybox")) == ["1.12.1", "1.19.4"]


def _compile(tmp: Path, source: str, out: Path, *args: str) -> None:
    gcc = shutil.which("gcc")
    assert gcc, "gcc (system-packages.txt) is needed to build the P2P library fixture"
    src = tmp / (out.name + ".c")
    src.write_text(source)
    subprocess.run([gcc, "-o", str(out), str(src), *args], check=True, timeout=120)


def test_p2p_library_found_by_its_exports_and_its_user_is_not(tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    root = tmp_path / "root"
    (root / "usr/lib").mkdir(parents=True)
    (root / "usr/bin").mkdir(parents=True)
    lib = root / "usr/lib/libPPPP_API.so"
    _compile(build, "int PPPP_Initialize(char*s){return 0;}\nint PPPP_Listen(int a){return a;}\n"
             "int PPPP_Connect(int a){return a;}\nint PPPP_Read(int a){return a;}\n", lib,
             "-shared", "-fPIC")
    _compile(build, "int PPPP_Initialize(char*);int PPPP_Listen(int);int PPPP_Connect(int);\n"
             "int main(){PPPP_Initialize(0);PPPP_Connect(1);return PPPP_Listen(0);}\n",
             root / "usr/bin/camapp", f"-L{lib.parent}", "-lPPPP_API")
    comps = identify_components(FileIndex.from_directory(root))
    [p2p] = named(comps, "cs2-p2p")
    assert p2p.version is None
    assert [e.path for e in p2p.evidence] == ["/usr/lib/libPPPP_API.so"]
    assert p2p.evidence[0].method == "markers:cs2-p2p" and p2p.evidence[0].match.startswith("exports PPPP_")
    assert p2p.cpe == "cpe:2.3:a:cs2-network:p2p:*:*:*:*:*:*:*:*"


def test_camera_stack_version_strings(tmp_path: Path) -> None:
    index = tree(tmp_path, {
        "/usr/bin/rtspd": ELF_HEADER + b"\x00Server: LIVE555 Streaming Media v2016.11.28\r\n\x00",
        "/usr/bin/onvif": ELF_HEADER + b"\x00User-Agent: gSOAP/2.8\r\n\x00",
        "/usr/lib/libtuya_iot.so": ELF_HEADER + b"\x00< TUYA IOT SDK V:4.1.3 BS:30.04_PT:2.2 >\x00",
        "/usr/lib/libmpi.so": ELF_HEADER + b"\x00HI_VERSION=Hi3516EV200_MPP_V1.0.1.0 B050 Release\x00",
        "/usr/lib/libimp.so": ELF_HEADER + b"\x00IMP-3.12.0\x00",
        "/usr/sbin/webs": ELF_HEADER + b"\x00Server: GoAhead-Webs\r\n\x00",
    })
    got = {(c.name, c.version) for c in identify_components(index)}
    assert {("live555", "2016.11.28"), ("gsoap", "2.8"), ("tuya-sdk", "4.1.3"),
            ("hisilicon-mpp", "1.0.1.0"), ("ingenic-imp", "3.12.0"), ("goahead", None)} <= got


# ---- real images ---------------------------------------------------------------------------

def _unsquash(image: Path, dest: Path) -> Path:
    tool = shutil.which("unsquashfs")
    assert tool, "unsquashfs (squashfs-tools) is not installed"
    subprocess.run([tool, "-no-xattrs", "-q", "-n", "-d", str(dest), str(image)], check=True,
                   stdout=subprocess.DEVNULL, timeout=300)
    return dest


@pytest.mark.corpus
def test_escam_app_partition_cs2_pppp_and_gsoap(corpus: Path, tmp_path: Path) -> None:
    # GROUND_TRUTH (escam-g02-goke): mtd.bin is the app partition with the ONVIF server; the
    # ESCAM's P2P library libxqun.so EXPORTS the CS2 PPPP API, libXqAPILib.so only calls it
    mtd = _unsquash(corpus / "escam-g02-goke" / "mtd.bin", tmp_path / "mtd")
    comps = identify_components(FileIndex.from_directory(mtd, label="mtd"))
    [p2p] = named(comps, "cs2-p2p")
    assert [e.path for e in p2p.evidence] == ["/libxqun.so"]
    assert (named(comps, "gsoap")[0].version, named(comps, "gsoap")[0].evidence[0].path) == ("2.8", "/onvif")


@pytest.mark.corpus
def test_kernel_from_a_bare_kernel_partition(corpus: Path) -> None:
    # GROUND_TRUTH: kernel.bin is an ARM zImage with an xz payload → Linux version 3.4.43-gk
    empty = FileIndex(Inventory())
    comps = identify_components(empty, extra_blobs=[corpus / "escam-g02-goke" / "kernel.bin"])
    assert [(c.name, c.version) for c in comps] == [("linux-kernel", "3.4.43")]
    assert comps[0].evidence[0].method == "kernel-banner"


@pytest.mark.corpus
def test_escam_rootfs_versions(corpus: Path, tmp_path: Path) -> None:
    root = _unsquash(corpus / "escam-g02-goke" / "rootfs.bin", tmp_path / "rootfs")
    comps = identify_components(FileIndex(build_inventory([_root(root)])))
    got = {(c.name, c.version) for c in comps}
    # GROUND_TRUTH item 6: BusyBox 1.18.1, OpenSSL 1.0.1e, uClibc 0.9.33.2, zlib 1.2.7
    assert {("busybox", "1.18.1"), ("openssl", "1.0.1e"), ("uclibc", "0.9.33.2"), ("zlib", "1.2.7")} <= got
    for name in ("busybox", "openssl", "uclibc", "zlib"):
        assert len(named(comps, name)) == 1, name


def _root(path: Path):  # type: ignore[no-untyped-def]
    from iotbaseline.model import RootFilesystem

    return RootFilesystem(label="rootfs", path=str(path.resolve()))


# (product folder, image, {component: version}) — versions from each GROUND_TRUTH.md item
REAL_IMAGES = [
    ("zyxel-p663h51-rootfs", "squashfs_v2.bin",
     {"busybox": "1.00", "dropbear": "0.46", "openssl": "0.9.7f", "ppp": "2.4.1", "linux-kernel": "2.6.8.1"}),
    ("linksys-wrt54g-v4", "FW_WRT54Gv4_4.21.5.000_20120220.bin",
     {"busybox": "0.60.0", "openssl": "0.9.6d", "dnsmasq": "1.10", "ppp": "2.4.1", "linux-kernel": "2.4.20"}),
    ("netgear-wnr2000v5", "WNR2000v5-V1.0.0.34.img",
     {"busybox": "1.4.2", "dnsmasq": "2.39", "miniupnpd": "1.0", "uclibc": "0.9.30.1", "linux-kernel": "2.6.31"}),
    ("trendnet-tew733gr-rootfs", "firmware.squashfs",
     {"openssl": "0.9.8g", "dnsmasq": "2.45", "hostapd": "0.5.9", "uclibc": "0.9.30.1",
      "busybox": "1.14.1", "ppp": "2.4.2b3"}),
]


@pytest.mark.corpus
@pytest.mark.parametrize(("product", "image", "expected"), REAL_IMAGES, ids=[r[0] for r in REAL_IMAGES])
def test_real_image_versions_one_per_component(corpus: Path, tmp_path: Path, product: str, image: str,
                                               expected: dict[str, str]) -> None:
    from iotbaseline.extract import extract_image

    source = corpus / product / image
    result = extract_image(source, tmp_path / "work")
    index = FileIndex(build_inventory(list(result.roots)), flat_images=list(result.flat_images))
    comps = identify_components(index, extra_blobs=[source])
    for name, version in expected.items():
        assert [c.version for c in named(comps, name)] == [version], (name, [(c.name, c.version) for c in comps])


def test_tutk_iotc_library_by_exports(tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    root = tmp_path / "root"
    (root / "lib").mkdir(parents=True)
    _compile(build, "int IOTC_Initialize2(int p){return p;}\nint IOTC_Listen(int a){return a;}\n"
             "int avServStart(int a){return a;}\n", root / "lib/libIOTCAPIs.so", "-shared", "-fPIC")
    [tutk] = named(identify_components(FileIndex.from_directory(root)), "tutk-iotc")
    assert tutk.version is None and tutk.evidence[0].path == "/lib/libIOTCAPIs.so"
    assert tutk.cpe == "cpe:2.3:a:throughtek:kalay_p2p_software_development_kit:*:*:*:*:*:*:*:*"


@pytest.mark.corpus
def test_u_boot_version_inside_a_compressed_firmware_uimage(corpus: Path) -> None:
    # vectors-fact-extractor GROUND_TRUTH: uboot.image_with_header is a legacy uImage, type
    # Firmware, LZMA, "real U-Boot partition fragment (2014)"; its LZMA payload (decompressed by
    # hand with Python's lzma, FORMAT_ALONE) holds "U-Boot 1.1.4 (Sep 22 2014 - 16:47:01)"
    blob = corpus / "vectors-fact-extractor" / "uboot.image_with_header"
    comps = identify_components(FileIndex(Inventory()), extra_blobs=[blob])
    assert [(c.name, c.version) for c in comps] == [("u-boot", "1.1.4")]
    assert comps[0].evidence[0].path == "uboot.image_with_header#uImage@0x0"


@pytest.mark.corpus
def test_vxworks_image_without_root_file_system(corpus: Path, tmp_path: Path) -> None:
    # linksys-srw2024-vxworks GROUND_TRUTH "Format": part RSCODE at 0xD7970 is "RNTP2.00" + an
    # LZMA-alone stream 32 bytes after the tag → the 9,586,784-byte VxWorks image. Decompressed
    # here with Python's lzma (the reference decoder). GROUND_TRUTH item 1 names GoAhead-Webs.
    # Read by hand in the decompressed image: "AES part of OpenSSL 0.9.8 05 Jul 2005" at
    # 0x6b892c (26 times) and the SSH ident "SSH-2.0-OpenSSH_3.4p1.RL" at 0x801c45 — GROUND_TRUTH
    # item 5 calls these versions unidentifiable; the strings say otherwise. The OS itself:
    # "VxWorks\0" "5.5.1\0" "VxWorks5.5.1\0" at 0x94c8 (GROUND_TRUTH item 1: VxWorks 5.5.1).
    import lzma

    data = (corpus / "linksys-srw2024-vxworks" / "test.ros").read_bytes()
    tag = data.find(b"RNTP2.00", 0xD7970)
    assert tag == 0xD7970
    image = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(data[tag + 32:tag + 32 + 2_592_899])
    assert len(image) == 9_586_784
    blob = tmp_path / "RSCODE.bin"
    blob.write_bytes(image)
    comps = identify_components(FileIndex(Inventory()), extra_blobs=[blob])
    got = {(c.name, c.version): c for c in comps}
    assert set(got) == {("goahead", None), ("openssl", "0.9.8"), ("openssh", "3.4p1"),
                        ("vxworks", "5.5.1")}
    assert got[("vxworks", "5.5.1")].cpe == "cpe:2.3:o:windriver:vxworks:5.5.1:*:*:*:*:*:*:*"
    assert got[("openssl", "0.9.8")].evidence[0].match.endswith("@0x6b892c")
    assert got[("goahead", None)].evidence[0].method == "markers:goahead"


def test_conflict_and_versionless_find_are_one_component(tmp_path: Path) -> None:
    # package 1.19.4 vs binary 1.19.3 (a conflict) and a second file naming no version: one
    # component without version, every evidence kept, unique reference
    index = tree(tmp_path, {
        "/usr/lib/opkg/status": b"Package: goahead\nVersion: 2.5.0-1\nStatus: install user installed\n\n",
        "/usr/sbin/webs": ELF_HEADER + b"\x00Server: GoAhead-Webs/2.1.8\r\n\x00",
        "/usr/sbin/webs2": ELF_HEADER + b"\x00Server: GoAhead-Webs\r\n\x00",
    })
    goahead = named(identify_components(index), "goahead")
    assert [c.version for c in goahead] == [None]
    assert {e.path for e in goahead[0].evidence} == {"/usr/lib/opkg/status", "/usr/sbin/webs", "/usr/sbin/webs2"}


@pytest.mark.corpus
def test_sbom_command_on_a_bare_kernel_partition(corpus: Path, tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from iotbaseline.cli import main

    out = tmp_path / "k.cdx.json"
    result = CliRunner().invoke(main, ["sbom", str(corpus / "escam-g02-goke" / "kernel.bin"), "-o", str(out),
                                       "--no-vulns", "--work-dir", str(tmp_path / "work")])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert [(c["name"], c["version"]) for c in doc["components"]] == [("linux-kernel", "3.4.43")]
