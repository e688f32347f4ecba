"""Per-service analysis: turns what the protocol modules measured into observations,
findings and examined evidence on the recorder. One function per kind of service."""

from __future__ import annotations

import re
from typing import Any

from iotbaseline.model import Severity
from iotbaseline.probe import specs
from iotbaseline.probe.identify import ServiceInfo
from iotbaseline.probe.record import ProbeRecorder
from iotbaseline.probe.session import ProbeSession
from iotbaseline.probe.udp import UdpAnswer
from iotbaseline.probe.web import (
    HttpAuth,
    LoginForm,
    WebClient,
    auth_challenge,
    directory_listing,
    find_login_form,
    has_password_field,
    http_paths,
    is_https_redirect,
    looks_like_error_page,
    soft_404,
)

VERSION_LEAK = re.compile(
    r"(?i)\b(?:linux|kernel)[ /-]*v?\d+\.\d+(?:\.\d+)*"
    r"|\bbusybox v?\d+\.\d+(?:\.\d+)*"
    r"|\b[a-z][\w.+-]*[/_ (]v?\d+\.\d+(?:[.\w-]*)")
MANAGEMENT_PORTS = {7547: "TR-069 (CWMP) management", 37215: "Huawei HG UPnP/TR-064 service",
                    5555: "ADB over TCP"}


def version_leak(text: str) -> str | None:
    match = VERSION_LEAK.search(text or "")
    return match.group(0)[:120] if match else None


def check_banner(rec: ProbeRecorder, port: int, protocol: str, text: str, where: str) -> None:
    """BANNER-001 on one pre-authentication string."""
    leak = version_leak(text)
    ref = f"banner/{protocol}/{port}"
    if leak:
        rec.hit(specs.BANNER_VERSION, f"{where} on port {port} reveals '{leak}' before any "
                f"login.", port=port, protocol=protocol, excerpt=text[:300], observation=ref)
    else:
        rec.examined(specs.BANNER_VERSION, ref, f"{where} on port {port} shows no version")


# ------------------------------------------------------------------------------------------
# TCP services
# ------------------------------------------------------------------------------------------


def analyse_plain_service(rec: ProbeRecorder, info: ServiceInfo) -> None:
    """Telnet, FTP, ADB, RTSP, unknown: the greeting and what the service is."""
    port = info.port
    if info.service in ("telnet", "ftp"):
        rec.hit(specs.NET_CLEARTEXT_ADMIN,
                f"{info.service.upper() if info.service == 'ftp' else 'Telnet'} answers on "
                f"port {port}" + (f": '{info.banner[:80]}'" if info.banner else "."),
                port=port, protocol=info.service, excerpt=info.banner,
                observation=f"service/{port}")
        check_banner(rec, port, info.service, info.banner, f"The {info.service} greeting")
    if info.service == "adb":
        open_shell = not info.data.get("auth_required")
        rec.hit(specs.NET_DEBUG_PORT,
                f"ADB answers on TCP port {port} "
                + ("and accepted the connection without authentication"
                   if open_shell else "(it asks for key authentication)")
                + (f": {info.banner[:120]}" if info.banner else "."),
                port=port, protocol="adb", excerpt=info.banner,
                severity=Severity.CRITICAL if open_shell else None,
                observation=f"service/{port}")
        check_banner(rec, port, "adb", info.banner, "The ADB device banner")
    elif port in MANAGEMENT_PORTS:
        rec.hit(specs.NET_DEBUG_PORT, f"{MANAGEMENT_PORTS[port]} port {port} is open "
                f"({info.service}).", port=port, protocol=info.protocol,
                severity=Severity.MEDIUM, observation=f"service/{port}")
    if info.service == "rtsp":
        server = info.headers.get("server", "")
        if server:
            check_banner(rec, port, "rtsp", server, "The RTSP Server header")
    if info.service == "ssh":
        check_banner(rec, port, "ssh", info.banner, "The SSH identification string")


