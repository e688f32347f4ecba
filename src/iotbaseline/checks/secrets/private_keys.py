"""Private keys shipped in the image: PEM/PKCS#8/OpenSSH/DER files and key blocks inside
binaries, and SSH host keys (OpenSSH and dropbear formats). Parsed with ``cryptography`` to
give type and size; empty or placeholder files (keys generated at first boot) are not keys."""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
import struct
from dataclasses import dataclass, field

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.textscan import blob_strings, text_files
from iotbaseline.model import Evidence, Severity

PEM_KEY = re.compile(
    r"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |ANY )?PRIVATE KEY)-----(.*?)-----END \1-----",
    re.DOTALL)
MAX_PEM = 16 * 1024
HOST_KEY_PATHS = re.compile(r"(^|/)(ssh_host_\w+_key|dropbear_\w+_host_key|\w*host_?key)$")
DROPBEAR_NAMES = (b"ssh-rsa", b"ssh-dss", b"ssh-ed25519", b"ecdsa-sha2-nistp256",
                  b"ecdsa-sha2-nistp384", b"ecdsa-sha2-nistp521")

KEY_PROVISIONS = ("etsi-en-303-645:5.4-3", "etsi-en-303-645:5.4-4", "xiaomi-2.0:4.1.1",
                  "xiaomi-2.0:4.5.2", "tencent-qtx-001.1:5.1.6-4", "owasp-isvs:V2.4.1",
                  "owasp-isvs:V2.1.9")


@dataclass(frozen=True)
class FoundKey:
    path: str
    root: str | None
    format: str  # "PEM RSA PRIVATE KEY", "DER", "dropbear", "OpenSSH"
    algorithm: str | None  # "RSA", "EC", "DSA", "Ed25519"…; None when not parseable
    bits: int | None
    encrypted: bool = False
    line: int | None = None
    offset: int | None = None
    in_binary: bool = False
    note: str = ""


@dataclass
class KeyScan:
    keys: list[FoundKey] = field(default_factory=list)
    placeholders: list[Evidence] = field(default_factory=list)  # empty/placeholder key files
    files_seen: int = 0


def describe(key: object) -> tuple[str, int | None]:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    if isinstance(key, rsa.RSAPrivateKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"EC {key.curve.name}", key.curve.key_size
    if isinstance(key, dsa.DSAPrivateKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PrivateKey):
        return "Ed448", 456
    return type(key).__name__, None


def parse_pem_key(block: str) -> tuple[str | None, int | None, bool, str]:
    """(algorithm, bits, encrypted, note) of one PEM private-key block."""
    from cryptography.exceptions import UnsupportedAlgorithm  # imported where used: ~0.1 s
    from cryptography.hazmat.primitives import serialization

    data = block.encode()
    if "ENCRYPTED" in block.split("\n", 1)[0] or "Proc-Type: 4,ENCRYPTED" in block:
        return None, None, True, "encrypted with a passphrase"
    key: object
    try:
        if "OPENSSH" in block.split("\n", 1)[0]:
            key = serialization.load_ssh_private_key(data, password=None)
        else:
            key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        return None, None, True, "encrypted with a passphrase"
    except (ValueError, binascii.Error) as exc:
        return None, None, False, f"not parseable ({str(exc)[:60]})"
    except UnsupportedAlgorithm as exc:  # e.g. a curve this OpenSSL build lacks
        return None, None, False, f"not parseable ({type(exc).__name__})"
    algo, bits = describe(key)
    return algo, bits, False, ""


def _is_placeholder_block(body: str) -> bool:
    """True when the text between the markers is no key: too short, elided, or not a base64
    DER / OpenSSH body. PEM parsers (wpa_supplicant, OpenSSL, web-page form checks) carry the
    BEGIN/END lines as constants with other strings in between; only a body that decodes to a
    key structure is key material."""
    if "-----" in body:
        return True  # another marker inside: constants of a parser, not one block
    lines = [line.strip() for line in body.splitlines()]
    payload = "".join(line for line in lines if line and ":" not in line)
    if len(payload) < 40 or "..." in payload or "<" in payload:
        return True
    try:
        der = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):  # ValueError: non-ASCII text (found by fuzzing)
        return True
    encrypted_header = any(line.startswith("Proc-Type:") for line in lines)
    return not (der[:1] == b"\x30" or der.startswith(b"openssh-key-v1\0") or encrypted_header)


