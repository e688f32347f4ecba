"""``--nmap``: nmap's service and version detection (-sV) on the open ports, target only."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from defusedxml import ElementTree

from iotbaseline.probe.session import ProbeSession


def nmap_available() -> bool:
    return shutil.which("nmap") is not None


def run_nmap(session: ProbeSession, tcp_ports: list[int], timeout: float = 120.0
             ) -> dict[int, dict[str, Any]]:
    """Port → {name, product, version, extrainfo, tunnel}; nmap sees only the target address
    and the listed ports (``-Pn -n`` : no host discovery, no DNS)."""
    if not tcp_ports:
        return {}
    binary = shutil.which("nmap")
    if binary is None:
        raise FileNotFoundError("nmap is not installed")
    for port in tcp_ports:
        session.allow(port, "nmap")
    # --max-rate keeps nmap at the session's pace; -sT is a plain connect scan (no raw packets)
    argv = [binary, "-sT", "-sV", "-Pn", "-n", "--version-light", "--max-retries", "1",
            "--max-rate", str(max(1, int(session.settings.rate))),
            "-p", ",".join(str(p) for p in tcp_ports), "-oX", "-", session.address]
    if ":" in session.address:
        argv.insert(1, "-6")
    completed = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr.decode("utf-8", "replace")[:300])
    root = ElementTree.fromstring(completed.stdout)
    out: dict[int, dict[str, Any]] = {}
    for port in root.iter("port"):
        state = port.find("state")
        service = port.find("service")
        if state is None or state.get("state") != "open":
            continue
        number = int(port.get("portid", "0"))
        out[number] = {key: (service.get(key) or "") if service is not None else ""
                       for key in ("name", "product", "version", "extrainfo", "tunnel")}
    return out
