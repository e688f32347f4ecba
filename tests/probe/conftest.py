"""Fixtures for the live-probe tests: real servers on loopback (see probe_servers.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import probe_servers as ps

from iotbaseline.model import ProbeResult
from iotbaseline.probe.run import run_probe
from iotbaseline.probe.session import ProbeSettings


def probe(ports: tuple[int, ...], host: str = ps.LOOPBACK, **options: object) -> ProbeResult:
    """Run the real probe quickly (loopback: high rate, short timeouts)."""
    settings = {"rate": 500.0, "lockout_rate": 50.0, "timeout": 2.0}
    settings.update(options)
    return run_probe(host, ProbeSettings(ports=ports, **settings))  # type: ignore[arg-type]


def findings_of(result: ProbeResult, check: str) -> list:  # type: ignore[type-arg]
    return [f for f in result.findings if f.check == check]


def outcome_of(result: ProbeResult, check: str) -> str:
    return next(o.status.value for o in result.outcomes if o.check == check)


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ps.CertFiles]:
    from cryptography.hazmat.primitives import hashes

    directory = tmp_path_factory.mktemp("certs")
    return {"bad": ps.make_sha1_cert(directory),
            "good": ps.make_cert(directory, "good", hash_alg=hashes.SHA256(), bits=2048,
                                 ca=True)}


@pytest.fixture
def daemon_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def mosquitto_anonymous(daemon_dir: Path) -> Iterator[ps.Daemon]:
    daemon = ps.start_mosquitto(daemon_dir, anonymous=True)
    yield daemon
    daemon.stop()


@pytest.fixture
def mosquitto_closed(daemon_dir: Path) -> Iterator[ps.Daemon]:
    daemon = ps.start_mosquitto(daemon_dir, anonymous=False)
    yield daemon
    daemon.stop()


@pytest.fixture
def dropbear(daemon_dir: Path) -> Iterator[ps.Daemon]:
    daemon = ps.start_dropbear(daemon_dir)
    yield daemon
    daemon.stop()
