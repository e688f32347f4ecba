"""Communications: plain-text endpoints (http/ftp/mqtt/tftp) for cloud, update or telemetry,
TLS certificate verification switched off, MQTT without TLS and CoAP without DTLS."""

from __future__ import annotations

import ipaddress
import posixpath
import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.textscan import (
    TextFile,
    blob_strings,
    excerpt,
    is_comment,
    search,
    search_binaries,
    text_files,
)
from iotbaseline.model import Evidence, Severity

URL = re.compile(r"\b(?P<scheme>http|ftp|tftp|mqtt|ws|coap)://(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.\-]+)"
                 r"(?::(?P<port>\d{1,5}))?(?P<path>/[^\s\"'<>()`;|]*)?")
LOCAL_SUFFIXES = (".local", ".lan", ".localdomain", ".home", ".internal", ".localhost", ".test",
                  ".example", ".invalid")
# Hosts whose URLs are names, schemas and documentation rather than endpoints the device talks to
DOC_HOSTS = re.compile(
    r"(?i)(^|\.)(w3\.org|xmlsoap\.org|openxmlformats\.org|purl\.org|xml\.org|schemas\.\w+\.\w+|"
    r"example\.(com|org|net)|gnu\.org|fsf\.org|apache\.org/licenses|opensource\.org|"
    r"creativecommons\.org|ietf\.org|iana\.org|upnp\.org|dlna\.org|json-schema\.org|"
    r"ns\.adobe\.com|microsoft\.com|mozilla\.org|wikipedia\.org|github\.com|"
    r"freedesktop\.org|kernel\.org|busybox\.net|uclibc\.org|openssl\.org)$")
PURPOSE = re.compile(r"(?i)(update|upgrade|firmware|download|cloud|report|telemetry|track|"
                     r"register|activate|heartbeat|mqtt|push|feed|packages?|"
                     r"(?<![a-z0-9])(?:fw|ota|api|logs?|stats?)(?![a-z0-9]))")
# URLs that are plain HTTP by design or never fetched by the device: revocation lists, OCSP,
# CA policy pages inside certificates, and DTD/XSD identifiers
NOT_AN_ENDPOINT = re.compile(r"(?i)^(?:ocsp|crl\d*|cps)\.|\.(?:crl|crt|cer|der|dtd|xsd|ent|mod)\d?$|"
                             r"/(?:cps|crl|ocsp|repository)(?:/|\d?$)")
# UPnP device descriptions (and the daemons that embed them) name the maker's and the model's web
# pages; control points show them to people, the device never fetches them.
INFO_LINK = re.compile(r"(?i)<(?:manufacturer|model|presentation|support)URL>|\bhref\s*=")
CERT_STORES = re.compile(r"(?i)(^/etc/ssl/|^/usr/share/ca-certificates/|^/etc/pki/|cacerts$|"
                         r"\.(?:crt|cer|der|pem|p12|pfx|jks|keystore)$|^/etc/xml/)")
DOC_FILES = re.compile(r"(?i)(^/usr/share/(doc|man|info|licenses?)/|^/etc/(banner|issue|motd)|"
                       r"/(COPYING|LICEN[CS]E|README|"
                       r"NOTICE|AUTHORS|ChangeLog)[^/]*$|\.(txt|md|html?|js|css|xsd|dtd|wsdl)$)")


