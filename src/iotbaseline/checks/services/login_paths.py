"""Every way to log in that the image starts, with the credential that protects it.

A lab asks two questions of each login path: does the shipped device start it, and what does it
take to get through. The paths come from the boot model (``analysis/boot.py``): telnet daemons
(with ODM ``-u user:password`` options whose values are read from the image's config files),
programs that start telnet on a magic packet, SSH servers, logins on serial consoles. The
credential comes from what the path asks for: a fixed ``-u`` pair, a login script that lets root
in without a password, or the system accounts ``login`` checks — their hashes cracked against the
public default-credential corpus (``credentials/crack.py``).

Paths another check already judges (a shell without login: IOTB-DEBUG-001 / IOTB-SVC-002; code
run from SD cards: IOTB-PRIV-005; web accounts: IOTB-CRED-005/006) are listed here at ``info``
with a reference, so the list is complete without counting one fact twice.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from iotbaseline.analysis.boot import Service, is_shell, started_services, uart_tty
from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check, redact
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.credentials import crack as cred_crack
from iotbaseline.checks.credentials.accounts import accounts, first_boot_password_script
from iotbaseline.checks.credentials.image_values import image_values
from iotbaseline.checks.services.common import describe, provisions, service_evidence
from iotbaseline.checks.services.config_values import ConditionJudge, ConfigValue, ValueReader
from iotbaseline.checks.services.remote_access import (
    TELNET_NAMES,
    login_program,
    off_by_config,
    openwrt_telnet_condition,
    script_gives_shell,
    served_names,
)
from iotbaseline.checks.textscan import blob_strings
from iotbaseline.model import Evidence, Severity

GETTYS = frozenset({"getty", "agetty", "mingetty", "mgetty", "uugetty", "fbgetty"})
SSH_NAMES = frozenset({"dropbear", "sshd"})
# a program that opens a telnet daemon itself: its strings name the daemon it starts
_STARTS_TELNET = re.compile(r"^(?:/usr/sbin/|/sbin/|/bin/|/usr/bin/)?u?telnetd(?:\s+-[a-zA-Z].*)?$",
                            re.MULTILINE)
_PLACEHOLDERS = ("x", "*", "!", "!!", "*LK*", "NP", "!*")
_INIT_PROGRAMS = frozenset({"init", "rc", "procd", "preinit", "systemd", "busybox", "toybox"})

ETSI_CRED = ("5.1-1",)
P_FAIL_NET = provisions(etsi=("5.1-1", "5.6-1"), xiaomi=("3.2.2", "3.1.2", "2.2"),
                        tencent=("5.3.2-3", "5.1.6-3"), isvs=("V2.1.3",))
P_FAIL_DERIVED = provisions(etsi=("5.1-1", "5.1-2", "5.6-1"), xiaomi=("3.2.2", "3.1.5"),
                            tencent=("5.3.2-3", "5.1.6-3"), isvs=("V2.1.3",))
P_FAIL_SERIAL = provisions(etsi=("5.1-1", "5.6-4"), xiaomi=("3.2.2", "3.2.1", "1.1.1"),
                           tencent=("5.3.2-3", "5.1.2-2"), isvs=("V2.1.3",))
P_HIDDEN = provisions(etsi=("5.6-1",), xiaomi=("3.1.5", "2.2"), tencent=("5.1.6-3",))
P_LIST = provisions(etsi=("5.6-1",))


@dataclass(frozen=True)
class Credential:
    """What it takes to get through one login path."""

    kind: str  # none | empty | cracked | fixed | uncracked | locked | per-device | unknown
    account: str | None = None
    secret: str | None = None
    chain: str = ""  # the evidence chain in words
    path: str | None = None  # file holding the credential
    line: int | None = None
    values: tuple[ConfigValue, ...] = ()

    @property
    def universal(self) -> bool:
        return self.kind in ("none", "empty", "cracked", "fixed")


@dataclass
class LoginPath:
    kind: str  # telnet | telnet-enabler | ssh | serial | web
    service: Service
    state: str  # on | conditional | off
    why: str = ""
    credentials: list[Credential] = field(default_factory=list)
    judged_by: str | None = None  # another check that already judges this path


# ---------------------------------------------------------------------------------------------
# system accounts behind /bin/login
# ---------------------------------------------------------------------------------------------


def _deciding_fields(ctx: CheckContext, root: str | None) -> list[tuple[str, str, str, int]]:
    """(user, password field, file, line) as login reads them: a field in /etc/passwd other
    than ``x`` decides; otherwise the /etc/shadow field; users whose shell refuses logins out."""
    acc = accounts(ctx)
    passwd: dict[str, tuple[str, str, int]] = {}
    shadow: dict[str, tuple[str, str, int]] = {}
    for a in acc.lines:
        if root is not None and a.root != root:
            continue
        if getattr(a, "role", "live") not in ("live", "copy-used", "deferred", "overridden"):
            continue
        target = shadow if "shadow" in posixpath.basename(a.file) else passwd
        if posixpath.basename(a.file) in ("passwd", "shadow"):
            target.setdefault(a.user, (a.password, a.source or a.file, a.line))
    out = []
    for user in dict.fromkeys([*passwd, *shadow]):
        if not acc.can_log_in(user):
            continue
        p = passwd.get(user)
        s = shadow.get(user)
        if p is not None and p[0] not in ("x",) and not (p[0] == "*" and s is not None):
            field_, file, line = p
        elif s is not None:
            field_, file, line = s
        elif p is not None:
            field_, file, line = p
        else:
            continue
        out.append((user, field_, file, line))
    return out


def _cracked(ctx: CheckContext, targets: dict[str, str]) -> dict[str, cred_crack.CrackResult]:
    """Crack each hash once per run (hash → user it belongs to), within --crack-seconds."""
    cache: dict[str, cred_crack.CrackResult] = ctx.fact("login_paths.cracked", lambda c: {})
    values = image_values(ctx)
    todo = {h: cred_crack.candidates_for(user, image_values=values)
            for h, user in targets.items() if h not in cache}
    if todo:
        cache.update(cred_crack.crack(todo, ctx.options.crack_seconds, jobs=ctx.options.jobs))
    return cache


def system_credentials(ctx: CheckContext, root: str | None) -> list[Credential]:
    """The accounts ``login`` accepts and what each takes (cracked where the corpus has it)."""
    fields = _deciding_fields(ctx, root)
    hashes = {f: u for u, f, _, _ in fields
              if f and f not in _PLACEHOLDERS and not f.startswith(("!", "*"))}
    per_device = first_boot_password_script(ctx)
    replaced = set() if per_device is None else (
        {u for u, _, _, _ in fields} if per_device[2] is None else set(per_device[2]))
    cracked = _cracked(ctx, {h: u for h, u in hashes.items() if u not in replaced}) \
        if hashes else {}
    out: list[Credential] = []
    for user, value, file, line in fields:
        where = f"{file}:{line}"
        if per_device is not None and user in replaced:
            script, number, _ = per_device
            out.append(Credential("per-device", user, None,
                                  f"account {user}'s shipped field ({where}) is replaced by "
                                  f"{script.path}:{number}, which sets a per-device or random "
                                  f"password", script.path, number))
        elif value == "":
            out.append(Credential("empty", user, "", f"account {user} has an empty password "
                                  f"field ({where}): login lets it in without a password",
                                  file, line))
        elif value in _PLACEHOLDERS or value.startswith(("!", "*")):
            out.append(Credential("locked", user, None, f"account {user} is locked ({where})",
                                  file, line))
        else:
            result = cracked.get(value)
            if result is not None and result.password is not None:
                scheme = cred_crack.identify(value) or "hash"
                out.append(Credential(
                    "cracked", user, result.password,
                    f"account {user}'s {cred_crack.WEAK_SCHEMES.get(scheme, scheme)} hash "
                    f"({where}) cracks to the published default {redact(result.password)!r} "
                    f"({result.engine}, {result.tried} candidates)", file, line))
            else:
                tried = f"{result.tried} candidates" if result else "no attempt"
                if result is not None and result.timed_out:
                    tried += ", stopped at the --crack-seconds limit"
                out.append(Credential("uncracked", user, None,
                                      f"account {user} has a password hash ({where}) that no "
                                      f"published default matched ({tried})", file, line))
    return out


def _login_credentials(ctx: CheckContext, service: Service, program: str) -> list[Credential]:
    """What a login program asks for: nothing (a shell, or a script that skips login while
    root has no password), or the system accounts."""
    if is_shell(program):
        return [Credential("none", None, None, f"{program} is a shell: no login at all")]
    gives, why = script_gives_shell(ctx, program, service)
    if gives:
        return [Credential("none", "root", None, why)]
    return system_credentials(ctx, service.root)


# ---------------------------------------------------------------------------------------------
# finding the paths
# ---------------------------------------------------------------------------------------------


def _state(ctx: CheckContext, service: Service) -> tuple[str, str, tuple[ConfigValue, ...]]:
    off = off_by_config(ctx, service)
    if off is not None:
        return "off", off, ()
    if not service.condition:
        return "on", "", ()
    starts, why = openwrt_telnet_condition(ctx, service)
    if starts is not None:
        return ("on" if starts else "off"), why, ()
    judge = ConditionJudge(ctx, service)
    value = judge.judge()
    if value is True:
        return "on", f"its condition `{service.condition[:120]}` holds in the shipped config", \
            tuple(judge.used)
    return "conditional", f"it is started when `{service.condition[:160]}` holds", ()


def _telnet_user_option(ctx: CheckContext, service: Service) -> Credential | None:
    """Alpha Networks' telnetd ``-u user:password``: a fixed pair, often built from config."""
    argv = service.argv
    for i, a in enumerate(argv):
        if a == "-u" and i + 1 < len(argv) and ":" in argv[i + 1]:
            written = argv[i + 1]
            reader = ValueReader(ctx, service)
            expanded = reader.expand(written)
            if expanded is None:
                return Credential("unknown", written.split(":", 1)[0], None,
                                  f"`-u {written}` names a fixed account whose password is "
                                  f"set at run time")
            value, used = expanded
            user, _, password = value.partition(":")
            chain = f"`-u {written}` gives the telnet account {user}"
            if used:
                chain += "; " + "; ".join(v.describe() for v in used)
                chain = chain.replace(password, redact(password)) if password else chain
            first = used[0] if used else None
            return Credential("fixed", user, password, chain,
                              first.source if first and first.source else service.source,
                              first.source_line if first and first.source else service.line,
                              tuple(used))
    return None


