"""System accounts: empty passwords, extra UID-0 accounts, weak hash schemes and password hashes
fixed in the image (the same on every unit), cracked against our default-credential list.

Precedence is the one login really applies (glibc and BusyBox ``correct_password``): the second
field of ``/etc/passwd`` decides unless it is ``x`` (or BusyBox's ``*``), which defers to
``/etc/shadow``; a real hash in ``/etc/passwd`` wins over shadow and is readable by every local
process; ``!``/``*`` lock the account; an empty field means no password at all. Copies
(``passwd-``, ``shadow-``, ``*.bak`` …) are read too: reported as backups at low weight unless
something boot runs reads them (a script that copies a template to the runtime account file),
in which case they are the device's accounts.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace

from iotbaseline.analysis.reachability import Use, reachability
from iotbaseline.checks.credentials import crack as cred_crack
from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check, redact
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.credentials.config_passwords import tainted_vars, uses_var
from iotbaseline.checks.credentials.image_values import image_values
from iotbaseline.checks.textscan import TextFile, search, text_file, text_files
from iotbaseline.model import Evidence, Severity

ACCOUNT_FILES = ("/etc/passwd", "/etc/shadow", "/etc/master.passwd")
# copies of the account files: passwd-, shadow.bak, passwd.orig, /etc/default/passwd …
_COPY_NAME = re.compile(r"^(passwd|shadow|master\.passwd)([-~]|[._](?:bak|old|orig|save|sav|"
                        r"backup|org|dist|default|def|tmp|new))?$")
NO_LOGIN_SHELLS = ("/bin/false", "/sbin/nologin", "/usr/sbin/nologin", "/bin/sync", "/sbin/halt",
                   "/sbin/shutdown", "/usr/bin/false", "/dev/null")
PLACEHOLDERS = ("x", "*", "!", "!!", "*LK*", "NP", "!*")

# roles of a line: LIVE decides a login on the device; COPY_USED is a copy boot copies into
# place; BACKUP is a copy nothing reads; DEFERRED is a passwd 'x' that shadow decides;
# OVERRIDDEN is a shadow line that a real hash in passwd beats; ORPHAN is a shadow line for a
# user passwd does not know (login cannot find it)
LIVE, COPY_USED, BACKUP, DEFERRED, OVERRIDDEN, ORPHAN = (
    "live", "copy-used", "backup", "deferred", "overridden", "orphan")
DECIDING = (LIVE, COPY_USED, BACKUP)

CRED_PROVISIONS = (
    "etsi-en-303-645:5.1-1",
    "xiaomi-2.0:3.1.2",
    "xiaomi-2.0:3.2.2",
    "tencent-qtx-001.1:5.3.2-3",
    "owasp-isvs:V2.1.3",
    "owasp-isvs:V2.1.9",
)


@dataclass(frozen=True)
class AccountLine:
    """One line of passwd/shadow: who, the password field, and where it was seen."""

    file: str
    root: str
    line: int
    user: str
    password: str
    uid: int | None = None  # passwd only
    shell: str | None = None  # passwd only
    text: str = ""
    source: str = ""  # the file actually read (differs from ``file`` when that is a symlink)
    role: str = LIVE

    @property
    def is_shadow(self) -> bool:
        return "shadow" in posixpath.basename(self.file)

    @property
    def is_copy(self) -> bool:
        return self.role in (COPY_USED, BACKUP)

    @property
    def weak(self) -> bool:
        """A backup copy nothing reads: reported, never decisive."""
        return self.role == BACKUP

    def where(self) -> str:
        if self.role == BACKUP:
            return f"{self.file} (a backup copy nothing started reads)"
        if self.role == COPY_USED:
            return f"{self.file} (copied into place by a boot script)"
        return self.file


@dataclass
class Accounts:
    lines: list[AccountLine]
    examined: list[Evidence]
    shells: dict[str, str]  # user -> login shell, from passwd

    def can_log_in(self, user: str) -> bool:
        shell = self.shells.get(user)
        return shell is None or shell not in NO_LOGIN_SHELLS

    @property
    def deciding(self) -> list[AccountLine]:
        """The lines whose password field decides a login (live, used copies, backups)."""
        return [a for a in self.lines if a.role in DECIDING]


def _parse(tf: TextFile, logical: str) -> list[AccountLine]:
    out: list[AccountLine] = []
    is_passwd = "shadow" not in posixpath.basename(logical)
    for number, raw in enumerate(tf.lines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith(("+", "-")) and ":" not in line:
            continue
        parts = line.split(":")
        if len(parts) < 2 or not parts[0]:
            continue
        uid = shell = None
        if is_passwd and len(parts) >= 7:
            uid = int(parts[2]) if parts[2].isdigit() else None
            shell = parts[6]
        out.append(AccountLine(logical, tf.root, number, parts[0], parts[1], uid, shell, line,
                               source=tf.path))
    return out


def _precedence(passwd: list[AccountLine], shadow: list[AccountLine], role: str) -> list[AccountLine]:
    """Roles of one passwd/shadow pair as login applies them."""
    out: list[AccountLine] = []
    shadow_users = {a.user for a in shadow}
    passwd_field = {a.user: a.password for a in passwd}
    for a in passwd:
        defers = a.password == "x" or (a.password == "*" and a.user in shadow_users)
        out.append(replace(a, role=DEFERRED if defers and shadow else role))
    for a in shadow:
        if passwd and a.user not in passwd_field:
            out.append(replace(a, role=ORPHAN))
        elif passwd and passwd_field[a.user] not in ("x", "*"):
            out.append(replace(a, role=OVERRIDDEN))
        else:
            out.append(replace(a, role=role))
    return out


def _copy_files(ctx: CheckContext) -> dict[tuple[str, str], list[str]]:
    """Copies of account files grouped into pairs by (directory, suffix)."""
    sets: dict[tuple[str, str], list[str]] = {}
    for entry in ctx.index.iter():
        if entry.kind in ("directory", "special", "script", "elf") or entry.path in ACCOUNT_FILES:
            continue
        m = _COPY_NAME.match(posixpath.basename(entry.path))
        if m is None:
            continue
        directory = posixpath.dirname(entry.path)
        if m.group(2) is None and directory == "/etc":
            continue
        if m.group(2) is None and not directory.startswith(("/etc", "/usr/etc", "/mnt", "/config",
                                                            "/default", "/usr/share", "/opt")):
            continue
        sets.setdefault((directory, m.group(2) or ""), []).append(entry.path)
    return sets


def _read(ctx: CheckContext, path: str, examined: list[Evidence]) -> list[AccountLine] | None:
    entry = ctx.index.get(path)
    if entry is None:
        return None
    if entry.kind == "symlink" and ctx.index.resolve(path) is None:
        examined.append(Evidence(kind="file", ref=path, detail=(
            f"symlink to {entry.link_target!r}, which is not in the image "
            "(created at run time); nothing to read")))
        return None
    tf = text_file(ctx, path)
    if tf is None:
        examined.append(Evidence(kind="file", ref=path, detail="not a readable text file"))
        return None
    parsed = _parse(tf, path)
    examined.append(Evidence(kind="file", ref=path, sha256=tf.entry.sha256,
                             detail=f"{len(parsed)} account lines read"))
    return parsed


def _load_accounts(ctx: CheckContext) -> Accounts:
    lines: list[AccountLine] = []
    examined: list[Evidence] = []
    passwd = _read(ctx, "/etc/passwd", examined) or []
    shadow = _read(ctx, "/etc/shadow", examined) or []
    lines += _precedence(passwd, shadow, LIVE)
    lines += [replace(a, role=LIVE) for a in _read(ctx, "/etc/master.passwd", examined) or []]
    copies = _copy_files(ctx)
    reach = reachability(ctx) if copies else None
    for (_directory, _suffix), paths in sorted(copies.items()):
        used = reach is not None and any(reach.use(p) == Use.USED for p in paths)
        role = COPY_USED if used else BACKUP
        p_lines: list[AccountLine] = []
        s_lines: list[AccountLine] = []
        for path in sorted(paths):
            parsed = _read(ctx, path, examined) or []
            (s_lines if "shadow" in posixpath.basename(path) else p_lines).extend(parsed)
        lines += _precedence(p_lines, s_lines, role)
    shells: dict[str, str] = {}
    for a in sorted(lines, key=lambda a: a.file != "/etc/passwd"):  # /etc/passwd wins
        if a.shell is not None:
            shells.setdefault(a.user, a.shell)
    return Accounts(lines, examined, shells)


def accounts(ctx: CheckContext) -> Accounts:
    """Parsed passwd/shadow files of the image with their roles, shared by the credential checks."""
    result: Accounts = ctx.fact("cred.accounts", _load_accounts)
    return result


def _placeholder_means_no_password(ctx: CheckContext) -> TextFile | None:
    """OpenWrt-style images treat root's 'x' / '!' as 'no password set' and then open telnet
    or a console shell without asking for one (``has_root_pwd``; ``/bin/login`` that only
    asks when ``grep '^root:[^!]'`` matches). Returns the script that says so."""
    pattern = re.compile(r"root:\[\\?!x\]|#\[\\?!x\]\}|has_root_pwd|\^root:\[\^!")
    for m in search(ctx, pattern, where=lambda t: t.entry.kind == "script" or t.path.endswith(".sh")):
        return m.file
    return None


def _is_hash(field: str) -> bool:
    return bool(field) and field not in PLACEHOLDERS and not field.startswith(("!", "*"))


def _uses_passwords(acc: Accounts) -> bool:
    return any(_is_hash(a.password) or a.password == "" for a in acc.deciding)


def _weight(a: AccountLine, hit: Hit) -> Hit:
    """A backup copy nothing reads is reported at low weight: low confidence never makes FAIL."""
    if not a.weak:
        return hit
    return replace(hit, severity=Severity.LOW, confidence="low",
                   properties={**hit.properties, "copy": "backup"})


# ---- IOTB-CRED-001 -------------------------------------------------------------------------


@check(CheckSpec(
    id="IOTB-CRED-001",
    title="Accounts that log in without a password",
    severity=Severity.CRITICAL,
    rationale=("An account with an empty password field, or a root account the firmware treats "
               "as having no password, lets anyone with console, telnet or SSH access in."),
    remedy=("Ship no account without a password: lock system accounts ('*' or '!') and make the "
            "user set a unique password at first setup, or generate one per device."),
    provisions=CRED_PROVISIONS,  # 5.1-2 is about how unique passwords are made, not this
    cwe=(258, 521),
    tags=("credentials",),
))
def find_empty_passwords(ctx: CheckContext) -> CheckReport:
    acc = accounts(ctx)
    if not acc.lines:
        return CheckReport(not_applicable="no passwd or shadow file in the image",
                           examined=acc.examined)
    hits: list[Hit] = []
    for a in acc.deciding:
        if a.password != "":
            continue
        login = acc.can_log_in(a.user)
        hits.append(_weight(a, Hit(
            message=(f"account '{a.user}' has an empty password field in {a.where()}"
                     + ("" if login else " (its shell does not allow an interactive login)")),
            path=a.source, root=a.root, line=a.line, excerpt=a.text,
            severity=Severity.CRITICAL if login else Severity.MEDIUM,
            properties={"user": a.user, "login_shell": acc.shells.get(a.user), "role": a.role},
        )))
    opener = _placeholder_means_no_password(ctx)
    if opener is not None:
        for a in acc.lines:
            if a.user == "root" and a.password in ("x", "!") and a.role == LIVE:
                hits.append(Hit(
                    message=(f"root has no password set ('{a.password}' in {a.file}, the field "
                             f"login uses); {opener.path} treats this as 'no password' and gives "
                             "a root shell without asking for one until a password is set"),
                    path=a.source, root=a.root, line=a.line, excerpt=a.text,
                    severity=Severity.CRITICAL,
                    evidence=(Evidence(kind="file", ref=opener.path, sha256=opener.entry.sha256,
                                       detail="script that treats a placeholder as no password"),),
                    properties={"user": "root", "placeholder": a.password},
                ))
    inferred = {"uses_passwords": _uses_passwords(acc) or bool(hits)}
    if hits:
        inferred["preinstalled_passwords"] = True
    return CheckReport(hits=hits, examined=acc.examined, inferred=inferred,
                       summary=f"{len(acc.lines)} account lines examined")


# ---- IOTB-CRED-002 -------------------------------------------------------------------------


@check(CheckSpec(
    id="IOTB-CRED-002",
    title="Extra accounts with user id 0",
    severity=Severity.HIGH,
    rationale=("Every account with user id 0 has full root rights; a second one is usually a "
               "forgotten maintenance or backdoor account."),
    remedy="Keep root as the only account with user id 0; give services their own unprivileged ids.",
    provisions=("etsi-en-303-645:5.1-1", "xiaomi-2.0:3.2.2", "tencent-qtx-001.1:5.3.2-3",
                "owasp-isvs:V2.2.2"),
    cwe=(250,),
    tags=("credentials",),
))
def find_extra_root_accounts(ctx: CheckContext) -> CheckReport:
    acc = accounts(ctx)
    passwd = [a for a in acc.lines if a.uid is not None and a.role in (LIVE, DEFERRED, COPY_USED)]
    if not passwd:
        return CheckReport(not_applicable="no passwd file with user ids in the image",
                           examined=acc.examined)
    hits = [
        Hit(message=f"account '{a.user}' has user id 0 (root rights) in {a.file}",
            path=a.source, root=a.root, line=a.line, excerpt=a.text,
            properties={"user": a.user})
        for a in passwd if a.uid == 0 and a.user != "root"
    ]
    return CheckReport(hits=hits, examined=acc.examined,
                       summary=f"{len(passwd)} passwd entries examined")


# ---- IOTB-CRED-003 -------------------------------------------------------------------------


@check(CheckSpec(
    id="IOTB-CRED-003",
    title="Password hashes with a weak scheme or readable by everyone",
    severity=Severity.HIGH,
    rationale=("DES crypt keeps only 8 characters and MD5-crypt falls to commodity GPUs; a hash "
               "in the world-readable passwd file can be copied by any local process."),
    remedy="Store hashes only in /etc/shadow (mode 0600) with SHA-512 crypt, yescrypt or bcrypt.",
    provisions=("etsi-en-303-645:5.1-3", "etsi-en-303-645:5.4-1", "xiaomi-2.0:3.2.2",
                "xiaomi-2.0:5.1", "tencent-qtx-001.1:5.3.2-3", "owasp-isvs:V2.3.1",
                "owasp-isvs:V2.4.2"),
    cwe=(916, 328),
    tags=("credentials", "crypto"),
))
def find_weak_hashes(ctx: CheckContext) -> CheckReport:
    acc = accounts(ctx)
    if not acc.lines:
        return CheckReport(not_applicable="no passwd or shadow file in the image",
                           examined=acc.examined)
    hits: list[Hit] = []
    for a in acc.deciding:
        field = a.password.lstrip("!")
        if not _is_hash(field):
            continue
        scheme = cred_crack.identify(field)
        excerpt = a.text.replace(a.password, redact(a.password, keep=3))
        if scheme in cred_crack.WEAK_SCHEMES:
            hits.append(_weight(a, Hit(
                message=f"account '{a.user}' in {a.where()} uses {cred_crack.WEAK_SCHEMES[scheme]}",
                path=a.source, root=a.root, line=a.line, excerpt=excerpt,
                properties={"user": a.user, "scheme": scheme})))
        elif scheme is None:
            hits.append(_weight(a, Hit(
                message=f"account '{a.user}' in {a.where()} has a password field that is no "
                        "known crypt hash (possibly a plain-text password)",
                path=a.source, root=a.root, line=a.line, excerpt=excerpt,
                secret=a.password, redacted=redact(a.password), confidence="medium",
                properties={"user": a.user, "scheme": None})))
        if not a.is_shadow and posixpath.basename(a.file) != "master.passwd":
            shadowed = any(o.user == a.user and o.role == OVERRIDDEN for o in acc.lines)
            hits.append(_weight(a, Hit(
                message=(f"account '{a.user}' has its password hash in {a.where()}, readable "
                         "by every local process" + ("; login uses it and ignores the shadow "
                                                     "entry" if shadowed else "")),
                path=a.source, root=a.root, line=a.line, excerpt=excerpt, severity=Severity.MEDIUM,
                properties={"user": a.user, "world_readable": True})))
    return CheckReport(hits=hits, examined=acc.examined,
                       summary=f"{len(acc.lines)} account lines examined")


# ---- IOTB-CRED-004 -------------------------------------------------------------------------

_SETS_PASSWORD = re.compile(r"\bchpasswd\b|\bpasswd\b[^\n]*<<|\|\s*passwd\b|\bmkpasswd\b|"
                            r"openssl\s+passwd|\busermod\b[^\n]*\s-p\s|/etc/shadow")
_PER_DEVICE = re.compile(r"/dev/u?random|\buuidgen\b|random|serial|macaddr|hwaddr|ethaddr|"
                         r"/sys/class/net/[^ ]*/address|\bmtd\b|fw_printenv", re.IGNORECASE)


_TARGET_USER = (
    re.compile(r"""["']?([A-Za-z_][\w.-]*):[^|\n]*\|\s*chpasswd"""),  # echo "user:pw" | chpasswd
    re.compile(r"\bpasswd\s+(?:-\w+\s+)*([A-Za-z_][\w.-]*)\s*(?:<<|$)"),  # passwd user <<EOF
    re.compile(r"\busermod\b[^\n]*\s([A-Za-z_][\w.-]*)\s*$"),  # usermod -p HASH user
)


