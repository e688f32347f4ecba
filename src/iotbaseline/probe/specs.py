"""Declarations of the live-probe checks: stable id, our words, requirements evidenced.

The probes report against these specs; ``probe/coverage.py`` derives PROBE_PROVISIONS from
them, so the coverage table cannot drift from the code.
"""

from __future__ import annotations

from iotbaseline.checks.base import CheckSpec
from iotbaseline.checks.services.common import provisions
from iotbaseline.model import Severity

NET_CLEARTEXT_ADMIN = CheckSpec(
    id="IOTB-NET-001",
    title="Clear-text remote administration service reachable (telnet, FTP)",
    severity=Severity.HIGH,
    rationale="Telnet and FTP carry logins and data unencrypted and are the first doors IoT "
              "botnets knock on; a shipped device should not answer on them.",
    remedy="Disable telnet and FTP in the shipped configuration; use SSH or HTTPS with "
           "per-device credentials where remote access is needed.",
    provisions=provisions(etsi=("5.6-1", "5.6-5", "5.5-1"), xiaomi=("2.2",),
                          tencent=("5.1.6-3", "5.3.2-4"), isvs=("V3.2.2", "V3.2.3")),
    applies_to="any", cwe=(319,), tags=("probe",),
)
NET_DEBUG_PORT = CheckSpec(
    id="IOTB-NET-002",
    title="Debug or remote-management port reachable (ADB, TR-069, vendor back doors)",
    severity=Severity.HIGH,
    rationale="ADB over TCP gives a shell to whoever connects; TR-069 and vendor management "
              "ports have a long history of remote exploitation when they face the LAN or WAN.",
    remedy="Turn ADB over TCP off in production builds and bind management agents to the "
           "provider side only, with authentication.",
    provisions=provisions(etsi=("5.6-1", "5.6-4", "5.6-5"), xiaomi=("2.2", "3.1.5"),
                          tencent=("5.1.6-3", "5.3.2-4"), isvs=("V3.2.2", "V2.2.4")),
    applies_to="any", cwe=(489,), tags=("probe",),
)
NET_OPEN_PORTS = CheckSpec(
    id="IOTB-NET-003",
    title="Network services the device exposes",
    severity=Severity.INFO,
    rationale="Every open port is attack surface; the list is the starting point for deciding "
              "whether each service is needed for the device's intended use.",
    remedy="Close every port the intended use does not need.",
    provisions=provisions(etsi=("5.6-1", "5.6-5"), xiaomi=("2.2",),
                          tencent=("5.1.6-3", "5.3.2-4"), isvs=("V3.2.2",)),
    applies_to="any", tags=("probe",),
)
NET_SNMP_PUBLIC = CheckSpec(
    id="IOTB-NET-004",
    title="SNMP answers to the default community 'public'",
    severity=Severity.HIGH,
    rationale="A well-known community string is a shared default password: anyone on the "
              "network can read the device's configuration (and sometimes change it).",
    remedy="Disable SNMP by default or use SNMPv3 with per-device credentials.",
    provisions=provisions(etsi=("5.1-1", "5.6-2"), xiaomi=("3.2.2",),
                          tencent=("5.3.2-3",), isvs=("V2.1.8",)),
    applies_to="any", cwe=(1392,), tags=("probe",),
)
NET_UPNP = CheckSpec(
    id="IOTB-NET-005",
    title="UPnP/SSDP discovery answers",
    severity=Severity.MEDIUM,
    rationale="UPnP announces the device and its control URLs to any program on the network "
              "and IGD lets them open ports without authentication.",
    remedy="Ship UPnP off, or limit it to what the product needs (no IGD port mapping).",
    provisions=provisions(etsi=("5.6-1", "5.6-5"), xiaomi=("2.2",), tencent=("5.1.6-3",),
                          isvs=("V3.2.2",)),
    applies_to="any", cwe=(306,), tags=("probe",),
)
NET_COAP_PLAIN = CheckSpec(
    id="IOTB-NET-006",
    title="CoAP served without DTLS",
    severity=Severity.MEDIUM,
    rationale="Plain CoAP (UDP 5683) has no confidentiality or authentication; anyone on the "
              "network can read and send commands.",
    remedy="Protect CoAP with DTLS 1.2+ (CoAPS, 5684) or an application-layer encryption.",
    provisions=provisions(etsi=("5.5-1",), tencent=("5.2.3-2",), xiaomi=("4.2.1",),
                          isvs=("V4.1.1",)),
    applies_to="any", cwe=(319,), tags=("probe",),
)
NET_SSH_WEAK_ALGS = CheckSpec(
    id="IOTB-NET-007",
    title="SSH server offers broken key exchange, host key, cipher or MAC algorithms",
    severity=Severity.MEDIUM,
    rationale="Algorithms such as SHA-1 key exchange, CBC/3DES/RC4 ciphers or MD5/SHA-1 MACs "
              "weaken or break the protection of the session.",
    remedy="Configure the SSH server to offer only current algorithms (curve25519 or sntrup "
           "key exchange, AES-GCM/ChaCha20-Poly1305, SHA-2 ETM MACs, Ed25519/RSA-SHA2 keys).",
    provisions=provisions(etsi=("5.5-1",), xiaomi=("5.1",), isvs=("V2.4.2",)),
    applies_to="any", cwe=(327,), tags=("probe",),
)
BANNER_VERSION = CheckSpec(
    id="IOTB-BANNER-001",
    title="Software version or kernel revealed before authentication",
    severity=Severity.LOW,
    rationale="Version strings in banners let an attacker pick a matching exploit without "
              "logging in; the device should say as little as possible before authentication.",
    remedy="Strip product versions and kernel details from banners, HTTP Server headers and "
           "discovery replies.",
    provisions=provisions(etsi=("5.6-2",)),
    applies_to="any", cwe=(200,), tags=("probe",),
)
TLS_LEGACY_PROTOCOL = CheckSpec(
    id="IOTB-TLS-001",
    title="Legacy SSL/TLS protocol version offered (SSL 2/3, TLS 1.0/1.1)",
    severity=Severity.MEDIUM,
    rationale="SSL 2/3 and TLS 1.0/1.1 are deprecated (RFC 8996) and have known attacks; "
              "clients can be pushed down to them.",
    remedy="Offer TLS 1.2 and 1.3 only.",
    provisions=provisions(etsi=("5.5-1", "5.8-1"), xiaomi=("4.2.1",), isvs=("V4.1.1", "V4.1.2")),
    applies_to="any", cwe=(326,), tags=("probe",),
)
TLS_WEAK_CIPHER = CheckSpec(
    id="IOTB-TLS-002",
    title="Weak TLS cipher suites accepted",
    severity=Severity.MEDIUM,
    rationale="NULL, export, anonymous, RC4, DES/3DES and other short-key suites give no or "
              "breakable protection to the traffic.",
    remedy="Accept only AEAD suites with forward secrecy (ECDHE with AES-GCM or ChaCha20).",
    provisions=provisions(etsi=("5.5-1", "5.8-1"), xiaomi=("4.2.1", "5.1"),
                          isvs=("V4.1.2", "V2.4.2")),
    applies_to="any", cwe=(327,), tags=("probe",),
)
TLS_CERT_HASH = CheckSpec(
    id="IOTB-TLS-003",
    title="Certificate signed with a weak hash (SHA-1 or MD5)",
    severity=Severity.MEDIUM,
    rationale="SHA-1 and MD5 signatures can be forged with chosen-prefix collisions; the "
              "certificate should be signed with SHA-256 or stronger.",
    remedy="Re-issue the certificate signed with SHA-256 (or stronger).",
    provisions=provisions(etsi=("5.5-1",), tencent=("5.2.3-3",), xiaomi=("5.1",),
                          isvs=("V2.4.2",)),
    applies_to="any", cwe=(328,), tags=("probe",),
)
TLS_CERT_KEY = CheckSpec(
    id="IOTB-TLS-004",
    title="Certificate key too short",
    severity=Severity.MEDIUM,
    rationale="RSA or DSA keys under 2048 bits and elliptic-curve keys under 256 bits are "
              "within reach of well-funded attackers.",
    remedy="Use RSA 2048+ (3072 for long-lived devices) or an EC key of 256 bits or more.",
    provisions=provisions(etsi=("5.5-1",), xiaomi=("5.1",), isvs=("V2.4.2",)),
    applies_to="any", cwe=(326,), tags=("probe",),
)
TLS_CERT_VALIDITY = CheckSpec(
    id="IOTB-TLS-005",
    title="Certificate expired, not yet valid or close to expiry",
    severity=Severity.MEDIUM,
    rationale="Clients either reject an expired certificate or are trained to ignore errors, "
              "which defeats server authentication.",
    remedy="Renew the certificate before it expires and monitor its validity.",
    provisions=provisions(etsi=("5.5-1",), tencent=("5.2.3-4",)),
    applies_to="any", cwe=(298,), tags=("probe",),
)
TLS_CERT_TRUST = CheckSpec(
    id="IOTB-TLS-006",
    title="Certificate not trusted: self-signed or hostname mismatch",
    severity=Severity.LOW,
    rationale="A certificate clients cannot verify teaches users to click through warnings; "
              "per-device certificates should chain to a maker CA the app can pin.",
    remedy="Issue per-device certificates from a maker CA (pinned by the companion app) whose "
           "names match how the device is reached.",
    provisions=provisions(etsi=("5.5-1",), isvs=("V4.1.1",)),
    applies_to="any", cwe=(295,), tags=("probe",),
)
TLS_HSTS = CheckSpec(
    id="IOTB-TLS-007",
    title="HTTPS without HSTS",
    severity=Severity.LOW,
    rationale="Without Strict-Transport-Security a browser can be downgraded to plain HTTP by "
              "an attacker on the path.",
    remedy="Send Strict-Transport-Security with a max-age of at least six months.",
    provisions=provisions(etsi=("5.5-1",), isvs=("V4.1.1",)),
    applies_to="any", cwe=(319,), tags=("probe",),
)
HTTP_PLAIN_ADMIN = CheckSpec(
    id="IOTB-HTTP-001",
    title="Administration web interface served over plain HTTP",
    severity=Severity.HIGH,
    rationale="A login page over HTTP sends the administrator's password in clear text to "
              "anyone on the network path.",
    remedy="Serve the administration interface over HTTPS only and redirect HTTP to it.",
    provisions=provisions(etsi=("5.5-1", "5.5-7"), xiaomi=("4.2.1",), tencent=("5.1.6-3",),
                          isvs=("V4.1.1", "V4.2.1")),
    applies_to="any", cwe=(319,), tags=("probe",),
)
HTTP_NO_REDIRECT = CheckSpec(
    id="IOTB-HTTP-002",
    title="HTTP not redirected to HTTPS with a 30x",
    severity=Severity.MEDIUM,
    rationale="Requests that arrive over HTTP should be sent to HTTPS at once, so no page or "
              "credential travels unencrypted.",
    remedy="Answer every plain-HTTP request with a 301/302/307/308 redirect to the HTTPS URL.",
    provisions=provisions(tencent=("5.2.3-5",), etsi=("5.5-1",)),
    applies_to="any", cwe=(319,), tags=("probe",),
)
HTTP_UNAUTH_MGMT = CheckSpec(
    id="IOTB-HTTP-003",
    title="Management page or API reachable without authentication",
    severity=Severity.HIGH,
    rationale="Configuration pages, backups or status APIs that answer without a login let "
              "anyone on the network read or change the device.",
    remedy="Require authentication for every management page and API in the initialised state.",
    provisions=provisions(etsi=("5.5-4", "5.5-5"), xiaomi=("3.1.5",), tencent=("5.3.3-2",),
                          isvs=("V2.1.3",)),
    applies_to="any", cwe=(306,), tags=("probe",),
)
HTTP_HEADERS = CheckSpec(
    id="IOTB-HTTP-004",
    title="Web interface without basic security headers",
    severity=Severity.LOW,
    rationale="Without X-Frame-Options/CSP frame-ancestors and X-Content-Type-Options the "
              "administration UI can be framed (click-jacking) or content-sniffed.",
    remedy="Send X-Frame-Options: DENY (or CSP frame-ancestors 'none') and "
           "X-Content-Type-Options: nosniff on every page.",
    # click-jacking lets a page the administrator visits make configuration changes he did not
    # intend, which 5.5-5 requires to be authenticated (the user's own action)
    provisions=provisions(etsi=("5.5-5",)),
    applies_to="any", cwe=(1021,), tags=("probe",),
)
HTTP_DIR_LISTING = CheckSpec(
    id="IOTB-HTTP-005",
    title="Directory listing enabled on the web server",
    severity=Severity.MEDIUM,
    rationale="A directory index shows files (backups, logs, keys) nobody meant to publish.",
    remedy="Disable automatic directory indexes.",
    provisions=provisions(etsi=("5.6-2",)),
    applies_to="any", cwe=(548,), tags=("probe",),
)
MQTT_ANONYMOUS = CheckSpec(
    id="IOTB-MQTT-001",
    title="MQTT broker accepts anonymous clients",
    severity=Severity.HIGH,
    rationale="An anonymous broker lets anyone read every message (subscribe to '#') and send "
              "commands to devices.",
    remedy="Require client authentication (certificates or per-device credentials) and "
           "restrict topics with an ACL.",
    provisions=provisions(etsi=("5.5-4",), xiaomi=("4.1.3",), isvs=("V4.2.2", "V4.2.3")),
    applies_to="any", cwe=(306,), tags=("probe",),
)
MQTT_PLAIN = CheckSpec(
    id="IOTB-MQTT-002",
    title="MQTT offered without TLS",
    severity=Severity.MEDIUM,
    rationale="Plain MQTT carries credentials and messages in clear text.",
    remedy="Offer MQTT over TLS (8883) only.",
    provisions=provisions(tencent=("5.2.3-1",), etsi=("5.5-1",), xiaomi=("4.2.1",),
                          isvs=("V4.1.1",)),
    applies_to="any", cwe=(319,), tags=("probe",),
)
LOGIN_DEFAULT = CheckSpec(
    id="IOTB-LOGIN-001",
    title="Login accepted with a known default credential",
    severity=Severity.CRITICAL,
    rationale="A default password is the same on every unit and appears in public lists; "
              "botnets log in with it within minutes of the device going online.",
    remedy="Ship a unique per-device password or force the user to set one before any "
           "network service accepts logins.",
    provisions=provisions(etsi=("5.1-1",), xiaomi=("3.1.2", "3.2.2"), tencent=("5.3.2-3",),
                          isvs=("V2.1.8", "V2.1.10")),
    applies_to="any", cwe=(1392,), tags=("probe",),
)
LOCKOUT_NONE = CheckSpec(
    id="IOTB-LOCKOUT-001",
    title="No protection against password guessing",
    severity=Severity.HIGH,
    rationale="Without a delay, lock-out or rate limit, an attacker can try passwords as fast "
              "as the network allows.",
    remedy="Add growing delays or a temporary lock after a few failed logins (per account and "
           "per source), without locking the owner out for good.",
    provisions=provisions(etsi=("5.1-5",), xiaomi=("3.1.3",), isvs=("V2.1.12",)),
    applies_to="any", cwe=(307,), tags=("probe",),
)
DRIFT_UNPREDICTED = CheckSpec(
    id="IOTB-DRIFT-001",
    title="Service answering on the device that the firmware scan did not predict",
    severity=Severity.MEDIUM,
    rationale="A listener the firmware analysis did not find comes from somewhere unreviewed "
              "(a runtime download, a vendor binary, another firmware version).",
    remedy="Find which program opens the port and review or remove it; make sure the probed "
           "device runs the scanned firmware.",
    provisions=provisions(etsi=("5.6-1",), isvs=("V1.1.2",)),
    applies_to="any", tags=("probe",),
)
DRIFT_MISSING = CheckSpec(
    id="IOTB-DRIFT-002",
    title="Service the firmware starts but the device does not expose",
    severity=Severity.INFO,
    rationale="A predicted service that does not answer may be firewalled, bound to another "
              "interface, or the device may run other firmware; worth confirming.",
    remedy="Confirm that the service is really off, or that it is only reachable where "
           "intended.",
    provisions=provisions(etsi=("5.6-1",)),  # info only: shown beside 5.6-1, never decisive
    applies_to="any", tags=("probe",),
)

ALL_SPECS: tuple[CheckSpec, ...] = (
    NET_CLEARTEXT_ADMIN, NET_DEBUG_PORT, NET_OPEN_PORTS, NET_SNMP_PUBLIC, NET_UPNP,
    NET_COAP_PLAIN, NET_SSH_WEAK_ALGS, BANNER_VERSION, TLS_LEGACY_PROTOCOL, TLS_WEAK_CIPHER,
    TLS_CERT_HASH, TLS_CERT_KEY, TLS_CERT_VALIDITY, TLS_CERT_TRUST, TLS_HSTS, HTTP_PLAIN_ADMIN,
    HTTP_NO_REDIRECT, HTTP_UNAUTH_MGMT, HTTP_HEADERS, HTTP_DIR_LISTING, MQTT_ANONYMOUS,
    MQTT_PLAIN, LOGIN_DEFAULT, LOCKOUT_NONE, DRIFT_UNPREDICTED, DRIFT_MISSING,
)
