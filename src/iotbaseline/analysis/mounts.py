"""Where the image itself mounts its partitions: ``/etc/fstab`` and the ``mount`` commands of
its start-up scripts (``mount -t jffs2 /dev/mtdblock5 /mnt/mtd/ipc/conf``), plus the root
device named by the boot loader (``root=/dev/mtdblock3``).

Only read, never run. Files are opened without following symlinks and read up to a bound, so
a hostile tree cannot point this at the analysing machine's files.
"""

from __future__ import annotations

import os
import posixpath
import re
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path

MAX_SCRIPT_BYTES = 256 * 1024
MAX_SCRIPTS = 2000
# pseudo and network file systems: never a partition dump
VIRTUAL_TYPES = frozenset({
    "proc", "sysfs", "tmpfs", "ramfs", "devpts", "devtmpfs", "usbfs", "usbdevfs", "debugfs",
    "nfs", "cifs", "smbfs", "configfs", "securityfs", "cgroup", "cgroup2", "pstore", "mqueue",
    "tracefs", "none", "rootfs", "overlay", "overlayfs", "bind", "fusectl", "binfmt_misc",
})
_MTD_BLOCK = re.compile(r"^/dev/mtdblock/?(\d+)$|^/dev/mtd/?(\d+)$|^/dev/romblock(\d+)$")
_MTD_NAME = re.compile(r"^mtd:(\S+)$")
_UBI_NAME = re.compile(r"^(?:/dev/)?ubi(\d+)(?::|_)(\S+)$")


@dataclass(frozen=True)
class MountStatement:
    """One place where the image mounts something: what, where, and the line saying so."""

    device: str  # as written: "/dev/mtdblock5", "mtd:conf", "ubi0:data", "LABEL=x"
    mount_point: str  # normalised absolute path
    fstype: str | None  # "jffs2", "squashfs" …; None when not given ("auto")
    source: str  # "/etc/init.d/S90ipc:5" or "bootargs (bootenv.bin)"
    text: str  # the line itself, trimmed

    @property
    def mtd_index(self) -> int | None:
        match = _MTD_BLOCK.match(self.device)
        if not match:
            return None
        return int(next(g for g in match.groups() if g is not None))

    @property
    def mtd_name(self) -> str | None:
        match = _MTD_NAME.match(self.device)
        if match:
            return match[1]
        ubi = _UBI_NAME.match(self.device)
        return ubi[2] if ubi else None


def find_mount_statements(root: Path) -> list[MountStatement]:
    """Every partition mount in ``root``'s fstab and start-up scripts, in file order."""
    found: list[MountStatement] = []
    fstab = _read(root, "/etc/fstab")
    if fstab is not None:
        found += parse_fstab(fstab, "/etc/fstab")
    for rel in _script_paths(root):
        text = _read(root, rel)
        if text is not None:
            found += parse_mount_commands(text, rel)
    return found


def parse_fstab(text: str, source: str) -> list[MountStatement]:
    out: list[MountStatement] = []
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if len(words) < 3:
            continue
        device, mount_point, fstype = words[0], words[1], words[2]
        statement = _statement(device, mount_point, fstype, f"{source}:{number}", line)
        if statement:
            out.append(statement)
    return out


def parse_mount_commands(text: str, source: str) -> list[MountStatement]:
    """``mount [-t TYPE] [-o OPTS] [-r|-w] DEVICE DIR`` commands of a shell script; lines whose
    device or directory is a shell variable are skipped (their value is not known here)."""
    out: list[MountStatement] = []
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("#", 1)[0]
        if "mount" not in code:
            continue
        for command in re.split(r"&&|\|\||;|\bthen\b|\belse\b|\bdo\b", code):
            words = _words(command)
            if not words or posixpath.basename(words[0]) != "mount":
                continue
            parsed = _mount_args(words[1:])
            if parsed is None:
                continue
            device, mount_point, fstype = parsed
            statement = _statement(device, mount_point, fstype, f"{source}:{number}", line)
            if statement:
                out.append(statement)
    return out


def root_from_bootargs(bootargs: dict[str, str], source: str) -> MountStatement | None:
    """The kernel's root device (``root=/dev/mtdblock4 rootfstype=jffs2``) as a mount of ``/``."""
    device = bootargs.get("root")
    if not device or device in ("/dev/nfs", "/dev/ram", "/dev/ram0"):
        return None
    fstype = bootargs.get("rootfstype") or None
    text = f"root={device}" + (f" rootfstype={fstype}" if fstype else "")
    return MountStatement(device=device, mount_point="/", fstype=fstype, source=source, text=text)


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command, posix=True)
    except ValueError:
        return command.split()


def _mount_args(args: list[str]) -> tuple[str, str, str | None] | None:
    fstype: str | None = None
    positional: list[str] = []
    skip_next = False
    for i, arg in enumerate(args):
        if skip_next:
            skip_next = False
            continue
        if arg in ("-t", "--types"):
            fstype = args[i + 1] if i + 1 < len(args) else None
            skip_next = True
        elif arg in ("-o", "--options", "-O"):
            options = args[i + 1] if i + 1 < len(args) else ""
            if "bind" in options.split(",") or "remount" in options.split(","):
                return None
            skip_next = True
        elif arg.startswith("-t") and len(arg) > 2:
            fstype = arg[2:]
        elif arg in ("-a", "--bind", "--rbind", "--move") or arg.startswith("--bind"):
            return None
        elif arg.startswith("-"):
            continue
        else:
            positional.append(arg)
    if len(positional) != 2:
        return None
    return positional[0], positional[1], fstype


