"""X.509 certificates shipped in the image: expiry, signature hash, key size, self-signed.
Public CA bundles (trust stores) are counted but not judged: they are the CAs' business."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.textscan import text_files
from iotbaseline.model import Evidence, Severity

if TYPE_CHECKING:  # cryptography is imported where used: ~0.1 s, needless on images without certificates
    from cryptography import x509

PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.DOTALL)
TRUST_STORE = re.compile(r"^/(etc/ssl/certs|usr/share/ca-certificates|etc/pki/|usr/lib/ssl/certs)|"
                         r"(ca-certificates|ca-bundle|cacert|ca-root)[^/]*\.(crt|pem)$")
DER_SUFFIXES = (".der", ".cer", ".crt")


@dataclass(frozen=True)
class CertProblem:
    text: str
    severity: Severity


def problems(cert: x509.Certificate, now: dt.datetime) -> list[CertProblem]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

    out: list[CertProblem] = []
    if cert.not_valid_after_utc < now:
        out.append(CertProblem(f"expired on {cert.not_valid_after_utc:%Y-%m-%d}", Severity.MEDIUM))
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        algo = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        algo = None
    if isinstance(algo, (hashes.MD5, hashes.SHA1)):
        out.append(CertProblem(f"signed with {algo.name.upper()}", Severity.MEDIUM))
    try:
        key: object = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):  # malformed key bytes (found by fuzzing)
        key = None
    if isinstance(key, (rsa.RSAPublicKey, dsa.DSAPublicKey)) and key.key_size < 2048:
        out.append(CertProblem(f"{key.key_size}-bit {'RSA' if isinstance(key, rsa.RSAPublicKey) else 'DSA'} key",
                               Severity.MEDIUM))
    elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < 224:
        out.append(CertProblem(f"{key.curve.key_size}-bit EC key", Severity.MEDIUM))
    if cert.issuer == cert.subject:
        try:
            is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            out.append(CertProblem("self-signed (no CA can vouch for it; clients must be told "
                                   "to skip verification or pin it)", Severity.LOW))
    return out


def _readable(cert: x509.Certificate) -> bool:
    """cryptography parses most fields lazily: a malformed version, name or extension only raises
    when read (found by fuzzing). A certificate whose fields cannot be read is skipped."""
    from cryptography import x509

    try:
        cert.version, cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
        cert.signature_hash_algorithm, cert.not_valid_after_utc, list(cert.extensions)
    except (ValueError, KeyError, TypeError, x509.InvalidVersion):
        return False
    except Exception as exc:  # noqa: BLE001 - e.g. UnsupportedAlgorithm: the fields above are fine
        from cryptography.exceptions import UnsupportedAlgorithm
        return isinstance(exc, UnsupportedAlgorithm)
    return True


def _certs(ctx: CheckContext) -> list[tuple[str, str, int | None, x509.Certificate]]:
    from cryptography import x509

    found: list[tuple[str, str, int | None, x509.Certificate]] = []
    for tf in text_files(ctx):
        if "-----BEGIN CERTIFICATE-----" not in tf.text or TRUST_STORE.search(tf.path):
            continue
        for m in PEM_CERT.finditer(tf.text):
            try:
                cert = x509.load_pem_x509_certificate(m.group(0).encode())
            except (ValueError, x509.InvalidVersion):
                continue
            if _readable(cert):
                found.append((tf.path, tf.root, tf.line_number(m.start()), cert))
    for entry in ctx.index.iter():
        if entry.kind in ("data", "certificate") and posixpath.basename(entry.path).lower().endswith(
                DER_SUFFIXES) and 0 < entry.size < 64 * 1024 and not TRUST_STORE.search(entry.path):
            data = ctx.index.read_bytes(entry)
            if data and data.startswith(b"\x30\x82"):
                try:
                    cert = x509.load_der_x509_certificate(data)
                except (ValueError, x509.InvalidVersion):
                    continue
                if _readable(cert):
                    found.append((entry.path, entry.root, None, cert))
    return found


@check(CheckSpec(
    id="IOTB-CERT-001",
    title="Weak, expired or self-signed certificates",
    severity=Severity.MEDIUM,
    rationale=("A certificate signed with MD5/SHA-1, with a short key or past its validity gives "
               "no dependable authentication; a self-signed one trains clients to skip checks."),
    remedy=("Use certificates signed with SHA-256 or better, keys of at least 2048-bit RSA or "
            "P-256, renewed before expiry and chained to a CA the clients verify."),
    provisions=("etsi-en-303-645:5.5-1", "xiaomi-2.0:5.1",
                "tencent-qtx-001.1:5.2.3-3", "tencent-qtx-001.1:5.2.3-4", "owasp-isvs:V2.4.2"),
    cwe=(295, 327, 298),
    tags=("crypto", "certificates"),
))
def find_weak_certificates(ctx: CheckContext) -> CheckReport:
    certs = _certs(ctx)
    if not certs:
        return CheckReport(not_applicable="no certificates outside the CA trust store")
    now = dt.datetime.now(dt.UTC)
    hits: list[Hit] = []
    for path, root, line, cert in certs:
        found = problems(cert, now)
        if not found:
            continue
        subject = cert.subject.rfc4514_string()[:120]
        worst = max((p.severity for p in found), key=lambda s: s.rank)
        hits.append(Hit(
            message=f"certificate '{subject}' in {path}: " + "; ".join(p.text for p in found),
            path=path, root=root, line=line, excerpt=f"subject={subject}", severity=worst,
            properties={"subject": subject, "problems": [p.text for p in found],
                        "not_after": cert.not_valid_after_utc.isoformat()}))
    return CheckReport(hits=hits, examined=[Evidence(kind="note", ref="certificates",
                       detail=f"{len(certs)} certificates examined")],
                       summary=f"{len(certs)} certificates examined")


CHECKS = (find_weak_certificates,)
