"""Builds the demo firmware image: a small camera root filesystem with realistic weaknesses and
good practices, packed as SquashFS (mksquashfs) behind a U-Boot uImage kernel part, the way many
vendor images are laid out.

Made with the project's own tooling only: the C programs are compiled here with gcc (so the ELF
hardening facts are real), keys and certificates are generated with `cryptography`, and the image
header is written below. Nothing in it comes from a third-party firmware.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from passlib.hash import md5_crypt, sha512_crypt

DEMO_NAME = "democam-ic200-fw-2.4.1.bin"

# --- C sources: version strings where real firmware keeps them, hardening set by the flags ---
_C_BUSYBOX = r"""
#include <stdio.h>
#include <string.h>
static const char banner[] = "BusyBox v1.19.4 (2014-03-11 10:02:11 CST) multi-call binary.";
int main(int argc, char **argv) { char buf[64]; snprintf(buf, sizeof buf, "%s", argc > 1 ? argv[1] : banner); puts(buf); return 0; }
"""
_C_DROPBEAR = r"""
#include <stdio.h>
static const char ident[] = "SSH-2.0-dropbear_2011.54";
static const char usage[] = "Dropbear sshd v2011.54\nUsage: %s [options]\n";
int main(int argc, char **argv) { printf(usage, argv[0]); puts(ident); return 0; }
"""
_C_DNSMASQ = r"""
#include <stdio.h>
static const char ver[] = "dnsmasq-2.66";
int main(void) { puts(ver); return 0; }
"""
# The camera daemon: the weak one. A TCP listener built without NX/PIE/canary/RELRO that
# copies network input with strcpy and hands it to system().
_C_CAMD = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
static const char cloud[] = "http://cloud.democam.example/api/v1/telemetry";
static const char mqtt[] = "mqtt://broker.democam.example:1883";
int main(void) {
  char req[256]; char name[32]; char cmd[128];
  struct sockaddr_in addr = {0};
  int s = socket(AF_INET, SOCK_STREAM, 0);
  addr.sin_family = AF_INET; addr.sin_port = htons(8080);
  bind(s, (struct sockaddr *)&addr, sizeof addr); listen(s, 4);
  for (;;) {
    int c = accept(s, NULL, NULL);
    ssize_t n = recv(c, req, sizeof req - 1, 0);
    if (n <= 0) { close(c); continue; }
    req[n] = 0; strcpy(name, req);
    sprintf(cmd, "echo %s %s %s", name, cloud, mqtt);
    system(cmd); close(c);
  }
}
"""

