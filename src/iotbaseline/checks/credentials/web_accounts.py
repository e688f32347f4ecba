"""Web-interface accounts fixed in the image: busybox httpd.conf auth lines, htpasswd files and
lighttpd plain/htdigest user files. Plain values are reported; hashes are cracked against our
default-credential list (they are the same on every unit either way)."""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass

from iotbaseline.checks.credentials import crack as cred_crack
from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check, redact
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.textscan import TextFile, excerpt, text_files
from iotbaseline.model import Evidence, Severity

_BUSYBOX_AUTH = re.compile(r"^(/[^:\s]*):([^:\s]+):(\S*)$")  # /cgi-bin:admin:secret
_USERFILE_REF = re.compile(r"auth\.backend\.(plain|htdigest|htpasswd)\.userfile\s*=\s*\"([^\"]+)\"")


@dataclass(frozen=True)
class WebAccount:
    file: TextFile
    line: int
    user: str
    value: str  # plain password, crypt hash, or htdigest hex
    form: str  # "plain", "hash", "htdigest"
    realm: str = ""


def _htdigest_matches(user: str, realm: str, password: str, digest: str) -> bool:
    return hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest() == digest.lower()


def _is_web_userfile(tf: TextFile, referenced: dict[str, str]) -> str | None:
    name = posixpath.basename(tf.path)
    if tf.path in referenced:
        return referenced[tf.path]
    if name in (".htpasswd", "htpasswd") or name.endswith((".htpasswd", ".htdigest")):
        return "htdigest" if name.endswith(".htdigest") else "htpasswd"
    if re.fullmatch(r"(busybox-)?httpd[\w.-]*\.conf", name):
        return "busybox"
    return None


def web_accounts(ctx: CheckContext) -> tuple[list[WebAccount], list[Evidence]]:
    files = text_files(ctx)
    referenced: dict[str, str] = {}
    for tf in files:
        if "userfile" in tf.text:
            for m in _USERFILE_REF.finditer(tf.text):
                referenced[posixpath.normpath(m.group(2))] = m.group(1)
    accounts: list[WebAccount] = []
    examined: list[Evidence] = []
    for tf in files:
        kind = _is_web_userfile(tf, referenced)
        if kind is None:
            continue
        examined.append(Evidence(kind="file", ref=tf.path, sha256=tf.entry.sha256,
                                 detail=f"{kind} web account file read"))
        for number, raw in enumerate(tf.lines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if kind == "busybox":
                auth = _BUSYBOX_AUTH.match(line)
                if auth:
                    value = auth.group(3)
                    form = "hash" if cred_crack.identify(value) else "plain"
                    accounts.append(WebAccount(tf, number, auth.group(2), value, form))
                continue
            parts = line.split(":")
            if kind == "htdigest" and len(parts) == 3:
                accounts.append(WebAccount(tf, number, parts[0], parts[2], "htdigest", parts[1]))
            elif len(parts) >= 2 and parts[0]:
                value = ":".join(parts[1:]) if kind == "plain" else parts[1]
                form = "plain" if kind == "plain" or not cred_crack.identify(value) else "hash"
                accounts.append(WebAccount(tf, number, parts[0], value, form))
    return accounts, examined


def _hit(a: WebAccount, message: str, severity: Severity, secret: str | None = None) -> Hit:
    shown = excerpt(f"{a.user}:{redact(a.value)}" if a.value else f"{a.user}:")
    return Hit(message=message, path=a.file.path, root=a.file.root, line=a.line, excerpt=shown,
               severity=severity, secret=secret, redacted=redact(secret) if secret else None,
               properties={"user": a.user, "form": a.form})


@check(CheckSpec(
    id="IOTB-CRED-008",
    title="Web interface accounts with passwords fixed in the image",
    severity=Severity.HIGH,
    rationale=("A web administration password stored in the firmware (plain or hashed) is the "
               "same on every unit; blank or well-known ones are tried by every botnet."),
    remedy=("Ship the web interface without an account password and force the user to set one "
            "at first login, or provision a unique per-device password."),
    provisions=("etsi-en-303-645:5.1-1", "xiaomi-2.0:3.1.2", "tencent-qtx-001.1:5.3.2-3",
                "owasp-isvs:V2.1.8", "owasp-isvs:V2.1.9"),
    cwe=(798, 1392, 521),
    tags=("credentials", "web"),
))
def find_web_accounts(ctx: CheckContext) -> CheckReport:
    accounts, examined = web_accounts(ctx)
    if not examined:
        return CheckReport(not_applicable="no web server account files in the image")
    hashes = {a.value: cred_crack.candidates_for(a.user) for a in accounts if a.form == "hash"}
    cracked = cred_crack.crack(hashes, ctx.options.crack_seconds, ctx.options.jobs) if hashes else {}
    defaults = cred_crack.default_passwords()
    hits: list[Hit] = []
    for a in accounts:
        found: str | None = None
        if a.form == "plain":
            found = a.value
        elif a.form == "hash":
            result = cracked.get(a.value)
            found = result.password if result else None
        else:
            found = next((p for p in cred_crack.candidates_for(a.user)
                          if _htdigest_matches(a.user, a.realm, p, a.value)), None)
        if a.form == "plain" and a.value == "":
            hits.append(_hit(a, f"web account '{a.user}' in {a.file.path} has a blank password",
                             Severity.CRITICAL))
        elif found is not None and (a.form != "plain" or found in defaults):
            how = "is a well-known default" if a.form == "plain" else "cracks to a known default"
            hits.append(_hit(a, f"web account '{a.user}' in {a.file.path}: password {how}",
                             Severity.CRITICAL, found))
        else:
            stored = "in plain text" if a.form == "plain" else "as a hash"
            hits.append(_hit(a, f"web account '{a.user}' in {a.file.path} has a password stored "
                             f"{stored}, the same on every unit", Severity.HIGH,
                             a.value if a.form == "plain" else None))
    return CheckReport(hits=hits, examined=examined,
                       inferred={"uses_passwords": True, "preinstalled_passwords": True} if hits else {},
                       summary=f"{len(accounts)} web accounts in {len(examined)} files")


CHECKS = (find_web_accounts,)
