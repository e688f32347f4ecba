"""The software update path: where it is, whether it checks a signature or only a checksum,
how it downloads, whether it refuses downgrades, and whether a failed update can recover."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.analysis.boot import listing
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import provisions, text_lines
from iotbaseline.analysis.vendor_programs import vendor_facts
from iotbaseline.model import Evidence, FileEntry, Severity

_NAME = re.compile(r"(sysupgrade|fw_?update|fwupgrade|firmware[_-]?(upgrade|update)|"
                   r"(^|[_.-])ota([_.-]|$)|^ota|upgrade|swupdate|rauc|mender|update_engine|"
                   r"update-engine|fwup$|flash_?update|autoupdate|flash_?upg|(^|[_.-])upg([_.-]|$))",
                   re.IGNORECASE)
_SEARCH_DIRS = ("/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/lib/", "/lib/upgrade/",
                "/www/", "/usr/www/", "/etc/init.d/", "/usr/share/", "/opt/", "/system/bin/",
                "/usr/local/", "/home/", "/app", "/etc/",
                # app partitions the image mounts from its own flash (/mnt/mtd/ipc on cameras):
                # a file shipped there is the device's, not removable media's
                "/mnt/", "/userfs/", "/customer/")
_WEB_DIRS = ("/www/", "/usr/www/", "/var/www/", "/usr/lib/lua/luci/", "/usr/share/www/",
             "/webroot/", "/web/")
_WEB_UPDATE = re.compile(r"(sysupgrade|mtd\s+(?:-\S+\s+)*write|firmware.{0,20}upload|"
                         r"upload.{0,30}firmware|fwupdate|flash_?image)", re.IGNORECASE)
_SIGNATURE = re.compile(r"\b(usign|signify|gpgv?\s+--verify|gpgv\b|openssl\s+(?:dgst|smime|cms|"
                        r"pkeyutl)\b[^\n]*-verify|-signature\b|ucert\b|verify_signature|"
                        r"rsa_verify|RSA_verify|EVP_DigestVerify\w*|EVP_VerifyFinal|ECDSA_verify|"
                        r"mbedtls_pk_verify|ed25519_verify|PKCS7_verify|wc_SignatureVerify|"
                        r"fwtool\s+-s|verify_image_signature|swupdate\s+.*-k)")
_SIGNATURE_IMPORTS = frozenset({"RSA_verify", "EVP_DigestVerifyFinal", "EVP_VerifyFinal",
                                "ECDSA_verify", "mbedtls_pk_verify", "PKCS7_verify",
                                "EVP_PKEY_verify", "wc_SignatureVerify", "ed25519_verify",
                                "gpgme_op_verify", "RSA_public_decrypt"})
_CHECKSUM = re.compile(r"\b(md5sum|sha1sum|sha256sum|cksum|crc32|md5|MD5_Final|"
                       r"platform_check_image|check_image|magic)\b")
_DOWNLOAD = re.compile(r"\b(wget|curl|uclient-fetch|tftp|ftpget|fetch)\b")
_PLAIN_URL = re.compile(r"\b(http|ftp|tftp)://[A-Za-z0-9\[][^\s\"'<>|)*]*", re.IGNORECASE)
_ROLLBACK = re.compile(r"(downgrade|anti[_-]?rollback|rollback_index|rollback[_-]?version|"
                       r"min(imum)?_?version|security_version|version_compare|compare_version|"
                       r"is_newer|newer_than|fw_version\s*-lt|-lt\s+\"?\$\{?\w*version)", re.IGNORECASE)
_AB = re.compile(r"\b(bootcount|upgrade_available|altbootcmd|bootlimit|active_slot|slot_suffix|"
                 r"boot_slot|rootfs_b|rootfs2|kernel2|firmware2|dual_?boot|bootpart|"
                 r"boot_partition|ab_update|recovery)\b")
PUBLIC_KEY_PATHS = ("/etc/opkg/keys/*", "/etc/keys/*", "/etc/*.pub", "/usr/share/keys/*",
                    "/etc/ssl/*update*", "/etc/swupdate/*.pem", "/etc/rauc/*.pem",
                    "/etc/fwupd/*", "/etc/ota/*.pem", "/usr/share/ucert/*")


@dataclass
class UpdatePath:
    """What the image shows of its update path."""

    files: list[FileEntry] = field(default_factory=list)  # update programs and scripts
    web: list[FileEntry] = field(default_factory=list)  # web handlers that take a firmware
    signature: list[Evidence] = field(default_factory=list)
    checksum: list[Evidence] = field(default_factory=list)
    downloads: list[Evidence] = field(default_factory=list)
    plain_urls: list[tuple[FileEntry, int, str]] = field(default_factory=list)
    rollback: list[Evidence] = field(default_factory=list)
    ab: list[Evidence] = field(default_factory=list)
    keys: list[FileEntry] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.files or self.web)

    def evidence(self) -> list[Evidence]:
        return [Evidence(kind="file", ref=e.path, sha256=e.sha256,
                         detail="web firmware upload handler" if e in self.web
                         else "update program or script") for e in (self.files + self.web)[:20]]


def _is_candidate(entry: FileEntry) -> bool:
    if entry.kind not in ("elf", "script", "text", "config") or not entry.path.startswith(
            _SEARCH_DIRS):
        return False
    if entry.path.startswith("/etc/") and not entry.path.startswith("/etc/init.d/"):
        return False
    return bool(_NAME.search(posixpath.basename(entry.path)))


_CLIENT_SIDE = (".js", ".html", ".htm", ".css", ".json", ".txt", ".svg", ".xml", ".po")


def _server_side(path: str) -> bool:
    """Code the web server runs (CGI, Lua, PHP, ASP, shell), not pages sent to the browser."""
    return "/cgi-bin/" in path or not path.lower().endswith(_CLIENT_SIDE)


def update_path(ctx: CheckContext) -> UpdatePath:
    return ctx.fact("update.path", _find_update_path)  # type: ignore[no-any-return]


def _find_update_path(ctx: CheckContext) -> UpdatePath:
    index = ctx.index
    found = UpdatePath()
    for entry in index.iter():
        if _is_candidate(entry):
            found.files.append(entry)
        elif entry.path.startswith(_WEB_DIRS) and entry.kind in ("script", "text", "config") \
                and entry.size < 512 * 1024 and _server_side(entry.path):
            text = index.read_text(entry, limit=512 * 1024) or ""
            if _WEB_UPDATE.search(text):
                found.web.append(entry)
    # libraries the update scripts pull in (OpenWrt: /lib/upgrade/*.sh)
    extra = [e for e in index.glob("/lib/upgrade/*.sh", "/lib/upgrade/*/*.sh")
             if e not in found.files]
    for entry in found.files + extra + found.web:
        _read_evidence(ctx, entry, found)
    found.keys = [e for e in index.glob(*PUBLIC_KEY_PATHS) if e.kind not in ("directory",)]
    for entry in index.glob("/etc/fw_env.config", "/etc/rauc/system.conf", "/etc/mender/*",
                            "/etc/swupdate.cfg", "/etc/recovery.fstab", "/etc/fstab",
                            "/system/build.prop", "/etc/config/system"):
        for number, line in enumerate(text_lines(index, entry), start=1):
            m = _AB.search(line)
            if m and not line.lstrip().startswith("#"):
                found.ab.append(Evidence(kind="file", ref=entry.path, line=number,
                                         detail=f"{m.group(1)}", excerpt=line.strip()[:200]))
        if entry.path == "/etc/fw_env.config":
            found.ab.append(Evidence(kind="file", ref=entry.path,
                                     detail="U-Boot environment reachable from Linux"))
    return found


def _read_evidence(ctx: CheckContext, entry: FileEntry, found: UpdatePath) -> None:
    if entry.elf is not None:
        used = sorted(_SIGNATURE_IMPORTS & set(entry.elf.imports))
        if used:
            found.signature.append(Evidence(kind="file", ref=entry.path,
                                            detail=f"imports {', '.join(used)}"))
        return
    for number, line in enumerate(text_lines(ctx.index, entry, limit=512 * 1024), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//", "--")):
            continue
        for pattern, bucket in ((_SIGNATURE, found.signature), (_CHECKSUM, found.checksum),
                                (_DOWNLOAD, found.downloads), (_ROLLBACK, found.rollback),
                                (_AB, found.ab)):
            m = pattern.search(stripped)
            if m and len(bucket) < 50:
                bucket.append(Evidence(kind="file", ref=entry.path, line=number,
                                       detail=m.group(0)[:60], excerpt=stripped[:200]))
        url = _PLAIN_URL.search(stripped)
        if url and _DOWNLOAD.search(stripped):
            found.plain_urls.append((entry, number, url.group(0)))


NO_UPDATE = "no update mechanism found in the image (see IOTB-UPD-001)"


@check(CheckSpec(
    id="IOTB-UPD-001",
    title="No software update mechanism",
    severity=Severity.HIGH,
    rationale="A device that cannot be updated keeps every vulnerability found after it ships.",
    remedy="Provide a secure update mechanism for all software components (firmware image and "
           "packages), reachable by the user and, where possible, automatic.",
    provisions=provisions(etsi=("5.3-1", "5.3-2"), tencent=("5.1.5-3",), isvs=("V3.4.1",)),
    cwe=(1277,),
))
def find_update_mechanism(ctx: CheckContext) -> CheckReport:
    found = update_path(ctx)
    report = CheckReport()
    report.inferred["update_mechanism"] = found.found
    report.inferred["updates_via_network"] = bool(found.web or found.downloads)
    if found.found:
        first = (found.files + found.web)[0]
        report.inferred["update_mechanism_evidence"] = first.path
        if found.web or found.downloads:
            report.inferred["updates_via_network_evidence"] = (
                found.web[0].path if found.web else found.downloads[0].ref)
        report.examined.extend(found.evidence())
        report.summary = ("update path: " + ", ".join(e.path for e in (found.files + found.web)[:6])
                          + (" …" if len(found.files) + len(found.web) > 6 else ""))
        return report
    vendor = vendor_facts(ctx).upgrade
    if vendor:  # an upgrade handler inside the web server or management daemon (issue 10)
        report.inferred["update_mechanism"] = True
        report.inferred["update_mechanism_evidence"] = vendor[0].ref
        report.examined.extend(vendor)
        report.summary = "upgrade handler in vendor programs: " + ", ".join(e.ref for e in vendor[:4])
        return report
    report.hits.append(Hit(message="No update program, script or web upload handler was found "
                                   "(sysupgrade, fwupdate, OTA agents, upgrade CGI).",
                           confidence="low",  # absence (docs/verdicts.md)
                           properties={"absence": True, "question": (
                               "How is the device's software updated (web upload, app, "
                               "automatic download), and which program does it?")}))
    report.summary = "no update mechanism found"
    return report


@check(CheckSpec(
    id="IOTB-UPD-002",
    title="Firmware update not verified by a signature",
    severity=Severity.HIGH,
    rationale="An update checked only by a checksum or a header magic can be replaced by anyone "
              "who can deliver a file: a checksum proves integrity against accidents, not "
              "authenticity.",
    remedy="Sign update images and verify the signature with a public key in the image (or in "
           "hardware) before writing anything to flash.",
    provisions=provisions(etsi=("5.3-2", "5.3-7", "5.3-9", "5.3-10"), xiaomi=("2.1.1", "2.1.4"),
                          tencent=("5.1.5-6",), isvs=("V3.4.3", "V3.4.8")),
    cwe=(347, 494),
))
def find_unsigned_update(ctx: CheckContext) -> CheckReport:
    found = update_path(ctx)
    if not found.found:
        return CheckReport(not_applicable=NO_UPDATE)
    report = CheckReport()
    if found.signature:
        report.examined.extend(found.signature[:10])
        report.examined.extend(Evidence(kind="file", ref=k.path, detail="shipped public key")
                               for k in found.keys[:5])
        report.summary = "update path verifies a signature: " + ", ".join(
            f"{e.ref}:{e.line} ({e.detail})" if e.line else f"{e.ref} ({e.detail})"
            for e in found.signature[:3])
        return report
    main = next((e for e in found.files if posixpath.basename(e.path) == "sysupgrade"),
                (found.files + found.web)[0])
    checks = sorted({e.detail for e in found.checksum})[:6]
    message = (f"The update path ({', '.join(e.path for e in (found.files + found.web)[:4])}) "
               f"verifies no signature")
    message += (f"; it only checks {', '.join(checks)} (integrity against corruption, not "
                f"authenticity)." if checks else "; no integrity check was found either.")
    first_check = found.checksum[0] if found.checksum else None
    report.hits.append(Hit(message=message, path=first_check.ref if first_check else main.path,
                           line=first_check.line if first_check else None,
                           excerpt=first_check.excerpt if first_check else None,
                           evidence=tuple(found.checksum[:5])))
    report.summary = "update path without signature verification"
    return report


@check(CheckSpec(
    id="IOTB-UPD-003",
    title="Updates downloaded over plain HTTP/FTP",
    severity=Severity.MEDIUM,
    rationale="An update fetched without TLS can be read and, unless signed, replaced on the "
              "way; even signed updates leak what the device runs.",
    remedy="Fetch updates and package feeds over HTTPS with certificate verification, and sign "
           "them.",
    provisions=provisions(etsi=("5.3-7", "5.3-10", "5.5-1"), xiaomi=("4.1.2",),
                          tencent=("5.1.5-6",), isvs=("V3.4.12",)),
    cwe=(319, 494),
))
def find_plain_update_download(ctx: CheckContext) -> CheckReport:
    found = update_path(ctx)
    report = CheckReport()
    for entry, number, url in found.plain_urls:
        report.hits.append(Hit(message=f"{entry.path}:{number} downloads update data from "
                                       f"{url} without TLS.",
                               path=entry.path, root=entry.root, line=number, excerpt=url))
    feeds = listing(ctx).glob("/etc/opkg.conf", "/etc/opkg/*.conf", "/etc/apt/sources.list",
                           "/etc/apt/sources.list.d/*")
    for entry in feeds:
        for number, line in enumerate(text_lines(ctx.index, entry), start=1):
            if line.lstrip().startswith("#"):
                continue
            feed = _PLAIN_URL.search(line)
            if feed and feed.group(1).lower() in ("http", "ftp"):
                report.hits.append(Hit(message=f"Package feed {feed.group(0)} in {entry.path} "
                                               f"is fetched over plain {feed.group(1).upper()}.",
                                       path=entry.path, root=entry.root, line=number,
                                       excerpt=line.strip()[:200], severity=Severity.LOW
                                       if _opkg_signed(ctx) else Severity.MEDIUM))
    if not report.hits and not found.found and not feeds:
        return CheckReport(not_applicable=NO_UPDATE)
    report.summary = (f"{len(report.hits)} plain-text update source(s)" if report.hits
                      else "no plain HTTP/FTP update source found")
    return report


@check(CheckSpec(
    id="IOTB-UPD-004",
    title="No protection against firmware downgrade",
    severity=Severity.MEDIUM,
    rationale="If the device accepts any older image, an attacker can install a signed but "
              "vulnerable release and exploit its known flaws.",
    remedy="Compare the new image's version (or a security version counter) with the running "
           "one and refuse older images; store the counter where it cannot be rolled back.",
    provisions=provisions(xiaomi=("2.1.2",), isvs=("V3.4.6",)),
    cwe=(1328,),
))
def find_no_anti_rollback(ctx: CheckContext) -> CheckReport:
    found = update_path(ctx)
    if not found.found:
        return CheckReport(not_applicable=NO_UPDATE)
    report = CheckReport()
    if found.rollback:
        report.examined.extend(found.rollback[:5])
        report.summary = "version check in the update path: " + ", ".join(
            f"{e.ref}:{e.line}" for e in found.rollback[:3])
        return report
    report.hits.append(Hit(message="The update path (" + ", ".join(
        e.path for e in (found.files + found.web)[:4]) + ") compares no version before "
        "flashing, so older images are accepted.", confidence="low",  # absence
        properties={"absence": True, "question": (
            "Does the device refuse firmware older than the running one (anti-rollback), and "
            "where is that checked?")}))
    report.summary = "no downgrade protection found"
    return report


@check(CheckSpec(
    id="IOTB-UPD-005",
    title="No A/B slots or recovery for failed updates",
    severity=Severity.LOW,
    rationale="With a single copy of the firmware, an update interrupted by power loss can "
              "leave the device unbootable; dual slots or a recovery image let it fall back.",
    remedy="Keep two firmware slots (or a recovery image) and switch only after the new one "
           "booted (U-Boot bootcount/altbootcmd, RAUC, SWUpdate, Android A/B).",
    provisions=provisions(xiaomi=("2.1.3",), isvs=("V3.4.7",)),
    cwe=(1277,),
))
def find_no_fallback(ctx: CheckContext) -> CheckReport:
    found = update_path(ctx)
    if not found.found and not found.ab:
        return CheckReport(not_applicable=NO_UPDATE)
    report = CheckReport()
    if found.ab:
        report.examined.extend(found.ab[:8])
        report.summary = "fallback evidence: " + ", ".join(
            f"{e.ref} ({e.detail})" for e in found.ab[:3])
        return report
    report.hits.append(Hit(message="No dual firmware slots, boot counter or recovery partition "
                                   "is visible (no fw_env.config, bootcount/upgrade_available, "
                                   "RAUC/SWUpdate/Mender or A/B properties).",
                           confidence="low",  # absence (docs/verdicts.md)
                           properties={"absence": True, "question": (
                               "How does the device recover from an interrupted update (second "
                               "slot, recovery image, boot counter)?")}))
    report.summary = "no update fallback visible"
    return report


def _opkg_signed(ctx: CheckContext) -> bool:
    for entry in listing(ctx).glob("/etc/opkg.conf", "/etc/opkg/*.conf"):
        for line in text_lines(ctx.index, entry):
            if re.match(r"^\s*option\s+check_signature\s+(1|true|yes|on)?\s*$", line):
                return True
    return False


@check(CheckSpec(
    id="IOTB-UPD-006",
    title="Package manager installs unsigned packages",
    severity=Severity.MEDIUM,
    rationale="Packages are software updates too; without signature checks a feed or a "
              "man-in-the-middle can install arbitrary code as root.",
    remedy="Enable package signature verification (opkg check_signature with usign keys, apt "
           "without trusted=yes, gpgcheck=1) and ship the feed keys.",
    provisions=provisions(etsi=("5.3-2", "5.3-9"), xiaomi=("2.1.5",), isvs=("V3.4.3",)),
    cwe=(347,),
))
def find_unsigned_packages(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    opkg = listing(ctx).glob("/etc/opkg.conf", "/etc/opkg/*.conf")
    apt = listing(ctx).glob("/etc/apt/sources.list", "/etc/apt/sources.list.d/*",
                         "/etc/apt/apt.conf.d/*")
    yum = listing(ctx).glob("/etc/yum.repos.d/*", "/etc/dnf/dnf.conf", "/etc/yum.conf")
    if not (opkg or apt or yum):
        return CheckReport(not_applicable="no package manager configuration in the image")
    if opkg:
        feeds = [(e, n, ln) for e in opkg for n, ln in enumerate(text_lines(ctx.index, e), 1)
                 if re.match(r"^\s*src(/gz)?\s", ln)]
        if feeds and not _opkg_signed(ctx):
            entry, number, line = feeds[0]
            report.hits.append(Hit(message=f"opkg has {len(feeds)} feed(s) but no "
                                           f"'option check_signature': packages are installed "
                                           f"without a signature check.",
                                   path=entry.path, root=entry.root, line=number,
                                   excerpt=line.strip()[:200]))
        elif feeds:
            keys = listing(ctx).glob("/etc/opkg/keys/*")
            report.examined.append(Evidence(kind="file", ref="/etc/opkg.conf",
                                            detail=f"check_signature on; {len(keys)} key(s)"))
    for entry in apt + yum:
        for number, line in enumerate(text_lines(ctx.index, entry), start=1):
            if re.search(r"trusted=yes|AllowUnauthenticated\s+\"?true|^\s*gpgcheck\s*=\s*0",
                         line, re.IGNORECASE):
                report.hits.append(Hit(message=f"{entry.path}:{number} turns off package "
                                               f"signature checks.",
                                       path=entry.path, root=entry.root, line=number,
                                       excerpt=line.strip()[:200]))
    report.summary = (f"{len(report.hits)} unsigned package source(s)" if report.hits
                      else "package signatures are checked")
    return report


CHECKS = (find_update_mechanism, find_unsigned_update, find_plain_update_download,
          find_no_anti_rollback, find_no_fallback, find_unsigned_packages)
