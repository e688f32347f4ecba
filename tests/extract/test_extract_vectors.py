"""Every product and format vector of the shared corpus, extracted and compared entry for
entry with the reference tool where one is installed (unsquashfs, jefferson, ubireader,
fsck.cramfs, 7z, simg2img + debugfs), and with the counts and names of its GROUND_TRUTH.md
where none works (vendor LZMA SquashFS, AVM big-endian, VxWorks containers)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from extract_vector_listing import (
    format_dirs,
    listing,
    only_dir,
    tool_tree,
    unsquashfs_listing,
    whole_file_dir,
)

from iotbaseline.extract import extract_image, load_modes
from iotbaseline.model import ExtractionResult

VECTORS = "vectors-fact-extractor"
# The FACT vectors' three test files (their GROUND_TRUTH.md: testfile1 62 B, testfile2 28 B).
THREE = {"testfile1", "testfile2", "generic folder", "generic folder/test file 3_.txt"}

# Which test covers each corpus file: a file added to the corpus without a test fails
# test_every_corpus_file_is_covered.
COVERED = {
    "openwrt-aa-tl-mr3020-librarybox/openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin":
        "test_extract_corpus.py::test_openwrt_image_full_root",
    "emux-dvar-arm/rootfs-arm.tar.bz2": "test_extract_corpus.py::test_dvar_tarball",
    "dvid-avr/defaultPassword.ino.arduino_standard.hex": "test_extract_corpus.py (objcopy)",
    "dvid-avr/hardcodedPassword.ino.arduino_standard.hex": "test_extract_corpus.py (objcopy)",
    "dvid-avr/simple_bof.ino.hex": "test_extract_corpus.py (objcopy)",
    "escam-g02-goke/rootfs.bin": "test_squashfs_matches_unsquashfs",
    "escam-g02-goke/mtd.bin": "test_squashfs_matches_unsquashfs",
    "escam-g02-goke/conf.bin": "test_jffs2_matches_jefferson",
    "escam-g02-goke/kernel.bin": "test_escam_kernel_and_env",
    "escam-g02-goke/bootenv.bin": "test_escam_kernel_and_env",
    "holystone-hs720-drone/rootfs.bin": "test_jffs2_matches_jefferson",
    "holystone-hs720-drone/u-boot-env.bin": "test_uboot_env_is_not_a_filesystem",
    "zyxel-p663h51-rootfs/squashfs_v2.bin": "test_zyxel_squashfs2_broadcom_lzma",
    "trendnet-tew733gr-rootfs/firmware.squashfs": "test_trendnet_squashfs4_vendor_lzma",
    "linksys-wrt54g-v4/FW_WRT54Gv4_4.21.5.000_20120220.bin": "test_wrt54g_w54g_trx",
    "netgear-wnr2000v5/WNR2000v5-V1.0.0.34.img": "test_netgear_text_header_uimage",
    "linksys-srw2024-vxworks/test.ros": "test_linksys_rntp",
    "tplink-wr702n-vxworks/wr.fw": "test_tplink_img0_mfs",
    "vectors-binwalk/arcadyan.bin": "test_extract_decrypt.py::test_arcadyan",
    "vectors-binwalk/cramfs.bin": "test_cramfs_matches_fsck",
    "vectors-binwalk/romfs.bin": "test_binwalk_romfs",
    "vectors-binwalk/squashfs.bin": "test_squashfs_matches_unsquashfs",
    "vectors-binwalk/yaffs2.bin": "test_yaffs2",
    "vectors-binwalk/matter_ota.bin": "test_fragments_without_filesystem",
    f"{VECTORS}/DLM-First_1MB.DLM": "test_fragments_without_filesystem",
    f"{VECTORS}/dji.img": "test_fragments_without_filesystem",
    f"{VECTORS}/fit.itb": "test_fit",
    f"{VECTORS}/trx.img": "test_trx_zip_payload",
    f"{VECTORS}/uboot.image_with_header": "test_uimage_firmware_fragment",
    f"{VECTORS}/ubi.img": "test_ubi",
    f"{VECTORS}/test.ubifs": "test_ubi",
    f"{VECTORS}/simg.img": "test_android_sparse_ext3",
    f"{VECTORS}/jffs2_be.img": "test_jffs2_matches_jefferson",
    f"{VECTORS}/jffs2_le.img": "test_jffs2_matches_jefferson",
    f"{VECTORS}/yaffs2_be.img": "test_yaffs2",
    f"{VECTORS}/yaffs2_le.img": "test_yaffs2",
    f"{VECTORS}/cramfs.img": "test_cramfs_matches_fsck",
    f"{VECTORS}/testfile.encrpted_img": "test_extract_decrypt.py::test_dlink_encrpted_img",
    f"{VECTORS}/test.dec": "test_extract_decrypt.py::test_dlink_shrs",
    f"{VECTORS}/fw_mh01_test.bin": "test_extract_decrypt.py::test_dlink_mh01",
    **{f"{VECTORS}/{name}": "test_squashfs_matches_unsquashfs" for name in (
        "gzip.sqfs", "lz4.sqfs", "lzma.sqfs", "lzo.sqfs", "xz.sqfs", "zstd.sqfs",
        "zlib_le.sqfs3", "zlib_be.sqfs3", "avm_le.sqfs4")},
    **{f"{VECTORS}/{name}": "test_squashfs_unsquashfs_refuses" for name in (
        "lzma1_le.sqfs3", "lzma1_be.sqfs3", "lzma_le.sqfs2", "lzma_be.sqfs2", "avm_be.sqfs4")},
}


def _extract(image: Path, tmp_path: Path) -> tuple[ExtractionResult, Path]:
    work = tmp_path / "work"
    result = extract_image(image, work)
    (work / "extraction.json").write_text(result.model_dump_json(by_alias=True))
    return result, work


def _no_tracebacks(result: ExtractionResult) -> None:
    for error in result.errors:
        assert "Traceback" not in error.message, error.message


def test_every_corpus_file_is_covered(corpus: Path) -> None:
    present = {str(p.relative_to(corpus)) for p in corpus.glob("*/*")
               if p.is_file() and p.name not in ("GROUND_TRUTH.md",)}
    present = {p for p in present if "/" in p}
    assert present == set(COVERED), present ^ set(COVERED)


# ---- SquashFS -----------------------------------------------------------------------------
@pytest.mark.parametrize("rel", sorted(k for k, v in COVERED.items()
                                       if v == "test_squashfs_matches_unsquashfs"))
def test_squashfs_matches_unsquashfs(corpus: Path, tmp_path: Path, rel: str) -> None:
    image = corpus / rel
    disk, special = unsquashfs_listing(image)
    assert disk, "unsquashfs should read this image (GROUND_TRUTH.md says it does)"
    result, work = _extract(image, tmp_path)
    _no_tracebacks(result)
    trees = format_dirs(work, "squashfs")
    assert trees, [c.kind for c in result.chunks]
    assert listing(trees[0]) == disk
    assert not special or result.roots  # special files only in rootfs images (modes.json)


@pytest.mark.parametrize("rel", sorted(k for k, v in COVERED.items()
                                       if v == "test_squashfs_unsquashfs_refuses"))
def test_squashfs_unsquashfs_refuses(corpus: Path, tmp_path: Path, rel: str) -> None:
    image = corpus / rel
    assert unsquashfs_listing(image) == (set(), set())  # stock squashfs-tools cannot
    reference = tmp_path / "ref"
    subprocess.run(["unsquashfs", "-d", str(reference), str(corpus / VECTORS / "gzip.sqfs")],
                   capture_output=True, check=True)
    result, work = _extract(image, tmp_path)
    _no_tracebacks(result)
    tree = only_dir(work, "squashfs")
    assert listing(tree) == THREE
    for name in ("testfile1", "testfile2", "generic folder/test file 3_.txt"):
        assert (tree / name).read_bytes() == (reference / name).read_bytes(), name
    assert (tree / "testfile1").stat().st_size == 62


def _root(result: ExtractionResult) -> Path:
    assert result.roots, [e.message for e in result.errors]
    return Path(result.roots[0].path)


def test_zyxel_squashfs2_broadcom_lzma(corpus: Path, tmp_path: Path) -> None:
    result, _work = _extract(corpus / "zyxel-p663h51-rootfs" / "squashfs_v2.bin", tmp_path)
    root = _root(result)
    assert result.errors == []
    modes = load_modes(root)
    assert modes is not None
    kinds: dict[str, int] = {}
    for entry in modes.values():
        kinds[entry["type"]] = kinds.get(entry["type"], 0) + 1
    # GROUND_TRUTH.md: 431 entries, 68 symlinks, 70 device nodes, 1 fifo (sasquatch).
    assert sum(kinds.values()) == 431
    assert kinds["symlink"] == 68 and kinds["chr"] + kinds["blk"] == 70 and kinds["fifo"] == 1
    on_disk = listing(root)
    assert len(on_disk) == 431 - 1 - 70 - 1  # the root itself, device nodes and the fifo
    assert (root / "etc" / "rsa_host_key").stat().st_size == 427
    assert (root / "etc" / "inittab").read_text().splitlines()[1] == "::respawn:-/bin/sh"
    # stock unsquashfs fails on bin/UrlFilter: it is a whole big-endian MIPS ELF here
    assert (root / "bin" / "UrlFilter").read_bytes()[:6] == b"\x7fELF\x01\x02"
    note = next(c.note for c in result.chunks if c.kind == "squashfs")
    assert "SquashFS 2.0 big-endian" in note and "lzma" in note  # the decoder used
    assert "70" not in note or "recorded in modes.json" in note


def test_trendnet_squashfs4_vendor_lzma(corpus: Path, tmp_path: Path) -> None:
    result, _work = _extract(corpus / "trendnet-tew733gr-rootfs" / "firmware.squashfs", tmp_path)
    root = _root(result)
    assert result.errors == []
    modes = load_modes(root)
    assert modes is not None and len(modes) == 1811  # GROUND_TRUTH.md: 1811 inodes
    assert "Alphanetworks" in (root / "etc" / "init0.d" / "S80telnetd.sh").read_text()
    assert os.readlink(root / "usr" / "sbin" / "hnap") == "/htdocs/cgibin"
    assert (root / "lib" / "libcrypto.so.0.9.8").exists()
    note = next(c.note for c in result.chunks if c.kind == "squashfs")
    assert "SquashFS 4.0 little-endian" in note and "lzma-5byte-header" in note


def test_wrt54g_w54g_trx(corpus: Path, tmp_path: Path) -> None:
    image = corpus / "linksys-wrt54g-v4" / "FW_WRT54Gv4_4.21.5.000_20120220.bin"
    disk, _special = unsquashfs_listing(image, 0xAB0F4)  # GROUND_TRUTH.md offset
    assert len(disk) == 501  # 502 inodes minus the root
    result, _work = _extract(image, tmp_path)
    assert listing(_root(result)) == disk
    assert result.roots[0].label == "rootfs"


def test_netgear_text_header_uimage(corpus: Path, tmp_path: Path) -> None:
    image = corpus / "netgear-wnr2000v5" / "WNR2000v5-V1.0.0.34.img"
    disk, special = unsquashfs_listing(image, 0xD0080)
    assert len(disk) + len(special) == 1143  # 1144 inodes minus the root
    result, _work = _extract(image, tmp_path)
    assert listing(_root(result)) == disk
    kernel = [c for c in result.chunks if "uimage" in c.kind]
    assert kernel and kernel[0].start == 0x80


# ---- flash file systems -------------------------------------------------------------------
@pytest.mark.parametrize("rel", ["vectors-fact-extractor/jffs2_be.img",
                                 "vectors-fact-extractor/jffs2_le.img",
                                 "escam-g02-goke/conf.bin", "holystone-hs720-drone/rootfs.bin"])
def test_jffs2_matches_jefferson(corpus: Path, tmp_path: Path, rel: str) -> None:
    image = corpus / rel
    reference = tool_tree([str(Path(sys.executable).parent / "jefferson"), "-d",
                           str(tmp_path / "ref"), str(image)], tmp_path / "ref")
    result, work = _extract(image, tmp_path)
    _no_tracebacks(result)
    tree = only_dir(work, "jffs2")
    assert listing(tree) == reference
    expected = {"escam-g02-goke/conf.bin": 50, "holystone-hs720-drone/rootfs.bin": 8}
    if rel in expected:  # live entries per GROUND_TRUTH.md
        assert len(reference) == expected[rel]
    else:
        assert reference == THREE


def test_ubi(corpus: Path, tmp_path: Path) -> None:
    ubifs = corpus / VECTORS / "test.ubifs"
    reference = tool_tree([str(Path(sys.executable).parent / "ubireader_extract_files"),
                           "-o", str(tmp_path / "ref"), str(ubifs)], tmp_path / "ref")
    assert reference == THREE
    for name in ("test.ubifs", "ubi.img"):
        result, work = _extract(corpus / VECTORS / name, tmp_path / name)
        _no_tracebacks(result)
        trees = format_dirs(work, "ubifs")
        assert trees and listing(trees[-1]) == THREE, name
    assert any(c.kind == "ubi" for c in result.chunks)


@pytest.mark.parametrize("name", ["yaffs2_le.img", "yaffs2_be.img"])
def test_yaffs2(corpus: Path, tmp_path: Path, name: str) -> None:
    result, work = _extract(corpus / VECTORS / name, tmp_path)
    tree = whole_file_dir(work, name)
    assert listing(tree) == THREE
    assert (tree / "testfile1").stat().st_size == 62 and (tree / "testfile2").stat().st_size == 28
    assert [c.kind for c in result.chunks] == ["iotb_yaffs2"]


def test_yaffs2_binwalk(corpus: Path, tmp_path: Path) -> None:
    _result, work = _extract(corpus / "vectors-binwalk" / "yaffs2.bin", tmp_path)
    names = listing(whole_file_dir(work, "yaffs2.bin"))
    # GROUND_TRUTH.md: the YAFFS2 tool sources (mkyaffs2image.c, yaffs_guts.h, yaffs_ecc.h, …)
    assert {"mkyaffs2image.c", "yaffs_guts.h", "yaffs_ecc.h"} <= names
    assert all(n.endswith((".c", ".h")) for n in names) and len(names) == 13


@pytest.mark.parametrize("rel", ["vectors-fact-extractor/cramfs.img", "vectors-binwalk/cramfs.bin"])
def test_cramfs_matches_fsck(corpus: Path, tmp_path: Path, rel: str) -> None:
    image = corpus / rel
    reference = tool_tree(["fsck.cramfs", f"--extract={tmp_path / 'ref'}", str(image)],
                          tmp_path / "ref")
    _result, work = _extract(image, tmp_path)
    assert listing(only_dir(work, "cramfs")) == reference


def test_android_sparse_ext3(corpus: Path, tmp_path: Path) -> None:
    image = corpus / VECTORS / "simg.img"
    raw = tmp_path / "raw.ext3"
    subprocess.run(["simg2img", str(image), str(raw)], check=True, capture_output=True)
    listed = subprocess.run(["debugfs", "-R", "ls -p /get_files_test", str(raw)],
                            capture_output=True, text=True, check=True).stdout
    names = {f.split("/")[5] for f in listed.splitlines() if f.count("/") >= 6}
    names -= {".", ".."}
    result, work = _extract(image, tmp_path)
    # the sparse chunk is the whole file; its raw image (whole again) is the ext3
    trees = list(work.rglob("raw.image_extract"))
    assert len(trees) == 1 and any(c.kind == "extfs" for c in result.chunks)
    tree = trees[0]
    got = {n.split("/", 1)[1] for n in listing(tree) if n.startswith("get_files_test/")
           and n.count("/") == 1}
    assert got == names == {"testfile1", "testfile2", "generic folder"}
    assert (tree / "get_files_test" / "generic folder" / "test file 3_.txt").is_file()


def test_binwalk_romfs(corpus: Path, tmp_path: Path) -> None:
    _result, work = _extract(corpus / "vectors-binwalk" / "romfs.bin", tmp_path)
    tree = whole_file_dir(work, "romfs.bin")
    text = (tree / "lsb-release").read_bytes()
    assert len(text) == 104 and b"Ubuntu 22.04.5 LTS" in text  # GROUND_TRUTH.md


# ---- containers ---------------------------------------------------------------------------
def test_tplink_img0_mfs(corpus: Path, tmp_path: Path) -> None:
    result, work = _extract(corpus / "tplink-wr702n-vxworks" / "wr.fw", tmp_path)
    _no_tracebacks(result)
    spans = {(c.start, c.kind) for c in result.chunks}
    # GROUND_TRUTH.md offsets: IMG0 at 0x14 and 0x40094, MFS at 0x12DC74
    assert {(0x14, "iotb_vxworks_img0"), (0x40094, "iotb_vxworks_img0"),
            (0x12DC74, "iotb_wind_river_mfs")} <= spans
    mfs = only_dir(work, "iotb_wind_river_mfs")
    files = listing(mfs)
    assert len(files) == 185  # from the MFS header, not from LZMA carving
    assert any(f.endswith("Rpm.htm") for f in files)
    sizes = sorted(p.stat().st_size for d in format_dirs(work, "iotb_vxworks_img0")
                   for p in d.glob("vxworks-image.bin"))
    assert sizes == [698_624, 3_571_184]  # boot ROM and main image (GROUND_TRUTH.md)
    main = max(format_dirs(work, "iotb_vxworks_img0"),
               key=lambda d: (d / "vxworks-image.bin").stat().st_size)
    assert b"VxWorks" in (main / "vxworks-image.bin").read_bytes()


def test_linksys_rntp(corpus: Path, tmp_path: Path) -> None:
    image = corpus / "linksys-srw2024-vxworks" / "test.ros"
    result, work = _extract(image, tmp_path)
    _no_tracebacks(result)
    tree = whole_file_dir(work, "test.ros")
    sizes = {p.name: p.stat().st_size for p in tree.iterdir() if p.is_file()}
    # GROUND_TRUTH.md: decompressed part sizes; EWS_FILE (7-Zip) and DATETIME_C stored
    assert sizes == {"CLI_FILE.bin": 545_923, "DELSCRF.bin": 1_448_311, "EWS_FILE": 418_367,
                     "UPNP_FILE.bin": 27_900, "DATETIME_C": 161, "RSCODE.bin": 9_586_784}
    seven = subprocess.run(["7z", "l", "-slt", str(tree / "EWS_FILE")], capture_output=True,
                           text=True, check=True).stdout
    blocks = seven.split("\n\n")
    listed = {re.search(r"^Path = (.*)$", b, re.MULTILINE)[1] for b in blocks  # type: ignore[index]
              if re.search(r"^Attributes = [^D\n]*$", b, re.MULTILINE) and "\nSize = " in b}
    assert len(listed) == 309
    assert listed <= listing(tree / "EWS_FILE_extract")


def test_fit(corpus: Path, tmp_path: Path) -> None:
    result, work = _extract(corpus / VECTORS / "fit.itb", tmp_path)
    assert result.limits_hit == []
    tree = whole_file_dir(work, "fit.itb")
    parts = {p.name for p in tree.iterdir() if p.is_file()}
    assert parts == {"kernel.bin", "fdt.bin", "rootfs.bin"}  # dumpimage -l: 3 images
    assert (tree / "fdt.bin").stat().st_size == 155
    assert any(c.kind.startswith("squashfs") for c in result.chunks)  # fact.sqfs in the ramdisk


def test_trx_zip_payload(corpus: Path, tmp_path: Path) -> None:
    result, work = _extract(corpus / VECTORS / "trx.img", tmp_path)
    found = {n for d in format_dirs(work, "zip") for n in listing(d)}
    assert {"get_files_test/" + n for n in THREE} <= found
    assert result.chunks[0].kind.startswith("trx")


def test_uimage_firmware_fragment(corpus: Path, tmp_path: Path) -> None:
    result, _work = _extract(corpus / VECTORS / "uboot.image_with_header", tmp_path)
    _no_tracebacks(result)
    first = result.chunks[0]
    assert first.kind == "iotb_uimage" and first.start == 0 and first.end == 64 + 32_753


def test_escam_kernel_and_env(corpus: Path, tmp_path: Path) -> None:
    result, work = _extract(corpus / "escam-g02-goke" / "kernel.bin", tmp_path / "k")
    assert any(c.kind == "xz" and c.start == 0x3A94 for c in result.chunks)
    payloads = [p for d in format_dirs(work, "xz") for p in d.rglob("*") if p.is_file()]
    assert any(b"Linux version 3.4.43-gk" in p.read_bytes() for p in payloads)
    result, _work = _extract(corpus / "escam-g02-goke" / "bootenv.bin", tmp_path / "e")
    _no_tracebacks(result)
    assert not any(e.stage == "decrypt" for e in result.errors)  # mostly padding, not ciphertext


def test_uboot_env_is_not_a_filesystem(corpus: Path, tmp_path: Path) -> None:
    result, _work = _extract(corpus / "holystone-hs720-drone" / "u-boot-env.bin", tmp_path)
    _no_tracebacks(result)
    assert result.roots == [] and not any(e.stage == "decrypt" for e in result.errors)


@pytest.mark.parametrize("rel", ["vectors-binwalk/matter_ota.bin",
                                 "vectors-fact-extractor/DLM-First_1MB.DLM",
                                 "vectors-fact-extractor/dji.img"])
def test_fragments_without_filesystem(corpus: Path, tmp_path: Path, rel: str) -> None:
    result, _work = _extract(corpus / rel, tmp_path)
    _no_tracebacks(result)
    assert json.loads(result.model_dump_json())["input"].endswith(Path(rel).name)
    size = (corpus / rel).stat().st_size
    covered = sum(c.end - c.start for c in result.chunks if c.depth == 0
                  and c.parent == Path(rel).name)
    assert covered == size  # every byte accounted for, nothing silently dropped
    if rel.endswith("dji.img"):  # DJI modules are AES-encrypted: said so, with the header
        assert result.errors[0].message.startswith("encrypted (entropy ")
        assert "78 56 34 12" in result.errors[0].message
