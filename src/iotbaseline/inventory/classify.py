"""The kind of a regular file from its first bytes and its name (no execution, no libmagic).

Content decides first (magic numbers, PEM armour, shebang); the name only breaks ties for
text files (configs under /etc, scripts by extension) and a few kernel-image names. Empty files
are "data" unless their extension makes them a config: an empty key placeholder (OpenWrt's
/etc/dropbear/dropbear_rsa_host_key) is neither a key nor a config.
"""

from __future__ import annotations

import posixpath
import re

HEAD_SIZE = 4096

ARCHIVE_MAGICS: tuple[tuple[int, bytes], ...] = (
    (0, b"\x1f\x8b"),  # gzip (also .ipk)
    (0, b"BZh"),  # bzip2
    (0, b"\xfd7zXZ\x00"),  # xz
    (0, b"PK\x03\x04"),  # zip / jar / apk
    (0, b"PK\x05\x06"),  # empty zip
    (0, b"7z\xbc\xaf\x27\x1c"),  # 7z
    (0, b"\x28\xb5\x2f\xfd"),  # zstd
    (0, b"\x04\x22\x4d\x18"),  # lz4 frame
    (0, b"\x89LZO\x00"),  # lzop
    (0, b"070701"), (0, b"070702"), (0, b"070707"), (0, b"\xc7\x71"),  # cpio
    (0, b"!<arch>\n"),  # ar / .deb
    (0, b"Rar!\x1a\x07"),  # rar
    (0, b"hsqs"), (0, b"sqsh"),  # squashfs
    (0, b"\x45\x3d\xcd\x28"), (0, b"\x28\xcd\x3d\x45"),  # cramfs
    (0, b"\x85\x19"), (0, b"\x19\x85"),  # jffs2 node
    (0, b"UBI#"),  # ubi
    (0, b"-rom1fs-"),  # romfs
    (257, b"ustar"),  # tar
    (0x438, b"\x53\xef"),  # ext2/3/4 superblock magic
)

KEY_MARKERS = (
    b"PRIVATE KEY-----",
    b"-----BEGIN PUBLIC KEY-----",
    b"-----BEGIN RSA PUBLIC KEY-----",
    b"-----BEGIN PGP PRIVATE KEY BLOCK-----",
    b"-----BEGIN PGP PUBLIC KEY BLOCK-----",
    b"-----BEGIN SSH2 ENCRYPTED PRIVATE KEY-----",
    b"PuTTY-User-Key-File-",
)
SSH_PUBLIC_KEY = re.compile(rb"^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp\d+) AAAA", re.MULTILINE)
DROPBEAR_KEY = re.compile(rb"^\x00\x00\x00\x07ssh-(rsa|dss)|^\x00\x00\x00\x13ecdsa-sha2-")
CERT_MARKERS = (b"-----BEGIN CERTIFICATE-----", b"-----BEGIN TRUSTED CERTIFICATE-----",
                b"-----BEGIN X509 CRL-----", b"-----BEGIN CERTIFICATE REQUEST-----",
                b"-----BEGIN PKCS7-----")
DER_NAMES = (".crt", ".cer", ".der", ".p7b")
DER_KEY_NAMES = (".key", ".p12", ".pfx", ".p8")

SCRIPT_EXTENSIONS = (".sh", ".lua", ".py", ".pl", ".php", ".rb", ".tcl", ".cgi", ".awk", ".js",
                     ".bash", ".ash")
CONFIG_EXTENSIONS = (".conf", ".cfg", ".cnf", ".ini", ".json", ".yaml", ".yml", ".xml", ".toml",
                     ".rules", ".properties", ".config")
CONFIG_DIRS = ("/etc/", "/var/etc/", "/usr/etc/", "/opt/etc/")
KERNEL_NAMES = re.compile(r"^(vmlinu[xz]|zimage|uimage|bzimage|image|kernel)([-._].*)?$", re.IGNORECASE)

UIMAGE_MAGIC = b"\x27\x05\x19\x56"
FDT_MAGIC = b"\xd0\x0d\xfe\xed"
ZIMAGE_MAGIC = b"\x18\x28\x6f\x01"  # ARM zImage, at 0x24 (LE)