def _telnet_paths(ctx: CheckContext) -> list[LoginPath]:
    out = []
    for service in started_services(ctx):
        if not service.enabled or not (served_names(service) & TELNET_NAMES):
            continue
        state, why, _ = _state(ctx, service)
        path = LoginPath("telnet", service, state, why)
        fixed = _telnet_user_option(ctx, service)
        if fixed is not None:
            path.credentials.append(fixed)
        program = login_program(service)
        if program and is_shell(program):
            path.judged_by = "IOTB-SVC-002"
            path.credentials.append(Credential("none", None, None,
                                               f"`-l {program}` hands out a shell"))
        elif program and fixed is None:
            creds = _login_credentials(ctx, service, program)
            if any(c.kind == "none" for c in creds):
                path.judged_by = "IOTB-SVC-002"  # its login script skips the password
            path.credentials.extend(creds)
        out.append(path)
    return out


def _enabler_paths(ctx: CheckContext) -> list[LoginPath]:
    """Started programs (not telnetd) whose strings start a telnet daemon: a hidden switch."""
    # the init program itself (a monolithic Broadcom ``rc``, procd) starts services by design:
    # a telnet it starts is a boot start, not a hidden switch
    started = {(s.root, s.binary): s for s in started_services(ctx)
               if s.enabled and s.binary and not (served_names(s) & TELNET_NAMES)
               and not is_shell(s.program) and s.name not in _INIT_PROGRAMS}
    if not started:
        return []
    out = []
    for bs in blob_strings(ctx):
        key = (bs.blob.entry.root if bs.blob.entry else None, bs.blob.name)
        service = started.get(key)
        if service is None or posixpath.basename(bs.blob.name) in ("busybox", "toybox"):
            continue
        m = _STARTS_TELNET.search(bs.joined)
        if m is None:
            continue
        offset, string = bs.file_offset(m.start())
        state, why, _ = _state(ctx, service)
        path = LoginPath("telnet-enabler", service, state,
                         f"{bs.blob.name} holds the command `{string.strip()[:80]}`"
                         f" (offset {offset})" + (f"; {why}" if why else ""))
        # the telnet it opens logs in through the default login program
        login = script_gives_shell(ctx, "/bin/login", service)
        if login[0]:
            path.credentials.append(Credential("none", "root", None, login[1]))
        out.append(path)
    return out


