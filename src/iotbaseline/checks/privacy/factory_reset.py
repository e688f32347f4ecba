"""Whether the image carries a factory-reset function that erases user data and settings:
OpenWrt's ``firstboot``/``jffs2reset``/``factoryreset``, a reset-button handler that calls one,
``mtd erase`` of the writable data partition, or vendor factory-reset scripts.

Finding one is evidence that the erase function exists (not that it wipes everything: the
maker's declaration says that). Finding none is reported as ``info``: the function may live in a
vendor binary this check cannot read, so absence decides nothing.
"""

from __future__ import annotations

import posixpath
import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.analysis.boot import listing
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import provisions
from iotbaseline.checks.textscan import excerpt, is_comment, text_files
from iotbaseline.analysis.vendor_programs import vendor_facts
from iotbaseline.model import Evidence, Severity

# Programs whose presence is itself an erase function (OpenWrt / fstools, vendor names).
RESET_PROGRAMS = ("/sbin/firstboot", "/sbin/jffs2reset", "/sbin/jffs2mark", "/sbin/factoryreset",
                  "/usr/sbin/factoryreset", "/sbin/factory_reset", "/usr/sbin/factory_reset",
                  "/usr/bin/factory_reset", "/usr/sbin/restore_factory", "/sbin/mtd_erase_data")
# Commands (first word of a shell command) that erase user data or restore defaults, with the
# arguments they need for that (None: any arguments).
ERASE_COMMANDS: dict[str, re.Pattern[str] | None] = {
    # OpenWrt "firstboot" resets without arguments (or -y/-r); "firstboot switch2jffs" and
    # similar subcommands only set up the overlay at first boot.
    "firstboot": re.compile(r"^(?:-[yr]\b.*)?$"), "jffs2reset": None, "jffs2mark": None, "factoryreset": None,
    "factory_reset": None, "restore_factory": None, "reset_to_default": None,
    "restore_defaults": None,
    "mtd": re.compile(r"\berase\s+(?:rootfs_data|userdata|data|config|nvram)\b"),
    "flash_erase": re.compile(r"\S*(?:data|config|user)\S*"),
    "flash_eraseall": re.compile(r"\S*(?:data|config|user)\S*"),
    "nvram": re.compile(r"^\s*(?:erase|restore_default|reset)\b"),
}
_COMMAND_SPLIT = re.compile(r"&&|\|\||[;&|`]|\$\(|\bthen\b|\bdo\b|\belse\b")
_PREFIXES = ("exec", "sudo", "command", "nohup", "busybox")
MAX_LISTED = 20
_HINTS = tuple(sorted({name[:5] for name in ERASE_COMMANDS}))
_CANDIDATE = re.compile(r"\b(?:" + "|".join(map(re.escape, ERASE_COMMANDS)) + r")\b")


def erase_command(line: str) -> str | None:
    """The erase command a shell line runs (its first word in some command), or None."""
    if is_comment(line):
        return None
    for segment in _COMMAND_SPLIT.split(line):
        words = segment.split()
        while words and words[0] in _PREFIXES:
            words = words[1:]
        if not words:
            continue
        name = posixpath.basename(words[0])
        if name not in ERASE_COMMANDS:
            continue
        needs = ERASE_COMMANDS[name]
        args = " ".join(words[1:])
        if needs is None or needs.search(args):
            return name
    return None


@check(CheckSpec(
    id="IOTB-DATA-001",
    title="Factory reset erasing user data",
    severity=Severity.INFO,
    rationale="Users must be able to wipe their data and settings before they sell, return or "
              "dispose of a device; on embedded Linux that is a factory reset that erases the "
              "writable configuration partition.",
    remedy="Provide a factory reset (button and user interface) that erases the writable data "
           "partition, keys and credentials, and document it for users.",
    provisions=provisions(etsi=("5.11-1",), xiaomi=("5.7",), isvs=("V2.3.2",)),
    applies_to="rootfs",
    cwe=(212,),
    tags=("privacy", "data-deletion"),
))
def find_factory_reset(ctx: CheckContext) -> CheckReport:
    files = listing(ctx)
    if not ctx.index.files:
        return CheckReport(not_applicable="no files in the image")
    report = CheckReport()
    for entry in files.glob(*RESET_PROGRAMS):
        if entry.kind in ("directory", "special"):
            continue
        shown = f" → {entry.link_target}" if entry.link_target else ""
        report.examined.append(Evidence(kind="file", ref=entry.path, sha256=entry.sha256,
                                        detail=f"factory-reset program{shown}"))
    calls = 0
    for tf in text_files(ctx):
        if tf.entry.kind != "script" or not tf.mentions(_HINTS):
            continue
        seen_lines: set[int] = set()
        for candidate in _CANDIDATE.finditer(tf.text):  # only lines naming an erase command
            number = tf.line_number(candidate.start())
            if number in seen_lines:
                continue
            seen_lines.add(number)
            line = tf.line_text(candidate.start())
            name = erase_command(line)
            if name is None:
                continue
            calls += 1
            if calls <= MAX_LISTED:
                report.examined.append(Evidence(
                    kind="file", ref=tf.path, line=number, sha256=tf.entry.sha256,
                    excerpt=excerpt(line), detail=f"runs {name}: erases user data or restores "
                                                  "factory defaults"))
    if calls > MAX_LISTED:
        report.examined.append(Evidence(kind="note", ref="factory-reset",
                                        detail=f"{calls - MAX_LISTED} more erase calls"))
    if not report.examined:
        report.examined.extend(vendor_facts(ctx).reset)  # reset inside a vendor program (issue 10)
    if not report.examined:
        report.hits.append(Hit(
            message="No factory-reset function found in the image's programs or scripts; it may "
                    "be inside a vendor binary. The maker's declaration "
                    "(declarations.data_deletion.device_erase) has to say how users erase "
                    "their data.",
            confidence="low",  # absence (docs/verdicts.md)
            properties={"absence": True, "question": (
                "How does a user restore factory defaults and erase personal data, and which "
                "program does it?")}))
        report.summary = "no factory-reset function recognised"
    else:
        programs = sum(1 for e in report.examined if e.detail.startswith("factory-reset program"))
        report.summary = (f"{programs} factory-reset program(s) and {calls} erase call(s) in "
                          "scripts found")
    return report


CHECKS = (find_factory_reset,)