def _read_string(data: bytes, pos: int) -> tuple[bytes, int]:
    if pos + 4 > len(data):
        raise ValueError("truncated")
    (n,) = struct.unpack(">I", data[pos:pos + 4])
    if n > len(data) - pos - 4:
        raise ValueError("length past end")
    return data[pos + 4:pos + 4 + n], pos + 4 + n


def parse_dropbear(data: bytes) -> tuple[str, int | None] | None:
    """Algorithm and size of a dropbear host key file, or None when it is not one.
    (Written here: no maintained Python library reads dropbear's own key format.)"""
    try:
        name, pos = _read_string(data, 0)
        if name not in DROPBEAR_NAMES:
            return None
        if name == b"ssh-rsa":
            _e, pos = _read_string(data, pos)
            n, pos = _read_string(data, pos)
            return "RSA", int.from_bytes(n, "big").bit_length()
        if name == b"ssh-dss":
            p, pos = _read_string(data, pos)
            return "DSA", int.from_bytes(p, "big").bit_length()
        if name == b"ssh-ed25519":
            return "Ed25519", 256
        curve, pos = _read_string(data, pos)
        return f"EC {curve.decode(errors='replace')}", int(name[-3:].decode())
    except (ValueError, struct.error):
        return None


def _der_key(data: bytes) -> tuple[str, int | None] | None:
    from cryptography.exceptions import UnsupportedAlgorithm  # imported where used: ~0.1 s
    from cryptography.hazmat.primitives import serialization

    if not data.startswith((b"\x30\x82", b"\x30\x81")) or len(data) > MAX_PEM:
        return None
    try:
        key = serialization.load_der_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # not a key (or an encrypted one)
        return None
    return describe(key)


def _scan(ctx: CheckContext) -> KeyScan:
    scan = KeyScan()
    for tf in text_files(ctx):
        if "PRIVATE KEY-----" not in tf.text:
            continue
        scan.files_seen += 1
        for m in PEM_KEY.finditer(tf.text):
            if _is_placeholder_block(m.group(2)):
                scan.placeholders.append(Evidence(kind="file", ref=tf.path, sha256=tf.entry.sha256,
                                                  line=tf.line_number(m.start()),
                                                  detail="placeholder key block, no key material"))
                continue
            algo, bits, enc, note = parse_pem_key(m.group(0))
            scan.keys.append(FoundKey(tf.path, tf.root, f"PEM {m.group(1)}", algo, bits, enc,
                                      line=tf.line_number(m.start()), note=note))
    # dropbear, DER and empty key files
    for entry in ctx.index.iter():
        if entry.kind in ("directory", "symlink", "special"):
            continue
        name = posixpath.basename(entry.path)
        hostish = bool(HOST_KEY_PATHS.search(entry.path)) or name.endswith((".key", ".der", ".pk8"))
        if entry.size == 0:
            if hostish:
                scan.placeholders.append(Evidence(kind="file", ref=entry.path, sha256=entry.sha256,
                                                  detail="empty file: a placeholder, the key is "
                                                  "generated on the device"))
            continue
        if entry.kind in ("elf", "kernel_module") or entry.size > MAX_PEM:
            continue
        head = ctx.index.read_bytes(entry, limit=MAX_PEM) if (
            hostish or entry.kind in ("data", "key")) else None
        if not head:
            continue
        dropbear = parse_dropbear(head)
        if dropbear is not None:
            scan.keys.append(FoundKey(entry.path, entry.root, "dropbear", dropbear[0], dropbear[1]))
            continue
        der = _der_key(head)
        if der is not None:
            scan.keys.append(FoundKey(entry.path, entry.root, "DER", der[0], der[1]))
    # PEM key blocks compiled into binaries
    for bs in blob_strings(ctx):
        for offset, block in bs.pem_blocks:
            parsed = PEM_KEY.match(block)
            if parsed is None or _is_placeholder_block(parsed.group(2)):
                continue
            algo, bits, enc, note = parse_pem_key(block)
            owner = bs.blob.entry
            scan.keys.append(FoundKey(owner.path if owner else bs.blob.name,
                                      owner.root if owner else None,
                                      f"PEM {parsed.group(1)}", algo, bits, enc,
                                      offset=offset, in_binary=True, note=note))
    return scan