def is_text(head: bytes) -> bool:
    """No NUL and mostly printable in the first bytes (UTF-8 or legacy 8-bit)."""
    if not head or b"\x00" in head:
        return False
    control = len(head.translate(None, _PRINTABLE))
    return control <= 0.05 * len(head)


_PRINTABLE = bytes(b for b in range(256) if b >= 0x20 or b in (9, 10, 12, 13, 27))


def shebang_interpreter(head: bytes) -> str | None:
    """``#!/bin/sh -e`` → ``/bin/sh``; ``#!/usr/bin/env lua`` → ``/usr/bin/env lua``."""
    if not head.startswith(b"#!"):
        return None
    line = head[2:].split(b"\n", 1)[0].decode("utf-8", "backslashreplace").strip()
    parts = line.split()
    if not parts:
        return None
    if posixpath.basename(parts[0]) == "env":
        args = [p for p in parts[1:] if not p.startswith("-")]
        return f"{parts[0]} {args[0]}" if args else parts[0]
    return parts[0]


def is_kernel_image(head: bytes, name: str) -> bool:
    if head.startswith(UIMAGE_MAGIC):
        return True  # U-Boot legacy image (kernel, ramdisk or script: all boot payloads)
    if len(head) >= 0x28 and head[0x24:0x28] == ZIMAGE_MAGIC:
        return True
    if len(head) >= 0x206 and head[0x202:0x206] == b"HdrS":
        return True  # x86 bzImage setup header
    if head.startswith(FDT_MAGIC) and name.lower().endswith((".itb", ".fit")):
        return True  # FIT image
    if head.startswith(b"\x1f\x8b") or is_lzma_alone(head):
        return bool(KERNEL_NAMES.match(name))  # vmlinuz / compressed Image by name
    return False


def is_archive(head: bytes) -> bool:
    for offset, magic in ARCHIVE_MAGICS:
        if head[offset : offset + len(magic)] == magic:
            return True
    return is_lzma_alone(head)


def is_lzma_alone(head: bytes) -> bool:
    """lzma_alone header: properties 0x5d, a dictionary size, then an unknown (all 0xff) or
    plausible (< 4 GiB) uncompressed size."""
    if len(head) < 13 or head[:3] != b"\x5d\x00\x00":
        return False
    return head[5:13] == b"\xff" * 8 or head[9:13] == b"\x00" * 4


def classify(path: str, head: bytes, size: int) -> tuple[str, str | None]:
    """(kind, script interpreter) of a regular, non-ELF file. ``path`` is inside the root."""
    name = posixpath.basename(path)
    lower = name.lower()
    if size == 0:
        return ("config" if lower.endswith(CONFIG_EXTENSIONS) else "data"), None
    if head.startswith(b"#!"):
        return "script", shebang_interpreter(head)
    if any(m in head for m in CERT_MARKERS):
        return "certificate", None
    if any(m in head for m in KEY_MARKERS) or DROPBEAR_KEY.match(head):
        return "key", None
    if is_kernel_image(head, name):
        return "kernel_image", None
    if is_archive(head):
        return "archive", None
    if head[:1] == b"\x30" and head[1:2] in (b"\x82", b"\x81", b"\x80"):  # DER SEQUENCE
        if lower.endswith(DER_NAMES):
            return "certificate", None
        if lower.endswith(DER_KEY_NAMES):
            return "key", None
    if is_text(head[:1024]):
        if SSH_PUBLIC_KEY.search(head) and ("authorized_keys" in lower or lower.endswith(".pub")
                                            or "key" in lower):
            return "key", None
        if lower.endswith(SCRIPT_EXTENSIONS) or "/init.d/" in path:
            return "script", None
        if _config_place(path, lower):
            return "config", None
        return "text", None
    return "data", None


def _config_place(path: str, lower: str) -> bool:
    return lower.endswith(CONFIG_EXTENSIONS) or path.startswith(CONFIG_DIRS)
