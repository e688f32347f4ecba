"""File-system permissions: set-id programs, world-writable paths, writable start-up files, and
programs run at boot from removable storage."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from pathlib import Path

from iotbaseline.analysis.mounts import (
    READ_ONLY_TYPES,
    MountStatement,
    filesystem_of,
    find_mount_statements,
    overlay_mounts,
    under,
)
from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.analysis.boot import EXTERNAL_PREFIXES, SHELLS, boot_model, started_services
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import describe, provisions
from iotbaseline.model import Evidence, FileEntry, Severity

MAX_LISTED = 20  # findings per check before the rest are grouped into one

# set-id programs that distributions ship on purpose (still listed, at low severity)
EXPECTED_SETID = frozenset({"passwd", "su", "sudo", "ping", "ping6", "mount", "umount", "newgrp",
                            "chsh", "chfn", "gpasswd", "pkexec", "fusermount", "fusermount3",
                            "crontab", "at", "traceroute", "traceroute6", "unix_chkpwd",
                            "expiry", "chage", "wall", "write", "ssh-agent", "ssh-keysign",
                            "dbus-daemon-launch-helper", "Xorg", "newuidmap", "newgidmap"})
MULTICALL = frozenset({"busybox", "toybox"})
VOLATILE_DIRS = ("/dev/", "/proc/", "/sys/", "/tmp/", "/var/tmp/", "/run/", "/var/run/",
                 "/var/lock/")
SYSTEM_DIRS = ("/bin/", "/sbin/", "/usr/", "/lib/", "/etc/", "/www/", "/opt/", "/system/",
               "/vendor/")


def _read_only_rule(ctx: CheckContext) -> Callable[[FileEntry], str | None]:
    """Why an entry cannot be written on the running device, or None: it lies on a read-only
    file system (SquashFS, CramFS …, from its partition's or root's provenance) that no
    overlay started at boot covers. Mode bits there are what the build host left."""
    result: Callable[[FileEntry], str | None] = ctx.fact("hardening.read_only", _build_rule)
    return result


def _build_rule(ctx: CheckContext) -> Callable[[FileEntry], str | None]:
    roots = {r.label: r for r in ctx.index.roots}
    overlays = {label: [m.mount_point for m in overlay_mounts(Path(root.path))]
                for label, root in roots.items()}

    def why(entry: FileEntry) -> str | None:
        fs = filesystem_of(entry.provenance) if entry.provenance else None
        root = roots.get(entry.root)
        if fs is None and root is not None:
            fs = filesystem_of(root.provenance)
        if fs not in READ_ONLY_TYPES:
            return None
        if any(under(entry.path, point) for point in overlays.get(entry.root, [])):
            return None
        return fs

    return why


def _note_read_only(report: CheckReport, skipped: dict[str, int]) -> None:
    for fs, count in sorted(skipped.items()):
        report.examined.append(Evidence(
            kind="note", ref="file systems",
            detail=f"{count} path(s) with write bits for others lie on a read-only {fs} with no "
                   f"overlay mounted over them at boot: not writable on the device"))


def _grouped(report: CheckReport, hits: list[Hit], what: str) -> None:
    """Keep the finding count readable: the worst first, the rest as one grouped finding."""
    hits.sort(key=lambda h: (-(h.severity.rank if h.severity else 0), h.path or ""))
    report.hits.extend(hits[:MAX_LISTED])
    rest = hits[MAX_LISTED:]
    if rest:
        report.hits.append(Hit(
            message=f"{len(rest)} more {what}: " + ", ".join(h.path or "" for h in rest[:40])
                    + (" …" if len(rest) > 40 else ""),
            severity=max((h.severity for h in rest if h.severity),
                         key=lambda s: s.rank, default=None),
            properties={"paths": [h.path for h in rest]}))


@check(CheckSpec(
    id="IOTB-PRIV-002",
    title="Set-user-ID or set-group-ID programs",
    severity=Severity.MEDIUM,
    rationale="A set-ID program runs with its owner's rights whoever starts it; each one is a "
              "path from a local foothold to root. A set-UID multi-call binary (BusyBox) makes "
              "every applet such a path.",
    remedy="Remove the set-ID bit from everything that does not need it; never set it on "
           "BusyBox/toybox; prefer capabilities for the few tools that need privileges.",
    provisions=provisions(etsi=("5.6-7",), xiaomi=("3.2.3",), tencent=("5.1.5-2",),
                          isvs=("V2.2.2", "V3.3.3")),
    cwe=(250,),
))
def find_setid_programs(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    hits: list[Hit] = []
    for entry in ctx.index.files:
        if not (entry.setuid or entry.setgid) or entry.kind in ("directory", "symlink", "special"):
            continue
        name = posixpath.basename(entry.path)
        bits = " and ".join(b for b, on in (("set-UID", entry.setuid), ("set-GID", entry.setgid))
                            if on)
        if name in MULTICALL:
            severity, note = Severity.HIGH, "every applet of this multi-call binary inherits it"
        elif name in EXPECTED_SETID:
            severity, note = Severity.LOW, "commonly needed, but review whether the device uses it"
        else:
            severity, note = Severity.MEDIUM, "not a program that usually needs it"
        hits.append(Hit(message=f"{entry.path} is {bits} (mode {entry.mode:o}): {note}.",
                        path=entry.path, root=entry.root, severity=severity,
                        properties={"mode": f"{entry.mode:o}"}))
    _grouped(report, hits, "set-ID programs")
    report.summary = (f"{len(hits)} set-ID program(s)" if hits else
                      f"no set-ID programs among {len(ctx.index.files)} files")
    if not hits:
        report.examined.append(Evidence(kind="note", ref="inventory",
                                        detail=f"modes of {len(ctx.index.files)} files"))
    return report


@check(CheckSpec(
    id="IOTB-PRIV-003",
    title="World-writable files and directories",
    severity=Severity.MEDIUM,
    rationale="Anything every account can write can be replaced by any process on the device: "
              "a world-writable program, script or configuration is a privilege escalation.",
    remedy="Remove write permission for others from everything but sticky temporary "
           "directories; keep the root file system read-only.",
    provisions=provisions(etsi=("5.6-7",), xiaomi=("3.2.3",), tencent=("5.1.5-2",),
                          isvs=("V2.2.2", "V3.2.1")),
    cwe=(732,),
))
def find_world_writable(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    hits: list[Hit] = []
    read_only = _read_only_rule(ctx)
    skipped: dict[str, int] = {}
    for entry in ctx.index.files:
        if not entry.world_writable or entry.kind in ("symlink", "special"):
            continue
        path = entry.path + ("/" if entry.kind == "directory" else "")
        if entry.kind == "directory" and entry.mode & 0o1000:
            continue  # sticky: the /tmp model, others cannot replace what they do not own
        if path.startswith(VOLATILE_DIRS) or path in ("/tmp/", "/var/tmp/"):
            continue
        fs = read_only(entry)
        if fs is not None:
            skipped[fs] = skipped.get(fs, 0) + 1
            continue
        executable = entry.kind in ("elf", "script") or bool(entry.mode & 0o111 and
                                                              entry.kind != "directory")
        severity = Severity.HIGH if (executable or path.startswith(SYSTEM_DIRS)) \
            else Severity.MEDIUM
        what = "directory" if entry.kind == "directory" else (
            "executable" if executable else "file")
        hits.append(Hit(message=f"{entry.path} is a world-writable {what} (mode {entry.mode:o}).",
                        path=entry.path, root=entry.root, severity=severity,
                        properties={"mode": f"{entry.mode:o}"}))
    _grouped(report, hits, "world-writable paths")
    _note_read_only(report, skipped)
    report.summary = (f"{len(hits)} world-writable path(s)" if hits
                      else "no world-writable files or non-sticky directories"
                      + (" on a writable file system" if skipped else ""))
    if not hits:
        report.examined.append(Evidence(kind="note", ref="inventory",
                                        detail=f"modes of {len(ctx.index.files)} files"))
    return report


def _startup_files(ctx: CheckContext) -> list[str]:
    model = boot_model(ctx)
    paths = list(dict.fromkeys(model.files + model.scripts))
    for service in started_services(ctx):
        if service.enabled and service.binary:
            paths.append(service.binary)
    return list(dict.fromkeys(p for p in paths if p.startswith("/")))


@check(CheckSpec(
    id="IOTB-PRIV-004",
    title="Start-up scripts or programs writable by non-root accounts",
    severity=Severity.HIGH,
    rationale="Whatever runs at boot runs as root; if a non-root account can change an init "
              "script, a unit file or the program it starts, it gets root at the next boot.",
    remedy="Make init scripts, unit files, inittab and the programs they start owned by root "
           "and writable only by root (mode 755/644 or stricter).",
    provisions=provisions(etsi=("5.6-7",), xiaomi=("3.2.3",), tencent=("5.1.5-2",),
                          isvs=("V2.2.2",)),
    cwe=(732,),
))
def find_writable_startup_files(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    checked = 0
    read_only = _read_only_rule(ctx)
    skipped: dict[str, int] = {}
    for path in _startup_files(ctx):
        for root in ctx.index.roots:
            entry = ctx.index.resolve(path, root.label)
            if entry is None:
                continue
            checked += 1
            parent = ctx.index.get(posixpath.dirname(entry.path), root.label)
            fs = read_only(entry)
            if fs is not None and (entry.mode & 0o022 or parent is not None and parent.mode & 0o002):
                skipped[fs] = skipped.get(fs, 0) + 1
                continue
            if parent is not None and read_only(parent) is not None:
                parent = None  # a read-only directory: nothing can be put in it
            if entry.mode & 0o022:
                who = "everyone" if entry.mode & 0o002 else "its group"
                report.hits.append(Hit(
                    message=f"{entry.path}, run at boot, is writable by {who} "
                            f"(mode {entry.mode:o}).",
                    path=entry.path, root=root.label,
                    severity=Severity.HIGH if entry.mode & 0o002 else Severity.MEDIUM))
            elif parent is not None and parent.mode & 0o002 and not parent.mode & 0o1000:
                report.hits.append(Hit(
                    message=f"{entry.path}, run at boot, sits in world-writable directory "
                            f"{parent.path} (mode {parent.mode:o}), so it can be replaced.",
                    path=entry.path, root=root.label))
    _note_read_only(report, skipped)
    report.summary = (f"{len(report.hits)} writable start-up file(s)" if report.hits
                      else f"{checked} start-up files, none writable by non-root accounts on "
                           f"the device")
    if not report.hits:
        report.examined.append(Evidence(kind="note", ref="boot model",
                                        detail=f"modes of {checked} start-up files"))
    return report


_INSTALL_WORDS = re.compile(r"\b(sysupgrade|mtd\s+(?:-\S+\s+)*write|opkg\s+install|ipkg\s+install|"
                            r"dpkg\s+-i|rpm\s+-i|fw_update|flashcp|dd\s+if=|insmod|tar\s+-?x)")
_EXTERNAL_IN_TEXT = re.compile(r"(?<![\w.])(/mnt/[\w./${}*-]+|/media/[\w./${}*-]+|"
                               r"/sdcard[\w./${}*-]*|/tmp/usb[\w./${}*-]*|/storage/[\w./${}*-]+)")


_REMOVABLE_DEVICE = re.compile(r"^/dev/(mmcblk|sd[a-z]|hd[a-z]|usb|scsi|disc)")


def _removable_rule(ctx: CheckContext) -> Callable[[str], bool]:
    """Whether a path is on removable storage: under /mnt, /media, /sdcard … unless the image
    ships the file itself, or the deepest mount over it that the image makes is an internal
    flash partition (``mount -t squashfs /dev/mtdblock4 /mnt/mtd/ipc``: the camera's app
    partition, not an SD card)."""
    mounts: list[MountStatement] = []
    for root in ctx.index.roots:
        mounts += find_mount_statements(Path(root.path))

    def external(path: str) -> bool:
        if not path.startswith(EXTERNAL_PREFIXES) or "$" in path.split("/")[1]:
            return False
        shipped = ctx.index.resolve(path)
        if shipped is not None and shipped.kind != "directory":
            return False  # shipped in the firmware image: not from a card or stick
        over = [m for m in mounts if under(path, m.mount_point) and m.mount_point != "/"]
        if over:
            deepest = max(over, key=lambda m: len(m.mount_point))
            if not _REMOVABLE_DEVICE.match(deepest.device) and (
                    deepest.mtd_index is not None or deepest.mtd_name is not None):
                return False
        return True

    return external


@check(CheckSpec(
    id="IOTB-PRIV-005",
    title="Programs or updates run at boot from removable storage",
    severity=Severity.HIGH,
    rationale="Code taken from an SD card or USB stick at boot lets anyone who can plug one in "
              "run their own programs as root unless it is signature-checked first.",
    remedy="Do not execute or install anything from external storage by default; if needed, "
           "verify a signature with a key held in the image before running it.",
    provisions=provisions(etsi=("5.6-7", "5.3-9"), xiaomi=("3.2.4",), tencent=("5.1.5-6",),
                          isvs=("V3.4.3", "V3.1.1")),
    cwe=(494,),
))
def find_external_storage_execution(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    model = boot_model(ctx)
    external = _removable_rule(ctx)
    for service in started_services(ctx):
        if not service.enabled:
            continue
        program = service.program or service.argv[0]
        if service.name in SHELLS and len(service.argv) > 1:
            program = service.argv[1]
        if external(program) or (service.binary is not None and external(service.binary)):
            report.hits.append(Hit(message=f"{describe(service)} runs a program from removable "
                                           f"storage.",
                                   path=service.source, root=service.root, line=service.line,
                                   excerpt=" ".join(service.argv)[:200]))
    for script in model.scripts:
        for root in ctx.index.roots:
            entry = ctx.index.resolve(script, root.label)
            if entry is None:
                continue
            text = ctx.index.read_text(entry, limit=512 * 1024) or ""
            first_external = next((m for m in _EXTERNAL_IN_TEXT.finditer(text)
                                   if external(m.group(1))), None)
            if first_external is None:
                continue
            reported = 0
            for number, line in enumerate(text.splitlines(), start=1):
                stripped = line.strip()
                if stripped.startswith(("#", "echo ", "logger ", "printf ")):
                    continue
                ext = next((m for m in _EXTERNAL_IN_TEXT.finditer(stripped)
                            if external(m.group(1))), None)
                if not ext and _INSTALL_WORDS.search(stripped) and reported < 3:
                    reported += 1
                    report.hits.append(Hit(
                        message=f"{entry.path}:{number}, run at boot, installs or flashes "
                                f"software in a script that takes files from removable storage "
                                f"({first_external.group(1)}); check that nothing from there is "
                                f"installed without a signature check.",
                        path=entry.path, root=root.label, line=number, excerpt=stripped[:200],
                        confidence="medium"))
                elif ext and _INSTALL_WORDS.search(stripped):
                    report.hits.append(Hit(
                        message=f"{entry.path}:{number}, run at boot, installs or flashes "
                                f"software taken from removable storage ({ext.group(1)}).",
                        path=entry.path, root=root.label, line=number, excerpt=stripped[:200]))
                elif ext and re.match(r"^(\.|source|sh|/bin/sh|exec|bash)\s", stripped):
                    report.hits.append(Hit(
                        message=f"{entry.path}:{number}, run at boot, runs a script from "
                                f"removable storage ({ext.group(1)}).",
                        path=entry.path, root=root.label, line=number, excerpt=stripped[:200]))
    report.summary = (f"{len(report.hits)} boot-time use(s) of removable storage" if report.hits
                      else f"none of {len(model.scripts)} start-up scripts runs code from "
                           f"removable storage")
    return report


CHECKS = (find_setid_programs, find_world_writable, find_writable_startup_files,
          find_external_storage_execution)
