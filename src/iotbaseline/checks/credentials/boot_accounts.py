"""Accounts that boot scripts create: ``echo "admin:$PW:0:0…" >> /etc/passwd``, ``echo
"root:$PW" | chpasswd``, ``passwd user`` fed from a pipe, with the password read from NVRAM
(``nvram get http_passwd``) or written literally. The script is followed to the default the
value comes from (an nvram defaults file of the image) and the resulting login is reported:
such an account is as real as one in /etc/passwd, and its default is the same on every unit.

Only scripts the boot model follows count (``analysis/boot.py``): a script nothing runs creates
no account.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from iotbaseline.analysis.boot import boot_model, started_services
from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check, redact
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.credentials import crack as cred_crack
from iotbaseline.checks.credentials.image_values import image_values
from iotbaseline.checks.textscan import TextFile, excerpt, is_comment, text_files
from iotbaseline.model import Evidence, Severity

_ACCOUNT_FILE = r"/(?:etc|var|tmp)(?:/etc)?/(?:passwd|shadow)\b"
_APPEND = re.compile(rf"""echo\s+(?:-[ne]+\s+)?["']?([A-Za-z_][\w.-]*):([^:"'\s]*):[^>]*>>?\s*{_ACCOUNT_FILE}""")
_CHPASSWD = re.compile(r"""echo\s+(?:-[ne]+\s+)?["']?([A-Za-z_][\w.-]*):([^"'\s|]*)["']?\s*\|\s*chpasswd""")
_PASSWD_PIPE = re.compile(r"""echo\s+(?:-[ne]+\s+)?["']?([^"'\s\\|]+)(?:\\n[^"'|]*)?["']?\s*\|\s*passwd\s+(?:-\w+\s+)*([A-Za-z_][\w.-]*)""")
_NVRAM_VAR = re.compile(
    r"""^\s*(?:local\s+|export\s+)?([A-Za-z_]\w*)=["']?(?:\$\(|`)\s*(?:/\w+/)*(?:nvram|cfg|flash|"""
    r"""uci|config|mib)\s+(?:get|show|-g)\s+([\w.@\[\]-]+)""")
_LITERAL_VAR = re.compile(r"""^\s*(?:local\s+|export\s+)?([A-Za-z_]\w*)=["']?([^"'$`\s;]*)["']?\s*$""")
_DEFAULT_LINE = re.compile(r"""^\s*([\w.@\[\]-]+)\s*=\s*["']?([^"'\n]*?)["']?\s*$""")
_VAR = re.compile(r"^\$\{?([A-Za-z_]\w*)\}?$")


@dataclass(frozen=True)
class Created:
    script: TextFile
    line: int
    user: str
    value: str | None  # literal password or crypt hash, None when unknown
    source: str  # how the value was found


def _nvram_defaults(ctx: CheckContext) -> dict[str, tuple[str, str, int]]:
    """key -> (value, file, line) from nvram default files of the image."""
    out: dict[str, tuple[str, str, int]] = {}
    for tf in text_files(ctx):
        name = posixpath.basename(tf.path).lower()
        if tf.entry.kind == "script" or not ("nvram" in name or "default" in name):
            continue
        for number, line in enumerate(tf.lines(), start=1):
            m = _DEFAULT_LINE.match(line)
            if m and not is_comment(line):
                out.setdefault(m.group(1), (m.group(2), tf.path, number))
    return out


def _resolve(token: str, tf: TextFile, defaults: dict[str, tuple[str, str, int]]) -> tuple[str | None, str]:
    m = _VAR.match(token)
    if m is None:
        return token, "written in the script"
    name = m.group(1)
    for line in tf.lines():
        nv = _NVRAM_VAR.match(line)
        if nv and nv.group(1) == name:
            key = nv.group(2)
            if key in defaults:
                value, path, number = defaults[key]
                return value, f"nvram '{key}', default in {path}:{number}"
            return None, f"nvram '{key}' (no default found in the image)"
        lit = _LITERAL_VAR.match(line)
        if lit and lit.group(1) == name:
            return lit.group(2), "set in the script"
    return None, f"variable ${name} (value not found)"


def _enabled_scripts(ctx: CheckContext) -> set[str]:
    """Scripts boot really runs: the boot model also reads /etc/init.d scripts that nothing
    enables (as disabled), so those count only when a start names them."""
    model = boot_model(ctx)
    on_path: set[str] = set()
    for service in started_services(ctx):
        if service.enabled:
            on_path.add(service.source)
            on_path.update(service.chain)
    texts = {tf.path: tf.text for tf in text_files(ctx) if tf.path in set(model.scripts) | set(model.files)}
    links = {posixpath.basename(e.link_target or "") for e in ctx.index.iter()
             if e.kind == "symlink" and re.match(r"/etc/rc[\w.]*\.d/", e.path)}
    out: set[str] = set()
    for path in model.scripts:
        name = posixpath.basename(path)
        named = name in links or any(name in text for other, text in texts.items() if other != path)
        if (not path.startswith("/etc/init.d/") or path in on_path or named
                or re.match(r"[SK]\d\d", name)):
            out.add(path)
    return out


def created_accounts(ctx: CheckContext) -> list[Created]:
    scripts = _enabled_scripts(ctx)
    defaults = _nvram_defaults(ctx) if scripts else {}
    out: list[Created] = []
    for tf in text_files(ctx):
        if tf.path not in scripts or not tf.mentions(("passwd", "shadow", "chpasswd")):
            continue
        for number, line in enumerate(tf.lines(), start=1):
            if is_comment(line):
                continue
            for pattern, user_group, value_group in ((_APPEND, 1, 2), (_CHPASSWD, 1, 2),
                                                     (_PASSWD_PIPE, 2, 1)):
                m = pattern.search(line)
                if m:
                    value, how = _resolve(m.group(value_group), tf, defaults)
                    out.append(Created(tf, number, m.group(user_group), value, how))
                    break
    return out


@check(CheckSpec(
    id="IOTB-CRED-010",
    title="Accounts created at boot with a default password",
    severity=Severity.HIGH,
    rationale=("An account a boot script creates from a literal or an NVRAM default is a real "
               "login with the same password on every unit, although no account file shows it."),
    remedy=("Do not create accounts with default passwords at boot; require the user to set "
            "one, or derive none from shipped defaults."),
    provisions=("etsi-en-303-645:5.1-1", "xiaomi-2.0:3.1.2", "xiaomi-2.0:3.2.2",
                "tencent-qtx-001.1:5.3.2-3", "owasp-isvs:V2.1.9"),
    cwe=(798, 1392, 258),
    tags=("credentials",),
))
def find_boot_accounts(ctx: CheckContext) -> CheckReport:
    model = boot_model(ctx)
    if not model.scripts:
        return CheckReport(not_applicable="no boot scripts followed in the image")
    created = created_accounts(ctx)
    hashes = {c.value: cred_crack.candidates_for(c.user, image_values=image_values(ctx))
              for c in created if c.value and cred_crack.identify(c.value)}
    cracked = cred_crack.crack(hashes, ctx.options.crack_seconds, ctx.options.jobs) if hashes else {}
    hits: list[Hit] = []
    for c in created:
        base = f"{c.script.path} creates account '{c.user}' at boot"
        value = c.value
        if value is not None and value in cracked:
            value = cracked[value].password
        if value is None:
            hits.append(Hit(message=f"{base}; its password comes from {c.source}",
                            path=c.script.path, root=c.script.root, line=c.line,
                            excerpt=excerpt(redact_line(c)), confidence="low",
                            properties={"user": c.user, "source": c.source}))
        elif value == "":
            hits.append(Hit(message=f"{base} with an empty password ({c.source})",
                            path=c.script.path, root=c.script.root, line=c.line,
                            excerpt=excerpt(redact_line(c)), severity=Severity.CRITICAL,
                            properties={"user": c.user, "source": c.source}))
        else:
            known = value in cred_crack.default_passwords()
            hits.append(Hit(message=(f"{base} with a default password ({c.source})"
                                     + ("; a published default" if known else "")),
                            path=c.script.path, root=c.script.root, line=c.line,
                            excerpt=excerpt(redact_line(c)), secret=value, redacted=redact(value),
                            severity=Severity.CRITICAL if known else Severity.HIGH,
                            properties={"user": c.user, "source": c.source}))
    return CheckReport(hits=hits, examined=[Evidence(
        kind="note", ref="boot-scripts",
        detail=f"{len(model.scripts)} boot scripts searched for accounts they create")],
        inferred={"uses_passwords": True, "preinstalled_passwords": True} if hits else {},
        summary=f"{len(created)} accounts created at boot")


def redact_line(c: Created) -> str:
    line = c.script.lines()[c.line - 1]
    return line.replace(c.value, redact(c.value)) if c.value else line


CHECKS = (find_boot_accounts,)
