"""Debug interfaces: shells on serial consoles, debug agents, recovery shells."""

from __future__ import annotations

import posixpath
import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.analysis.boot import Service, is_shell, listing, started_services, uart_tty
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import boot_examined, describe, provisions, service_evidence
from iotbaseline.analysis.uci import load_uci
from iotbaseline.model import Evidence, Severity

GETTYS = frozenset({"getty", "agetty", "mingetty", "mgetty", "uugetty", "fbgetty"})


# Decisions on OpenWrt's consoles:
# - ``::askconsole:/bin/ash --login`` (and askfirst): ``--login`` only makes ash read
#   /etc/profile; nothing asks for a password, so pressing Enter on the console gives root.
# - ``::askconsole:/usr/libexec/login.sh`` (OpenWrt ≥ 15.05): the script runs /bin/login only
#   when uci ``system.@system[0].ttylogin`` is 1; the default (unset/0) execs ``ash --login``.
# - failsafe mode: reported separately (IOTB-DEBUG-003) since it needs a button press at boot.
_EXEC_SHELL = re.compile(r"(?:^|[;&|]\s*)exec\s+(?:/bin/|/usr/bin/)?(?:ash|sh|bash|hush)\b")


def _script_shell_reason(ctx: CheckContext, service: Service) -> str | None:
    """A console script that ends in a shell, judged on the image's uci ttylogin setting."""
    entry = ctx.index.resolve(service.program or service.argv[0], service.root)
    if entry is None or entry.kind not in ("script", "text"):
        return None
    text = ctx.index.read_text(entry, limit=64 * 1024) or ""
    if not any(_EXEC_SHELL.search(line.strip()) for line in text.splitlines()):
        return None
    if "ttylogin" in text:
        system = load_uci(ctx.index, "system", service.root)
        section = next(iter(system.of_type("system")), None) if system else None
        if section is not None and section.get_bool("ttylogin", False):
            return None
        return (f"runs {entry.path}, which starts a shell without login because uci "
                f"system ttylogin is not set to 1"
                + (f" in {system.path}" if system else " (no /etc/config/system)"))
    if "/bin/login" in text:
        return None
    return f"runs {entry.path}, which ends in a shell without calling login"


def _no_login_reason(service: Service, ctx: CheckContext | None = None) -> str | None:
    """Why this console start gives a shell without a login, or None."""
    argv = service.argv
    if is_shell(service.program) or is_shell(argv[0]):
        return f"runs the shell `{' '.join(argv)[:80]}` directly, which asks for no password"
    if ctx is not None and service.name not in GETTYS:
        script = _script_shell_reason(ctx, service)
        if script:
            return script
    if service.name in GETTYS:
        login = None
        for i, a in enumerate(argv):
            if a in ("-l", "--login-program") and i + 1 < len(argv):
                login = argv[i + 1]
            if a in ("-a", "--autologin") and i + 1 < len(argv):
                return f"logs {argv[i + 1]} in automatically (`{a} {argv[i + 1]}`)"
            if a.startswith("--autologin="):
                return f"logs {a.split('=', 1)[1]} in automatically"
        if login and is_shell(login.split()[0]):
            return f"uses the shell {login} as its login program"
        if login and "-f" in login.split():
            return f"uses `{login}`, a login that skips the password"
    if service.name == "login" and "-f" in argv:
        return "runs `login -f`, which skips the password"
    return None


