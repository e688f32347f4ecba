"""Weak cryptography: broken primitives imported by binaries, weak ciphers and protocols in
OpenSSL/SSH/web-server configuration, and symmetric keys or IVs written into scripts."""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check, redact
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.textscan import blob_strings, excerpt, is_comment, search, text_files
from iotbaseline.model import Evidence, Severity

# Imported function name -> (weakness, severity). Prefix match on the name.
WEAK_IMPORTS: dict[str, tuple[str, Severity]] = {
    "MD5_": ("MD5", Severity.LOW), "MD5": ("MD5", Severity.LOW),
    "EVP_md5": ("MD5", Severity.LOW), "mbedtls_md5": ("MD5", Severity.LOW),
    "wc_InitMd5": ("MD5", Severity.LOW),
    "SHA1_": ("SHA-1", Severity.LOW), "SHA1": ("SHA-1", Severity.LOW),
    "EVP_sha1": ("SHA-1", Severity.LOW), "mbedtls_sha1": ("SHA-1", Severity.LOW),
    "DES_": ("DES/3DES", Severity.MEDIUM), "EVP_des_": ("DES/3DES", Severity.MEDIUM),
    "mbedtls_des": ("DES/3DES", Severity.MEDIUM), "wc_Des": ("DES/3DES", Severity.MEDIUM),
    "RC4": ("RC4", Severity.MEDIUM), "RC4_set_key": ("RC4", Severity.MEDIUM),
    "EVP_rc4": ("RC4", Severity.MEDIUM), "mbedtls_arc4": ("RC4", Severity.MEDIUM),
    "AES_ecb_encrypt": ("ECB mode", Severity.MEDIUM), "EVP_aes_128_ecb": ("ECB mode", Severity.MEDIUM),
    "EVP_aes_192_ecb": ("ECB mode", Severity.MEDIUM), "EVP_aes_256_ecb": ("ECB mode", Severity.MEDIUM),
    "mbedtls_aes_crypt_ecb": ("ECB mode", Severity.MEDIUM),
}
_EXACT = {"MD5", "SHA1", "RC4"}  # names too short to match as prefixes
_SYMBOL = re.compile(r"^(?:" + "|".join(re.escape(k) for k in WEAK_IMPORTS) + r")\w*$", re.MULTILINE)

CRYPTO_PROVISIONS = ("etsi-en-303-645:5.5-1", "xiaomi-2.0:5.1", "tencent-qtx-001.1:5.1.6-4",
                     "owasp-isvs:V2.4.2", "owasp-isvs:V3.5.4")


def classify(symbol: str) -> tuple[str, Severity] | None:
    """Weakness and severity of an imported function name, or None."""
    if symbol in _EXACT:
        return WEAK_IMPORTS[symbol]
    for prefix, value in WEAK_IMPORTS.items():
        if prefix not in _EXACT and symbol.startswith(prefix):
            return value
    return None