def _statement(device: str, mount_point: str, fstype: str | None, source: str,
               line: str) -> MountStatement | None:
    if "$" in device or "$" in mount_point or not mount_point.startswith("/"):
        return None
    if fstype in ("auto", ""):
        fstype = None
    if fstype in VIRTUAL_TYPES or device in VIRTUAL_TYPES or device.startswith(("/dev/loop", "/dev/ram")):
        return None
    if not (device.startswith(("/dev/", "mtd:", "ubi", "LABEL=", "UUID=", "PARTLABEL="))):
        return None
    return MountStatement(device=device, mount_point=posixpath.normpath(mount_point), fstype=fstype,
                          source=source, text=line.strip()[:200])


def _script_paths(root: Path) -> list[str]:
    """Start-up scripts by place (/etc, /sbin/init-like names); bounded in number."""
    paths: list[str] = []
    etc = root / "etc"
    if etc.is_dir() and not etc.is_symlink():
        for directory, dirs, files in os.walk(etc):
            dirs.sort()
            for name in sorted(files):
                full = Path(directory) / name
                paths.append("/" + str(full.relative_to(root)))
                if len(paths) >= MAX_SCRIPTS:
                    return paths
    for name in ("linuxrc", "init", "sbin/init.sh", "etc_ro/rcS"):
        if (root / name).is_file() and not (root / name).is_symlink():
            paths.append("/" + name)
    return paths


def _read(root: Path, rel: str) -> str | None:
    """A regular file of the tree, never through a symlink, at most ``MAX_SCRIPT_BYTES``."""
    try:
        fd = os.open(root / rel.lstrip("/"), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = os.read(fd, MAX_SCRIPT_BYTES)
    except OSError:
        return None
    finally:
        os.close(fd)
    if b"\0" in data[:4096]:
        return None  # binary, not a script
    return data.decode("utf-8", errors="replace")


# ---- what can be written on the running device ---------------------------------------------
# File systems the kernel mounts read-only whatever the mode bits say (no write support).
READ_ONLY_TYPES = frozenset({"squashfs", "cramfs", "romfs", "erofs", "iso9660"})
_FS_WORDS = (("squashfs", "squashfs"), ("cramfs", "cramfs"), ("romfs", "romfs"),
             ("erofs", "erofs"), ("iso9660", "iso9660"), ("jffs2", "jffs2"), ("ubifs", "ubifs"),
             ("yaffs", "yaffs2"), ("ext4", "ext4"), ("ext3", "ext3"), ("ext2", "ext2"),
             ("cpio", "cpio"), ("initramfs", "cpio"))
_FORMAT_NOTE = re.compile(r"offset 0x[0-9a-f]+|^[^/\s:]+: [\w.-]+$", re.IGNORECASE)
OVERLAY_TYPES = frozenset({"overlay", "overlayfs", "mini_fo", "aufs", "unionfs"})
# OpenWrt: preinit's mount_root lays a JFFS2/UBIFS overlay over the SquashFS root
_OVERLAY_ROOT_PROGRAMS = ("sbin/mount_root", "lib/preinit/80_mount_root")


def filesystem_of(provenance: list[str]) -> str | None:
    """The file-system type a tree was unpacked from, read from its provenance chain (innermost
    first); None when the chain names none (a directory, an archive)."""
    for note in reversed(provenance):
        if note.startswith("mounted at") or not _FORMAT_NOTE.search(note):
            continue
        low = note.lower()
        for word, name in _FS_WORDS:
            if word in low:
                return name
    return None


def overlay_mounts(root: Path) -> list[MountStatement]:
    """Directories the image lays a writable overlay/union over at boot (``mount -t overlay``,
    fstab ``overlay`` lines, OpenWrt's ``mount_root``): files under them can be changed even when
    the lower file system is read-only."""
    found: list[MountStatement] = []
    fstab = _read(root, "/etc/fstab")
    if fstab is not None:
        for number, line in enumerate(fstab.splitlines(), start=1):
            words = line.split("#", 1)[0].split()
            if len(words) >= 3 and words[2] in OVERLAY_TYPES and words[1].startswith("/"):
                found.append(MountStatement(words[0], posixpath.normpath(words[1]), words[2],
                                            f"/etc/fstab:{number}", line.strip()[:200]))
    for rel in _script_paths(root):
        text = _read(root, rel)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            code = line.split("#", 1)[0]
            if "mount" not in code:
                continue
            for command in re.split(r"&&|\|\||;|\bthen\b|\belse\b|\bdo\b", code):
                words = _words(command)
                if not words:
                    continue
                name = posixpath.basename(words[0])
                if name == "mount_root":
                    found.append(MountStatement("mount_root", "/", "overlay", f"{rel}:{number}",
                                                line.strip()[:200]))
                    continue
                if name != "mount":
                    continue
                fstype = next((words[i + 1] for i, w in enumerate(words[:-1])
                               if w in ("-t", "--types")), None)
                dirs = [w for w in words[1:] if w.startswith("/")]
                if fstype in OVERLAY_TYPES and dirs and "$" not in dirs[-1]:
                    found.append(MountStatement(fstype, posixpath.normpath(dirs[-1]), fstype,
                                                f"{rel}:{number}", line.strip()[:200]))
    for rel in _OVERLAY_ROOT_PROGRAMS:
        if (root / rel).is_file() or (root / rel).is_symlink():
            found.append(MountStatement("mount_root", "/", "overlay", "/" + rel,
                                        f"/{rel}: OpenWrt overlay root"))
    return found


def under(path: str, mount_point: str) -> bool:
    """``path`` is ``mount_point`` or inside it."""
    point = mount_point.rstrip("/")
    return not point or path == point or path.startswith(point + "/")
