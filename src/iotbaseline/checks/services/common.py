"""Small helpers shared by the service, privilege and hardening checks (no checks here)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator

from iotbaseline.analysis.boot import Service, boot_model, started_services
from iotbaseline.checks.context import CheckContext
from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import Evidence, FileEntry

ETSI = "etsi-en-303-645"
XIAOMI = "xiaomi-2.0"
TENCENT = "tencent-qtx-001.1"
ISVS = "owasp-isvs"


def provisions(etsi: Iterable[str] = (), xiaomi: Iterable[str] = (), tencent: Iterable[str] = (),
               isvs: Iterable[str] = ()) -> tuple[str, ...]:
    """``catalog:id`` references in a stable order."""
    return (tuple(f"{ETSI}:{i}" for i in etsi) + tuple(f"{XIAOMI}:{i}" for i in xiaomi)
            + tuple(f"{TENCENT}:{i}" for i in tencent) + tuple(f"{ISVS}:{i}" for i in isvs))


# Daemons that accept connections from the network by design (BusyBox applet names included).
LISTENER_NAMES = frozenset({
    "telnetd", "utelnetd", "in.telnetd", "ftpd", "vsftpd", "proftpd", "pure-ftpd", "bftpd",
    "uftpd", "tftpd", "in.tftpd", "atftpd", "opentftpd", "sshd", "dropbear", "httpd", "uhttpd",
    "lighttpd", "nginx", "boa", "goahead", "thttpd", "mini_httpd", "webs", "appweb", "dnsmasq",
    "udhcpd", "dhcpd", "snmpd", "mini_snmpd", "miniupnpd", "upnpd", "mosquitto", "adbd",
    "gdbserver", "smbd", "nmbd", "avahi-daemon", "mdnsd", "rtspd", "inetd", "xinetd", "dnsd",
    "tcpsvd", "udpsvd", "fakeidentd", "lldpd", "minidlna", "rpcbind", "portmap", "nfsd",
    "tcf-agent", "hostapd", "cwmpd", "tr069", "onvif_server", "rtsp_server", "apache2",
})
_LISTEN_IMPORTS = frozenset({"listen", "accept", "accept4"})
BUSYBOX_NAMES = ("busybox", "toybox")


# Accept only on local (unix) sockets or netlink: not network-facing despite their imports.
LOCAL_ONLY = frozenset({"ubusd", "dbus-daemon", "udevd", "systemd-udevd", "hotplug2", "netifd",
                        "procd", "logd", "rpcd", "crond", "klogd", "syslogd", "logread",
                        "mdev", "ueventd", "servicemanager", "vold", "netd", "init",
                        "dropbearkey", "ubus", "uci"})


def is_listener(index: FileIndex, service: Service) -> bool:
    """True when the program is a known network daemon or its ELF imports accept/listen.

    A multi-call binary (BusyBox) imports everything its applets need, so only the applet
    name decides there."""
    if service.name in LISTENER_NAMES:
        return service.name != "ntpd" or "-l" in service.argv
    if service.name in ("nc", "netcat", "ncat") and any(a.startswith("-l") for a in service.argv):
        return True
    if service.name == "socat" and any("LISTEN" in a.upper() for a in service.argv):
        return True
    if service.binary is None or service.name in LOCAL_ONLY:
        return False
    entry = index.get(service.binary, service.root)
    if entry is None or entry.elf is None:
        return False
    if posixpath.basename(entry.path) in BUSYBOX_NAMES or posixpath.basename(
            entry.path) != service.name:
        return False  # an alias of a multi-call binary: its imports serve every applet
    return bool(_LISTEN_IMPORTS & set(entry.elf.imports))


def enabled_services(ctx: CheckContext) -> list[Service]:
    return [s for s in started_services(ctx) if s.enabled]


def network_services(ctx: CheckContext) -> list[Service]:
    """Enabled services that listen on the network (memoised)."""
    def compute(c: CheckContext) -> list[Service]:
        return [s for s in enabled_services(c) if is_listener(c.index, s)]

    return ctx.fact("boot.network_services", compute)  # type: ignore[no-any-return]


def network_facing_binaries(ctx: CheckContext) -> dict[tuple[str, str], str]:
    """(root, binary path) → why it counts as network-facing: started listener or known daemon."""
    def compute(c: CheckContext) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        for s in network_services(c):
            if s.binary:
                out.setdefault((s.root or "", s.binary),
                               f"started at boot as {s.name} ({s.source}:{s.line})")
        for entry in c.index.elves():
            name = posixpath.basename(entry.path)
            if name in LISTENER_NAMES and (entry.root, entry.path) not in out:
                out[(entry.root, entry.path)] = f"network daemon {name} shipped in the image"
        return out

    return ctx.fact("boot.network_facing", compute)  # type: ignore[no-any-return]


def service_evidence(service: Service, detail: str = "") -> Evidence:
    return Evidence(kind="file", ref=service.source, line=service.line,
                    detail=detail or f"starts {service.name}",
                    excerpt=" ".join(service.argv)[:200])


def describe(service: Service) -> str:
    where = f"{service.source}:{service.line}" if service.line else service.source
    via = {"rc.d": "an enabled init script", "procd": "procd (enabled init script)",
           "init.d": "an init script that is not enabled", "inittab": "/etc/inittab",
           "systemd": "an enabled systemd unit", "inetd": "inetd", "xinetd": "xinetd",
           "rc.local": "rc.local", "android-init": "Android init"}.get(service.via, service.via)
    return f"`{' '.join(service.argv)[:160]}` started by {via} ({where})"


def text_lines(index: FileIndex, entry: FileEntry, limit: int = 1024 * 1024) -> list[str]:
    text = index.read_text(entry, limit=limit)
    return text.splitlines() if text else []


def grep(index: FileIndex, entry: FileEntry, pattern: re.Pattern[str]) -> Iterator[tuple[int, str, re.Match[str]]]:
    """(line number, line, match) for each non-comment line matching."""
    for number, line in enumerate(text_lines(index, entry), start=1):
        if line.lstrip().startswith(("#", ";", "//")):
            continue
        match = pattern.search(line)
        if match:
            yield number, line, match


def root_password_field(index: FileIndex, path: str, root: str | None = None) -> str | None:
    """The password field of root in a passwd/shadow file, None if the file or line is absent."""
    entry = index.resolve(path, root)
    if entry is None:
        return None
    for line in text_lines(index, entry):
        if line.startswith("root:"):
            parts = line.split(":")
            return parts[1] if len(parts) > 1 else ""
    return None


def openwrt_has_root_pwd(field: str | None) -> bool:
    """OpenWrt's ``has_root_pwd``: strip one leading ``!`` or ``x``; anything left is a password."""
    if field is None:
        return False
    value = field[1:] if field[:1] in ("!", "x") else field
    return bool(value)


def boot_examined(ctx: CheckContext) -> list[Evidence]:
    """Evidence for a PASS: the start-up files that were read."""
    model = boot_model(ctx)
    files = model.files + [s for s in model.scripts if s not in model.files]
    return [Evidence(kind="file", ref=f, detail="read to model what starts at boot")
            for f in files[:25]]
