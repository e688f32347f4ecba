"""Firmware ↔ device: which services the firmware scan says start at boot (its IOTB-SVC-*
findings and the listeners named in their evidence) against the ports the device answers on."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from iotbaseline.probe.target import ProbeError

# IOTB-SVC check → the service it predicts, and the program names that stand for one
CHECK_SERVICE = {"IOTB-SVC-001": "telnet", "IOTB-SVC-004": "ftp", "IOTB-SVC-005": "tftp",
                 "IOTB-SVC-006": "ssh", "IOTB-SVC-007": "snmp", "IOTB-SVC-008": "upnp",
                 "IOTB-SVC-009": "adb"}
PROGRAM_SERVICE = {
    "telnetd": "telnet", "utelnetd": "telnet", "in.telnetd": "telnet",
    "ftpd": "ftp", "vsftpd": "ftp", "proftpd": "ftp", "pure-ftpd": "ftp", "bftpd": "ftp",
    "dropbear": "ssh", "sshd": "ssh",
    "httpd": "http", "uhttpd": "http", "lighttpd": "http", "nginx": "http", "boa": "http",
    "goahead": "http", "thttpd": "http", "mini_httpd": "http", "webs": "http",
    "snmpd": "snmp", "mini_snmpd": "snmp", "miniupnpd": "upnp", "upnpd": "upnp",
    "mosquitto": "mqtt", "adbd": "adb", "dnsmasq": "dns", "rtspd": "rtsp",
    "tftpd": "tftp", "in.tftpd": "tftp", "avahi-daemon": "mdns", "mdnsd": "mdns",
}
# what a service seen on the device is called in that vocabulary
SEEN_ALIASES = {"ssdp": "upnp", "dns": "dns", "coap": "coap"}


@dataclass(frozen=True)
class Prediction:
    service: str
    source: str  # "IOTB-SVC-001#1 /etc/init.d/telnet:12" or "evidence /etc/rc.d/S50dropbear"


def predicted_services(path: Path) -> list[Prediction]:
    """Services the firmware assessment predicts, from its findings and check evidence."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProbeError(f"{path}: not a readable assessment/findings JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ProbeError(f"{path}: expected a JSON object with findings and outcomes")
    out: dict[str, Prediction] = {}
    for finding in data.get("findings") or []:
        check = str(finding.get("check", ""))
        binary = str((finding.get("properties") or {}).get("binary") or "")
        program_service = PROGRAM_SERVICE.get(binary.rsplit("/", 1)[-1])
        if check == "IOTB-PRIV-001" and program_service:  # a root network daemon
            out.setdefault(program_service, Prediction(program_service,
                                                       f"{finding.get('id')} {binary}"))
        if check in CHECK_SERVICE and not _disabled(finding):
            where = finding.get("location", {}).get("path") or ""
            out.setdefault(CHECK_SERVICE[check],
                           Prediction(CHECK_SERVICE[check], f"{finding.get('id')} {where}"))
    for outcome in data.get("outcomes") or []:
        if not str(outcome.get("check", "")).startswith(("IOTB-SVC-", "IOTB-PRIV-")):
            continue
        for evidence in outcome.get("evidence") or []:
            excerpt = str(evidence.get("excerpt") or "")
            detail = str(evidence.get("detail") or "")
            if "not enabled" in detail or "not started" in detail:
                continue
            program = excerpt.split(" ", 1)[0].rsplit("/", 1)[-1] if excerpt else ""
            service = PROGRAM_SERVICE.get(program)
            if service:
                out.setdefault(service, Prediction(
                    service, f"{outcome.get('check')} {evidence.get('ref')}"))
    return sorted(out.values(), key=lambda p: p.service)


def _disabled(finding: dict[str, object]) -> bool:
    message = str(finding.get("message", ""))
    return bool(re.search(r"not (started|enabled) at boot|present but not enabled", message))


def seen_name(service: str) -> str:
    return SEEN_ALIASES.get(service, service.removesuffix("+tls"))