_FILES: dict[str, str] = {
    "etc/passwd": (
        "root:x:0:0:root:/root:/bin/sh\n"
        "admin:x:0:0:admin:/root:/bin/sh\n"
        "daemon:*:1:1:daemon:/var:/bin/false\n"
        "camd:x:100:100:camera daemon:/var/camd:/bin/false\n"
        "nobody:*:65534:65534:nobody:/var:/bin/false\n"
    ),
    "etc/group": "root:x:0:\ndaemon:x:1:\ncamd:x:100:\nnogroup:x:65534:\n",
    "etc/inittab": (
        "::sysinit:/etc/init.d/rcS\n"
        "ttyS0::respawn:/bin/sh\n"
        "::shutdown:/bin/umount -a -r\n"
    ),
    "etc/init.d/rcS": (
        "#!/bin/sh\n"
        "# DemoCam start-up\n"
        "mount -t proc proc /proc\n"
        "sysctl -p /etc/sysctl.conf\n"
        "/etc/init.d/firewall start\n"
        "/usr/sbin/telnetd -l /bin/sh\n"
        "/usr/sbin/dropbear -p 22\n"
        "/usr/sbin/dnsmasq -u nobody\n"
        "/usr/bin/camd &\n"
        "/usr/sbin/upgrade_check.sh &\n"
    ),
    "etc/init.d/firewall": (
        "#!/bin/sh\n"
        "# default-deny inbound on the WAN side, allow the app port\n"
        "iptables -P INPUT DROP\n"
        "iptables -A INPUT -i lo -j ACCEPT\n"
        "iptables -A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT\n"
        "iptables -A INPUT -p tcp --dport 443 -j ACCEPT\n"
    ),
    "etc/sysctl.conf": "kernel.randomize_va_space=2\nnet.ipv4.tcp_syncookies=1\n",
    "etc/os-release": (
        'NAME="DemoCam OS"\nVERSION="2.4.1"\nID=democam\nPRETTY_NAME="DemoCam OS 2.4.1"\n'
        'HOME_URL="https://democam.example/"\n'
    ),
    "etc/banner": "DemoCam IC-200 firmware 2.4.1\n",
    "etc/config/cloud.json": (
        "{\n"
        '  "update_url": "http://update.democam.example/firmware/ic200/latest.bin",\n'
        '  "telemetry": "https://cloud.democam.example/api/v1/telemetry",\n'
        '  "mqtt": {"host": "broker.democam.example", "port": 1883,\n'
        '           "username": "ic200", "password": "Dem0Cam!mqtt"},\n'
        '  "aws_access_key_id": "AKIAIOSFODNN7DEMOCAM",\n'
        '  "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYDEMOCAMKEY"\n'
        "}\n"
    ),
    "etc/wpa_supplicant.conf": (
        "ctrl_interface=/var/run/wpa_supplicant\n"
        "network={\n"
        '    ssid="DemoCam-Setup"\n'
        "    key_mgmt=WPA-PSK\n"
        "    pairwise=TKIP\n"
        '    psk="democam-setup-2019"\n'
        "}\n"
    ),
    "usr/sbin/upgrade_check.sh": (
        "#!/bin/sh\n"
        "# Poll for new firmware, check its MD5 and flash it.\n"
        "URL=$(grep update_url /etc/config/cloud.json | cut -d'\"' -f4)\n"
        "wget --no-check-certificate -O /tmp/fw.bin \"$URL\"\n"
        "wget -O /tmp/fw.md5 \"$URL.md5\"\n"
        "if [ \"$(md5sum /tmp/fw.bin | cut -d' ' -f1)\" = \"$(cat /tmp/fw.md5)\" ]; then\n"
        "    mtd write /tmp/fw.bin firmware\n"
        "fi\n"
    ),
    "usr/sbin/set_serial_password.sh": (
        "#!/bin/sh\n"
        "# support console password: derived from the MAC address\n"
        "MAC=$(cat /sys/class/net/eth0/address | tr -d ':')\n"
        "PASS=$(echo -n \"$MAC\" | tail -c 6)\n"
        "echo \"support:$PASS\" | chpasswd\n"
    ),
    "www/index.html": (
        "<!doctype html><html><head><title>DemoCam IC-200</title></head>"
        "<body><h1>DemoCam IC-200</h1><p>Model IC-200, firmware 2.4.1</p>"
        '<p>Report security issues: <a href="mailto:security@democam.example">'
        "security@democam.example</a></p></body></html>\n"
    ),
    "www/.well-known/security.txt": (
        "Contact: mailto:security@democam.example\n"
        "Expires: 2027-12-31T23:00:00.000Z\n"
        "Policy: https://democam.example/security/disclosure\n"
    ),
    "etc/dropbear/dropbear_rsa_host_key": "",  # generated on first boot: must not be a finding
    "etc/fw_env.config": "/dev/mtd1 0x0 0x10000 0x10000\n",
}


@dataclass(frozen=True)
class DemoImage:
    path: Path
    rootfs_dir: Path


def _compile(src: str, out: Path, flags: list[str], workdir: Path) -> None:
    c_file = workdir / (out.name + ".c")
    c_file.write_text(src)
    cmd = ["gcc", "-O2", *flags, "-o", str(out), str(c_file)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"demo build: gcc failed for {out.name}: {proc.stderr.strip()}")


