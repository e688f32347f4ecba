"""Real servers on loopback for the probe tests: certificates, TLS and HTTP servers, a
telnet-like banner server, mosquitto and dropbear. Every server counts its accepted
connections so tests can prove what was (not) contacted."""

from __future__ import annotations

import datetime as dt
import getpass
import http.server
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK, kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class CertFiles:
    cert: Path
    key: Path
    ca: Path | None = None


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_cert(directory: Path, label: str, *, hash_alg: hashes.HashAlgorithm, bits: int,
              days: int = 365, ca: bool = False, start_days_ago: int = 1) -> CertFiles:
    """A certificate for 127.0.0.1: ``ca=True`` issues it from a fresh CA (written too)."""
    now = dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    issuer_key, issuer_name, ca_path = key, _name(f"{label} device"), None
    if ca:
        issuer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        issuer_name = _name(f"{label} maker CA")
        ca_cert = (x509.CertificateBuilder().subject_name(issuer_name).issuer_name(issuer_name)
                   .public_key(issuer_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(days=2))
                   .not_valid_after(now + dt.timedelta(days=3650))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                       issuer_key.public_key()), critical=False)
                   .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                                crl_sign=True, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False,
                                                key_agreement=False, encipher_only=False,
                                                decipher_only=False), critical=True)
                   .sign(issuer_key, hashes.SHA256()))
        ca_path = directory / f"{label}-ca.pem"
        ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    builder = (x509.CertificateBuilder().subject_name(_name(f"{label} device"))
               .issuer_name(issuer_name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=start_days_ago))
               .not_valid_after(now + dt.timedelta(days=days))
               .add_extension(x509.SubjectAlternativeName(
                   [x509.IPAddress(ipaddress.ip_address(LOOPBACK)), x509.DNSName("localhost")]),
                   critical=False))
    if ca:
        builder = (builder.add_extension(x509.ExtendedKeyUsage(
            [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False))
    cert = builder.sign(issuer_key, hash_alg)
    cert_path, key_path = directory / f"{label}.pem", directory / f"{label}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return CertFiles(cert_path, key_path, ca_path)


def make_sha1_cert(directory: Path, label: str = "bad", expired: bool = True) -> CertFiles:
    """Self-signed RSA-1024 certificate signed with SHA-1 (``cryptography`` refuses to sign
    with SHA-1, the openssl command does), expired by default (-days -1)."""
    openssl = shutil.which("openssl") or "openssl"
    key, first, csr = directory / f"{label}.key", directory / f"{label}-0.pem", directory / f"{label}.csr"
    cert = directory / f"{label}.pem"
    subprocess.run([openssl, "req", "-x509", "-sha1", "-newkey", "rsa:1024", "-nodes",
                    "-keyout", str(key), "-out", str(first), "-days", "1",
                    "-subj", f"/CN={label} device"], check=True, capture_output=True)
    if expired:
        subprocess.run([openssl, "x509", "-x509toreq", "-in", str(first), "-signkey", str(key),
                        "-out", str(csr)], check=True, capture_output=True)
        subprocess.run([openssl, "x509", "-req", "-in", str(csr), "-signkey", str(key), "-sha1",
                        "-days", "-1", "-out", str(cert)], check=True, capture_output=True)
    else:
        first.rename(cert)
    return CertFiles(cert, key)


def bad_tls_context(files: CertFiles) -> ssl.SSLContext:
    """TLS 1.0 and up, weak suites allowed (OpenSSL security level 0 permits TLS 1.0/SHA-1)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.load_cert_chain(files.cert, files.key)
    return ctx


def good_tls_context(files: CertFiles) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
    ctx.load_cert_chain(files.cert, files.key)
    return ctx


# ------------------------------------------------------------------------------------------
# HTTP device: login form, optional lockout, management pages
# ------------------------------------------------------------------------------------------

CORRECT = ("owner", "S3cure-unique-Pw")
LOGIN_FORM = (b"<html><head><title>Router admin</title></head><body>"
              b"<form method='post' action='/login'><input type='text' name='username'>"
              b"<input type='password' name='password'><input type='submit'></form>"
              b"</body></html>")


@dataclass
class HttpDevice:
    """Behaviour switches for the fake device web UI."""

    lockout: bool = False  # lock the login after 3 failures (HTTP 429) for the test's life
    delay_growth: bool = False  # answer failures ever more slowly instead
    default_password: str | None = None  # admin/<this> is accepted too
    unauth_config: bool = False  # /cgi-bin/config.exp answers without login
    redirect_to: str | None = None  # answer every request with a 301 to this URL
    security_headers: bool = False
    directory_listing: bool = False
    server_header: str = "lighttpd/1.4.35"
    upnp_xml: bytes | None = None  # served at /desc.xml
    failures: int = 0
    logins_ok: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_handler(device: HttpDevice) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def version_string(self) -> str:
            return device.server_header

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None
                  ) -> None:
            self.send_response(code)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if device.security_headers:
                self.send_header("X-Frame-Options", "DENY")
                self.send_header("X-Content-Type-Options", "nosniff")
                self.send_header("Strict-Transport-Security", "max-age=31536000")
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            if device.redirect_to:
                self._send(301, b"", {"Location": device.redirect_to + self.path})
                return
            if self.path in ("/", "/index.html", "/login", "/admin", "/admin/"):
                self._send(200, LOGIN_FORM)
            elif self.path == "/desc.xml" and device.upnp_xml is not None:
                self._send(200, device.upnp_xml)
            elif self.path == "/cgi-bin/config.exp" and device.unauth_config:
                self._send(200, b"wan_proto=dhcp\nadmin_user=admin\nwifi_psk=secret123\n"
                                b"remote_mgmt=1\n")
            elif self.path == "/cgi-bin/config.exp":
                self._send(302, b"", {"Location": "/login"})
            elif self.path == "/files/" and device.directory_listing:
                self._send(200, b"<html><title>Index of /files/</title><h1>Index of /files/"
                                b"</h1><a href='backup.tar'>backup.tar</a></html>")
            else:
                self._send(404, b"<html>not found</html>")

        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), 4096)
            from urllib.parse import parse_qs

            form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
            user = (form.get("username") or [""])[0]
            password = (form.get("password") or [""])[0]
            with device.lock:
                locked = device.lockout and device.failures >= 3
                ok = (user, password) == CORRECT or (
                    device.default_password is not None
                    and (user, password) == ("admin", device.default_password))
                if locked:
                    self._send(429, b"<html>Too many attempts, try later</html>")
                    return
                if ok:
                    device.logins_ok += 1
                    self._send(302, b"", {"Location": "/status",
                                          "Set-Cookie": "session=abc; HttpOnly"})
                    return
                device.failures += 1
                wait = min(0.25 * device.failures, 2.0) if device.delay_growth else 0.0
            if wait:
                time.sleep(wait)
            self._send(200, b"<html>Wrong password" + LOGIN_FORM[6:])

    return Handler


class CountingHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    accepts = 0

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        pass  # scanners abort handshakes on purpose; keep test output clean

    def get_request(self):  # type: ignore[no-untyped-def]
        pair = super().get_request()
        self.accepts += 1
        return pair


def serve_http(device: HttpDevice, tls: ssl.SSLContext | None = None,
               host: str = LOOPBACK, port: int = 0) -> CountingHTTPServer:
    server = CountingHTTPServer((host, port), make_handler(device))
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ------------------------------------------------------------------------------------------
# plain TCP servers: banner (telnet-like) and a counting listener
# ------------------------------------------------------------------------------------------


class BannerServer:
    """Sends ``banner`` on accept, then answers a login dialogue: accepts ``accept`` pair."""

    def __init__(self, banner: bytes, accept: tuple[str, str] | None = None,
                 host: str = LOOPBACK) -> None:
        self.banner = banner
        self.accept_pair = accept
        self.accepts = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self._stop = False
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepts += 1
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _readline(self, conn: socket.socket) -> str:
        data = b""
        while not data.endswith(b"\n") and len(data) < 200:
            chunk = conn.recv(1)
            if not chunk:
                break
            if chunk == b"\xff":  # skip client IAC replies (3 bytes)
                conn.recv(2)
                continue
            data += chunk
        return data.decode("utf-8", "replace").strip()

    def _talk(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            conn.sendall(self.banner)
            for _ in range(3):
                conn.sendall(b"login: ")
                user = self._readline(conn)
                conn.sendall(b"Password: ")
                password = self._readline(conn)
                if self.accept_pair and (user, password) == self.accept_pair:
                    conn.sendall(b"\r\n\r\nBusyBox built-in shell (ash)\r\n# ")
                    time.sleep(0.2)
                    return
                conn.sendall(b"\r\nLogin incorrect\r\n")
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.sock.close()


class CountingListener(BannerServer):
    """A listener that only counts connections (for scope tests)."""

    def __init__(self, host: str = LOOPBACK, port: int = 0) -> None:
        self.accepts = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self._stop = False
        self.banner = b""
        self.accept_pair = None
        threading.Thread(target=self._loop, daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        conn.close()


# ------------------------------------------------------------------------------------------
# Debian daemons: mosquitto, dropbear
# ------------------------------------------------------------------------------------------


def wait_port(port: int, host: str = LOOPBACK, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port}")


@dataclass
class Daemon:
    process: subprocess.Popen[bytes]
    port: int

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_mosquitto(directory: Path, anonymous: bool, tls: CertFiles | None = None) -> Daemon:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    lines = [f"listener {port} {LOOPBACK}", f"allow_anonymous {'true' if anonymous else 'false'}",
             "persistence false", "log_dest stderr",
             # stay the current user: the files live in a private pytest directory
             f"user {getpass.getuser()}"]
    if tls is not None:
        lines += [f"certfile {tls.cert}", f"keyfile {tls.key}"]
    if not anonymous:
        pw = directory / "mosquitto.passwd"
        pw.write_text("")
        subprocess.run([shutil.which("mosquitto_passwd") or "mosquitto_passwd", "-b", str(pw),
                        CORRECT[0], CORRECT[1]], check=True, capture_output=True)
        os.chmod(pw, 0o600)
        lines.append(f"password_file {pw}")
    conf = directory / f"mosquitto-{port}.conf"
    conf.write_text("\n".join(lines) + "\n")
    process = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    wait_port(port)
    return Daemon(process, port)


def start_dropbear(directory: Path) -> Daemon:
    keygen = shutil.which("dropbearkey") or "/usr/bin/dropbearkey"
    binary = shutil.which("dropbear") or "/usr/sbin/dropbear"
    key = directory / "dropbear_ed25519_host_key"
    if not key.exists():
        subprocess.run([keygen, "-t", "ed25519", "-f", str(key)], check=True,
                       capture_output=True)
    port = free_port()
    process = subprocess.Popen([binary, "-F", "-E", "-p", f"{LOOPBACK}:{port}", "-r", str(key),
                                "-P", str(directory / f"dropbear-{port}.pid")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return Daemon(process, port)


def run_in_thread(fn: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=fn, daemon=True)
    thread.start()
    return thread


# ------------------------------------------------------------------------------------------
# UDP responders (replies built with the same protocol libraries a device would answer with)
# ------------------------------------------------------------------------------------------


class UdpResponder:
    """Answers each datagram with ``reply(request) -> bytes | None``; counts requests."""

    def __init__(self, reply: Callable[[bytes], bytes | None], host: str = LOOPBACK,
                 port: int = 0) -> None:
        self.reply = reply
        self.requests = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.port = int(self.sock.getsockname()[1])
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                return
            self.requests += 1
            answer = self.reply(data)
            if answer:
                self.sock.sendto(answer, addr)

    def close(self) -> None:
        self.sock.close()


def snmp_reply(descr: str) -> Callable[[bytes], bytes | None]:
    from pyasn1.codec.ber import decoder, encoder
    from pysnmp.proto import api

    proto = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

    def reply(data: bytes) -> bytes | None:
        request, _ = decoder.decode(data, asn1Spec=proto.Message())
        if str(proto.apiMessage.get_community(request)) != "public":
            return None
        response = proto.apiMessage.get_response(request)
        pdu = proto.apiMessage.get_pdu(response)
        oids = [oid for oid, _ in proto.apiPDU.get_varbinds(proto.apiMessage.get_pdu(request))]
        proto.apiPDU.set_varbinds(pdu, [(oid, proto.OctetString(descr)) for oid in oids])
        return bytes(encoder.encode(response))

    return reply


def coap_reply(links: str) -> Callable[[bytes], bytes | None]:
    import aiocoap

    def reply(data: bytes) -> bytes | None:
        request = aiocoap.Message.decode(data)
        answer = aiocoap.Message(code=aiocoap.CONTENT, payload=links.encode())
        answer.mtype = aiocoap.ACK
        answer.mid = request.mid
        answer.token = request.token
        return bytes(answer.encode())

    return reply


def ssdp_reply(location: str, server: str) -> Callable[[bytes], bytes | None]:
    def reply(data: bytes) -> bytes | None:
        if not data.startswith(b"M-SEARCH"):
            return None
        return (f"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: upnp:rootdevice\r\n"
                f"USN: uuid:1234::upnp:rootdevice\r\nLOCATION: {location}\r\n"
                f"SERVER: {server}\r\n\r\n").encode()

    return reply
