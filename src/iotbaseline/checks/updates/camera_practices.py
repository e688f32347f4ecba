"""The camera maker's update and boot practices (white paper: signed or encrypted-plus-digest
OTA over verified HTTPS, SD-card recovery flashing with a signature check, secure boot from the
boot ROM) that the generic update checks (update_path.py, secure_boot.py) do not cover.

Absence is never FAIL here: what cannot be seen in a vendor image is a low-confidence "not
found" (INCONCLUSIVE, with the question for the maker); only what a script shows is a finding.
"""

from __future__ import annotations

import posixpath
import re

from iotbaseline.analysis.boot import listing
from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import provisions, text_lines
from iotbaseline.checks.updates.update_path import _SIGNATURE, update_path
from iotbaseline.model import Evidence, FileEntry, Severity

_INSECURE_TLS = re.compile(r"(\bcurl\b[^\n]*\s(-k|--insecure)\b|\bwget\b[^\n]*--no-check-certificate"
                           r"|CURLOPT_SSL_VERIFYPEER\W+0|ssl_verify\s*=\s*(0|false|no))")
_HTTPS_FETCH = re.compile(r"\b(curl|wget|uclient-fetch)\b[^\n]*https://")
_FLASH_WRITE = re.compile(r"\b(flashcp|flash_erase|nandwrite|mtd\s+(?:-\S+\s+)*write|"
                          r"dd\b[^\n]*\bof=/dev/mtd)")
_FLASH_SOURCES = (re.compile(r"\bflashcp\s+(?:-\S+\s+)*(\S+)\s+/dev/mtd"),
                  re.compile(r"\bmtd\s+(?:-\S+\s+)*write\s+(\S+)"),
                  re.compile(r"\bnandwrite\s+(?:-\S+\s+)*/dev/mtd\S*\s+(\S+)"),
                  re.compile(r"\bdd\b[^\n]*\bif=(\S+)[^\n]*\bof=/dev/mtd"),
                  re.compile(r"\bdd\b[^\n]*\bof=/dev/mtd\S*[^\n]*\bif=(\S+)"))
_FLASHER_NAME = re.compile(r"(upg|upgrade|update|flash|recover|ota|burn)", re.IGNORECASE)
_REMOVABLE = re.compile(r"(/mnt/(?:sd\w*|mmc\w*|usb\w*|udisk\w*)|/sdcard\b|/media/\w+|/tmp/sd\b)")
_DECRYPT = re.compile(r"(openssl\s+(?:enc|aes-\d+-\w+)[^\n]*\s-d\b|\bdecrypt\w*|aes_?decrypt)",
                      re.IGNORECASE)
_DIGEST = re.compile(r"\b(sha256sum|sha512sum|sha256|sha512|openssl\s+dgst)\b", re.IGNORECASE)
_SCRIPT_KINDS = ("script", "text")


def _scripts(ctx: CheckContext) -> list[FileEntry]:
    return [e for e in ctx.index.iter() if e.kind in _SCRIPT_KINDS and e.size < (1 << 20)
            and not e.path.startswith(("/usr/share/doc", "/usr/include", "/usr/lib/python"))]


@check(CheckSpec(
    id="IOTB-UPD-007",
    title="Update download over HTTPS without certificate verification",
    severity=Severity.HIGH,
    rationale="HTTPS that accepts any certificate protects nothing against an attacker on the "
              "path: they can serve their own image or read the download.",
    remedy="Verify the server certificate against a pinned or bundled CA when fetching updates "
           "(drop curl -k / wget --no-check-certificate).",
    provisions=provisions(etsi=("5.3-7", "5.5-1"), xiaomi=("4.2.3",), tencent=("5.1.6-3",)),
    cwe=(295,),
))
def find_update_tls_unverified(ctx: CheckContext) -> CheckReport:
    found = update_path(ctx)
    if not found.found:
        return CheckReport(not_applicable="no update program or script in the image")
    report = CheckReport()
    https = False
    for entry in found.files + found.web:
        if entry.kind not in _SCRIPT_KINDS:
            continue
        for number, line in enumerate(text_lines(ctx.index, entry), start=1):
            if line.lstrip().startswith("#"):
                continue
            if _INSECURE_TLS.search(line):
                report.hits.append(Hit(
                    message=f"{entry.path}:{number} fetches with certificate checks turned off",
                    path=entry.path, line=number, excerpt=line.strip()[:200]))
            elif _HTTPS_FETCH.search(line):
                https = True
                report.examined.append(Evidence(kind="file", ref=entry.path, line=number,
                                                sha256=entry.sha256, excerpt=line.strip()[:200],
                                                detail="HTTPS download with default verification"))
    if not report.hits and not https:
        report.not_applicable = "no HTTPS download visible in the update scripts"
    return report


