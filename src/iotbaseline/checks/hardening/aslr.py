"""ASLR switched off or weakened through sysctl settings or boot scripts."""

from __future__ import annotations

import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.analysis.boot import boot_model, listing
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import provisions, text_lines
from iotbaseline.model import Evidence, Severity

SYSCTL_FILES = ("/etc/sysctl.conf", "/etc/sysctl.d/*", "/usr/lib/sysctl.d/*", "/lib/sysctl.d/*",
                "/run/sysctl.d/*", "/usr/local/lib/sysctl.d/*")
_SYSCTL = re.compile(r"^\s*-?\s*kernel[./]randomize_va_space\s*=\s*(\d)")
_SCRIPT = re.compile(r"(?:echo\s+(\d)\s*>+\s*/proc/sys/kernel/randomize_va_space|"
                     r"sysctl\s+(?:-\w+\s+)*kernel[./]randomize_va_space\s*=\s*(\d))")
_CMDLINE = re.compile(r"\bnorandmaps\b")


@check(CheckSpec(
    id="IOTB-HARD-007",
    title="ASLR disabled or weakened",
    severity=Severity.HIGH,
    rationale="Address space layout randomisation makes memory-corruption exploits guess "
              "addresses; kernel.randomize_va_space=0 turns it off and 1 leaves the heap at a "
              "predictable place.",
    remedy="Leave kernel.randomize_va_space at 2 (the kernel default) and do not pass "
           "norandmaps on the kernel command line.",
    provisions=provisions(etsi=("5.6-8", "5.6-9"), xiaomi=("3.2.5",), tencent=("5.1.5-2",),
                          isvs=("V3.2.7",)),
    cwe=(330,),
))
def find_aslr_disabled(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    settings: list[Evidence] = []
    scripts = set(boot_model(ctx).scripts)
    candidates = [(e, _SYSCTL) for e in listing(ctx).glob(*SYSCTL_FILES) if e.kind != "directory"]
    candidates += [(e, _SCRIPT) for e in ctx.index.iter() if e.path in scripts]
    candidates += [(e, _CMDLINE) for e in listing(ctx).glob("/proc/cmdline", "/boot/cmdline*",
                                                          "/*cmdline*")
                   if e.kind in ("text", "config")]
    for entry, pattern in candidates:
        for number, line in enumerate(text_lines(ctx.index, entry), start=1):
            if line.lstrip().startswith("#"):
                continue
            m = pattern.search(line)
            if not m:
                continue
            value = next((g for g in m.groups() if g), None) if m.groups() else "0"
            if value == "2":
                settings.append(Evidence(kind="file", ref=entry.path, line=number,
                                         detail="full ASLR (2)", excerpt=line.strip()))
                continue
            weak = value == "1"
            report.hits.append(Hit(
                message=f"{entry.path}:{number} "
                        + ("passes norandmaps to the kernel, which turns ASLR off."
                           if pattern is _CMDLINE else
                           f"sets kernel.randomize_va_space to {value}: "
                           + ("the heap (brk) is not randomised." if weak
                              else "ASLR is off.")),
                path=entry.path, root=entry.root, line=number, excerpt=line.strip()[:200],
                severity=Severity.MEDIUM if weak else Severity.HIGH))
    report.examined.extend(settings)
    if not report.hits and not settings:
        report.examined.append(Evidence(
            kind="note", ref="sysctl",
            detail="no randomize_va_space override in sysctl files or boot scripts; the kernel "
                   "default (2, full randomisation) applies"))
    report.summary = (f"{len(report.hits)} setting(s) weaken ASLR" if report.hits
                      else "no setting weakens ASLR")
    return report


CHECKS = (find_aslr_disabled,)
