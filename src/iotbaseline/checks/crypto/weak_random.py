"""Security values (passwords, keys, tokens, nonces) made from a predictable random source:
shell scripts using ``$RANDOM`` or the time, and programs whose only randomness is
``rand()``/``random()`` seeded from the clock while they do cryptography."""

from __future__ import annotations

import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import provisions
from iotbaseline.checks.textscan import blob_strings, excerpt, is_comment, search, text_files
from iotbaseline.model import Evidence, Severity

# A variable named for a security value, assigned from $RANDOM or the clock.
_SECRET_NAME = r"\w*(?:pass(?:wd|word)?|pwd|key|token|secret|nonce|salt|session|otp)\w*"
_WEAK_SOURCE = r"(?:\$\{?RANDOM\b|\$\(\s*date\b|`\s*date\b|\bsrand\s*\(|\brand\s*\(\))"
# Names of paths and sizes, not of the value itself ("KEYFILE=/tmp/key-$(date +%s)").
_NOT_A_VALUE = re.compile(r"(?i)(?:file|dir|path|name|len|size|log|count|_f)$")
SCRIPT_ASSIGN = re.compile(
    rf"(?im)^[ \t]*(?:local\s+|export\s+|readonly\s+)?({_SECRET_NAME})=[^\n#]*{_WEAK_SOURCE}")

SEEDS = frozenset({"srand", "srandom", "srand48", "srandom_r"})
WEAK_DRAWS = frozenset({"rand", "random", "rand_r", "lrand48", "drand48", "random_r"})
CLOCK = frozenset({"time", "gettimeofday", "clock_gettime"})
# Imports that show the program also has a strong source (then rand() may be harmless).
STRONG = frozenset({
    "getrandom", "getentropy", "arc4random", "arc4random_buf", "RAND_bytes", "RAND_priv_bytes",
    "mbedtls_ctr_drbg_random", "mbedtls_hmac_drbg_random", "mbedtls_entropy_func",
    "wc_RNG_GenerateBlock", "wc_InitRng", "psa_generate_random", "gnutls_rnd",
    "randombytes_buf", "esp_fill_random", "esp_random", "os_get_random",
})
_CRYPTO_PREFIXES = ("AES_", "EVP_", "HMAC", "MD5", "SHA1", "SHA256", "DES_", "RC4",
                    "mbedtls_", "wc_", "crypto_", "gcry_", "nettle_")
_STRONG_PATHS = ("/dev/urandom", "/dev/random", "/dev/hwrng")


def _crypto_imports(imports: set[str]) -> list[str]:
    return sorted(i for i in imports if i.startswith(_CRYPTO_PREFIXES) or i == "crypt")


@check(CheckSpec(
    id="IOTB-RNG-001",
    title="Security values made from a predictable random source",
    severity=Severity.MEDIUM,
    rationale="Passwords, keys, tokens and nonces drawn from $RANDOM, the clock or "
              "rand() seeded with the time can be guessed by anyone who knows roughly when the "
              "device started; randomness for security must come from the kernel's CSPRNG or a "
              "hardware generator.",
    remedy="Draw security values from getrandom()/ /dev/urandom, the TLS library's DRBG or a "
           "hardware RNG; never from rand()/random(), $RANDOM or the time.",
    provisions=provisions(xiaomi=("5.2",), isvs=("V2.4.3",)),
    applies_to="rootfs",
    cwe=(330, 338),
    tags=("crypto", "random"),
))
def find_weak_randomness(ctx: CheckContext) -> CheckReport:
    scripts = [tf for tf in text_files(ctx) if tf.entry.kind == "script"]
    elves = [e for e in ctx.index.elves() if e.elf is not None and not e.elf.is_kernel_module]
    if not scripts and not elves:
        return CheckReport(not_applicable="no scripts or ELF programs in the image")
    report = CheckReport()
    for m in search(ctx, SCRIPT_ASSIGN, files=scripts,
                    hints=("random", "date", "rand")):
        if is_comment(m.line_text) or _NOT_A_VALUE.search(m.match.group(1)):
            continue
        report.hits.append(Hit(
            message=f"{m.file.path}:{m.line} sets {m.match.group(1)} from a predictable source "
                    "($RANDOM, the clock or rand()).",
            path=m.file.path, root=m.file.root, line=m.line, excerpt=excerpt(m.line_text)))
    candidates = []
    for entry in elves:
        imports = set(entry.elf.imports) if entry.elf else set()
        crypto = _crypto_imports(imports)
        if (imports & SEEDS and imports & WEAK_DRAWS and imports & CLOCK
                and not imports & STRONG and crypto):
            candidates.append((entry, crypto, sorted(imports & (SEEDS | WEAK_DRAWS))))
    if candidates:
        strings_of = {(bs.blob.entry.root, bs.blob.entry.path): bs.joined
                      for bs in blob_strings(ctx) if bs.blob.entry is not None}
        for entry, crypto, weak in candidates:
            text = strings_of.get((entry.root, entry.path), "")
            if any(p in text for p in _STRONG_PATHS):
                report.examined.append(Evidence(
                    kind="file", ref=entry.path, sha256=entry.sha256,
                    detail=f"imports {', '.join(weak)} but also opens a kernel random device"))
                continue
            report.hits.append(Hit(
                message=f"{entry.path} seeds {', '.join(weak)} from the clock and has no strong "
                        f"random source, while it does cryptography ({', '.join(crypto[:5])}).",
                path=entry.path, root=entry.root, confidence="low",
                excerpt=f"imports: {', '.join(weak)}; crypto: {', '.join(crypto[:5])}"))
    report.examined.append(Evidence(
        kind="note", ref="randomness",
        detail=f"{len(scripts)} scripts searched for security values built from $RANDOM, the "
               f"clock or rand(); imports of {len(elves)} ELF programs searched for "
               "time-seeded rand() used alongside cryptography without a strong source"))
    report.summary = (f"{len(report.hits)} predictable random source(s) for security values"
                      if report.hits else "no predictable random source for security values")
    return report


CHECKS = (find_weak_randomness,)