def _ssh_paths(ctx: CheckContext) -> list[LoginPath]:
    out = []
    for service in started_services(ctx):
        if not service.enabled or service.name not in SSH_NAMES:
            continue
        state, why, _ = _state(ctx, service)
        path = LoginPath("ssh", service, state, why)
        argv = service.argv
        password_auth = "-s" not in argv
        root_password = password_auth and "-g" not in argv
        blank_ok = "-B" in argv
        if service.name == "sshd":
            conf = ctx.index.resolve("/etc/ssh/sshd_config", service.root)
            text = (ctx.index.read_text(conf) or "") if conf else ""
            settings = {m.group(1).lower(): m.group(2).lower() for m in re.finditer(
                r"(?im)^\s*(PasswordAuthentication|PermitRootLogin|PermitEmptyPasswords)\s+(\S+)",
                text)}
            password_auth = settings.get("passwordauthentication", "yes") == "yes"
            root_password = password_auth and settings.get("permitrootlogin", "yes") in ("yes",)
            blank_ok = settings.get("permitemptypasswords", "no") == "yes"
        for key_file in ("/etc/dropbear/authorized_keys", "/root/.ssh/authorized_keys"):
            entry = ctx.index.resolve(key_file, service.root)
            text = (ctx.index.read_text(entry) or "") if entry else ""
            for number, line in enumerate(text.splitlines(), start=1):
                if re.match(r"^\s*(?:[\w,=\"-]+\s+)?(?:ssh-|ecdsa-)", line):
                    path.credentials.append(Credential(
                        "fixed", "root", None, f"{key_file}:{number} ships a public key: its "
                        f"private half logs in as root on every unit", key_file, number))
        if password_auth:
            for cred in system_credentials(ctx, service.root):
                if cred.account == "root" and not root_password:
                    continue
                if cred.kind == "empty" and not blank_ok:
                    path.credentials.append(Credential(
                        "locked", cred.account, None, cred.chain.replace(
                            "login lets it in without a password",
                            f"{service.name} refuses blank passwords") , cred.path, cred.line))
                    continue
                path.credentials.append(cred)
        out.append(path)
    return out