def _target_users(line: str) -> frozenset[str] | None:
    """The accounts a password-setting line changes, or None when the line does not say."""
    users = {m.group(1) for pattern in _TARGET_USER for m in pattern.finditer(line.strip())}
    users.discard("p")
    return frozenset(users) or None


def first_boot_password_script(ctx: CheckContext) -> tuple[TextFile, int, frozenset[str] | None] | None:
    """A script that writes an account password from a per-device or random value, e.g. at
    first boot (uci-defaults, rc scripts). Returns it, the line that sets the password and the
    accounts it sets (None when the line does not name them: then every account counts)."""
    scripts = [t for t in text_files(ctx) if t.entry.kind == "script"
               or t.path.startswith(("/etc/init.d/", "/etc/uci-defaults/", "/etc/rc"))]
    for m in search(ctx, _SETS_PASSWORD, files=scripts):
        if m.file.path in ACCOUNT_FILES or m.line_text.lstrip().startswith("#"):
            continue
        if not re.search(r"\bchpasswd|passwd|openssl\s+passwd|mkpasswd|usermod", m.line_text):
            continue
        per_device = tainted_vars(m.file.lines(), _PER_DEVICE)
        if _PER_DEVICE.search(m.line_text) or uses_var(m.line_text, per_device):
            return m.file, m.line, _target_users(m.line_text)
    return None


