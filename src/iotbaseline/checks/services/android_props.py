"""Android system properties and fstab: debug builds, ADB, SELinux, verified boot."""

from __future__ import annotations

import re
from dataclasses import dataclass

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.analysis.boot import listing
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import provisions, text_lines
from iotbaseline.model import Evidence, Severity

PROP_FILES = ("/system/build.prop", "/build.prop", "/default.prop", "/prop.default",
              "/vendor/build.prop", "/vendor/default.prop", "/system/etc/prop.default",
              "/odm/etc/build.prop", "/product/build.prop", "/system/default.prop",
              "/system_ext/build.prop", "/product/etc/build.prop")
FSTAB_FILES = ("/fstab.*", "/vendor/etc/fstab.*", "/system/etc/fstab.*", "/system/vendor/etc/fstab.*",
               "/etc/recovery.fstab", "/first_stage_ramdisk/fstab.*")
CMDLINE_FILES = ("/proc/cmdline", "/*cmdline*", "/boot/*cmdline*", "/system/etc/*cmdline*")
NOT_ANDROID = "no Android property files (build.prop, default.prop) in this image"


@dataclass(frozen=True)
class Prop:
    key: str
    value: str
    path: str
    root: str
    line: int


def android_props(ctx: CheckContext) -> list[Prop]:
    def compute(c: CheckContext) -> list[Prop]:
        props: list[Prop] = []
        for entry in listing(c).glob(*PROP_FILES):
            for number, line in enumerate(text_lines(c.index, entry), start=1):
                if "=" not in line or line.lstrip().startswith("#"):
                    continue
                key, _, value = line.partition("=")
                props.append(Prop(key.strip(), value.strip(), entry.path, entry.root, number))
        return props

    return ctx.fact("android.props", compute)  # type: ignore[no-any-return]


def _hit(prop: Prop, why: str, severity: Severity | None = None) -> Hit:
    return Hit(message=f"{prop.path}:{prop.line} sets {prop.key}={prop.value}: {why}.",
               path=prop.path, root=prop.root, line=prop.line,
               excerpt=f"{prop.key}={prop.value}", severity=severity)


def _examined(props: list[Prop]) -> list[Evidence]:
    files = sorted({p.path for p in props})
    return [Evidence(kind="file", ref=f, detail="Android properties read") for f in files]


@check(CheckSpec(
    id="IOTB-ANDROID-001",
    title="Android debug or engineering build",
    severity=Severity.HIGH,
    rationale="A debuggable (userdebug/eng) build lets adb run as root and any app be "
              "debugged; ro.secure=0 gives a root shell by default. Such builds are for "
              "development, not for shipping.",
    remedy="Ship a 'user' build with ro.debuggable=0 and ro.secure=1.",
    provisions=provisions(etsi=("5.6-4", "5.6-1"), xiaomi=("1.1.1", "3.1.5"),
                          tencent=("5.1.5-2",), isvs=("V2.2.4", "V3.4.8", "V1.2.3")),
    applies_to="rootfs",
    cwe=(489,),
))
def find_android_debug_build(ctx: CheckContext) -> CheckReport:
    props = android_props(ctx)
    if not props:
        return CheckReport(not_applicable=NOT_ANDROID)
    report = CheckReport(examined=_examined(props))
    for p in props:
        if p.key == "ro.debuggable" and p.value == "1":
            report.hits.append(_hit(p, "the build is debuggable"))
        elif p.key == "ro.secure" and p.value == "0":
            report.hits.append(_hit(p, "adbd and the shell run as root", Severity.CRITICAL))
        elif p.key == "ro.build.type" and p.value in ("userdebug", "eng"):
            report.hits.append(_hit(p, f"a {p.value} build is a development build"))
    report.summary = (f"{len(report.hits)} debug-build propert(y/ies)" if report.hits
                      else "release ('user') build properties")
    return report


@check(CheckSpec(
    id="IOTB-ANDROID-002",
    title="ADB enabled by default or without authentication",
    severity=Severity.HIGH,
    rationale="ADB enabled out of the box, or with authentication switched off "
              "(ro.adb.secure=0), gives a shell to anyone with a USB cable or, over TCP, "
              "anyone on the network.",
    remedy="Leave ADB off by default (no adb in persist.sys.usb.config), keep ro.adb.secure=1 "
           "and never set a TCP port for adbd in production.",
    provisions=provisions(etsi=("5.6-4", "5.6-1", "5.6-5"), xiaomi=("1.1.1", "2.2"),
                          tencent=("5.1.6-3",), isvs=("V2.2.4", "V3.2.2")),
    cwe=(306,),
))
def find_android_adb(ctx: CheckContext) -> CheckReport:
    props = android_props(ctx)
    if not props:
        return CheckReport(not_applicable=NOT_ANDROID)
    report = CheckReport(examined=_examined(props))
    for p in props:
        if p.key == "ro.adb.secure" and p.value == "0":
            report.hits.append(_hit(p, "ADB accepts hosts without the RSA key prompt",
                                    Severity.CRITICAL))
        elif p.key in ("persist.sys.usb.config", "sys.usb.config", "persist.vendor.usb.config") \
                and "adb" in p.value.split(","):
            report.hits.append(_hit(p, "ADB is on by default"))
        elif p.key in ("service.adb.tcp.port", "persist.adb.tcp.port") and p.value not in ("", "-1", "0"):
            report.hits.append(_hit(p, "adbd listens on TCP", Severity.CRITICAL))
    report.summary = (f"{len(report.hits)} ADB setting(s)" if report.hits
                      else "ADB off by default with authentication")
    return report


