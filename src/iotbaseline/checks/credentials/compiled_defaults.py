"""Default passwords compiled into programs: NVRAM default tables of router SDKs.

Broadcom, Realtek and Ralink SDKs keep their factory defaults as a table of ``{key, value}``
string pairs inside a library or the web server (``libshared.so``: ``http_passwd`` then
``admin``); at first boot or after a reset the values are written to NVRAM and the web login
checks against them. The compiler stores each pair as two adjacent NUL-terminated strings, so a
password key followed directly by a published default value is the device's default login. Only
published defaults are reported (a key followed by another key name is the next table row).
"""

from __future__ import annotations

import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check, redact
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.credentials import crack as cred_crack
from iotbaseline.checks.textscan import binaries, read_blob
from iotbaseline.model import Evidence, Severity

# a login password key (web, admin, root, telnet, http) as its own string, then its value
_PAIR = re.compile(
    rb"(?<=\x00)((?:http|https|admin|web|login|root|telnet|sys|super|factory|user|console|"
    rb"device|dev|gui|ui)_?(?:passwd|password|pwd|pass))\x00{1,4}([\x21-\x7e]{0,32})\x00")
_HINT = re.compile(rb"(?i)_?(?:passwd|password|pwd)\x00")


def find_pairs(data: bytes, defaults: frozenset[str]) -> list[tuple[int, str, str]]:
    """(offset, key, value) of password keys stored right before a published default."""
    out: list[tuple[int, str, str]] = []
    if not _HINT.search(data):
        return out
    for m in _PAIR.finditer(data):
        value = m.group(2).decode("ascii")
        if value and value in defaults and "_" not in value and "%" not in value:
            out.append((m.start(1), m.group(1).decode("ascii"), value))
    return out


@check(CheckSpec(
    id="IOTB-CRED-009",
    title="Default password compiled into a program",
    severity=Severity.HIGH,
    rationale=("A factory-default login stored in a program's defaults table (NVRAM defaults of "
               "router SDKs) is the same on every unit and comes back after every reset."),
    remedy=("Ship no default login password: make the user set one at first setup, or write a "
            "unique per-device password at manufacturing."),
    provisions=("etsi-en-303-645:5.1-1", "xiaomi-2.0:3.1.2", "xiaomi-2.0:3.2.2",
                "tencent-qtx-001.1:5.3.2-3", "owasp-isvs:V2.1.8", "owasp-isvs:V2.1.9"),
    cwe=(798, 1392),
    tags=("credentials",),
))
def find_compiled_defaults(ctx: CheckContext) -> CheckReport:
    elves = [b for b in binaries(ctx) if b.entry is not None and b.entry.kind == "elf"]
    if not elves:
        return CheckReport(not_applicable="no programs or libraries in the image")
    defaults = cred_crack.default_passwords()
    hits: list[Hit] = []
    for blob in elves:
        for offset, key, value in find_pairs(read_blob(ctx, blob), defaults):
            hits.append(Hit(
                message=(f"{blob.name} stores '{key}' with a published default password "
                         "right after it (a compiled-in defaults table, or code comparing the "
                         "setting with its factory value)"),
                path=blob.name, root=blob.entry.root if blob.entry else None, offset=offset,
                excerpt=f"{key}\\0{redact(value)}", secret=value, redacted=redact(value),
                severity=Severity.CRITICAL, properties={"key": key}))
    return CheckReport(hits=hits, examined=[Evidence(
        kind="note", ref="programs",
        detail=f"{len(elves)} programs and libraries searched for compiled-in password defaults")],
        inferred={"preinstalled_passwords": True} if hits else {},
        summary=f"{len(elves)} programs examined")


CHECKS = (find_compiled_defaults,)