@check(CheckSpec(
    id="IOTB-CRYPTO-001",
    title="Binaries that call broken cryptographic primitives",
    severity=Severity.MEDIUM,
    rationale=("MD5 and SHA-1 collide, DES/3DES and RC4 are broken or too small, ECB leaks "
               "patterns: where they protect integrity or secrecy they give a false assurance."),
    remedy=("Use SHA-256 or better for integrity, AES-GCM or ChaCha20-Poly1305 for encryption, "
            "and keep MD5/SHA-1 only where no security depends on them."),
    provisions=CRYPTO_PROVISIONS,
    cwe=(327, 328),
    tags=("crypto",),
))
def find_weak_crypto_imports(ctx: CheckContext) -> CheckReport:
    elves = [e for e in ctx.index.elves() if e.elf is not None and not e.elf.is_shared_library]
    strings_by_path = None
    if not elves:
        # no ELF facts from the inventory: fall back to symbol names in the dynamic string table
        strings_by_path = {bs.blob.entry.path: bs for bs in blob_strings(ctx)
                           if bs.blob.entry is not None and bs.blob.entry.kind == "elf"
                           and not posixpath.basename(bs.blob.entry.path).startswith("lib")}
        if not strings_by_path:
            return CheckReport(not_applicable="no executable ELF files in the image")
    hits: list[Hit] = []
    targets: list[tuple[str, str, list[str], str]] = []
    for e in elves:
        targets.append((e.path, e.root, list(e.elf.imports if e.elf else []), "imports"))
    for path, bs in (strings_by_path or {}).items():
        targets.append((path, bs.blob.entry.root if bs.blob.entry else "",
                        _SYMBOL.findall(bs.joined), "symbol names"))
    for path, root, symbols, how in targets:
        weak: dict[str, list[str]] = defaultdict(list)
        worst = Severity.LOW
        for sym in symbols:
            got = classify(sym)
            if got is None:
                continue
            weak[got[0]].append(sym)
            worst = got[1] if got[1].rank > worst.rank else worst
        if weak:
            listed = "; ".join(f"{k}: {', '.join(sorted(set(v))[:4])}" for k, v in sorted(weak.items()))
            hits.append(Hit(message=f"{path} uses {', '.join(sorted(weak))} ({listed})", path=path,
                            root=root, excerpt=excerpt(listed), severity=worst,
                            confidence="high" if how == "imports" else "medium",
                            properties={"algorithms": sorted(weak), "source": how}))
    return CheckReport(hits=hits, examined=[Evidence(kind="note", ref="elf-imports", detail=(
        f"{len(targets)} executables examined through their {targets[0][3] if targets else 'imports'}"))],
        summary=f"{len(targets)} executables examined")


# ---- IOTB-CRYPTO-002: configuration ------------------------------------------------------------

_WEAK_CIPHER = r"(?:RC4|ARCFOUR|\bDES\b|3DES|DES-CBC3|EXPORT|\bEXP\b|NULL|aNULL|eNULL|\bMD5\b|SSLv2|SSLv3|TLSv1(?:\.0)?\b(?!\.[123])|TLSv1\.1)"
WEAK_CONFIG = re.compile(
    rf"""(?imx)^\s*(?:
       (?:Ciphers|MACs|KexAlgorithms|HostKeyAlgorithms)\s+[^\n]*?(?P<ssh>arcfour\w*|3des-cbc|blowfish-cbc|cast128-cbc|aes\d+-cbc|hmac-md5\w*|hmac-sha1\b[\w-]*|diffie-hellman-group1-sha1|diffie-hellman-group-exchange-sha1|ssh-dss)
     | Protocol\s+(?P<sshproto>1\b[^\n]*)
     | (?:ssl_protocols|ssl_ciphers|SSLProtocol|SSLCipherSuite|ssl\.cipher-list|ssl\.openssl\.ssl-conf-cmd|
          CipherString|Ciphersuites|MinProtocol|ciphers|tls_version|sslVersion|ssl_cipher_list)\b[^\n]*?(?P<tls>{_WEAK_CIPHER})
     | ssl\.use-sslv[23]\s*=\s*"?(?P<lighttpd>enable)
    )""")