def is_local_host(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host in ("localhost", "") or "." not in host and ":" not in host:
        return True  # bare names resolve on the LAN only
    if host.endswith(LOCAL_SUFFIXES):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast


def endpoint_kind(host: str, path: str | None, line: str) -> str | None:
    """Why the URL matters ('update', 'telemetry'…) or None when it is local or documentation."""
    if is_local_host(host) or DOC_HOSTS.search(host) or "$" in host or "%" in host:
        return None
    if re.search(r"xmlns|DOCTYPE|schemaLocation|systemId|publicId", line):
        return None
    if INFO_LINK.search(line):  # a vendor web page shown to people, not fetched by the device
        return None
    if NOT_AN_ENDPOINT.search(host) or NOT_AN_ENDPOINT.search(path or ""):
        return None
    if re.search(r"(?i)/licen[cs]es?\b", path or ""):
        return None
    m = PURPOSE.search(f"{host}{path or ''}")
    return m.group(1).lower() if m else "endpoint"


def _is_device_text(tf: TextFile) -> bool:
    return not DOC_FILES.search(tf.path) and not CERT_STORES.search(tf.path) and \
        not tf.path.startswith(("/www/", "/usr/www/"))


# Only URLs the device fetches or posts to are endpoints (issue 10, class 2): a download/upload
# command on the line, a package feed, or the value of a configuration key that names a server,
# update, cloud or DDNS setting. Namespaces, description and help links, author homepages in
# version banners and placeholders are not.
FETCH_CALL = re.compile(r"(?i)(?<![\w-])(?:wget|curl|tftp|ftpget|ftpput|uclient-fetch|snarf|lftp|ncftp\w*|"
                        r"fetch|http_get|http_post)(?![\w-])")
FEED_LINE = re.compile(r"^\s*src(?:/gz)?\s+\S+\s+\w+://")
CONFIG_KEY = re.compile(
    r"(?i)(?P<key>[A-Za-z_][\w.\-]*)\s*(?:=|:|\s)\s*[\"']?\w+://")
ENDPOINT_KEY = re.compile(r"(?i)(url|uri|server|srv|host|feed|src|update|upgrade|firmware|cloud|ddns|dyndns|"
                          r"report|upload|download|push|mqtt|broker|api|endpoint|ota|ntp)")
INFO_KEY = re.compile(r"(?i)(manufacturer|model|presentation|product|support|help|home|vendor|info|"
                      r"homepage|website|web_?site|contact|doc|manual|faq|license)")
PLACEHOLDER_HOST = re.compile(r"(?i)(url\.here|your[\w-]*\.|xxx|placeholder|changeme|^(?:host|server|domain)"
                              r"(?:name)?\.|\.(?:tld|domain)$)")
NAMESPACE_URL = re.compile(r"(?i)(tempuri\.org|purenetworks\.com/HNAP1|/soap/|soap\.|/HNAP1/|"
                           r"schemas\.|/xmlns|/ns/|/DTD/|/xsd)")
BANNER = re.compile(r"(?i)(copyright|\(c\)|@\(#\)|written by|author|web:|website|see (?:also )?(?:the )?"
                    r"(?:web ?site|http)|visit|homepage|for more information|please report|bugs? to|"
                    r"ServiceTypes)")
MARKUP_FILE = re.compile(r"(?i)\.(php|xml|html?|asp|htm|js|css|xsl|wsdl|tpl|template)$")
WEB_ROOTS = ("/htdocs/", "/www/", "/usr/www/", "/webs/", "/web/", "/var/www/")


def _not_an_endpoint(url: str, host: str) -> bool:
    return bool(PLACEHOLDER_HOST.search(host) or NAMESPACE_URL.search(url))


def text_use(path: str, line: str, url_start: int) -> str | None:
    """How a script or config line uses the URL at ``url_start`` ('fetch', 'feed', 'config'),
    or None when the device does not talk to it (markup, help text, description fields)."""
    before = line[:url_start]
    if FETCH_CALL.search(before):
        return "fetch"
    if FEED_LINE.search(line):
        return "feed"
    if MARKUP_FILE.search(path) or path.startswith(WEB_ROOTS):
        return None  # a page or template shows the URL to people; nothing fetches it
    m = None
    for m in CONFIG_KEY.finditer(before + line[url_start:url_start + 12]):
        pass
    if m is not None and ENDPOINT_KEY.search(m.group("key")) and not INFO_KEY.search(m.group("key")):
        return "config"
    return None


def binary_use(string: str, url: str, kind: str | None) -> str | None:
    """A URL inside a program counts when a download command is built with it, or when it names
    an update, cloud or telemetry service; never a banner, namespace or a bare vendor homepage."""
    if BANNER.search(string):
        return None
    if FETCH_CALL.search(string.split(url, 1)[0]):
        return "fetch"
    if kind not in (None, "endpoint"):
        return "purpose"
    return None


@check(CheckSpec(
    id="IOTB-COMM-001",
    title="Plain-text endpoints for cloud, update or telemetry",
    severity=Severity.MEDIUM,
    rationale=("Firmware, commands or telemetry fetched over http://, ftp://, tftp:// or mqtt:// "
               "can be read and changed by anyone on the path between device and server."),
    remedy=("Talk to every remote service over TLS (https, mqtts, ftps) with certificate "
            "verification, and sign update files in addition."),
    provisions=("etsi-en-303-645:5.5-1", "etsi-en-303-645:5.8-1", "etsi-en-303-645:5.8-2",
                "xiaomi-2.0:4.1.2", "xiaomi-2.0:4.2.2", "tencent-qtx-001.1:5.1.6-3",
                "owasp-isvs:V4.1.1", "owasp-isvs:V4.2.1", "owasp-isvs:V3.4.12"),
    applies_to="any",
    cwe=(319,),
    tags=("communications",),
))
def find_plaintext_endpoints(ctx: CheckContext) -> CheckReport:
    files = [t for t in text_files(ctx) if _is_device_text(t)]
    strings = blob_strings(ctx)
    if not files and not strings:
        return CheckReport(not_applicable="no scripts, configuration or binaries to search")
    hits: list[Hit] = []
    seen: set[tuple[str, str]] = set()
    for m in search(ctx, URL, files=files, hints=("://",)):
        kind = endpoint_kind(m.match.group("host"), m.match.group("path"), m.line_text)
        if kind is None or is_comment(m.line_text) or (m.file.path, m.match.group(0)) in seen:
            continue
        if m.file.in_markup_comment(m.match.start()) or _not_an_endpoint(m.match.group(0), m.match.group("host")):
            continue
        col = m.line_text.find(m.match.group(0))
        use = text_use(m.file.path, m.line_text, max(col, 0))
        if use is None:
            continue
        seen.add((m.file.path, m.match.group(0)))
        hits.append(Hit(message=f"plain {m.match.group('scheme')}:// {kind} URL the device uses ({use}) in "
                        f"{m.file.path}: {m.match.group(0)[:120]}", path=m.file.path, root=m.file.root,
                        line=m.line, excerpt=excerpt(m.line_text),
                        severity=Severity.MEDIUM if kind != "endpoint" else Severity.LOW,
                        confidence="high" if kind != "endpoint" else "medium",
                        properties={"url": m.match.group(0), "purpose": kind, "use": use}))
    for bm in search_binaries(ctx, URL, where=lambda b: not CERT_STORES.search(b.name)):
        kind = endpoint_kind(bm.match.group("host"), bm.match.group("path"), bm.string)
        name = bm.blob.entry.path if bm.blob.entry else bm.blob.name
        if kind is None or (name, bm.match.group(0)) in seen:
            continue
        if _not_an_endpoint(bm.match.group(0), bm.match.group("host")):
            continue
        use = binary_use(bm.string, bm.match.group(0), kind)
        if use is None:
            continue
        seen.add((name, bm.match.group(0)))
        hits.append(Hit(message=f"plain {bm.match.group('scheme')}:// {kind} URL inside {name} ({use}): "
                        f"{bm.match.group(0)[:120]}",
                        path=bm.blob.entry.path if bm.blob.entry else None,
                        root=bm.blob.entry.root if bm.blob.entry else None, offset=bm.offset,
                        excerpt=bm.string, severity=Severity.MEDIUM if kind != "endpoint" else Severity.LOW,
                        confidence="medium" if kind != "endpoint" else "low",
                        properties={"url": bm.match.group(0), "purpose": kind, "use": use}))
    return CheckReport(hits=hits, examined=[Evidence(kind="note", ref="urls", detail=(
        f"{len(files)} scripts/configs and {len(strings)} binaries searched for non-local "
        "plain-text URLs the device fetches or posts to (download/upload calls, package feeds, "
        "server/update/cloud/DDNS settings, update URLs in programs); namespaces, description "
        "and help links, banners and placeholders excluded"))],
        summary=f"{len(files)} text files, {len(strings)} binaries examined")


# ---- IOTB-COMM-002: TLS verification off --------------------------------------------------------

TLS_OFF = re.compile(
    r"""(?x)(?P<what>
        \bcurl\b[^\n|;]*?\s(?:-k\b|--insecure\b|-[a-zA-Z]*k[a-zA-Z]*\s)
      | --no-check-certificate\b
      | \bSSL_VERIFY_NONE\b
      | \bverify\s*=\s*False\b
      | \bCURLOPT_SSL_VERIFY(?:PEER|HOST)\s*,\s*0\b
      | \b(?:bridge_insecure|tls_insecure|insecure)\s*[=\s]\s*(?:true|1|yes)\b
      | \b(?:ssl_?verify|verify_?ssl|verify_?peer|tls_?verify|check_?cert(?:ificate)?)\s*[=:]\s*["']?(?:0|false|no|off|none)\b
    )""", re.IGNORECASE)
CA_REF = re.compile(r"""(?:--cacert|--ca-certificate|--ca-directory|\bcafile|\bca_file|\bcapath|
                        \bbridge_cafile|\bca_certs?|\bCAfile|sslCACertificateFile)\s*[=\s]\s*["']?
                        (?P<path>/[\w./\-]+)""", re.VERBOSE)


@check(CheckSpec(
    id="IOTB-COMM-002",
    title="TLS certificate verification switched off or impossible",
    severity=Severity.HIGH,
    rationale=("TLS without certificate verification encrypts to whoever answers: any "
               "man-in-the-middle can read and change the traffic, updates included."),
    remedy=("Always verify the server certificate against a shipped CA bundle or a pinned key; "
            "ship the bundle the code refers to."),
    provisions=("etsi-en-303-645:5.5-1", "etsi-en-303-645:5.5-6", "xiaomi-2.0:4.2.3",
                "tencent-qtx-001.1:5.2.2-3", "owasp-isvs:V4.1.3", "owasp-isvs:V4.1.5"),
    applies_to="any",
    cwe=(295,),
    tags=("communications", "tls"),
))
def find_tls_verification_off(ctx: CheckContext) -> CheckReport:
    files = [t for t in text_files(ctx) if not DOC_FILES.search(t.path) or t.path.endswith(".js")]
    strings = blob_strings(ctx)
    if not files and not strings:
        return CheckReport(not_applicable="no scripts, configuration or binaries to search")
    hits: list[Hit] = []
    for m in search(ctx, TLS_OFF, files=files, hints=(
            "curl", "no-check-cert", "verify", "insecure", "curlopt")):
        if is_comment(m.line_text):
            continue
        hits.append(Hit(message=f"TLS verification disabled in {m.file.path} "
                        f"('{m.match.group('what').strip()[:60]}')", path=m.file.path,
                        root=m.file.root, line=m.line, excerpt=excerpt(m.line_text)))
    for bm in search_binaries(ctx, re.compile(r"--no-check-certificate|\bcurl\s[^\n]*?(?:-k\b|--insecure)")):
        name = bm.blob.entry.path if bm.blob.entry else bm.blob.name
        if bm.blob.entry is not None and posixpath.basename(name) in ("wget", "curl", "uclient-fetch", "busybox"):
            continue  # the tool's own help text, not a use of the option
        hits.append(Hit(message=f"{name} runs a download with TLS verification disabled",
                        path=bm.blob.entry.path if bm.blob.entry else None,
                        root=bm.blob.entry.root if bm.blob.entry else None, offset=bm.offset,
                        excerpt=bm.string, confidence="medium"))
    for m in search(ctx, CA_REF, files=files, hints=("ca-cert", "cacert", "cafile", "ca_file",
                                                      "capath", "ca_cert", "ca-directory")):
        path = m.match.group("path")
        if is_comment(m.line_text) or ctx.index.resolve(path) is not None:
            continue
        hits.append(Hit(message=f"{m.file.path} points TLS at CA file {path}, which is not in the "
                        "image: verification fails or is skipped", path=m.file.path,
                        root=m.file.root, line=m.line, excerpt=excerpt(m.line_text),
                        severity=Severity.MEDIUM, confidence="medium", properties={"ca": path}))
    return CheckReport(hits=hits, examined=[Evidence(kind="note", ref="tls-verification", detail=(
        f"{len(files)} text files and {len(strings)} binaries searched for disabled "
        "certificate checks and missing CA bundles"))],
        summary=f"{len(files)} text files, {len(strings)} binaries examined")


# ---- IOTB-COMM-003: MQTT without TLS, CoAP without DTLS ----------------------------------------

MQTT_COAP = re.compile(
    r"""(?imx)(?P<what>
        \bmqtt://[^\s"'<>]+ | \bcoap://[^\s"'<>]+ | \btcp://[^\s"'<>]+:1883\b
      | ^\s*(?:listener|port)\s+1883\b
      | \bmosquitto_(?:pub|sub)\b[^\n]*?\s-p\s+1883\b
      | \b(?:mqtt|broker)[\w.]*?port["']?\s*[=:]\s*["']?1883\b
      | ^\s*address\s+[^\s:]+:1883\b
    )""")


@check(CheckSpec(
    id="IOTB-COMM-003",
    title="MQTT without TLS or CoAP without DTLS",
    severity=Severity.MEDIUM,
    rationale=("MQTT on port 1883 and coap:// carry commands, credentials and sensor data in "
               "clear text; anyone on the network path can read or inject messages."),
    remedy="Use MQTT over TLS (8883, mqtts://) and CoAP over DTLS (coaps://, 5684).",
    provisions=("etsi-en-303-645:5.5-1", "etsi-en-303-645:5.8-1", "xiaomi-2.0:4.1.2",
                "tencent-qtx-001.1:5.2.3-1", "tencent-qtx-001.1:5.2.3-2", "owasp-isvs:V4.1.1",
                "owasp-isvs:V4.2.1"),
    applies_to="any",
    cwe=(319,),
    tags=("communications", "mqtt", "coap"),
))
def find_cleartext_iot_protocols(ctx: CheckContext) -> CheckReport:
    files = [t for t in text_files(ctx) if not DOC_FILES.search(t.path)]
    strings = blob_strings(ctx)
    if not files and not strings:
        return CheckReport(not_applicable="no scripts, configuration or binaries to search")
    hits: list[Hit] = []
    for m in search(ctx, MQTT_COAP, files=files, hints=("mqtt", "coap", "1883")):
        if is_comment(m.line_text):
            continue
        what = m.match.group("what").strip()
        hits.append(Hit(message=f"clear-text {'CoAP' if 'coap' in what.lower() else 'MQTT'} in "
                        f"{m.file.path}: {what[:80]}", path=m.file.path, root=m.file.root,
                        line=m.line, excerpt=excerpt(m.line_text)))
    for bm in search_binaries(ctx, re.compile(r"\b(?:mqtt|coap)://[^\s\"'<>]+|\btcp://[^\s\"'<>]+:1883\b")):
        name = bm.blob.entry.path if bm.blob.entry else bm.blob.name
        host = re.sub(r"^\w+://", "", bm.match.group(0)).split("/")[0].split(":")[0]
        if "%" in host or "$" in host:
            continue
        hits.append(Hit(message=f"clear-text endpoint inside {name}: {bm.match.group(0)[:80]}",
                        path=bm.blob.entry.path if bm.blob.entry else None,
                        root=bm.blob.entry.root if bm.blob.entry else None, offset=bm.offset,
                        excerpt=bm.string, confidence="medium"))
    return CheckReport(hits=hits, examined=[Evidence(kind="note", ref="mqtt-coap", detail=(
        f"{len(files)} text files and {len(strings)} binaries searched for mqtt://, coap:// and "
        "port 1883"))], summary=f"{len(files)} text files, {len(strings)} binaries examined")


CHECKS = (find_plaintext_endpoints, find_tls_verification_off, find_cleartext_iot_protocols)