async def analyse_ssh(session: ProbeSession, rec: ProbeRecorder, info: ServiceInfo) -> None:
    from iotbaseline.probe.ssh import SshProbeError, read_kexinit

    try:
        algs = await read_kexinit(session, info.port)
    except (TimeoutError, SshProbeError, OSError) as exc:
        rec.error(specs.NET_SSH_WEAK_ALGS, f"port {info.port}: {exc}")
        return
    ref = f"ssh/{info.port}/algorithms"
    rec.observe(ref, "ssh", f"SSH on port {info.port} ({algs.banner}) offers "
                f"{len(algs.kex)} kex, {len(algs.ciphers)} cipher, {len(algs.macs)} MAC "
                f"algorithms", port=info.port, protocol="ssh", data=algs.as_dict(),
                specs=(specs.NET_SSH_WEAK_ALGS,))
    if algs.weak:
        names = ", ".join(sorted(algs.weak))
        rec.hit(specs.NET_SSH_WEAK_ALGS, f"SSH on port {info.port} offers algorithms "
                f"ssh-audit rates as broken: {names}.", port=info.port, protocol="ssh",
                observation=ref, properties={"weak": algs.weak})
    else:
        rec.passed(specs.NET_SSH_WEAK_ALGS, "no broken SSH algorithm offered")


# ------------------------------------------------------------------------------------------
# TLS
# ------------------------------------------------------------------------------------------


def analyse_tls(session: ProbeSession, rec: ProbeRecorder, info: ServiceInfo) -> None:
    from iotbaseline.probe.tls import EXPIRY_WARNING_DAYS, LEGACY_VERSIONS, key_too_short, scan_tls

    port = info.port
    with_http = info.service == "http"
    report = scan_tls(session, port, with_http)
    ref = f"tls/{port}"
    tls_specs = (specs.TLS_LEGACY_PROTOCOL, specs.TLS_WEAK_CIPHER, specs.TLS_CERT_HASH,
                 specs.TLS_CERT_KEY, specs.TLS_CERT_VALIDITY, specs.TLS_CERT_TRUST)
    if not report.versions and report.errors:
        for spec in tls_specs:
            rec.error(spec, f"port {port}: " + "; ".join(report.errors)[:300])
        return
    cert = report.cert
    summary = (f"TLS on port {port} ({info.service}): " + ", ".join(report.versions)
               + (f"; certificate {cert.get('key_type')} {cert.get('key_bits')} bit signed "
                  f"with {cert.get('signature_hash')}, valid until {cert.get('not_after')}"
                  if cert else ""))
    rec.observe(ref, "tls", summary, port=port, protocol="tls", data=report.as_dict(),
                specs=tls_specs + ((specs.TLS_HSTS,) if report.http_checked else ()))
    legacy = [v for v in report.versions if v in LEGACY_VERSIONS]
    if legacy:
        rec.hit(specs.TLS_LEGACY_PROTOCOL, f"Port {port} accepts {', '.join(legacy)}.",
                port=port, protocol="tls", observation=ref,
                severity=Severity.HIGH if any(v.startswith("SSL") for v in legacy)
                else None)
    else:
        rec.passed(specs.TLS_LEGACY_PROTOCOL, f"only {', '.join(report.versions)} offered")
    if report.weak_suites:
        shown = sorted({s for suites in report.weak_suites.values() for s in suites})
        rec.hit(specs.TLS_WEAK_CIPHER, f"Port {port} accepts weak cipher suites: "
                + ", ".join(shown[:8]) + (" …" if len(shown) > 8 else "") + ".",
                port=port, protocol="tls", observation=ref,
                properties={"weak_suites": report.weak_suites})
    else:
        rec.passed(specs.TLS_WEAK_CIPHER, "no weak cipher suite accepted")
    if not cert:
        return
    hash_name = str(cert.get("signature_hash") or "")
    if hash_name.lower() in ("sha1", "md5", "md2", "md4"):
        rec.hit(specs.TLS_CERT_HASH, f"The certificate on port {port} is signed with "
                f"{hash_name.upper()} ({cert.get('subject')}).", port=port, protocol="tls",
                observation=ref)
    else:
        rec.passed(specs.TLS_CERT_HASH, f"certificate signed with {hash_name}")
    if key_too_short(cert):
        rec.hit(specs.TLS_CERT_KEY, f"The certificate on port {port} has a "
                f"{cert.get('key_bits')}-bit {cert.get('key_type')} key.", port=port,
                protocol="tls", observation=ref)
    if cert.get("expired") or cert.get("not_yet_valid"):
        rec.hit(specs.TLS_CERT_VALIDITY, f"The certificate on port {port} is "
                + ("expired" if cert.get("expired") else "not yet valid")
                + f" (valid {cert.get('not_before')} to {cert.get('not_after')}).",
                port=port, protocol="tls", observation=ref, severity=Severity.HIGH)
    elif int(cert.get("days_left", 9999)) < EXPIRY_WARNING_DAYS:
        rec.hit(specs.TLS_CERT_VALIDITY, f"The certificate on port {port} expires in "
                f"{cert.get('days_left')} days ({cert.get('not_after')}).", port=port,
                protocol="tls", observation=ref, severity=Severity.LOW)
    problems = []
    if cert.get("self_signed"):
        problems.append("it is self-signed")
    elif not cert.get("trusted"):
        problems.append("its chain does not lead to a trusted CA")
    if not cert.get("hostname_matches"):
        problems.append(f"it does not name {cert.get('hostname_checked')}")
    if problems:
        rec.hit(specs.TLS_CERT_TRUST, f"The certificate on port {port} cannot be verified: "
                + "; ".join(problems) + ".", port=port, protocol="tls", observation=ref)
    if report.http_checked:
        if report.hsts is None:
            rec.hit(specs.TLS_HSTS, f"HTTPS on port {port} sends no Strict-Transport-Security "
                    "header.", port=port, protocol="https", observation=ref)
        else:
            rec.passed(specs.TLS_HSTS, f"HSTS {report.hsts}")