def key_scan(ctx: CheckContext) -> KeyScan:
    """All private keys of the image, found once and shared by the key checks."""
    result: KeyScan = ctx.fact("secret.keys", _scan)
    return result


def _is_host_key(k: FoundKey) -> bool:
    return k.format == "dropbear" or bool(HOST_KEY_PATHS.search(k.path))


def _label(k: FoundKey) -> str:
    what = k.algorithm or "unknown-type"
    size = f" {k.bits}-bit" if k.bits else ""
    extra = f", {k.note}" if k.note else ""
    return f"{what}{size} private key ({k.format}{extra})"


def _hit(k: FoundKey, message: str) -> Hit:
    weak = k.bits is not None and k.algorithm in ("RSA", "DSA") and k.bits < 2048
    return Hit(message=message + (" — and too short" if weak else ""),
               path=k.path if k.root is not None else None, root=k.root, line=k.line,
               offset=k.offset, excerpt=f"[{k.format}: key material not shown]",
               redacted="[private key]", confidence="high" if k.algorithm else "medium",
               properties={"algorithm": k.algorithm, "bits": k.bits, "format": k.format,
                           "encrypted": k.encrypted, "in_binary": k.in_binary})


@check(CheckSpec(
    id="IOTB-KEY-001",
    title="Private keys hard-coded in the image",
    severity=Severity.HIGH,
    rationale=("A private key in the firmware is the same on every unit and can be extracted "
               "from any update file: it authenticates nothing and protects no traffic."),
    remedy=("Generate keys on the device (or inject them per unit at manufacturing) and keep "
            "them in protected storage; ship only public keys and certificates."),
    provisions=KEY_PROVISIONS,
    cwe=(321, 798),
    tags=("secrets", "keys"),
))
def find_private_keys(ctx: CheckContext) -> CheckReport:
    scan = key_scan(ctx)
    keys = [k for k in scan.keys if not _is_host_key(k)]
    hits = [_hit(k, f"{_label(k)} in {k.path}" + (" (inside a binary)" if k.in_binary else ""))
            for k in keys]
    examined = list(scan.placeholders) + [Evidence(kind="note", ref="private-keys", detail=(
        "text files, key files and binaries searched for PEM, PKCS#8, OpenSSH, DER and "
        "dropbear private keys"))]
    return CheckReport(hits=hits, examined=examined,
                       summary=f"{len(keys)} private keys found outside SSH host-key files")


@check(CheckSpec(
    id="IOTB-KEY-002",
    title="SSH host keys shipped in the image",
    severity=Severity.HIGH,
    rationale=("A host key baked into the image is shared by every unit, so one extracted key "
               "lets an attacker impersonate any device or decrypt recorded sessions."),
    remedy="Ship no host keys; let the SSH server generate them on first boot (as dropbear does).",
    provisions=KEY_PROVISIONS,
    cwe=(321,),
    tags=("secrets", "keys", "ssh"),
))
def find_ssh_host_keys(ctx: CheckContext) -> CheckReport:

    scan = key_scan(ctx)
    keys = [k for k in scan.keys if _is_host_key(k)]
    hits = [_hit(k, f"SSH host key shipped: {_label(k)} in {k.path}") for k in keys]
    examined = list(scan.placeholders) or [Evidence(
        kind="note", ref="ssh-host-keys", detail="no SSH host-key files in the image")]
    return CheckReport(hits=hits, examined=examined,
                       summary=f"{len(keys)} shipped host keys, {len(scan.placeholders)} placeholders")


CHECKS = (find_private_keys, find_ssh_host_keys)
