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


def compare_with_firmware(rec: ProbeRecorder, path: Path, services: list[ServiceInfo],
                          udp: list[UdpAnswer]) -> None:
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
        rec.hit(specs.DRIFT_MISSING, f"The firmware starts {service} ({prediction.source}) but "
                "the device did not answer for it on the probed ports.", protocol=service,
                observation="drift/services")