def _keys(root: Path) -> None:
    """A device private key and a weak self-signed certificate shared by every unit."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "democam.local")])
    now = datetime.datetime(2019, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1825))
        .sign(key, hashes.SHA256())
    )
    ssl = root / "etc" / "ssl"
    (ssl / "private").mkdir(parents=True, exist_ok=True)
    (ssl / "certs").mkdir(parents=True, exist_ok=True)
    (ssl / "private" / "device.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    (ssl / "certs" / "device.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def build_rootfs(root: Path, workdir: Path) -> None:
    for rel, text in _FILES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        if text.startswith("#!"):
            p.chmod(0o755)
    # root's password is the well-known default "admin" (MD5-crypt); a fixed salt keeps the
    # image reproducible. camd has a strong, unique-looking hash.
    shadow = (
        f"root:{md5_crypt.using(salt='dCam01').hash('admin')}:18000:0:99999:7:::\n"
        "admin::18000:0:99999:7:::\n"
        "daemon:*:18000:0:99999:7:::\n"
        f"camd:{sha512_crypt.using(salt='q8Zr2kLmN0pXv7Ya', rounds=5000).hash('x7#Kp!2v9Qw$Lm4z')}"
        ":18000:0:99999:7:::\n"
        "nobody:*:18000:0:99999:7:::\n"
    )
    (root / "etc" / "shadow").write_text(shadow)
    (root / "etc" / "shadow").chmod(0o600)
    for d in ("tmp", "var", "proc", "sys", "dev", "root", "lib", "usr/bin", "usr/sbin", "bin", "sbin"):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    (root / "var" / "camd").mkdir(parents=True, exist_ok=True)
    (root / "var" / "camd").chmod(0o777)  # world-writable state directory: a finding
    hardened = ["-fstack-protector-all", "-D_FORTIFY_SOURCE=2", "-fPIE", "-pie", "-Wl,-z,relro,-z,now", "-s"]
    weak = ["-fno-stack-protector", "-no-pie", "-z", "execstack", "-Wl,-z,norelro", "-U_FORTIFY_SOURCE"]
    _compile(_C_BUSYBOX, root / "bin" / "busybox", hardened, workdir)
    _compile(_C_DROPBEAR, root / "usr" / "sbin" / "dropbear", hardened, workdir)
    _compile(_C_DNSMASQ, root / "usr" / "sbin" / "dnsmasq", hardened, workdir)
    _compile(_C_CAMD, root / "usr" / "bin" / "camd", weak, workdir)
    for applet in ("sh", "ls", "mount", "umount", "sysctl", "iptables", "wget", "md5sum"):
        target = root / "bin" / applet
        if not target.exists():
            target.symlink_to("busybox")
    (root / "usr" / "sbin" / "telnetd").symlink_to("/bin/busybox")
    (root / "sbin" / "init").symlink_to("/bin/busybox")
    (root / "bin" / "busybox").chmod(0o4755)  # setuid multi-call binary: a finding
    _keys(root)


def _uimage(payload: bytes, name: str, image_type: int) -> bytes:
    """A legacy U-Boot image header (64 bytes, big-endian, CRC32 over header and data)."""
    import struct

    ts = 1_600_000_000
    data_crc = zlib.crc32(payload) & 0xFFFFFFFF
    fields = (0x27051956, 0, ts, len(payload), 0x80060000, 0x80060000, data_crc, 5, 2, image_type, 1)
    header = struct.pack(">IIIIIIIBBBB32s", *fields, name.encode()[:32].ljust(32, b"\0"))
    hcrc = zlib.crc32(header) & 0xFFFFFFFF
    header = header[:4] + struct.pack(">I", hcrc) + header[8:]
    return header + payload


def build_demo_image(out_dir: Path) -> DemoImage:
    """Build the demo image into ``out_dir``; return its path and the source root filesystem."""
    if shutil.which("mksquashfs") is None or shutil.which("gcc") is None:
        raise RuntimeError("the demo needs mksquashfs (squashfs-tools) and gcc: run `make setup`")
    out_dir.mkdir(parents=True, exist_ok=True)
    root = out_dir / "demo-rootfs-src"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir()
    with tempfile.TemporaryDirectory() as tmp:
        build_rootfs(root, Path(tmp))
        sqfs = Path(tmp) / "rootfs.sqfs"
        subprocess.run(
            ["mksquashfs", str(root), str(sqfs), "-comp", "xz", "-all-root", "-noappend",
             "-no-progress", "-quiet", "-mkfs-time", "1600000000", "-all-time", "1600000000"],
            check=True, capture_output=True,
        )
        banner = (
            b"Linux version 4.9.37 (builder@democam) (gcc version 6.4.0) #1 SMP "
            b"Tue Sep 15 12:00:00 UTC 2020\n" + os.urandom(0) + b"\0" * 4096
        )
        kernel = _uimage(gzip.compress(banner, mtime=0), "Linux-4.9.37", image_type=2)
        kernel += b"\xff" * (-len(kernel) % 0x10000)  # flash-erase padding up to 64 KiB
        image = kernel + sqfs.read_bytes()
    path = out_dir / DEMO_NAME
    path.write_bytes(image)
    return DemoImage(path=path, rootfs_dir=root)


if __name__ == "__main__":  # pragma: no cover - manual use
    start = time.perf_counter()
    img = build_demo_image(Path("demo-output"))
    print(img.path, f"{time.perf_counter() - start:.2f}s")


@dataclass(frozen=True)
class DemoInputs:
    image: DemoImage
    db_path: Path
    profile: Path


def prepare_demo(out_dir: Path) -> DemoInputs:
    """Everything the demo scan needs: the image, a vulnerability DB holding the bundled NVD
    sample, and a copy of the demo profile (so reports name a file the user can open)."""
    from importlib import resources

    from iotbaseline.vulns.db import VulnDatabase

    image = build_demo_image(out_dir / "build")
    db_path = out_dir / "demo-vulns.sqlite"
    demo_pkg = resources.files("iotbaseline.demo")
    with resources.as_file(demo_pkg / "nvd-sample.jsonl.gz") as sample:
        db = VulnDatabase.open(db_path)
        try:
            db.import_files([Path(sample)])
        finally:
            db.close()
    profile = out_dir / "profile-demo.yaml"
    profile.write_bytes(demo_pkg.joinpath("profile-demo.yaml").read_bytes())
    return DemoInputs(image=image, db_path=db_path, profile=profile)
