"""Test helper: FFmpeg packetises a stream into RTP (RFC 6184 / 3640 / 3551) towards a UDP
socket on 127.0.0.1; the datagrams received are written as a pcap (dpkt) with Ethernet/IPv4/UDP
headers around them. The RTP packets are FFmpeg's own, byte for byte."""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path

import dpkt


def _pcap(path: Path, payloads: list[bytes], sport: int, dport: int,
          proto: str = "udp", seqs: list[int] | None = None) -> None:
    with path.open("wb") as fh:
        writer = dpkt.pcap.Writer(fh)
        for n, payload in enumerate(payloads):
            if proto == "udp":
                l4: dpkt.Packet = dpkt.udp.UDP(sport=sport, dport=dport, data=payload)
                l4.ulen = len(l4)
                ip_p = dpkt.ip.IP_PROTO_UDP
            else:
                assert seqs is not None
                l4 = dpkt.tcp.TCP(sport=sport, dport=dport, seq=seqs[n], flags=dpkt.tcp.TH_ACK,
                                  data=payload)
                ip_p = dpkt.ip.IP_PROTO_TCP
            ip = dpkt.ip.IP(src=socket.inet_aton("127.0.0.1"), dst=socket.inet_aton("127.0.0.1"),
                            p=ip_p, data=l4)
            ip.len = len(ip)
            eth = dpkt.ethernet.Ethernet(src=b"\x02" * 6, dst=b"\x04" * 6, data=ip)
            writer.writepkt(bytes(eth), ts=n * 0.001)


def rtp_pcap(source: Path, out: Path, extra: tuple[str, ...] = (),
             codec: tuple[str, ...] = ("-c", "copy"), scheme: str = "rtp",
             output: tuple[str, ...] = ()) -> int:
    """Send ``source`` through FFmpeg's RTP muxer to loopback and save what arrived; returns
    the number of packets."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(1.0)
    port = sock.getsockname()[1]
    received: list[bytes] = []

    def receive() -> None:
        try:
            while True:
                received.append(sock.recv(65535))
        except TimeoutError:
            pass

    thread = threading.Thread(target=receive)
    thread.start()
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *extra,
                    "-i", str(source), *codec, "-f", "rtp", *output,
                    f"{scheme}://127.0.0.1:{port}?pkt_size=1200"],
                   check=True, capture_output=True, timeout=60)
    thread.join()
    sock.close()
    _pcap(out, received, 40000, port)
    return len(received)


def tcp_pcap(out: Path, chunks: list[bytes], sport: int = 45000, dport: int = 443) -> None:
    """A one-way TCP flow carrying ``chunks`` (recorded bytes of a real session)."""
    seqs = []
    seq = 1000
    for chunk in chunks:
        seqs.append(seq)
        seq += len(chunk)
    _pcap(out, chunks, sport, dport, proto="tcp", seqs=seqs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rtsp_interleaved_pcap(source: Path, out: Path, extra: tuple[str, ...] = ()) -> int:
    """FFmpeg publishes ``source`` with RTSP over TCP (ANNOUNCE/SETUP/RECORD, RTP interleaved)
    to another FFmpeg listening on 127.0.0.1, through a relay here that records what the client
    sent; the recorded bytes become a TCP flow in a pcap. Returns the bytes recorded."""
    import subprocess as sp

    server_port, relay_port = _free_port(), _free_port()
    server = sp.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-rtsp_flags",
                       "listen", "-timeout", "20", "-i", f"rtsp://127.0.0.1:{server_port}/live",
                       "-f", "null", "-"], stdout=sp.DEVNULL, stderr=sp.DEVNULL)
    relay = socket.socket()
    relay.bind(("127.0.0.1", relay_port))
    relay.listen(1)
    recorded: list[bytes] = []

    def pump(src: socket.socket, dst: socket.socket, keep: bool) -> None:
        try:
            while data := src.recv(65536):
                if keep:
                    recorded.append(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def serve() -> None:
        client, _ = relay.accept()
        for _ in range(50):
            try:
                upstream = socket.create_connection(("127.0.0.1", server_port))
                break
            except ConnectionRefusedError:
                import time

                time.sleep(0.1)
        back = threading.Thread(target=pump, args=(upstream, client, False))
        back.start()
        pump(client, upstream, True)
        back.join(timeout=5)
        client.close()
        upstream.close()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        sp.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *extra, "-i", str(source),
                "-c", "copy", "-f", "rtsp", "-rtsp_transport", "tcp",
                f"rtsp://127.0.0.1:{relay_port}/live"], check=True, capture_output=True,
               timeout=60)
    finally:
        thread.join(timeout=10)
        relay.close()
        server.terminate()
        server.wait(timeout=10)
    stream = b"".join(recorded)
    tcp_pcap(out, [stream[i:i + 1400] for i in range(0, len(stream), 1400)],
             sport=46000, dport=554)
    return len(stream)


def dtls_pcap(out: Path, cert: Path, key: Path, payload: bytes) -> int:
    """A DTLS 1.2 session between `openssl s_client` and `openssl s_server` on 127.0.0.1
    through a UDP relay here that records the client's datagrams; returns how many."""
    import subprocess as sp
    import time

    server_port = _free_port()
    server = sp.Popen(["openssl", "s_server", "-dtls1_2", "-quiet", "-accept",
                       f"127.0.0.1:{server_port}", "-cert", str(cert), "-key", str(key)],
                      stdin=sp.PIPE, stdout=sp.DEVNULL, stderr=sp.DEVNULL)
    relay = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    relay.bind(("127.0.0.1", 0))
    relay.settimeout(2.0)
    upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    upstream.settimeout(0.05)
    recorded: list[bytes] = []
    client_addr: list[tuple[str, int]] = []
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                data, addr = relay.recvfrom(65535)
                client_addr[:] = [addr]
                recorded.append(data)
                upstream.sendto(data, ("127.0.0.1", server_port))
            except TimeoutError:
                pass
            except OSError:
                return
            try:
                while True:
                    back, _ = upstream.recvfrom(65535)
                    if client_addr:
                        relay.sendto(back, client_addr[0])
            except (TimeoutError, OSError):
                pass

    time.sleep(0.5)
    thread = threading.Thread(target=run)
    thread.start()
    try:
        try:
            sp.run(["openssl", "s_client", "-dtls1_2", "-quiet", "-no_ign_eof", "-connect",
                    f"127.0.0.1:{relay.getsockname()[1]}"], input=payload, capture_output=True,
                   timeout=15)
        except sp.TimeoutExpired:
            pass  # the datagrams sent so far are the capture
    finally:
        stop.set()
        thread.join(timeout=5)
        relay.close()
        upstream.close()
        server.kill()
        server.wait(timeout=10)
    _pcap(out, recorded, 47000, 5684)
    return len(recorded)
