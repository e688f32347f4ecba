"""``run_probe``: the whole live probe of one host, from port scan to ProbeResult.

Order: TCP connect scan → UDP services (``--udp``) → identification of each open port →
nmap (``--nmap``) → per-service analysis (SSH, TLS, HTTP, MQTT, banners) → opt-in password
tests → firmware comparison. Each step reports into a ``ProbeRecorder``; a probe that fails
becomes an error in the result, never a lost one."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from iotbaseline.checks.base import CheckSpec
from iotbaseline.model import ProbeResult
from iotbaseline.probe import specs
from iotbaseline.probe.analyse import (
    analyse_http,
    analyse_mqtt,
    analyse_plain_service,
    analyse_ssh,
    analyse_tls,
    analyse_udp,
)
from iotbaseline.probe.identify import ServiceInfo, identify
from iotbaseline.probe.ports import scan_tcp
from iotbaseline.probe.record import ProbeRecorder
from iotbaseline.probe.session import ProbeSession, ProbeSettings
from iotbaseline.probe.target import ProbeTarget, resolve_target
from iotbaseline.probe.udp import UDP_SERVICES, probe_udp
from iotbaseline.probe.web import HttpAuth, LoginForm

Progress = Callable[[str], None]
IDENTIFY_PARALLEL = 4


def run_probe(target: str | ProbeTarget, settings: ProbeSettings,
              progress: Progress | None = None) -> ProbeResult:
    """Probe one host. ``target`` is resolved once (see ``resolve_target``)."""
    resolved = target if isinstance(target, ProbeTarget) else resolve_target(target)
    return asyncio.run(_run(resolved, settings, progress or (lambda _m: None)))


async def _guarded(rec: ProbeRecorder, spec: CheckSpec | None, what: str,
                   coro: Any) -> Any:
    try:
        return await coro
    except Exception as exc:  # noqa: BLE001 - one probe failing must not stop the others
        rec.error(spec, f"{what}: {type(exc).__name__}: {exc}"[:400])
        return None


async def _run(target: ProbeTarget, settings: ProbeSettings, progress: Progress) -> ProbeResult:
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    session = ProbeSession(target, settings)
    rec = ProbeRecorder(host=target.address)

    progress(f"TCP connect scan of {len(settings.ports)} port(s) on {target.address}")
    states = await scan_tcp(session, settings.ports)
    open_ports = [s.port for s in states if s.state == "open"]
    filtered = [s.port for s in states if s.state == "filtered"]
    rec.observe("tcp/open-ports", "port",
                f"{len(open_ports)} open TCP port(s) of {len(states)} scanned: "
                + (", ".join(map(str, open_ports)) or "none"),
                protocol="tcp", data={"open": open_ports, "filtered": filtered[:200],
                                      "scanned": len(states)},
                specs=(specs.NET_OPEN_PORTS, specs.NET_CLEARTEXT_ADMIN, specs.NET_DEBUG_PORT))

    udp_answers = []
    if settings.udp:
        udp_list = settings.udp_services or UDP_SERVICES
        progress(f"UDP services ({len(udp_list)} probes)")
        results = await asyncio.gather(*(
            _guarded(rec, specs.NET_OPEN_PORTS, f"UDP {port}/{kind}",
                     probe_udp(session, port, kind)) for port, kind in udp_list))
        udp_answers = [a for a in results if a is not None]
        rec.observe("udp/services", "port",
                    f"{len(udp_answers)} of {len(udp_list)} UDP service probe(s) answered: "
                    + (", ".join(f"{a.port}/{a.service}" for a in udp_answers) or "none"),
                    protocol="udp", data={"asked": [list(s) for s in udp_list],
                                          "answered": [a.port for a in udp_answers]},
                    specs=(specs.NET_SNMP_PUBLIC, specs.NET_UPNP, specs.NET_COAP_PLAIN))
    else:
        for spec in (specs.NET_SNMP_PUBLIC, specs.NET_UPNP, specs.NET_COAP_PLAIN):
            rec.not_applicable(spec, "UDP services not probed (run with --udp)")

    progress(f"identifying {len(open_ports)} service(s)")
    sem = asyncio.Semaphore(IDENTIFY_PARALLEL)

    async def one(port: int) -> ServiceInfo:
        async with sem:
            found = await _guarded(rec, None, f"identify port {port}", identify(session, port))
            return found or ServiceInfo(port=port)

    services = list(await asyncio.gather(*(one(p) for p in open_ports)))
    for info in services:
        rec.observe(f"tcp/{info.port}/service", "port",
                    f"port {info.port}: {info.protocol}"
                    + (f" — {info.banner[:120]}" if info.banner else ""),
                    port=info.port, protocol=info.protocol,
                    data={"service": info.service, "tls": info.tls, "banner": info.banner,
                          "headers": {k: v for k, v in info.headers.items()
                                      if k in ("server", "www-authenticate", "location")},
                          **{k: v for k, v in info.data.items() if k != "connack"}},
                    specs=(specs.NET_OPEN_PORTS,))

    if settings.nmap:
        await _nmap(session, rec, open_ports, progress)

    for info in services:
        analyse_plain_service(rec, info)
    ssh_ports = [i for i in services if i.service == "ssh"]
    for info in ssh_ports:
        progress(f"SSH algorithms on port {info.port}")
        await _guarded(rec, specs.NET_SSH_WEAK_ALGS, f"ssh {info.port}",
                       analyse_ssh(session, rec, info))
    tls_services = [i for i in services if i.tls]
    for info in tls_services:
        progress(f"TLS configuration of port {info.port} (sslyze)")
        await _guarded(rec, specs.TLS_LEGACY_PROTOCOL, f"tls {info.port}",
                       asyncio.to_thread(analyse_tls, session, rec, info))
    forms: list[LoginForm] = []
    auths: list[HttpAuth] = []
    https_ports = [i.port for i in services if i.service == "http" and i.tls]
    for info in (i for i in services if i.service == "http"):
        progress(f"web interface on port {info.port}")
        await _guarded(rec, specs.HTTP_UNAUTH_MGMT, f"http {info.port}", asyncio.to_thread(
            analyse_http, session, rec, info, https_ports, forms, auths))
    for info in (i for i in services if i.service == "mqtt"):
        progress(f"MQTT broker on port {info.port}")
        await _guarded(rec, specs.MQTT_ANONYMOUS, f"mqtt {info.port}",
                       asyncio.to_thread(analyse_mqtt, session, rec, info))
    for answer in udp_answers:
        await _guarded(rec, specs.NET_OPEN_PORTS, f"udp {answer.port}",
                       asyncio.to_thread(analyse_udp, session, rec, answer))
    _not_found(rec, services)

    from iotbaseline.probe.credentials import run_credential_tests

    await asyncio.to_thread(run_credential_tests, session, rec, services, forms, auths,
                            progress)

    if settings.firmware_results is not None:
        from iotbaseline.probe.compare import compare_with_firmware

        progress("comparing with the firmware scan")
        udp_probed = {f"udp/{port}" for port, _ in (settings.udp_services or UDP_SERVICES)}
        probed = frozenset({f"tcp/{p}" for p in settings.ports} | (udp_probed if settings.udp else set()))
        compare_with_firmware(rec, settings.firmware_results, services, udp_answers, probed)
    else:
        for spec in (specs.DRIFT_UNPREDICTED, specs.DRIFT_MISSING):
            rec.not_applicable(spec, "no firmware results given (--firmware-results)")

    options: dict[str, Any] = {k: (str(v) if k in ("firmware_results", "ca_file") and v else v)
                               for k, v in asdict(settings).items()
                               if k not in ("credentials", "ports")}
    options["ports"] = _compact(settings.ports)
    options["contacts"] = dict(sorted(session.contacts.items()))
    return ProbeResult(target=target.name, address=target.address, started=started_at,
                       seconds=round(time.perf_counter() - started, 3), options=options,
                       observations=rec.observations, findings=rec.findings(),
                       outcomes=rec.outcomes(), errors=rec.errors)


def _not_found(rec: ProbeRecorder, services: list[ServiceInfo]) -> None:
    kinds = {i.service for i in services}
    if not any(i.tls for i in services):
        for spec in (specs.TLS_LEGACY_PROTOCOL, specs.TLS_WEAK_CIPHER, specs.TLS_CERT_HASH,
                     specs.TLS_CERT_KEY, specs.TLS_CERT_VALIDITY, specs.TLS_CERT_TRUST,
                     specs.TLS_HSTS):
            rec.not_applicable(spec, "no TLS service found on the scanned ports")
    if "ssh" not in kinds:
        rec.not_applicable(specs.NET_SSH_WEAK_ALGS, "no SSH service found")
    if "http" not in kinds:
        for spec in (specs.HTTP_PLAIN_ADMIN, specs.HTTP_NO_REDIRECT, specs.HTTP_UNAUTH_MGMT,
                     specs.HTTP_HEADERS, specs.HTTP_DIR_LISTING):
            rec.not_applicable(spec, "no web server found on the scanned ports")
    if "mqtt" not in kinds:
        for spec in (specs.MQTT_ANONYMOUS, specs.MQTT_PLAIN):
            rec.not_applicable(spec, "no MQTT broker found on the scanned ports")


async def _nmap(session: ProbeSession, rec: ProbeRecorder, ports: list[int],
                progress: Progress) -> None:
    from iotbaseline.probe.nmap import nmap_available, run_nmap

    if not nmap_available():
        rec.errors.append("--nmap: nmap is not installed; service detection skipped")
        return
    progress("nmap service detection")
    try:
        found = await asyncio.to_thread(run_nmap, session, ports)
    except Exception as exc:  # noqa: BLE001
        rec.errors.append(f"nmap failed: {exc}"[:300])
        return
    rec.observe("nmap/services", "port", "nmap -sV: " + ", ".join(
        f"{p}/{d.get('name')} {d.get('product')} {d.get('version')}".strip()
        for p, d in sorted(found.items()))[:400], protocol="tcp",
        data={str(p): d for p, d in found.items()}, specs=(specs.NET_OPEN_PORTS,))
    from iotbaseline.probe.analyse import check_banner

    already = {f.location.port for f in rec.findings() if f.check == specs.BANNER_VERSION.id}
    for port, detail in sorted(found.items()):
        if detail.get("version") and port not in already:
            check_banner(rec, port, f"nmap-{detail.get('name')}",
                         f"{detail.get('product')}/{detail.get('version')}",
                         "nmap's version detection")


def _compact(ports: tuple[int, ...]) -> str:
    """1,2,3,7 → '1-3,7' (keeps probe.json small for --ports all)."""
    out: list[str] = []
    start = prev = None
    for port in ports:
        if start is None:
            start = prev = port
        elif port == (prev or 0) + 1:
            prev = port
        else:
            out.append(f"{start}-{prev}" if start != prev else str(start))
            start = prev = port
    if start is not None:
        out.append(f"{start}-{prev}" if start != prev else str(start))
    return ",".join(out)
