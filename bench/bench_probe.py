"""Benchmark: the live probe on loopback.

1. TCP connect scan of 1,000 closed ports on 127.0.0.1 (target ≤ 2 s).
2. A full default probe (no password tests) of the test servers: plain HTTP UI, HTTPS with a
   SHA-1 TLS 1.0 certificate, a telnet-like banner server, mosquitto and dropbear (≤ 15 s).
Prints medians of several runs and peak memory; asserts nothing."""

from __future__ import annotations

import asyncio
import os
import platform
import resource
import socket
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "probe"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def closed_ports(count: int) -> tuple[int, ...]:
    """``count`` ports in the high range with nothing listening on 127.0.0.1 right now."""
    ports: list[int] = []
    port = 40000
    while len(ports) < count and port < 65535:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                ports.append(port)
        port += 1
    return tuple(ports)


def bench_closed(ports: tuple[int, ...]) -> list[float]:
    from iotbaseline.probe.ports import scan_tcp
    from iotbaseline.probe.session import ProbeSession, ProbeSettings
    from iotbaseline.probe.target import resolve_target

    walls = []
    for _ in range(RUNS):
        session = ProbeSession(resolve_target("127.0.0.1"),
                               ProbeSettings(ports=ports, rate=5000, concurrency=256))
        start = time.perf_counter()
        states = asyncio.run(scan_tcp(session, ports))
        walls.append(time.perf_counter() - start)
        assert all(s.state == "closed" for s in states)
    return walls


def bench_full() -> tuple[list[float], int]:
    import probe_servers as ps

    from iotbaseline.probe.run import run_probe
    from iotbaseline.probe.session import ProbeSettings

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        cert = ps.make_sha1_cert(directory)
        web = ps.serve_http(ps.HttpDevice(unauth_config=True))
        tls = ps.serve_http(ps.HttpDevice(), ps.bad_tls_context(cert))
        telnet = ps.BannerServer(b"BusyBox v1.19.4 built-in shell\r\n")
        broker = ps.start_mosquitto(directory, anonymous=True)
        ssh = ps.start_dropbear(directory)
        ports = (web.server_address[1], tls.server_address[1], telnet.port, broker.port,
                 ssh.port)
        walls, findings = [], 0
        try:
            for _ in range(RUNS):
                start = time.perf_counter()
                result = run_probe("127.0.0.1", ProbeSettings(ports=ports, rate=200))
                walls.append(time.perf_counter() - start)
                findings = len(result.findings)
        finally:
            broker.stop()
            ssh.stop()
            telnet.close()
            web.shutdown()
            tls.shutdown()
    return walls, findings


def main() -> None:
    warnings.simplefilter("ignore")
    ports = closed_ports(1000)
    closed = bench_closed(ports)
    full, findings = bench_full()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    print(f"TCP connect scan of {len(ports)} closed loopback ports: median "
          f"{statistics.median(closed):.3f} s over {RUNS} runs (min {min(closed):.3f}, "
          f"max {max(closed):.3f}); target ≤ 2 s")
    print(f"full default probe of 5 test servers: median {statistics.median(full):.2f} s over "
          f"{RUNS} runs (min {min(full):.2f}, max {max(full):.2f}); {findings} findings; "
          "target ≤ 15 s")
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