_SELINUX_CONFIG = re.compile(r"^\s*SELINUX\s*=\s*(permissive|disabled)\b", re.IGNORECASE)
_CMDLINE_PERMISSIVE = re.compile(r"(androidboot\.selinux=permissive|\bselinux=0\b|"
                                 r"\benforcing=0\b)")


@check(CheckSpec(
    id="IOTB-ANDROID-003",
    title="SELinux permissive or disabled",
    severity=Severity.HIGH,
    rationale="With SELinux permissive every policy violation is only logged; the sandboxing "
              "that confines compromised services is gone.",
    remedy="Ship SELinux enforcing (androidboot.selinux unset or enforcing, SELINUX=enforcing).",
    provisions=provisions(etsi=("5.6-7",), tencent=("5.1.5-2",), isvs=("V3.3.5",)),
    cwe=(284,),
))
def find_selinux_permissive(ctx: CheckContext) -> CheckReport:
    props = android_props(ctx)
    configs = listing(ctx).glob("/etc/selinux/config")
    cmdlines = [e for e in listing(ctx).glob(*CMDLINE_FILES) if e.kind in ("text", "config")]
    if not props and not configs and not cmdlines:
        return CheckReport(not_applicable="no SELinux configuration or Android properties")
    report = CheckReport(examined=_examined(props) + [
        Evidence(kind="file", ref=e.path, detail="SELinux mode") for e in configs])
    for p in props:
        if p.key in ("ro.boot.selinux", "androidboot.selinux") and p.value in ("permissive",
                                                                                 "disabled"):
            report.hits.append(_hit(p, "SELinux does not enforce its policy"))
        elif p.key == "ro.build.selinux" and p.value == "0":
            report.hits.append(_hit(p, "SELinux is off in this build"))
    for entry in configs + cmdlines:
        pattern = _SELINUX_CONFIG if entry in configs else _CMDLINE_PERMISSIVE
        for number, line in enumerate(text_lines(ctx.index, entry), start=1):
            m = pattern.search(line)
            if m and not line.lstrip().startswith("#"):
                report.hits.append(Hit(message=f"{entry.path}:{number} sets SELinux "
                                               f"{m.group(0).strip()}.",
                                       path=entry.path, root=entry.root, line=number,
                                       excerpt=line.strip()[:200]))
    report.summary = (f"{len(report.hits)} SELinux setting(s) not enforcing" if report.hits
                      else "no permissive or disabled SELinux setting")
    return report


_FSTAB_VERIFY = re.compile(r"\b(verify|avb)\b")


@check(CheckSpec(
    id="IOTB-ANDROID-004",
    title="Android verified boot or dm-verity disabled",
    severity=Severity.HIGH,
    rationale="Without dm-verity/AVB a modified system partition boots silently, so malware "
              "survives reboots and tampering goes unnoticed.",
    remedy="Enable AVB/dm-verity for system and vendor (verify/avb flags in fstab, "
           "veritymode enforcing) and lock the bootloader.",
    provisions=provisions(etsi=("5.7-1",), xiaomi=("1.4",), tencent=("5.1.5-1",),
                          isvs=("V3.1.5",)),
    cwe=(354,),
))
def find_android_verity_off(ctx: CheckContext) -> CheckReport:
    props = android_props(ctx)
    fstabs = listing(ctx).glob(*FSTAB_FILES)
    if not props and not fstabs:
        return CheckReport(not_applicable=NOT_ANDROID)
    report = CheckReport(examined=_examined(props) + [
        Evidence(kind="file", ref=e.path, detail="fstab verity flags") for e in fstabs])
    for p in props:
        if p.key == "ro.boot.veritymode" and p.value in ("disabled", "logging", "eio"):
            report.hits.append(_hit(p, "dm-verity does not stop a modified partition"))
        elif p.key == "ro.boot.verifiedbootstate" and p.value in ("orange",) or p.key in ("ro.boot.flash.locked",) and p.value == "0":
            report.hits.append(_hit(p, "the bootloader is unlocked"))
    for entry in fstabs:
        for number, line in enumerate(text_lines(ctx.index, entry), start=1):
            fields = line.split()
            if len(fields) < 5 or line.lstrip().startswith("#"):
                continue
            mount = fields[1]
            if mount in ("/system", "/vendor", "/", "/product") and not _FSTAB_VERIFY.search(
                    fields[4]):
                report.hits.append(Hit(
                    message=f"{entry.path}:{number} mounts {mount} without verify/avb.",
                    path=entry.path, root=entry.root, line=number, excerpt=line.strip()[:200]))
    report.summary = (f"{len(report.hits)} verified-boot gap(s)" if report.hits
                      else "verity flags present; no verity-off property")
    return report


CHECKS = (find_android_debug_build, find_android_adb, find_selinux_permissive,
          find_android_verity_off)