@check(CheckSpec(
    id="IOTB-CRED-004",
    title="Universal pre-installed password hash in the image",
    severity=Severity.HIGH,
    rationale=("A password hash stored in the firmware is the same on every unit that runs it: "
               "whoever learns one device's password (or cracks the hash once) knows them all."),
    remedy=("Do not ship account passwords in the image; have the user choose one at setup or "
            "write a unique per-device password at manufacturing or first boot."),
    provisions=(*CRED_PROVISIONS, "owasp-isvs:V2.1.10"),
    cwe=(798, 1392),
    tags=("credentials",),
))
def find_universal_passwords(ctx: CheckContext) -> CheckReport:
    acc = accounts(ctx)
    if not acc.lines:
        return CheckReport(not_applicable="no passwd or shadow file in the image",
                           examined=acc.examined)
    fixed = [a for a in acc.deciding if _is_hash(a.password)]
    examined = list(acc.examined)
    if not fixed:
        return CheckReport(examined=examined, inferred={"uses_passwords": _uses_passwords(acc)},
                           summary="no account has a password hash fixed in the image")
    replaced = first_boot_password_script(ctx)
    if replaced is not None:
        script, line, users = replaced
        who = "every account" if users is None else ", ".join(sorted(users))
        examined.append(Evidence(kind="file", ref=script.path, sha256=script.entry.sha256,
                                 line=line, detail=f"sets the password of {who} from a per-device "
                                 "or random value, so that shipped hash is replaced on each unit"))
        fixed = [] if users is None else [a for a in fixed if a.user not in users]
        if not fixed:
            return CheckReport(examined=examined, inferred={"uses_passwords": True},
                               summary=f"shipped hashes are replaced per device by {script.path}")
    values = image_values(ctx)
    targets: dict[str, list[str]] = {}
    for a in sorted(fixed, key=lambda a: a.weak):  # the device's own lines choose the list
        targets.setdefault(a.password, cred_crack.candidates_for(a.user, image_values=values))
    cracked = cred_crack.crack(targets, ctx.options.crack_seconds, ctx.options.jobs)
    hits: list[Hit] = []
    for a in fixed:
        result = cracked.get(a.password)
        excerpt = a.text.replace(a.password, redact(a.password, keep=3))
        base = f"account '{a.user}' has a password hash fixed in the image ({a.where()})"
        if result and result.password is not None:
            hits.append(_weight(a, Hit(
                message=f"{base}; it cracks to a known default password",
                path=a.source, root=a.root, line=a.line, excerpt=excerpt, severity=Severity.CRITICAL,
                secret=result.password, redacted=redact(result.password),
                properties={"user": a.user, "cracked": True, "tried": result.tried,
                            "engine": result.engine})))
        else:
            note = ("cracking stopped at the time limit" if result and result.timed_out
                    else "not in our default-credential list")
            hits.append(_weight(a, Hit(
                message=f"{base}; the same on every unit ({note})",
                path=a.source, root=a.root, line=a.line, excerpt=excerpt,
                properties={"user": a.user, "cracked": False,
                            "tried": result.tried if result else 0,
                            "timed_out": bool(result and result.timed_out),
                            "engine": result.engine if result else cred_crack.ENGINE})))
    strong = any(not a.weak for a in fixed)
    return CheckReport(hits=hits, examined=examined,
                       inferred={"uses_passwords": True, "preinstalled_passwords": True}
                       if strong else {"uses_passwords": _uses_passwords(acc)},
                       summary=f"{len(fixed)} fixed password hashes found")


CHECKS = (find_empty_passwords, find_extra_root_accounts, find_weak_hashes, find_universal_passwords)