# ------------------------------------------------------------------------------------------
# HTTP
# ------------------------------------------------------------------------------------------


def analyse_http(session: ProbeSession, rec: ProbeRecorder, info: ServiceInfo,
                 https_ports: list[int], forms: list[LoginForm], auths: list[HttpAuth]) -> None:
    port, tls = info.port, info.tls
    proto = "https" if tls else "http"
    with WebClient(session, port, tls) as client:
        root = client.get("/")
        landing = root
        target = client.local_path(root.redirect) if root.redirect else None
        if root.redirect and target is not None and not is_https_redirect(session, root.redirect):
            landing = client.get(target)  # a redirect to the login page on the same port
        server = root.headers.get("server", "")
        if server:
            check_banner(rec, port, proto, server, "The HTTP Server header")
        powered = root.headers.get("x-powered-by", "")
        if powered:
            check_banner(rec, port, proto, powered, "The X-Powered-By header")
        form = find_login_form(landing, port, tls)
        challenge = auth_challenge(landing)
        if form is not None:
            forms.append(form)
        if challenge is not None:
            auths.append(HttpAuth(port, tls, landing.path, challenge[0], challenge[1]))
        admin_ui = form is not None or challenge is not None
        ref = f"http/{port}/root"
        rec.observe(ref, "http", f"{proto.upper()} on port {port}: GET / → {root.status}"
                    + (f" → {root.redirect}" if root.redirect else "")
                    + ("; login page" if admin_ui else ""), port=port, protocol=proto,
                    data={"status": root.status, "location": root.redirect,
                          "server": server, "login_form": form is not None,
                          "auth": challenge[0] if challenge else None},
                    specs=(specs.HTTP_NO_REDIRECT,) if not tls else ())
        if not tls:
            if is_https_redirect(session, root.redirect):
                rec.passed(specs.HTTP_NO_REDIRECT, f"port {port} redirects to HTTPS")
                rec.examined(specs.HTTP_PLAIN_ADMIN, ref, f"port {port} redirects to HTTPS")
            else:
                rec.hit(specs.HTTP_NO_REDIRECT, f"Plain HTTP on port {port} answers "
                        f"{root.status} instead of a 30x redirect to HTTPS"
                        + (f" (HTTPS is on port {', '.join(map(str, https_ports))})"
                           if https_ports else "") + ".", port=port, protocol="http",
                        observation=ref)
                if admin_ui:
                    rec.hit(specs.HTTP_PLAIN_ADMIN, f"The login page on port {port} "
                            f"({landing.path}) is served over plain HTTP, so the password "
                            "travels in clear text.", port=port, protocol="http",
                            observation=ref)
                else:
                    rec.examined(specs.HTTP_PLAIN_ADMIN, ref,
                                 f"no login page on plain HTTP port {port}")
        else:
            rec.examined(specs.HTTP_PLAIN_ADMIN, ref, f"port {port} is HTTPS")
        if landing.status == 200:
            _security_headers(rec, port, proto, landing)
        _management_paths(rec, client, port, proto)
        _listings(rec, client, port, proto, landing)


