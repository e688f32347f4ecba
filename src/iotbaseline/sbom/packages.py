"""Package databases and OS release files inside a root filesystem.

Reads opkg/ipkg status and ``info/*.control`` files, dpkg status, Buildroot ``manifest.csv``
and Yocto image manifests, plus ``/etc/openwrt_release``, ``/etc/openwrt_version``,
``/etc/os-release`` and Android ``build.prop``. Every value comes from attacker-controlled
files, so parsing is line-based, bounded and never fails on junk: a stanza without a name or
version is skipped.
"""

from __future__ import annotations

import csv
import io
import posixpath
from dataclasses import dataclass, field

from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import FileEntry

MAX_DB_BYTES = 16 * 1024 * 1024

OPKG_STATUS = ("/usr/lib/opkg/status", "/var/lib/opkg/status", "/usr/lib/ipkg/status",
               "/var/lib/ipkg/status", "/lib/opkg/status")
OPKG_INFO_DIRS = ("/usr/lib/opkg/info", "/var/lib/opkg/info", "/usr/lib/ipkg/info",
                  "/var/lib/ipkg/info", "/lib/opkg/info")
DPKG_STATUS = ("/var/lib/dpkg/status",)
OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
BUILD_PROP = ("/system/build.prop", "/build.prop", "/vendor/build.prop", "/system/system/build.prop")


@dataclass
class PackageRecord:
    manager: str  # "opkg", "ipkg", "dpkg", "buildroot", "yocto"
    name: str
    version: str
    arch: str | None
    db_path: str  # where it was read
    method: str  # evidence method: "opkg-status", "opkg-control", "dpkg-status"…
    files: list[str] = field(default_factory=list)  # from info/<name>.list when present


@dataclass
class OsRelease:
    name: str  # "openwrt", "debian", "android", "buildroot"…
    version: str | None
    source: str  # path
    method: str
    detail: str = ""
    cpe_vendor: str | None = None
    cpe_product: str | None = None


def _stanzas(text: str) -> list[dict[str, str]]:
    """RFC 822-style paragraphs (Debian control format) -> list of {Field: value}."""
    out: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            if current:
                out.append(current)
            current, last = {}, None
            continue
        if line[0] in " \t" and last:
            current[last] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = key.strip()
            current[last] = value.strip()
    if current:
        out.append(current)
    return out


def _installed(stanza: dict[str, str]) -> bool:
    status = stanza.get("Status", "")
    return not status or ("installed" in status.split() and "not-installed" not in status)


def read_opkg(index: FileIndex, root: str) -> list[PackageRecord]:
    records: dict[str, PackageRecord] = {}
    for path in OPKG_STATUS:
        text = index.read_text(path, root, limit=MAX_DB_BYTES)
        if not text:
            continue
        manager = "ipkg" if "/ipkg/" in path else "opkg"
        for st in _stanzas(text):
            name, version = st.get("Package"), st.get("Version")
            if name and version and _installed(st) and name not in records:
                records[name] = PackageRecord(manager, name, version, st.get("Architecture"),
                                              path, f"{manager}-status")
    for info_dir in OPKG_INFO_DIRS:
        manager = "ipkg" if "/ipkg/" in info_dir else "opkg"
        for entry in _files_in(index, root, info_dir, ".control"):
            text = index.read_text(entry, limit=1024 * 1024) or ""
            for st in _stanzas(text)[:1]:
                name, version = st.get("Package"), st.get("Version")
                if name and version and name not in records:
                    records[name] = PackageRecord(manager, name, version, st.get("Architecture"),
                                                  entry.path, f"{manager}-control")
        for rec in records.values():
            if rec.files:
                continue
            listing = index.read_text(f"{info_dir}/{rec.name}.list", root, limit=4 * 1024 * 1024)
            if listing:
                rec.files = [ln.split("\t")[0].strip() for ln in listing.splitlines() if ln.strip()]
    return list(records.values())


def _files_in(index: FileIndex, root: str, directory: str, suffix: str) -> list[FileEntry]:
    """Regular files directly in ``directory`` whose name ends with ``suffix`` (no fnmatch:
    this runs once per database directory over every file of the root)."""
    prefix = directory.rstrip("/") + "/"
    if index.get(directory, root) is None:
        return []
    return [f for f in index.iter(root=root)
            if f.path.startswith(prefix) and f.path.endswith(suffix) and "/" not in f.path[len(prefix):]]