def _serial_paths(ctx: CheckContext) -> list[LoginPath]:
    out = []
    for service in started_services(ctx):
        if not service.enabled or service.via not in ("inittab", "systemd"):
            continue
        if service.action in ("sysinit", "wait", "once", "boot", "bootwait", "shutdown"):
            continue
        tty = service.tty or ("console" if service.action == "askconsole" else None)
        if tty is None or not (uart_tty(tty) or tty == "console"):
            continue
        path = LoginPath("serial", service, "on", f"on {tty}")
        if is_shell(service.program) or is_shell(service.argv[0]):
            path.judged_by = "IOTB-DEBUG-001"
            path.credentials.append(Credential("none", None, None,
                                               f"`{' '.join(service.argv)[:60]}` is a shell"))
        elif service.name in GETTYS or service.name == "login":
            program = "/bin/login"
            argv = service.argv
            for i, a in enumerate(argv):
                if a in ("-l", "--login-program") and i + 1 < len(argv):
                    program = argv[i + 1]
                if a in ("-a", "--autologin", "-n"):
                    path.judged_by = "IOTB-DEBUG-001"
            path.credentials.extend(_login_credentials(ctx, service, program))
        else:
            continue
        out.append(path)
    return out


WEB_SERVERS = frozenset({"httpd", "uhttpd", "lighttpd", "boa", "goahead", "mini_httpd", "thttpd",
                         "nginx", "webs", "appweb", "apache2", "webserver", "jhttpd"})


def _web_paths(ctx: CheckContext) -> list[LoginPath]:
    """Started web servers: listed with the accounts of their user files; the default admin
    passwords of configs and nvram are judged by the credential checks (IOTB-CRED-005/008)."""
    from iotbaseline.checks.credentials.web_accounts import web_accounts

    servers = [s for s in started_services(ctx) if s.enabled and s.name in WEB_SERVERS]
    if not servers:
        return []
    found, _ = web_accounts(ctx)
    out = []
    for service in servers:
        path = LoginPath("web", service, _state(ctx, service)[0], judged_by="IOTB-CRED-005/008")
        for a in found:
            if a.file.root == service.root:
                path.credentials.append(Credential(
                    "unknown", a.user, None, f"web account {a.user} in {a.file.path}:{a.line} "
                    f"({a.form})", a.file.path, a.line))
        out.append(path)
    return out


def find_login_paths(ctx: CheckContext) -> list[LoginPath]:
    def compute(c: CheckContext) -> list[LoginPath]:
        return (_telnet_paths(c) + _enabler_paths(c) + _ssh_paths(c) + _serial_paths(c)
                + _web_paths(c))

    return ctx.fact("login_paths.paths", compute)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------
# the check
# ---------------------------------------------------------------------------------------------

_NAMES = {"telnet": "Telnet login", "telnet-enabler": "Hidden telnet switch",
          "ssh": "SSH login", "serial": "Serial console login", "web": "Web admin login"}


