"""Reports the firmware ↔ device comparison (``--firmware-results``) as DRIFT findings."""

from __future__ import annotations

from pathlib import Path

from iotbaseline.probe import specs
from iotbaseline.probe.drift import predicted_services, seen_name
from iotbaseline.probe.identify import ServiceInfo
from iotbaseline.probe.record import ProbeRecorder
from iotbaseline.probe.udp import UdpAnswer

# Services every device has that the firmware checks do not model as "started services"
NOT_PREDICTED_BY_CHECKS = frozenset({"unknown", "tls", "dns", "mdns"})

# Where a service predicted by the firmware usually answers ("tcp/23"); a service is reported
# missing only when one of these was probed — otherwise the probe simply did not look.
USUAL_PORTS: dict[str, frozenset[str]] = {
    "telnet": frozenset({"tcp/23", "tcp/2323"}),
    "ssh": frozenset({"tcp/22", "tcp/2222"}),
    "ftp": frozenset({"tcp/21"}),
    "http": frozenset({"tcp/80", "tcp/8080", "tcp/443", "tcp/8443"}),
    "mqtt": frozenset({"tcp/1883", "tcp/8883"}),
    "adb": frozenset({"tcp/5555"}),
    "rtsp": frozenset({"tcp/554"}),
    "snmp": frozenset({"udp/161"}),
    "upnp": frozenset({"udp/1900", "tcp/49152", "tcp/49153", "tcp/49154"}),
    "tftp": frozenset({"udp/69"}),
    "dns": frozenset({"udp/53", "tcp/53"}),
}


def compare_with_firmware(rec: ProbeRecorder, path: Path, services: list[ServiceInfo],
                          udp: list[UdpAnswer], probed: frozenset[str] | None = None) -> None:
    """``probed`` holds "tcp/N" / "udp/N" for every port the probe tried (None: unknown)."""
    predictions = predicted_services(path)
    predicted = {p.service: p for p in predictions}
    seen: dict[str, list[str]] = {}
    for info in services:
        seen.setdefault(seen_name(info.service), []).append(f"tcp/{info.port}")
    for answer in udp:
        seen.setdefault(seen_name(answer.service), []).append(f"udp/{answer.port}")
    rec.observe("drift/services", "drift",
                f"firmware predicts {', '.join(sorted(predicted)) or 'no network service'}; "
                f"device answers {', '.join(sorted(seen)) or 'nothing'}",
                data={"predicted": {k: v.source for k, v in predicted.items()},
                      "seen": seen, "firmware_results": str(path)},
                specs=(specs.DRIFT_UNPREDICTED, specs.DRIFT_MISSING))
    for service, where in sorted(seen.items()):
        if service in predicted or service in NOT_PREDICTED_BY_CHECKS:
            continue
        first = where[0]
        port = int(first.split("/")[1])
        rec.hit(specs.DRIFT_UNPREDICTED, f"{service} answers on {', '.join(where)}, but the "
                "firmware scan found no start of it.", port=port, protocol=service,
                observation="drift/services")
    for service, prediction in sorted(predicted.items()):
        if service in seen:
            continue
        usual = USUAL_PORTS.get(service)
        if probed is not None and usual is not None and not usual & probed:
            rec.examined(specs.DRIFT_MISSING, f"drift/{service}",
                         f"the firmware starts {service} ({prediction.source}); its usual ports "
                         f"({', '.join(sorted(usual))}) were not probed, so its absence is not shown")
            continue
        rec.hit(specs.DRIFT_MISSING, f"The firmware starts {service} ({prediction.source}) but "
                "the device did not answer for it on the probed ports.", protocol=service,
                observation="drift/services")