def _flash_source(line: str) -> str | None:
    """The file a flash-writing command writes from ("-" for a pipe), or None."""
    for pattern in _FLASH_SOURCES:
        if match := pattern.search(line):
            return match.group(1)
    return None


@check(CheckSpec(
    id="IOTB-UPD-008",
    title="Flash written from a file without a signature check (OTA or SD-card/USB recovery)",
    severity=Severity.HIGH,
    rationale="A script that erases and writes flash partitions from a file it did not verify "
              "installs whatever image is offered, from the network or from an inserted card.",
    remedy="Verify a signature over the image (with a key in read-only storage) before "
           "writing any partition, for OTA and for SD-card/USB recovery alike.",
    provisions=provisions(etsi=("5.3-2", "5.3-9"), xiaomi=("2.1.1",), tencent=("5.1.5-6",),
                          isvs=("V3.4.2",)),
    cwe=(494, 347),
))
def find_unverified_flash_writes(ctx: CheckContext) -> CheckReport:
    """A script that writes an image file to flash is a finding when the image comes from
    removable media (SD-card/USB recovery) or the script is a flashing script taking its image
    as a parameter; helpers fed from a pipe or writing calibration data are not."""
    report = CheckReport()
    # a flashing helper (OpenWrt's platform.sh) is often called by the program that verified
    # the image: a signature anywhere in the update path covers the helpers it calls
    verified = update_path(ctx).signature
    for entry in _scripts(ctx):
        lines = text_lines(ctx.index, entry)
        writes = [(n, line, source) for n, line in enumerate(lines, start=1)
                  if not line.lstrip().startswith("#") and _FLASH_WRITE.search(line)
                  and (source := _flash_source(line)) not in (None, "-")]
        if not writes:
            continue
        text = "\n".join(lines)
        removable = _REMOVABLE.search(text)
        flasher = _FLASHER_NAME.search(posixpath.basename(entry.path))
        if not removable and not (flasher and any("$" in w[2] for w in writes)):
            continue
        if _SIGNATURE.search(text) or verified:
            detail = ("writes flash after a signature check" if _SIGNATURE.search(text) else
                      f"flash helper; the update path verifies a signature ({verified[0].ref})")
            report.examined.append(Evidence(kind="file", ref=entry.path, sha256=entry.sha256,
                                            detail=detail))
            continue
        number, line, _ = writes[0]
        source = (f" from removable media ({removable.group(1)})" if removable else "")
        report.hits.append(Hit(
            message=f"{entry.path}:{number} writes flash{source} "
                    f"({', '.join(w[1].strip() for w in writes[:3])[:160]}) and the script "
                    "verifies no signature",
            path=entry.path, line=number, excerpt=line.strip()[:200],
            properties={"removable_media": bool(removable)}))
    if not report.hits and not report.examined:
        report.not_applicable = ("no script writes an image file to flash from removable media "
                                 "or as a flashing script")
    return report


@check(CheckSpec(
    id="IOTB-UPD-009",
    title="Firmware not delivered encrypted with a digest",
    severity=Severity.LOW,
    rationale="An encrypted image with a digest checked after decryption keeps the firmware "
              "confidential in transit and rejects altered images; a checksum alone does neither.",
    remedy="Encrypt update images (e.g. AES) and check a SHA-256 digest or, better, a signature "
           "after decrypting.",
    provisions=provisions(tencent=("5.1.5-5",), xiaomi=("2.1.1",)),
    cwe=(311,),
))
def find_unencrypted_firmware(ctx: CheckContext) -> CheckReport:
    found = update_path(ctx)
    if not found.found:
        return CheckReport(not_applicable="no update program or script in the image")
    report = CheckReport()
    for entry in found.files + found.web:
        if entry.kind not in _SCRIPT_KINDS:
            continue
        text = "\n".join(text_lines(ctx.index, entry))
        decrypt, digest = _DECRYPT.search(text), _DIGEST.search(text)
        if decrypt:
            report.examined.append(Evidence(
                kind="file", ref=entry.path, sha256=entry.sha256, excerpt=decrypt.group(0)[:120],
                detail="decrypts the image" + (" and checks a digest" if digest else "")))
    if report.examined:
        return report
    if camera_soc(ctx) is None:  # the white paper's practice: asked of camera images only
        report.not_applicable = ("no decryption of update images visible, and no camera SoC "
                                 "named in the image to ask it of")
        return report
    checksum = ", ".join(e.ref for e in found.checksum[:3])
    report.hits.append(Hit(
        message="No decryption of the update image is visible in "
                f"{', '.join(e.path for e in (found.files + found.web)[:4])}"
                + (f"; only checksums ({checksum})" if checksum else "")
                + ". Ask the maker whether images are encrypted and how their digest is checked.",
        confidence="low", properties={"absence": True}))
    return report


