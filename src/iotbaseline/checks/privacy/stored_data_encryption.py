"""Logs and stored data on cameras: written encrypted (white paper 3.2 and 4.3), or in plain
text to an SD card anyone can pull; storage encryption configured (dm-crypt, fscrypt, eCryptfs).
Absence is a low-confidence "not found" (INCONCLUSIVE), never FAIL."""

from __future__ import annotations

import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import provisions, text_lines
from iotbaseline.checks.updates.camera_practices import camera_soc
from iotbaseline.model import Evidence, FileEntry, Severity

_REMOVABLE = r"/(?:mnt/(?:sd\w*|mmc\w*|usb\w*|udisk\w*)|sdcard|media/\w+)"
# a log going to removable media as plain text: syslogd -O, redirection or tee into a *.log/txt
_PLAIN_LOG = re.compile(rf"(syslogd\b[^\n]*-O\s*{_REMOVABLE}\S*|(>>?|\btee\s+(-a\s+)?)\s*"
                        rf"{_REMOVABLE}\S*(log|\.txt)\S*)", re.IGNORECASE)
_LOG_CIPHER = re.compile(r"(openssl\s+enc\b[^\n]*(log)|log\w*[^\n]*\|\s*openssl\s+enc|"
                         r"encrypt\w*_?log|log\w*_?encrypt)", re.IGNORECASE)
_STORAGE_ENCRYPTION = re.compile(r"(\bcryptsetup\b|\bdm[-_]crypt\b|\bfscrypt(ctl)?\b|"
                                 r"\be4crypt\b|\becryptfs\b|\bfileencryption=|"
                                 r"\bencryptable=|\bforceencrypt=)")
_SCRIPT_KINDS = ("script", "text", "config")


def _scripts(ctx: CheckContext) -> list[FileEntry]:
    return [e for e in ctx.index.iter() if e.kind in _SCRIPT_KINDS and e.size < (1 << 20)
            and not e.path.startswith(("/usr/share/doc", "/usr/include", "/usr/lib/python"))]


@check(CheckSpec(
    id="IOTB-PRIV-006",
    title="Logs written in plain text to removable storage",
    severity=Severity.MEDIUM,
    rationale="Camera logs hold account names, addresses and device secrets; on an SD card they "
              "leave the device with the card unless they are encrypted.",
    remedy="Encrypt logs before they reach removable storage (key held by the maker's service), "
           "or keep them in device memory.",
    provisions=provisions(xiaomi=("1.2.1",), tencent=("5.1.6-4",), etsi=("5.8-1",)),
    cwe=(312, 532),
))
def find_plain_logs_on_sd(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    for entry in _scripts(ctx):
        for number, line in enumerate(text_lines(ctx.index, entry), start=1):
            if line.lstrip().startswith("#"):
                continue
            if _LOG_CIPHER.search(line):
                report.examined.append(Evidence(kind="file", ref=entry.path, line=number,
                                                sha256=entry.sha256, excerpt=line.strip()[:200],
                                                detail="log written through a cipher"))
            elif match := _PLAIN_LOG.search(line):
                report.hits.append(Hit(
                    message=f"{entry.path}:{number} writes a log to removable storage in plain "
                            f"text ({match.group(0)[:120]})",
                    path=entry.path, line=number, excerpt=line.strip()[:200]))
    if not report.hits and not report.examined:
        report.not_applicable = "no script writes logs to removable storage"
    return report


@check(CheckSpec(
    id="IOTB-PRIV-007",
    title="No storage encryption configured (dm-crypt, fscrypt, eCryptfs)",
    severity=Severity.LOW,
    rationale="Recordings, logs and user settings on flash or SD card can be read by whoever "
              "holds the device or the card unless the storage is encrypted.",
    remedy="Encrypt data partitions or directories (dm-crypt, fscrypt, eCryptfs) with a "
           "per-device key kept in the SoC's secure storage.",
    provisions=provisions(xiaomi=("1.2.1",), tencent=("5.1.6-4",)),
    cwe=(311,),
))
def find_no_storage_encryption(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    for entry in ctx.index.iter():
        name = entry.path.rsplit("/", 1)[-1]
        if name in ("cryptsetup", "fscrypt", "fscryptctl", "mount.ecryptfs", "ecryptfsd",
                    "dm-crypt.ko", "ecryptfs.ko"):
            report.examined.append(Evidence(kind="file", ref=entry.path, sha256=entry.sha256,
                                            detail="storage-encryption tool or module"))
    for entry in _scripts(ctx):
        for number, line in enumerate(text_lines(ctx.index, entry), start=1):
            if not line.lstrip().startswith("#") and _STORAGE_ENCRYPTION.search(line):
                report.examined.append(Evidence(kind="file", ref=entry.path, line=number,
                                                sha256=entry.sha256, excerpt=line.strip()[:200],
                                                detail="storage encryption configured"))
                break
    if not report.examined:
        soc = camera_soc(ctx)
        if soc is None:  # the white paper's practice: asked of camera images only
            report.not_applicable = ("no storage encryption visible, and no camera SoC named in "
                                     "the image to ask it of")
            return report
        report.hits.append(Hit(
            message="No dm-crypt, fscrypt or eCryptfs tool, module or configuration is in the "
                    "image. Ask the maker how stored recordings and user data are protected.",
            confidence="low", properties={"absence": True}))
    return report


CHECKS = (find_plain_logs_on_sd, find_no_storage_encryption)
