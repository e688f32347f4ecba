"""Fleet fixtures: a real PostgreSQL server from Debian (own data dir and port on 127.0.0.1,
stopped after the session), the demo image, and ONE batch over a few real corpus images per
store, shared by every fleet test (scans are the expensive part)."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = [str(Path(sys.executable).parent / "iotbaseline")]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    assert found, "PostgreSQL from Debian is required (system-packages.txt: postgresql)"
    return found[-1].parent


@dataclass
class PgServer:
    host: str
    port: int
    bin: Path

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host={self.host} port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgServer]:
    """PostgreSQL refuses to run as root: as root (CI) the server runs as the `postgres` user
    on a data directory that user owns."""
    bindir = _pg_bin()
    # its own directory in /tmp (not under pytest's private 0700 base), owned by the server's user
    base = Path(tempfile.mkdtemp(prefix="iotbaseline-test-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (base, sock):
            os.chown(path, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    init = subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                           "-E", "UTF8", "--no-sync"], capture_output=True, text=True, check=False)
    assert init.returncode == 0, f"initdb failed: {init.stderr[-2000:]}"
    port = free_port()
    log = base / "server.log"
    proc = subprocess.Popen(
        [*prefix, str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(sock),
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=50"],
        stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    server = PgServer("127.0.0.1", port, bindir)
    try:
        for _ in range(100):
            if proc.poll() is not None:
                raise AssertionError(f"postgres exited: {log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def demo_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from iotbaseline.demo.build import build_demo_image

    return build_demo_image(tmp_path_factory.mktemp("demo")).path


@dataclass
class BatchRun:
    url: str
    summary: dict  # type: ignore[type-arg]
    inputs: list[Path]
    corrupt: Path
    returncode: int
    stderr: str


def stable_inputs(corpus: Path, demo_image: Path) -> list[Path]:
    """Images that extract reliably while the extractors are being changed by others."""
    return [corpus / "openwrt-aa-tl-mr3020-librarybox" / "openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin",
            corpus / "emux-dvar-arm" / "rootfs-arm.tar.bz2",
            corpus / "dvid-avr" / "hardcodedPassword.ino.arduino_standard.hex",
            demo_image]


def run_batch_cli(url: str, inputs: list[Path], *extra: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "batch", *map(str, inputs), "--store", url, "--json", "--no-db",
                           "--crack-seconds", "2", *extra],
                          capture_output=True, text=True, timeout=timeout, check=False)


def _batch(url: str, inputs: list[Path], corrupt: Path, workers: str) -> BatchRun:
    done = run_batch_cli(url, [*inputs, corrupt], "--workers", workers)
    assert done.stdout.strip(), f"batch printed no JSON; stderr: {done.stderr[-3000:]}"
    return BatchRun(url, json.loads(done.stdout), inputs, corrupt, done.returncode, done.stderr)


@pytest.fixture(scope="session")
def corrupt_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bad") / "corrupt-firmware.bin"
    path.write_bytes(b"\x27\x05\x19\x56" + bytes(range(256)) * 16)  # a uImage magic, then nonsense
    return path


@pytest.fixture(scope="session")
def sqlite_batch(corpus: Path, demo_image: Path, corrupt_image: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> BatchRun:
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'fleet.sqlite'}"
    return _batch(url, stable_inputs(corpus, demo_image), corrupt_image, "2")


@pytest.fixture(scope="session")
def pg_batch(corpus: Path, demo_image: Path, corrupt_image: Path, pg: PgServer) -> BatchRun:
    url = pg.create_database("fleet_batch")
    return _batch(url, stable_inputs(corpus, demo_image), corrupt_image, "2")


def which_chromium() -> Path:
    path = Path("/usr/bin/chromium")
    assert path.exists() or shutil.which("chromium"), "Debian's chromium is required"
    return path