# camera SoC families: file names that show them (kernel modules, SDK libraries, banners)
SOC_FAMILIES: dict[str, re.Pattern[str]] = {
    "HiSilicon": re.compile(r"(hi35\d\d|hi37\d\d|hi_osal|libmpi\.so|hisi)", re.IGNORECASE),
    "Ingenic": re.compile(r"(libimp\.so|tx-isp|ingenic|\bjz\d{4}|sinfo\.ko|"
                          r"\bt(?:10|20|21|23|30|31|40|41)[nlxza]?\b)", re.IGNORECASE),
    "Goke": re.compile(r"(gk7\d{3}\w*|goke|gkio\.ko|-gk\b)", re.IGNORECASE),
    "Fullhan": re.compile(r"(fh8\d{3}\w*|fullhan|libfh\w*\.so)", re.IGNORECASE),
    "Anyka": re.compile(r"(ak3[79]\d{2}\w*|anyka|ak_\w+\.ko)", re.IGNORECASE),
    "SigmaStar": re.compile(r"(sigmastar|sstar|ssc3\d\d\w*|ssd2\d\d\w*|mi_sys\.ko)",
                            re.IGNORECASE),
}
_SECURE_BOOT_TOOLS = re.compile(r"(secure_?boot|sboot|otp_?(burn|write|tool)|hi_otp|efuse|"
                                r"rsa_pub\w*|boot_?key\w*)", re.IGNORECASE)


def camera_soc(ctx: CheckContext) -> tuple[str, str] | None:
    """(family, the path that shows it) for the first camera SoC family the image names."""
    for entry in ctx.index.iter():
        name = posixpath.basename(entry.path)
        for family, pattern in SOC_FAMILIES.items():
            if pattern.search(name):
                return family, entry.path
    return None


@check(CheckSpec(
    id="IOTB-BOOT-006",
    title="Camera SoC secure boot (boot ROM → bootloader → kernel → root fs) not evidenced",
    severity=Severity.MEDIUM,
    rationale="Camera SoCs (HiSilicon, Ingenic, Goke, Fullhan, Anyka, SigmaStar) can verify the "
              "bootloader from the boot ROM with a key hash in OTP; without it every later check "
              "can be bypassed by flashing a modified bootloader.",
    remedy="Enable the SoC's boot-ROM verification (OTP key hash), and have the bootloader "
           "verify the kernel and root file system (signed FIT, dm-verity).",
    provisions=provisions(etsi=("5.7-1",), xiaomi=("1.4",), tencent=("5.1.4-3",)),
    cwe=(1326,),
))
def find_camera_soc_secure_boot(ctx: CheckContext) -> CheckReport:
    soc = camera_soc(ctx)
    if soc is None:
        return CheckReport(not_applicable="no camera SoC family (HiSilicon, Ingenic, Goke, "
                                          "Fullhan, Anyka, SigmaStar) named in the image")
    family, shown_by = soc
    report = CheckReport(inferred={"camera_soc": family})
    tools = [e for e in ctx.index.iter() if _SECURE_BOOT_TOOLS.search(posixpath.basename(e.path))]
    for entry in listing(ctx).glob("/etc/fw_env.config"):
        tools.append(entry)
    if tools and any(_SECURE_BOOT_TOOLS.search(posixpath.basename(t.path)) for t in tools):
        report.examined.extend(Evidence(kind="file", ref=t.path, sha256=t.sha256,
                                        detail=f"secure-boot tooling on a {family} SoC")
                               for t in tools[:5])
        return report
    report.hits.append(Hit(
        message=f"{family} camera SoC (shown by {shown_by}); no secure-boot key, OTP tool or "
                "verified-boot tooling is visible. Ask the maker whether the boot ROM verifies "
                "the bootloader (OTP key hash) and how the chain continues to the root fs.",
        path=shown_by, confidence="low", properties={"absence": True, "soc": family}))
    return report


CHECKS = (find_update_tls_unverified, find_unverified_flash_writes, find_unencrypted_firmware,
          find_camera_soc_secure_boot)