@check(CheckSpec(
    id="IOTB-CRYPTO-002",
    title="Weak ciphers or protocol versions in crypto configuration",
    severity=Severity.MEDIUM,
    rationale=("Configuration that allows SSLv3/TLS 1.0, RC4, DES, export or NULL ciphers, MD5 "
               "or SHA-1 MACs lets an attacker downgrade connections to breakable settings."),
    remedy=("Allow only TLS 1.2+ with AEAD suites and modern SSH ciphers/MACs/key exchanges; "
            "drop legacy options from openssl.cnf, sshd_config and web-server configs."),
    provisions=CRYPTO_PROVISIONS + ("etsi-en-303-645:5.5-7", "owasp-isvs:V4.1.2"),
    cwe=(326, 327, 757),
    tags=("crypto", "tls", "ssh"),
))
def find_weak_crypto_config(ctx: CheckContext) -> CheckReport:
    configs = [t for t in text_files(ctx) if t.entry.kind != "script" and (
        t.path.endswith((".cnf", ".conf", "_config", ".cfg")) or "/ssh" in t.path)]
    if not configs:
        return CheckReport(not_applicable="no crypto-related configuration files in the image")
    hits = []
    for m in search(ctx, WEAK_CONFIG, files=configs):
        what = next(v for v in m.match.groupdict().values() if v)
        hits.append(Hit(message=f"{m.file.path} allows weak setting '{what.strip()}'",
                        path=m.file.path, root=m.file.root, line=m.line,
                        excerpt=excerpt(m.line_text), properties={"setting": what.strip()}))
    return CheckReport(hits=hits, examined=[Evidence(kind="note", ref="crypto-configs", detail=(
        f"{len(configs)} configuration files searched for weak ciphers and protocols"))],
        summary=f"{len(configs)} configuration files examined")


# ---- IOTB-CRYPTO-003: hard-coded symmetric keys and IVs ----------------------------------------

HARDCODED_KEY = re.compile(
    r"""(?imx)
      \s-(?P<flag>K|iv|k|pass)\s+["']?(?P<val>(?:pass:)?[^\s"'$]+)   # openssl enc options
    | \b(?P<name>(?:aes|enc(?:rypt(?:ion)?)?|cipher|crypt|sym(?:metric)?|secret)_?(?:key|iv)|\biv)\b["']?\s*[=:]\s*["']?(?P<hex>(?:0x)?[0-9a-f]{16,})\b
    """)


@check(CheckSpec(
    id="IOTB-CRYPTO-003",
    title="Symmetric keys or IVs written into scripts and configuration",
    severity=Severity.HIGH,
    rationale=("A key or IV written into the firmware is the same on every unit; whatever it "
               "encrypts is readable by anyone who unpacks the image, and a fixed IV leaks patterns."),
    remedy=("Derive keys per device from protected storage or a key-exchange, and draw a fresh "
            "random IV/nonce for every message."),
    provisions=("etsi-en-303-645:5.4-3", "etsi-en-303-645:5.5-1", "xiaomi-2.0:4.1.1",
                "xiaomi-2.0:5.1", "tencent-qtx-001.1:5.1.6-4", "owasp-isvs:V2.4.1"),
    cwe=(321, 329, 798),
    tags=("crypto", "secrets"),
))
def find_hardcoded_symmetric_keys(ctx: CheckContext) -> CheckReport:
    files = text_files(ctx)
    if not files:
        return CheckReport(not_applicable="no scripts or configuration files in the image")
    hits = []
    for m in search(ctx, HARDCODED_KEY, hints=("openssl", "key", "iv")):
        if is_comment(m.line_text):
            continue
        if m.match.group("flag") and not re.search(r"\bopenssl\s+(?:enc|aes-|des|bf|camellia)",
                                                   m.line_text):
            continue
        value = m.match.group("val") or m.match.group("hex")
        label = f"-{m.match.group('flag')}" if m.match.group("flag") else m.match.group("name")
        kind = "IV" if label.lower() in ("-iv", "iv") or label.lower().endswith("iv") else "key"
        hits.append(Hit(message=f"fixed encryption {kind} ({label}) in {m.file.path}",
                        path=m.file.path, root=m.file.root, line=m.line,
                        excerpt=excerpt(m.line_text.replace(value, redact(value, keep=4))),
                        secret=value, redacted=redact(value, keep=4), confidence="medium",
                        properties={"kind": kind, "label": label}))
    return CheckReport(hits=hits, examined=[Evidence(kind="note", ref="symmetric-keys", detail=(
        f"{len(files)} text files searched for fixed keys/IVs (openssl enc -K/-iv, key=hex)"))],
        summary=f"{len(files)} text files examined")


CHECKS = (find_weak_crypto_imports, find_weak_crypto_config, find_hardcoded_symmetric_keys)