@check(CheckSpec(
    id="IOTB-DEBUG-001",
    title="Serial console gives a shell without login",
    severity=Severity.HIGH,
    rationale="A UART is reachable with a few wires on the board; a shell there without a "
              "password hands root to anyone holding the device and lets them read keys and "
              "alter the firmware.",
    remedy="Run a getty with a real login (per-device password) on the console, or no console "
           "shell at all in production builds; disable the UART in software.",
    provisions=provisions(etsi=("5.6-4", "5.6-1", "5.1-1"), xiaomi=("3.2.1", "1.1.1", "1.1.3"),
                          tencent=("5.1.2-2", "5.1.1-3"), isvs=("V2.2.4", "V5.1.1", "V1.2.4")),
    cwe=(306, 1191),
))
def find_console_shell(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    other_terminals: list[str] = []
    judged: set[tuple[str, ...]] = set()  # (entry file, script) judged on the direct line
    # direct inittab/unit lines first; a shell inside a script they run counts only when the
    # line itself was not already reported
    ordered = sorted(started_services(ctx), key=lambda s: s.source != (s.chain or ("",))[0])
    for service in ordered:
        if not service.enabled or service.via not in ("inittab", "systemd"):
            continue
        direct = service.source == (service.chain or ("",))[0]
        if direct and service.binary:
            judged.add((service.source, service.binary))  # its script is judged as a whole
        if not direct and tuple(service.chain[:2]) in judged:
            continue
        if service.action in ("sysinit", "wait", "once", "boot", "bootwait", "shutdown"):
            continue
        tty = service.tty or ("console" if service.action == "askconsole" else None)
        reason = _no_login_reason(service, ctx)
        if reason is None:
            if tty:
                report.examined.append(service_evidence(service, f"console {tty} with login"))
            continue
        if tty is None:
            tty = "console"
        if not (uart_tty(tty) or tty == "console"):
            other_terminals.append(f"{tty} ({service.source}:{service.line})")
            continue
        where = ("the kernel console, which on embedded boards is the serial port named by "
                 "console= on the kernel command line" if tty == "console"
                 else f"serial port {tty}")
        report.hits.append(Hit(
            message=f"{service.source}:{service.line} {reason} on {where} "
                    f"(action {service.action or 'respawn'}).",
            path=service.source, root=service.root, line=service.line,
            excerpt=" ".join(service.argv)[:200],
            confidence="high" if tty != "console" else "medium",
            properties={"tty": tty, "action": service.action}))
    if report.hits:
        first = report.hits[0]
        report.inferred["debug_interface_physically_accessible"] = True
        report.inferred["debug_interface_physically_accessible_evidence"] = first.path
    report.summary = (f"{len(report.hits)} console shell(s) without login"
                      if report.hits else "no serial console shell without login")
    if other_terminals:
        report.summary += ("; shells without login on non-serial terminals (virtual consoles): "
                           + ", ".join(other_terminals[:5]))
    if not report.hits:
        report.examined.extend(boot_examined(ctx))
    return report


DEBUG_AGENTS = frozenset({"gdbserver", "gdb", "tcf-agent", "lldb-server", "frida-server",
                          "dbgsrv", "kgdboc", "jdwp", "valgrind", "ltrace", "strace", "perf"})
_LISTENING_DEBUG = frozenset({"gdbserver", "tcf-agent", "lldb-server", "frida-server", "dbgsrv"})


@check(CheckSpec(
    id="IOTB-DEBUG-002",
    title="Debugging agent started or shipped",
    severity=Severity.HIGH,
    rationale="A debug server (gdbserver, tcf-agent, frida) lets a remote party read and change "
              "process memory; debugging tools left in an image widen what an intruder can do.",
    remedy="Build production images without debug servers and tracing tools; never start them "
           "at boot.",
    provisions=provisions(etsi=("5.6-1", "5.6-4", "5.6-6"), xiaomi=("1.1.1", "3.1.5"),
                          tencent=("5.1.6-3",), isvs=("V2.2.4", "V3.2.2")),
    cwe=(489,),
))
def find_debug_agents(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    started: set[tuple[str | None, str]] = set()
    for service in started_services(ctx):
        if service.name not in DEBUG_AGENTS or not service.enabled:
            continue
        started.add((service.root, service.binary or service.name))
        report.hits.append(Hit(message=f"Debug agent {describe(service)}.",
                               path=service.source, root=service.root, line=service.line,
                               excerpt=" ".join(service.argv)[:200]))
    for entry in ctx.index.elves():
        name = posixpath.basename(entry.path)
        if name in _LISTENING_DEBUG and (entry.root, entry.path) not in started:
            report.hits.append(Hit(message=f"Debug server {name} is shipped in the image "
                                           f"(not started at boot).",
                                   path=entry.path, root=entry.root, severity=Severity.LOW))
    report.summary = (f"{len(report.hits)} debug agent(s)" if report.hits
                      else "no debug agent started or shipped")
    return report


_FAILSAFE_FILES = ("/lib/preinit/*failsafe*", "/etc/preinit", "/lib/preinit/*")
_FAILSAFE_SHELL = re.compile(r"^\s*(?:telnetd\b.*|(?:exec\s+)?(?:/bin/)?ash\s+--login\b.*)$")


@check(CheckSpec(
    id="IOTB-DEBUG-003",
    title="Recovery (failsafe) mode gives a root shell without login",
    severity=Severity.LOW,
    rationale="OpenWrt-style failsafe mode, entered by pressing a button during a short boot "
              "window, opens a root shell on the console and a password-less telnet on the LAN. "
              "It needs physical access, so it is a documented recovery path rather than a remote "
              "hole, but it bypasses every password the user set and lets anyone with the device "
              "in hand reflash or read it.",
    remedy="Require a credential in recovery mode, or limit it to restoring a signed factory "
           "image; document it for users.",
    provisions=provisions(etsi=("5.6-4",), xiaomi=("3.1.5", "1.1.3"), isvs=("V2.2.4",)),
    cwe=(306,),
))
def find_failsafe_shell(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    for root in ctx.index.roots:
        seen: set[str] = set()
        for entry in listing(ctx).glob(*_FAILSAFE_FILES, root=root.label):
            if entry.path in seen or entry.kind not in ("script", "text"):
                continue
            seen.add(entry.path)
            text = ctx.index.read_text(entry, limit=256 * 1024) or ""
            if "failsafe" not in text:
                continue
            for number, line in enumerate(text.splitlines(), start=1):
                if _FAILSAFE_SHELL.match(line) and "failsafe" in text:
                    what = ("telnet without password on the LAN" if "telnetd" in line
                            else "a root shell on the console")
                    report.hits.append(Hit(
                        message=f"Failsafe mode starts {what} ({entry.path}:{number}); it is "
                                f"entered by a button press during boot, so it needs physical "
                                f"access.",
                        path=entry.path, root=root.label, line=number, excerpt=line.strip(),
                        confidence="medium"))
    report.summary = (f"{len(report.hits)} failsafe shell start(s)" if report.hits
                      else "no failsafe shell found")
    if not report.hits:
        report.examined.append(Evidence(kind="note", ref="/lib/preinit",
                                        detail="no failsafe scripts with a shell"))
    return report


CHECKS = (find_console_shell, find_debug_agents, find_failsafe_shell)
