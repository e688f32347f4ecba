"""SSH algorithms offered, read from the server's KEXINIT before any authentication.

We only frame the cleartext packet (RFC 4253 §6: length, padding length, payload); parsing the
name-lists and judging each algorithm is ssh-audit's (``SSH2_Kex`` and its algorithm
database), the maintained reference for SSH algorithm strength."""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass, field

from iotbaseline.probe.session import ProbeSession

MSG_KEXINIT = 20
MAX_PACKET = 35000  # RFC 4253 §6.1 minimum all implementations must handle


class SshProbeError(Exception):
    pass


@dataclass
class SshAlgorithms:
    banner: str
    kex: list[str] = field(default_factory=list)
    host_key: list[str] = field(default_factory=list)
    ciphers: list[str] = field(default_factory=list)  # server → client
    macs: list[str] = field(default_factory=list)
    compression: list[str] = field(default_factory=list)
    weak: dict[str, list[str]] = field(default_factory=dict)  # "kex:name" → reasons

    def as_dict(self) -> dict[str, object]:
        return {"banner": self.banner, "kex": self.kex, "host_key": self.host_key,
                "ciphers": self.ciphers, "macs": self.macs, "compression": self.compression,
                "weak": self.weak}


def parse_kexinit(banner: str, payload: bytes) -> SshAlgorithms:
    """``payload`` starts with the message number 20; returns the server's lists, judged."""
    from ssh_audit.outputbuffer import OutputBuffer
    from ssh_audit.ssh2_kex import SSH2_Kex

    if not payload or payload[0] != MSG_KEXINIT:
        raise SshProbeError("first packet is not KEXINIT")
    try:
        kex = SSH2_Kex.parse(OutputBuffer(), payload[1:])
    except Exception as exc:
        raise SshProbeError(f"malformed KEXINIT: {exc}") from exc
    result = SshAlgorithms(
        banner=banner, kex=list(kex.kex_algorithms), host_key=list(kex.key_algorithms),
        ciphers=list(kex.server.encryption), macs=list(kex.server.mac),
        compression=list(kex.server.compression))
    result.weak = judge(result)
    return result


def judge(algs: SshAlgorithms) -> dict[str, list[str]]:
    """Algorithms ssh-audit's database marks as failing (broken), with its reasons."""
    from ssh_audit.ssh2_kexdb import SSH2_KexDB

    db = SSH2_KexDB.get_db()
    weak: dict[str, list[str]] = {}
    for kind, names in (("kex", algs.kex), ("key", algs.host_key), ("enc", algs.ciphers),
                        ("mac", algs.macs)):
        table = db.get(kind, {})
        for name in names:
            entry = table.get(name)
            if entry and len(entry) > 1 and entry[1]:
                weak[f"{kind}:{name}"] = [str(r) for r in entry[1]]
    return weak


async def read_kexinit(session: ProbeSession, port: int) -> SshAlgorithms:
    reader, writer = await session.open_tcp(port)
    timeout = session.settings.timeout
    try:
        banner = ""
        for _ in range(20):  # servers may send other lines before the identification
            line = await asyncio.wait_for(reader.readline(), timeout)
            if not line:
                raise SshProbeError("connection closed before the SSH identification")
            if line.startswith(b"SSH-"):
                banner = line.decode("utf-8", "replace").strip()[:255]
                break
        else:
            raise SshProbeError("no SSH identification line")
        writer.write(b"SSH-2.0-iotbaseline_probe\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readexactly(5), timeout)
        length, padding = struct.unpack(">IB", head)
        if not (padding < length <= MAX_PACKET):
            raise SshProbeError(f"implausible packet length {length}")
        body = await asyncio.wait_for(reader.readexactly(length - 1), timeout)
        payload = body[: length - 1 - padding]
        return parse_kexinit(banner, payload)
    except asyncio.IncompleteReadError as exc:
        raise SshProbeError("connection closed during KEXINIT") from exc
    finally:
        writer.close()