def _security_headers(rec: ProbeRecorder, port: int, proto: str, page: Any) -> None:
    headers = page.headers
    csp = headers.get("content-security-policy", "").lower()
    missing = []
    if "x-frame-options" not in headers and "frame-ancestors" not in csp:
        missing.append("X-Frame-Options (or CSP frame-ancestors)")
    if headers.get("x-content-type-options", "").lower() != "nosniff":
        missing.append("X-Content-Type-Options: nosniff")
    ref = f"http/{port}/headers"
    if missing:
        rec.hit(specs.HTTP_HEADERS, f"{page.path} on port {port} lacks "
                + " and ".join(missing) + ".", port=port, protocol=proto, observation=ref)
    else:
        rec.examined(specs.HTTP_HEADERS, ref, f"security headers present on port {port}")


def _management_paths(rec: ProbeRecorder, client: WebClient, port: int, proto: str) -> None:
    baseline = soft_404(client)
    exposed: list[str] = []
    protected: list[str] = []
    for path in http_paths()["management"]:
        try:
            page = client.get(path)
        except Exception:  # noqa: BLE001 - one failing path must not stop the others
            continue
        if page.status in (401, 403) or (page.redirect and "login" in page.redirect.lower()):
            protected.append(path)
            continue
        if looks_like_error_page(page, baseline) or has_password_field(page):
            continue
        exposed.append(path)
        rec.hit(specs.HTTP_UNAUTH_MGMT, f"{path} on port {port} answers 200 without a login "
                f"({len(page.body)} bytes).", port=port, protocol=proto,
                excerpt=page.text[:120], observation=f"http/{port}{path}")
    rec.observe(f"http/{port}/management", "http",
                f"{len(http_paths()['management'])} management paths requested on port {port}: "
                f"{len(exposed)} open without login, {len(protected)} asked for a login",
                port=port, protocol=proto,
                data={"exposed": exposed, "protected": protected},
                specs=(specs.HTTP_UNAUTH_MGMT,))


def _listings(rec: ProbeRecorder, client: WebClient, port: int, proto: str, landing: Any
              ) -> None:
    pages = [landing]
    for path in http_paths()["listing"]:
        try:
            pages.append(client.get(path))
        except Exception:  # noqa: BLE001
            continue
    listed = [p.path for p in pages if directory_listing(p)]
    for path in listed:
        rec.hit(specs.HTTP_DIR_LISTING, f"{path} on port {port} shows a directory index.",
                port=port, protocol=proto, observation=f"http/{port}{path}")
    if not listed:
        rec.examined(specs.HTTP_DIR_LISTING, f"http/{port}/listing",
                     f"{len(pages)} paths on port {port}, no directory index")


# ------------------------------------------------------------------------------------------
# MQTT
# ------------------------------------------------------------------------------------------


def analyse_mqtt(session: ProbeSession, rec: ProbeRecorder, info: ServiceInfo) -> None:
    from iotbaseline.probe.mqtt import mqtt_connect

    port = info.port
    proto = "mqtts" if info.tls else "mqtt"
    result = mqtt_connect(session, port, info.tls, subscribe_all=True)
    if result is None:
        rec.error(specs.MQTT_ANONYMOUS, f"port {port}: no CONNACK on the second connection")
        return
    ref = f"mqtt/{port}/anonymous"
    rec.observe(ref, "mqtt", f"MQTT on port {port}{' over TLS' if info.tls else ''}: anonymous "
                f"CONNECT → {result['reason']}"
                + (f"; subscribe '#' {'granted' if result.get('subscribe_all') else 'refused'}"
                   if result["accepted"] else ""), port=port, protocol=proto, data=result,
                specs=(specs.MQTT_ANONYMOUS, specs.MQTT_PLAIN))
    if result["accepted"]:
        extra = ""
        if result.get("subscribe_all"):
            extra = (f" and may subscribe to '#' (every topic; {result.get('messages_seen', 0)}"
                     " message(s) seen in a second)")
        rec.hit(specs.MQTT_ANONYMOUS, f"The MQTT broker on port {port} accepts a client with "
                f"no credentials{extra}.", port=port, protocol=proto, observation=ref,
                properties={"topics_seen": result.get("topics_seen", [])})
    else:
        rec.passed(specs.MQTT_ANONYMOUS, f"anonymous CONNECT refused ({result['reason']})")
    if not info.tls:
        rec.hit(specs.MQTT_PLAIN, f"MQTT is offered without TLS on port {port}.", port=port,
                protocol="mqtt", observation=ref)
    else:
        rec.passed(specs.MQTT_PLAIN, f"MQTT on port {port} uses TLS")


