"""TLS configuration of one port, measured with sslyze: protocol versions, accepted cipher
suites, the certificate (signature hash, key size, validity, self-signed, hostname, chain)
and HSTS for HTTPS. Blocking; the caller runs it in a thread."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from iotbaseline.probe.session import ProbeSession

EXPIRY_WARNING_DAYS = 30
LEGACY_VERSIONS = ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1")
_WEAK_SUITE = re.compile(r"NULL|EXPORT|anon|_RC4_|RC2|_DES_|DES40|3DES|DES_CBC|_MD5$|IDEA",
                         re.IGNORECASE)


@dataclass
class TlsReport:
    port: int
    versions: list[str] = field(default_factory=list)  # offered
    weak_suites: dict[str, list[str]] = field(default_factory=dict)  # version → suite names
    suites: dict[str, int] = field(default_factory=dict)  # version → number accepted
    cert: dict[str, Any] = field(default_factory=dict)
    hsts: str | None = None
    http_checked: bool = False
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"versions": self.versions, "weak_suites": self.weak_suites,
                "suites": self.suites, "certificate": self.cert, "hsts": self.hsts,
                "errors": self.errors}


def weak_suite(name: str, key_size: int, anonymous: bool) -> bool:
    return anonymous or key_size < 128 or bool(_WEAK_SUITE.search(name))


def describe_certificate(cert: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    """Facts about a ``cryptography`` certificate: hash, key, validity, self-signed."""
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    now = now or dt.datetime.now(dt.UTC)
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key_type, bits = "RSA", key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_type, bits = f"EC {key.curve.name}", key.curve.key_size
    elif isinstance(key, dsa.DSAPublicKey):
        key_type, bits = "DSA", key.key_size
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key_type, bits = "Ed25519", 256
    elif isinstance(key, ed448.Ed448PublicKey):
        key_type, bits = "Ed448", 448
    else:
        key_type, bits = type(key).__name__, 0
    hash_alg = cert.signature_hash_algorithm
    not_before = cert.not_valid_before_utc
    not_after = cert.not_valid_after_utc
    return {
        "subject": cert.subject.rfc4514_string()[:300],
        "issuer": cert.issuer.rfc4514_string()[:300],
        "self_signed": cert.issuer == cert.subject,
        "signature_hash": hash_alg.name if hash_alg is not None else None,
        "key_type": key_type,
        "key_bits": bits,
        "not_before": not_before.isoformat(),
        "not_after": not_after.isoformat(),
        "expired": now > not_after,
        "not_yet_valid": now < not_before,
        "days_left": (not_after - now).days,
        "serial": format(cert.serial_number, "x")[:64],
    }


def key_too_short(cert: dict[str, Any]) -> bool:
    kind, bits = str(cert.get("key_type", "")), int(cert.get("key_bits") or 0)
    if kind in ("RSA", "DSA"):
        return bits < 2048
    if kind.startswith("EC"):
        return bits < 256
    return False


def scan_tls(session: ProbeSession, port: int, with_http: bool) -> TlsReport:
    from sslyze import (
        CertificateInfoExtraArgument,
        ScanCommand,
        ScanCommandsExtraArguments,
        Scanner,
        ServerNetworkLocation,
        ServerScanRequest,
        ServerScanStatusEnum,
    )

    report = TlsReport(port=port)
    address = session.allow(port, "tls")
    commands = {
        ScanCommand.SSL_2_0_CIPHER_SUITES: "SSL 2.0", ScanCommand.SSL_3_0_CIPHER_SUITES: "SSL 3.0",
        ScanCommand.TLS_1_0_CIPHER_SUITES: "TLS 1.0", ScanCommand.TLS_1_1_CIPHER_SUITES: "TLS 1.1",
        ScanCommand.TLS_1_2_CIPHER_SUITES: "TLS 1.2", ScanCommand.TLS_1_3_CIPHER_SUITES: "TLS 1.3",
    }
    wanted = set(commands) | {ScanCommand.CERTIFICATE_INFO}
    if with_http:
        wanted.add(ScanCommand.HTTP_HEADERS)
    hostname = session.target.name if not _is_ip(session.target.name) else address
    location = ServerNetworkLocation(hostname=hostname, port=port, ip_address=address)
    scanner = Scanner(per_server_concurrent_connections_limit=session.settings.tls_concurrency,
                      concurrent_server_scans_limit=1)
    extra = ScanCommandsExtraArguments()
    if session.settings.ca_file is not None:
        extra = ScanCommandsExtraArguments(certificate_info=CertificateInfoExtraArgument(
            custom_ca_file=session.settings.ca_file))
    scanner.queue_scans([ServerScanRequest(server_location=location, scan_commands=wanted,
                                           scan_commands_extra_arguments=extra)])
    for result in scanner.get_results():
        if result.scan_status != ServerScanStatusEnum.COMPLETED:
            report.errors.append(f"TLS connectivity failed: {result.connectivity_error_trace}"
                                 [:300])
            return report
        scan = result.scan_result
        if scan is None:
            report.errors.append("sslyze returned no scan result")
            return report
        for command, version in commands.items():
            attempt = getattr(scan, command.value)
            if attempt.result is None:
                if attempt.error_reason is not None:
                    report.errors.append(f"{version}: {attempt.error_reason.value}")
                continue
            accepted = attempt.result.accepted_cipher_suites
            if not accepted:
                continue
            report.versions.append(version)
            report.suites[version] = len(accepted)
            weak = [s.cipher_suite.name for s in accepted
                    if weak_suite(s.cipher_suite.name, s.cipher_suite.key_size,
                                  s.cipher_suite.is_anonymous)]
            if weak:
                report.weak_suites[version] = weak
        cert_attempt = scan.certificate_info
        if cert_attempt.result is not None and cert_attempt.result.certificate_deployments:
            deployment = cert_attempt.result.certificate_deployments[0]
            chain = deployment.received_certificate_chain
            if chain:
                report.cert = describe_certificate(chain[0])
                report.cert["chain_length"] = len(chain)
                report.cert["trusted"] = deployment.verified_certificate_chain is not None
                report.cert["validation"] = [
                    f"{r.trust_store.name}: {r.validation_error or 'ok'}"[:200]
                    for r in deployment.path_validation_results]
                report.cert["hostname_matches"] = hostname_matches(chain[0], hostname)
                report.cert["hostname_checked"] = hostname
        elif cert_attempt.error_reason is not None:
            report.errors.append(f"certificate: {cert_attempt.error_reason.value}")
        if with_http:
            headers = scan.http_headers
            if headers.result is not None and headers.result.http_error_trace is None:
                report.http_checked = True
                hsts = headers.result.strict_transport_security_header
                report.hsts = (f"max-age={hsts.max_age}" if hsts is not None else None)
    return report


def hostname_matches(cert: Any, hostname: str) -> bool:
    """RFC 6125 in short: the name (or IP) must be in the subjectAltName; one leading
    wildcard label allowed for DNS names."""
    import ipaddress

    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    if _is_ip(hostname):
        wanted = ipaddress.ip_address(hostname.strip("[]"))
        return any(ip == wanted for ip in san.get_values_for_type(x509.IPAddress))
    name = hostname.lower().rstrip(".")
    for pattern in san.get_values_for_type(x509.DNSName):
        pattern = pattern.lower().rstrip(".")
        if pattern == name:
            return True
        if pattern.startswith("*.") and name.count(".") >= 2 and \
                name.split(".", 1)[1] == pattern[2:]:
            return True
    return False


def _is_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True