def _hit(path: LoginPath, cred: Credential | None) -> Hit:
    s = path.service
    where = describe(s)
    head = f"{_NAMES[path.kind]}: {where}"
    state = {"on": "started at boot", "conditional": "started at boot under a condition",
             "off": "present, off by default"}[path.state]
    message = f"{head}; {state}" + (f" ({path.why})" if path.why else "") + "."
    severity = Severity.INFO
    confidence = "high"
    prov = P_LIST
    secret = redacted = None
    if cred is not None:
        who = f" as {cred.account}" if cred.account else ""
        label = "Way in" if cred.universal else "Protected"
        message += f" {label}{who}: {cred.chain}."
        secret = cred.secret if cred.secret else None
        redacted = redact(cred.secret) if cred.secret is not None else None
        if cred.universal:
            severity = Severity.CRITICAL if cred.kind in ("none", "empty", "cracked") \
                else Severity.HIGH
            if cred.values:
                prov = P_FAIL_DERIVED
            elif path.kind == "serial":
                prov = P_FAIL_SERIAL
            else:
                prov = P_FAIL_NET
    if path.kind == "telnet-enabler" and (cred is None or not cred.universal):
        severity, prov = Severity.HIGH, P_HIDDEN
        message += " A program started at boot opens telnet on request: an undocumented way in."
    if path.judged_by:
        severity, prov = Severity.INFO, P_LIST
        message += f" Judged by {path.judged_by}."
    if path.state == "conditional" and severity.rank > Severity.INFO.rank:
        confidence = "medium"
    if path.state == "off":
        severity = Severity.LOW if severity.rank > Severity.LOW.rank else severity
        confidence = "low"
        message += (" Not a running service: a configuration value turns it on; the maker should "
                    "say who can change it.")
    excerpt = " ".join(s.argv)[:200]
    if secret:
        excerpt = excerpt.replace(secret, redacted or "")
    return Hit(message=message, path=s.source, root=s.root, line=s.line, excerpt=excerpt,
               secret=secret, redacted=redacted, severity=severity, provisions=prov,
               confidence=confidence,  # type: ignore[arg-type]
               evidence=tuple(Evidence(kind="file", ref=v.source or v.script,
                                       line=v.source_line or v.script_line,
                                       detail=v.describe().replace(v.value, redact(v.value))
                                       if v.value else v.describe())
                              for v in (cred.values if cred else ())),
               properties={"login_path": path.kind, "state": path.state,
                           "account": cred.account if cred else None,
                           "credential": cred.kind if cred else None,
                           "judged_by": path.judged_by,
                           "question": "How is this path turned on, and which credential "
                                       "protects it on a unit in the field?"
                           if path.state != "on" else None})


@check(CheckSpec(
    id="IOTB-SVC-010",
    title="Ways to log in and the credential that protects each",
    severity=Severity.HIGH,
    rationale="A login on telnet, SSH or a serial console that a published default, an empty "
              "password, a credential built from the firmware itself or no password at all lets "
              "through is the same open door on every unit; attackers try these first.",
    remedy="Ship no login path without a per-device credential: remove telnet and hidden "
           "switches, set unique passwords at manufacture or first use, and put no shell or "
           "default account on the serial console.",
    provisions=provisions(etsi=("5.1-1", "5.1-2", "5.6-1", "5.6-4"),
                          xiaomi=("3.2.2", "3.1.2", "3.2.1", "1.1.1", "2.2", "3.1.5"),
                          tencent=("5.3.2-3", "5.1.2-2", "5.1.6-3"), isvs=("V2.1.3",)),
    cwe=(1392, 798, 306),
))
def find_login_credentials(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    paths = find_login_paths(ctx)
    for path in paths:
        bad = [c for c in path.credentials if c.universal]
        if bad:
            report.hits.extend(_hit(path, c) for c in bad)
        else:
            shown = next((c for c in path.credentials
                          if c.kind in ("uncracked", "unknown", "per-device")),
                         next(iter(path.credentials), None))
            report.hits.append(_hit(path, shown))
        for cred in path.credentials:
            if not cred.universal:
                report.examined.append(Evidence(kind="file", ref=cred.path or path.service.source,
                                                line=cred.line, detail=cred.chain))
        report.examined.append(service_evidence(path.service, f"{path.kind} login path"))
    failing = [h for h in report.hits if h.severity and h.severity.rank > Severity.LOW.rank]
    report.summary = (f"{len(paths)} login path(s), {len(failing)} open to a universal "
                      f"credential" if paths else "no login path started at boot")
    if failing:
        report.inferred["uses_passwords"] = True
    return report


CHECKS = (find_login_credentials,)