# ------------------------------------------------------------------------------------------
# UDP
# ------------------------------------------------------------------------------------------


def analyse_udp(session: ProbeSession, rec: ProbeRecorder, answer: UdpAnswer) -> None:
    port = answer.port
    ref = f"udp/{port}/{answer.service}"
    rec.observe(ref, "port", answer.summary, port=port, protocol=f"udp/{answer.service}",
                data=answer.data, specs=(specs.NET_OPEN_PORTS,))
    if answer.service == "snmp":
        rec.hit(specs.NET_SNMP_PUBLIC, f"SNMP on UDP port {port} answers the community "
                "'public'.", port=port, protocol="snmp", observation=ref,
                excerpt=str(answer.data.get("values", ""))[:200])
        for value in answer.data.get("values", {}).values():
            check_banner(rec, port, "snmp", str(value), "SNMP sysDescr")
    elif answer.service == "ssdp":
        rec.hit(specs.NET_UPNP, f"SSDP on UDP port {port} answers discovery: "
                f"{answer.summary[:150]}.", port=port, protocol="ssdp", observation=ref)
        for response in answer.data.get("responses", [])[:1]:
            if response.get("server"):
                check_banner(rec, port, "ssdp", response["server"], "The SSDP SERVER header")
            _upnp_description(session, rec, response.get("location", ""))
    elif answer.service == "coap":
        rec.hit(specs.NET_COAP_PLAIN, f"CoAP answers on UDP port {port} without DTLS: "
                f"{answer.summary[:150]}.", port=port, protocol="coap", observation=ref)


def _upnp_description(session: ProbeSession, rec: ProbeRecorder, location: str) -> None:
    """Fetch the device description the SSDP reply points to, only on the target itself."""
    from urllib.parse import urlsplit

    from defusedxml import ElementTree

    parts = urlsplit(location)
    if not location or parts.scheme != "http" or not session.same_host(parts.hostname):
        if location:
            rec.errors.append(f"UPnP LOCATION {location[:120]} is not on the target: not fetched")
        return
    port = parts.port or 80
    try:
        with WebClient(session, port, False) as client:
            page = client.get(parts.path or "/")
        root = ElementTree.fromstring(page.body)
    except Exception as exc:  # noqa: BLE001 - hostile XML or network error
        rec.errors.append(f"UPnP description {location[:120]}: {exc}"[:300])
        return
    fields: dict[str, str] = {}
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in ("friendlyName", "manufacturer", "modelName", "modelNumber", "serialNumber",
                   "modelDescription", "firmwareVersion", "softwareVersion") and element.text:
            fields.setdefault(tag, element.text.strip()[:200])
    rec.observe(f"upnp/{port}/description", "banner", "UPnP description: "
                + ", ".join(f"{k}={v}" for k, v in fields.items())[:300], port=port,
                protocol="upnp", data=fields, specs=(specs.BANNER_VERSION,))
    text = " ".join(f"{k} {v}" for k, v in fields.items()
                    if k in ("modelDescription", "firmwareVersion", "softwareVersion"))
    if fields.get("serialNumber") or version_leak(text):
        rec.hit(specs.BANNER_VERSION, "The UPnP description reveals "
                + ", ".join(f"{k}={v}" for k, v in fields.items()
                            if k in ("serialNumber", "firmwareVersion", "softwareVersion",
                                     "modelDescription"))[:200]
                + " without authentication.", port=port, protocol="upnp",
                observation=f"upnp/{port}/description")