def read_dpkg(index: FileIndex, root: str) -> list[PackageRecord]:
    out: list[PackageRecord] = []
    for path in DPKG_STATUS:
        text = index.read_text(path, root, limit=MAX_DB_BYTES)
        for st in _stanzas(text or ""):
            name, version = st.get("Package"), st.get("Version")
            if name and version and _installed(st):
                out.append(PackageRecord("dpkg", name, version, st.get("Architecture"), path,
                                         "dpkg-status"))
    return out


def read_buildroot_manifests(index: FileIndex, root: str) -> list[PackageRecord]:
    """Buildroot legal-info ``manifest.csv`` ("PACKAGE","VERSION",…) when shipped in the image."""
    out: list[PackageRecord] = []
    for entry in index.glob("*/manifest.csv", "/manifest.csv", root=root):
        text = index.read_text(entry, limit=MAX_DB_BYTES) or ""
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "PACKAGE" not in reader.fieldnames:
            continue
        for row in reader:
            name, version = (row.get("PACKAGE") or "").strip(), (row.get("VERSION") or "").strip()
            if name and version:
                out.append(PackageRecord("buildroot", name, version, None, entry.path,
                                         "buildroot-manifest"))
    return out


def read_yocto_manifests(index: FileIndex, root: str) -> list[PackageRecord]:
    """Yocto image manifests (``<image>.manifest``: "name arch version" per line)."""
    out: list[PackageRecord] = []
    for entry in index.glob("*.manifest", root=root):
        text = index.read_text(entry, limit=MAX_DB_BYTES) or ""
        rows = [ln.split() for ln in text.splitlines() if ln.strip()]
        if not rows or any(len(r) != 3 for r in rows):
            continue  # not the three-column Yocto form
        for name, arch, version in rows:
            out.append(PackageRecord("yocto", name, version, arch, entry.path, "yocto-manifest"))
    return out


def read_packages(index: FileIndex, root: str) -> list[PackageRecord]:
    return (read_opkg(index, root) + read_dpkg(index, root)
            + read_buildroot_manifests(index, root) + read_yocto_manifests(index, root))


def _shell_vars(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            out[key.strip()] = value.strip().strip("'\"")
    return out


def read_os_release(index: FileIndex, root: str) -> list[OsRelease]:
    """The distribution the root claims to be (OpenWrt, a Debian-like, Buildroot, Android)."""
    out: list[OsRelease] = []
    owrt_version = (index.read_text("/etc/openwrt_version", root, limit=4096) or "").strip()
    owrt = _shell_vars(index.read_text("/etc/openwrt_release", root, limit=64 * 1024) or "")
    if owrt or owrt_version:
        release = owrt.get("DISTRIB_RELEASE", "")
        version = owrt_version if _looks_numeric(owrt_version) else (
            release if _looks_numeric(release) else None)
        source = "/etc/openwrt_version" if owrt_version else "/etc/openwrt_release"
        detail = owrt.get("DISTRIB_DESCRIPTION", "") or owrt_version
        if owrt.get("DISTRIB_REVISION"):
            detail += f" ({owrt['DISTRIB_REVISION']})"
        out.append(OsRelease("openwrt", version, source, "openwrt-release", detail.strip(),
                             "openwrt", "openwrt"))
    for path in OS_RELEASE:
        text = index.read_text(path, root, limit=64 * 1024)
        if not text:
            continue
        v = _shell_vars(text)
        os_id = (v.get("ID") or "").lower()
        if not os_id or (os_id == "openwrt" and out):
            break
        vendor_product: tuple[str | None, str | None] = {"debian": ("debian", "debian_linux"), "ubuntu": ("canonical", "ubuntu_linux"),
                          "buildroot": ("buildroot", "buildroot")}.get(os_id, (None, None))
        out.append(OsRelease(os_id, v.get("VERSION_ID") or v.get("VERSION"), path, "os-release",
                             v.get("PRETTY_NAME", ""), *vendor_product))
        break
    for path in BUILD_PROP:
        text = index.read_text(path, root, limit=1024 * 1024)
        if not text:
            continue
        v = _shell_vars(text)
        android = v.get("ro.build.version.release") or v.get("ro.system.build.version.release")
        if android:
            out.append(OsRelease("android", android, path, "build.prop",
                                 v.get("ro.build.fingerprint", ""), "google", "android"))
            break
    return out


def _looks_numeric(value: str) -> bool:
    return bool(value) and value[0].isdigit() and all(c.isalnum() or c in ".-" for c in value)


def basename(path: str) -> str:
    return posixpath.basename(path)
