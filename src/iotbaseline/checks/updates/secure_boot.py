"""Secure boot and integrity: signed FIT images, U-Boot verified boot, AVB/dm-verity, the
U-Boot environment, and signed kernel modules.

FIT images and U-Boot's control DTB are flattened device trees, read with the ``fdt`` package.
A root-filesystem-only image usually carries no bootloader or kernel: those checks then say
they cannot see the artefact instead of passing.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

import fdt  # type: ignore[import-untyped]

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.analysis.boot import listing
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import provisions, text_lines
from iotbaseline.model import Evidence, FileEntry, Severity

FDT_MAGIC = b"\xd0\x0d\xfe\xed"
UIMAGE_MAGIC = b"\x27\x05\x19\x56"
AVB_MAGIC = b"AVB0"
MODULE_SIG = b"~Module signature appended~\n"
MAX_BLOB = 64 * 1024 * 1024
NO_BOOT = ("INCONCLUSIVE: the image holds no kernel/FIT image or bootloader to inspect "
           "(a root-filesystem-only image); the boot chain must be declared or probed")


@dataclass(frozen=True)
class Blob:
    name: str  # in-image path, or the flat image file name
    root: str | None
    data: bytes
    entry: FileEntry | None


def _head(ctx: CheckContext, entry: FileEntry, size: int = 64) -> bytes:
    disk = ctx.index.disk_path(entry)
    if disk is None:
        return b""
    try:
        with disk.open("rb") as fh:
            return fh.read(size)
    except OSError:
        return b""


def _tail(ctx: CheckContext, entry: FileEntry, size: int) -> bytes:
    disk = ctx.index.disk_path(entry)
    if disk is None or entry.size < size:
        return b""
    try:
        with disk.open("rb") as fh:
            fh.seek(entry.size - size)
            return fh.read(size)
    except OSError:
        return b""


def boot_blobs(ctx: CheckContext) -> list[Blob]:
    """Files that start with an FDT, uImage or AVB header, plus flat images (read once)."""
    def compute(c: CheckContext) -> list[Blob]:
        blobs: list[Blob] = []
        for entry in c.index.iter():
            if entry.kind not in ("data", "kernel_image", "elf", "text") or entry.size < 40 \
                    or entry.size > MAX_BLOB:
                continue
            head = _head(c, entry, 4)
            if head in (FDT_MAGIC, UIMAGE_MAGIC, AVB_MAGIC) or _looks_like_uboot(entry):
                data = c.index.read_bytes(entry, limit=MAX_BLOB) or b""
                blobs.append(Blob(entry.path, entry.root, data, entry))
        for flat in c.index.flat_images:
            try:
                data = Path(flat).read_bytes()[:MAX_BLOB]
            except OSError:
                continue
            blobs.append(Blob(Path(flat).name, None, data, None))
        return blobs

    return ctx.fact("boot.blobs", compute)  # type: ignore[no-any-return]


def _looks_like_uboot(entry: FileEntry) -> bool:
    name = entry.path.rsplit("/", 1)[-1].lower()
    return name.startswith(("u-boot", "uboot", "bootloader")) or name in ("boot.bin", "spl.bin")


def parse_fit(data: bytes) -> fdt.FDT | None:
    if not data.startswith(FDT_MAGIC):
        return None
    try:
        return fdt.parse_dtb(data)
    except Exception:  # noqa: BLE001 - fdt raises many kinds on a hostile tree: not a FIT
        return None


def fit_signatures(tree: fdt.FDT) -> tuple[bool, list[str], list[str]]:
    """(is FIT, signature descriptions, hash algorithms) of a device tree."""
    if not (tree.exist_node("/images") and tree.exist_node("/configurations")):
        return False, [], []
    signatures: list[str] = []
    hashes: list[str] = []
    for path, nodes, props in tree.walk():
        name = path.rstrip("/").rsplit("/", 1)[-1]
        names = {p.name: p for p in props}
        if name.startswith("signature") and "value" in names:
            algo = names.get("algo")
            signatures.append(f"{path} ({algo.value if algo is not None else 'algo?'})")
        elif name.startswith("hash") and "algo" in names:
            hashes.append(str(names["algo"].value))
    return True, signatures, hashes


@check(CheckSpec(
    id="IOTB-BOOT-001",
    title="Kernel image not signed (unsigned FIT or legacy uImage)",
    severity=Severity.MEDIUM,
    rationale="A boot image protected only by a CRC or hash can be replaced by anyone able to "
              "write flash; a signed FIT lets the bootloader refuse a modified kernel.",
    remedy="Package kernel, device tree and ramdisk in a FIT image with signed configurations "
           "and enforce the key in the bootloader.",
    provisions=provisions(etsi=("5.7-1",), xiaomi=("1.4",), tencent=("5.1.5-1",),
                          isvs=("V3.1.5",)),
    applies_to="any",
    cwe=(347,),
))
def find_unsigned_kernel_image(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    seen = 0
    for blob in boot_blobs(ctx):
        if blob.data.startswith(UIMAGE_MAGIC) and len(blob.data) >= 64:
            seen += 1
            name = blob.data[32:64].split(b"\0", 1)[0].decode("latin-1", "replace")
            report.hits.append(Hit(
                message=f"{blob.name} is a legacy uImage ('{name}'): its header carries only "
                        f"CRC32 checksums, no signature.",
                path=blob.entry.path if blob.entry else None, root=blob.root, offset=0,
                excerpt=name[:64]))
            continue
        tree = parse_fit(blob.data)
        if tree is None:
            continue
        is_fit, signatures, hashes = fit_signatures(tree)
        if not is_fit:
            continue
        seen += 1
        if signatures:
            report.examined.append(Evidence(kind="file", ref=blob.name,
                                            detail="signed FIT: " + "; ".join(signatures[:3])))
        else:
            report.hits.append(Hit(
                message=f"{blob.name} is a FIT image without signature nodes"
                        + (f" (hashes only: {', '.join(sorted(set(hashes)))})." if hashes
                           else " or hashes."),
                path=blob.entry.path if blob.entry else None, root=blob.root, offset=0))
    if seen == 0:
        return CheckReport(not_applicable=NO_BOOT)
    report.summary = (f"{len(report.hits)} unsigned boot image(s) of {seen}" if report.hits
                      else f"{seen} signed boot image(s)")
    return report


_UBOOT_BANNER = re.compile(rb"U-Boot (?:SPL )?20\d\d\.\d\d")
_FIT_SIGNATURE_STRINGS = (b"required-mode", b"Verifying Hash Integrity", b"sha256,rsa",
                          b"rsa2048", b"rsa4096", b"ecdsa256")


def _uboot_dtb_keys(data: bytes) -> list[str]:
    """Required keys in an FDT appended to or embedded in U-Boot (its control DTB)."""
    keys: list[str] = []
    for m in re.finditer(re.escape(FDT_MAGIC), data):
        tree = parse_fit(data[m.start():m.start() + 1024 * 1024])
        if tree is None or not tree.exist_node("/signature"):
            continue
        for path, nodes, props in tree.walk():
            if "/signature/" in path + "/" and path.rstrip("/") != "/signature":
                names = {p.name: p for p in props}
                required = names.get("required")
                keys.append(f"{path} required={required.value if required else 'no'}")
    return keys


@check(CheckSpec(
    id="IOTB-BOOT-002",
    title="Bootloader does not enforce verified boot",
    severity=Severity.MEDIUM,
    rationale="Signed images help only if the bootloader refuses unsigned ones: U-Boot needs "
              "FIT signature support and a required public key in its control device tree.",
    remedy="Build U-Boot with CONFIG_FIT_SIGNATURE, embed the public key with required = "
           "\"conf\", disable legacy image booting and lock the environment.",
    provisions=provisions(etsi=("5.7-1",), xiaomi=("1.4", "3.1.1"), tencent=("5.1.5-1",),
                          isvs=("V3.1.4", "V3.1.5", "V3.1.2")),
    applies_to="any",
    cwe=(1326,),
))
def find_uboot_without_verified_boot(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    seen = 0
    for blob in boot_blobs(ctx):
        banner = _UBOOT_BANNER.search(blob.data)
        if banner is None:
            continue
        seen += 1
        version = banner.group(0).decode()
        keys = _uboot_dtb_keys(blob.data)
        required = [k for k in keys if "required=" in k and not k.endswith("required=no")]
        legacy = b"Legacy Image" in blob.data
        sig_support = any(s in blob.data for s in _FIT_SIGNATURE_STRINGS)
        if required and not legacy:
            report.examined.append(Evidence(kind="file", ref=blob.name,
                                            detail=f"{version}: required keys {required[:2]}"))
            continue
        problems = []
        if not sig_support:
            problems.append("shows no FIT signature support")
        if not required:
            problems.append("has no required public key in its device tree")
        if legacy:
            problems.append("can still boot legacy (unsigned) uImages")
        report.hits.append(Hit(message=f"{blob.name} ({version}) " + "; ".join(problems) + ".",
                               path=blob.entry.path if blob.entry else None, root=blob.root,
                               offset=banner.start(), excerpt=version))
    if seen == 0:
        return CheckReport(not_applicable=NO_BOOT)
    report.summary = (f"{len(report.hits)} bootloader(s) without enforced verification"
                      if report.hits else f"{seen} bootloader(s) enforce verified boot")
    return report


def parse_vbmeta(data: bytes) -> dict[str, int] | None:
    """Fields of an AVB vbmeta header (big-endian, libavb's AvbVBMetaImageHeader)."""
    if len(data) < 256 or not data.startswith(AVB_MAGIC):
        return None
    algorithm = struct.unpack_from(">I", data, 28)[0]
    rollback, flags = struct.unpack_from(">QI", data, 112)
    return {"algorithm": algorithm, "rollback_index": rollback, "flags": flags}


_VERITY_TEXT = re.compile(r"\b(dm-verity|verity|veritysetup|dm-mod\.create|roothash|ima_policy|"
                          r"ima_appraise|dm-integrity)\b")


@check(CheckSpec(
    id="IOTB-BOOT-003",
    title="Root file system integrity not verified (AVB/dm-verity)",
    severity=Severity.MEDIUM,
    rationale="Verifying the kernel is not enough if the root file system can be changed "
              "unnoticed; dm-verity or AVB hash trees extend the chain of trust to every block.",
    remedy="Protect read-only partitions with dm-verity/AVB (signed vbmeta, verification "
           "enabled) or an IMA appraisal policy.",
    provisions=provisions(etsi=("5.7-1", "5.7-2"), xiaomi=("1.4",), tencent=("5.1.5-1",),
                          isvs=("V3.2.10", "V3.1.5")),
    applies_to="any",
    cwe=(354,),
))
def find_rootfs_integrity(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    evidence: list[Evidence] = []
    for blob in boot_blobs(ctx):
        header = parse_vbmeta(blob.data)
        if header is None:
            continue
        path = blob.entry.path if blob.entry else None
        if header["algorithm"] == 0:
            report.hits.append(Hit(message=f"{blob.name} is a vbmeta image without a signature "
                                           f"(algorithm NONE).", path=path, root=blob.root,
                                   offset=28))
        elif header["flags"] & 3:
            report.hits.append(Hit(message=f"{blob.name}: vbmeta flags {header['flags']} turn "
                                           f"hashtree/verification off.", path=path,
                                   root=blob.root, offset=120))
        else:
            evidence.append(Evidence(kind="file", ref=blob.name,
                                     detail=f"signed vbmeta (algorithm {header['algorithm']}, "
                                            f"rollback index {header['rollback_index']})"))
    for entry in listing(ctx).glob("/etc/veritytab", "/etc/ima/*", "/etc/fstab", "/fstab.*",
                                "/etc/crypttab", "/usr/sbin/veritysetup", "/sbin/veritysetup"):
        if entry.kind == "elf":
            evidence.append(Evidence(kind="file", ref=entry.path, detail="veritysetup shipped"))
            continue
        for number, line in enumerate(text_lines(ctx.index, entry), start=1):
            m = _VERITY_TEXT.search(line)
            if m and not line.lstrip().startswith("#"):
                evidence.append(Evidence(kind="file", ref=entry.path, line=number,
                                         detail=m.group(1), excerpt=line.strip()[:200]))
    report.examined.extend(evidence)
    if not report.hits and not evidence:
        return CheckReport(not_applicable="INCONCLUSIVE: no vbmeta, dm-verity or IMA "
                                          "configuration is visible; it would be set on the "
                                          "kernel command line or in boot partitions that this "
                                          "image does not contain")
    report.summary = (f"{len(report.hits)} integrity gap(s)" if report.hits else
                      "integrity protection: " + ", ".join(f"{e.ref} ({e.detail})"
                                                           for e in evidence[:3]))
    return report


_ENV_VAR = re.compile(rb"(?:^|\x00)(bootdelay|bootcmd|bootstopkey|bootstopkeysha256|"
                      rb"bootargs)=([\x20-\x7e]{0,300})")
_NET_BOOT = re.compile(r"\b(tftpboot|tftp|nfs|dhcp|bootp|usb start|fatload usb|ext4load usb|"
                       r"loadb|loady|loadx)\b")
ENV_FILES = ("/etc/fw_env.config", "/boot/uEnv.txt", "/uEnv.txt", "/boot/boot.cmd",
             "/boot.cmd", "/etc/u-boot-env*", "/boot/uboot.env", "/uboot.env")


@check(CheckSpec(
    id="IOTB-BOOT-004",
    title="U-Boot can be interrupted or boots from untrusted sources",
    severity=Severity.MEDIUM,
    rationale="A boot delay without a stop key lets anyone on the serial port reach the U-Boot "
              "shell and change bootargs (init=/bin/sh); loading images over TFTP/NFS/USB boots "
              "whatever the network or a stick provides.",
    remedy="Set bootdelay to 0 (or -2) or require a bootstopkey, and boot only from internal "
           "storage through verified images.",
    provisions=provisions(xiaomi=("3.1.1",), tencent=("5.1.2-2",), etsi=("5.6-4", "5.7-1"),
                          isvs=("V3.1.1", "V3.1.2", "V3.1.3")),
    applies_to="any",
    cwe=(1191,),
))
def find_uboot_env_risks(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    found_env = False
    sources: list[tuple[str, str | None, bytes, FileEntry | None]] = []
    for entry in listing(ctx).glob(*ENV_FILES):
        if entry.kind != "directory":
            sources.append((entry.path, entry.root, ctx.index.read_bytes(entry, limit=1 << 20)
                            or b"", entry))
    for blob in boot_blobs(ctx):
        if b"bootcmd=" in blob.data:
            sources.append((blob.name, blob.root, blob.data, blob.entry))
    for name, root, data, source in sources:
        values: dict[str, tuple[str, int]] = {}
        normalised = data.replace(b"\n", b"\x00")
        for m in _ENV_VAR.finditer(normalised):
            values.setdefault(m.group(1).decode(), (m.group(2).decode("latin-1"), m.start(1)))
        if not values:
            continue
        found_env = True
        path = source.path if source else None
        delay = values.get("bootdelay")
        stop_key = "bootstopkey" in values or "bootstopkeysha256" in values
        if delay and delay[0].strip() not in ("0", "-2") and not stop_key:
            report.hits.append(Hit(message=f"{name} sets bootdelay={delay[0].strip()} with no "
                                           f"stop key: the boot can be interrupted from the "
                                           f"serial console.",
                                   path=path, root=root, offset=delay[1],
                                   excerpt=f"bootdelay={delay[0].strip()}"))
        cmd = values.get("bootcmd")
        if cmd and _NET_BOOT.search(cmd[0]):
            report.hits.append(Hit(message=f"{name}: bootcmd loads its image with "
                                           f"'{_NET_BOOT.search(cmd[0]).group(0)}' "  # type: ignore[union-attr]
                                           f"(network or removable media).",
                                   path=path, root=root, offset=cmd[1],
                                   excerpt=f"bootcmd={cmd[0][:150]}"))
        if not report.hits:
            report.examined.append(Evidence(kind="file", ref=name,
                                            detail="U-Boot environment without boot delay or "
                                                   "network boot"))
    if not found_env:
        return CheckReport(not_applicable="no U-Boot environment in the image")
    report.summary = (f"{len(report.hits)} U-Boot environment risk(s)" if report.hits
                      else "U-Boot environment: no delay, no network boot")
    return report


@check(CheckSpec(
    id="IOTB-BOOT-005",
    title="Kernel modules not signed",
    severity=Severity.LOW,
    rationale="Unsigned kernel modules can be swapped or added by anyone who can write the file "
              "system, giving kernel-level persistence; module signing lets the kernel refuse "
              "them.",
    remedy="Enable CONFIG_MODULE_SIG_FORCE and sign every module at build time.",
    provisions=provisions(etsi=("5.7-1",), tencent=("5.1.5-2",), isvs=("V3.6.1",)),
    cwe=(347,),
))
def find_unsigned_modules(ctx: CheckContext) -> CheckReport:
    modules = [e for e in ctx.index.iter() if e.kind == "kernel_module"
               or (e.elf is not None and e.elf.is_kernel_module)]
    if not modules:
        return CheckReport(not_applicable="no kernel modules in the image")
    unsigned = [m for m in modules if _tail(ctx, m, len(MODULE_SIG)) != MODULE_SIG]
    report = CheckReport()
    if unsigned:
        shown = ", ".join(m.path for m in unsigned[:10])
        more = f" and {len(unsigned) - 10} more" if len(unsigned) > 10 else ""
        report.hits.append(Hit(message=f"{len(unsigned)} of {len(modules)} kernel modules carry "
                                       f"no signature: {shown}{more}.",
                               path=unsigned[0].path, root=unsigned[0].root,
                               properties={"paths": [m.path for m in unsigned]}))
    else:
        report.examined.append(Evidence(kind="note", ref="kernel modules",
                                        detail=f"all {len(modules)} modules signed"))
    report.summary = (f"{len(unsigned)} unsigned module(s) of {len(modules)}" if unsigned
                      else f"all {len(modules)} modules signed")
    return report


CHECKS = (find_unsigned_kernel_image, find_uboot_without_verified_boot, find_rootfs_integrity,
          find_uboot_env_risks, find_unsigned_modules)
