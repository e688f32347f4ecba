"""Binary hardening per ELF: NX, PIE, stack canary, RELRO, FORTIFY, symbols; unsafe imports.

A demanding lab wants to see which *network-facing* binaries lack a protection (one finding
each, named), and the size of the problem elsewhere without a finding per file: the rest of
the image is reported as one grouped finding per check with every path in its properties.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import network_facing_binaries, provisions
from iotbaseline.model import Evidence, FileEntry, Severity

NOT_APPLICABLE = "no user-space ELF programs or libraries in this image"
SHOWN_IN_GROUP = 12


SSP_PROVIDED = frozenset({"__stack_chk_fail", "__stack_chk_guard"})  # defined by the C library


def user_space_elves(ctx: CheckContext) -> list[FileEntry]:
    def compute(c: CheckContext) -> list[FileEntry]:
        return [e for e in c.index.elves() if e.elf is not None and e.elf.error is None
                and not e.elf.is_kernel_module and e.elf.elf_type in ("exec", "dyn")
                and e.kind == "elf"]

    return ctx.fact("hard.elves", compute)  # type: ignore[no-any-return]


def is_program(entry: FileEntry) -> bool:
    """An executable (ET_EXEC, or ET_DYN with an interpreter that is not a shared library)."""
    elf = entry.elf
    assert elf is not None
    return elf.elf_type == "exec" or (elf.interpreter is not None and not elf.is_shared_library)


def _hardening_report(ctx: CheckContext, missing: Callable[[FileEntry], str | None],
                      scope: Callable[[FileEntry], bool], what: str,
                      facing_severity: Severity, other_severity: Severity,
                      lack: str = "lack this protection") -> CheckReport:
    """One hit per network-facing binary lacking the protection, one grouped hit for the rest."""
    elves = [e for e in user_space_elves(ctx) if scope(e)]
    if not elves:
        return CheckReport(not_applicable=NOT_APPLICABLE)
    facing = network_facing_binaries(ctx)
    report = CheckReport()
    rest: list[tuple[FileEntry, str]] = []
    judged = 0
    judged_other = 0  # the grouped hit's denominator: judged files that are not network-facing
    for entry in elves:
        why = missing(entry)
        if why == "":
            continue  # not decidable for this file
        judged += 1
        reason = facing.get((entry.root, entry.path))
        if not reason:
            judged_other += 1
        if why is None:
            continue
        if reason:
            report.hits.append(Hit(message=f"{entry.path} ({reason}) {why}.", path=entry.path,
                                   root=entry.root, severity=facing_severity,
                                   properties={"network_facing": True}))
        else:
            rest.append((entry, why))
    if judged == 0:
        return CheckReport(not_applicable=f"no {what} in this image where this protection can "
                                          f"be judged")
    if rest:
        shown = ", ".join(e.path for e, _ in rest[:SHOWN_IN_GROUP])
        more = f" and {len(rest) - SHOWN_IN_GROUP} more" if len(rest) > SHOWN_IN_GROUP else ""
        report.hits.append(Hit(
            message=f"{len(rest)} of {judged_other} other {what} in the image {lack}: {shown}{more}.",
            severity=other_severity, confidence="high",
            properties={"paths": [e.path for e, _ in rest], "network_facing": False}))
    report.examined.append(Evidence(kind="note", ref="inventory",
                                    detail=f"{judged} {what} judged"))
    bad = len(report.hits) - (1 if rest else 0) + len(rest)
    report.summary = (f"{bad} of {judged} {what} lack it "
                      f"({len(report.hits) - (1 if rest else 0)} network-facing)" if bad
                      else f"all {judged} {what} have it")
    return report


def _all(entry: FileEntry) -> bool:
    return True


@check(CheckSpec(
    id="IOTB-HARD-001",
    title="Executable stack (no NX)",
    severity=Severity.HIGH,
    rationale="Without a non-executable stack, a stack overflow can run injected code directly; "
              "NX is free at run time and has been the toolchain default for years.",
    remedy="Build with -z noexecstack (a PT_GNU_STACK header without execute) and remove "
           "assembly objects that request an executable stack.",
    provisions=provisions(etsi=("5.6-8", "5.6-9"), xiaomi=("3.2.8",), tencent=("5.1.6-1",),
                          isvs=("V1.3.8", "V3.2.7")),
    cwe=(693,),
))
def find_missing_nx(ctx: CheckContext) -> CheckReport:
    def missing(e: FileEntry) -> str | None:
        nx = e.elf.nx if e.elf else None
        if nx is None:
            return ""
        return None if nx else "has an executable stack (PT_GNU_STACK RWE or missing)"

    return _hardening_report(ctx, missing, _all, "ELF files", Severity.HIGH, Severity.MEDIUM)


@check(CheckSpec(
    id="IOTB-HARD-002",
    title="Program not position-independent (no PIE)",
    severity=Severity.MEDIUM,
    rationale="A program linked at a fixed address keeps its code at the same place on every "
              "run, so ASLR cannot hide the gadgets an exploit needs.",
    remedy="Build programs with -fPIE -pie.",
    provisions=provisions(etsi=("5.6-9",), xiaomi=("3.2.6",), tencent=("5.1.6-1",),
                          isvs=("V1.3.9", "V3.2.7")),
    cwe=(693,),
))
def find_missing_pie(ctx: CheckContext) -> CheckReport:
    def missing(e: FileEntry) -> str | None:
        pie = e.elf.pie if e.elf else None
        if pie is None:
            return ""
        return None if pie else "is linked at a fixed address (ET_EXEC, not PIE)"

    return _hardening_report(ctx, missing, is_program, "programs", Severity.MEDIUM, Severity.LOW)


@check(CheckSpec(
    id="IOTB-HARD-003",
    title="No stack canary",
    severity=Severity.MEDIUM,
    rationale="A stack protector stops most stack overflows before the return address is used; "
              "without it a single overflow gives control of execution.",
    remedy="Build with -fstack-protector-strong (or -all) and link the toolchain's SSP support.",
    provisions=provisions(etsi=("5.6-9",), xiaomi=("3.2.7",), tencent=("5.1.6-1",),
                          isvs=("V1.3.10",)),
    cwe=(121, 693),
))
def find_missing_canary(ctx: CheckContext) -> CheckReport:
    def missing(e: FileEntry) -> str | None:
        canary = e.elf.canary if e.elf else None
        if canary is None:
            return ""
        if e.elf is not None and SSP_PROVIDED & set(e.elf.exports):
            return None  # the C library defining __stack_chk_fail: the provider, not a user
        return None if canary else "has no stack protector (__stack_chk_fail not used)"

    return _hardening_report(ctx, missing, _all, "ELF files", Severity.MEDIUM, Severity.LOW)


@check(CheckSpec(
    id="IOTB-HARD-004",
    title="No full RELRO",
    severity=Severity.LOW,
    rationale="Without RELRO the GOT stays writable, a standard target to turn a memory write "
              "into code execution; partial RELRO still leaves the PLT GOT writable.",
    remedy="Link with -Wl,-z,relro,-z,now.",
    provisions=provisions(etsi=("5.6-9",), tencent=("5.1.6-1",), isvs=("V1.3.11",)),
    cwe=(693,),
))
def find_missing_relro(ctx: CheckContext) -> CheckReport:
    def missing(e: FileEntry) -> str | None:
        relro = e.elf.relro if e.elf else "none"
        if relro == "full":
            return None
        return "has partial RELRO only (no BIND_NOW)" if relro == "partial" else "has no RELRO"

    return _hardening_report(ctx, missing, _all, "ELF files", Severity.LOW, Severity.LOW)


@check(CheckSpec(
    id="IOTB-HARD-005",
    title="Not built with FORTIFY_SOURCE",
    severity=Severity.LOW,
    rationale="FORTIFY_SOURCE turns many buffer overflows in string and memory functions into a "
              "clean abort; a binary that calls fortifiable functions without the _chk variants "
              "was built without it.",
    remedy="Build with -O2 -D_FORTIFY_SOURCE=2 (or 3) against a C library that provides the "
           "checked functions.",
    provisions=provisions(etsi=("5.6-9",), tencent=("5.1.6-1",), isvs=("V1.3.7",)),
    cwe=(693,),
))
def find_missing_fortify(ctx: CheckContext) -> CheckReport:
    def missing(e: FileEntry) -> str | None:
        elf = e.elf
        if elf is None or elf.fortify is None or not elf.fortifiable:
            return ""  # undecidable: no fortifiable calls or a libc without _chk functions
        return None if elf.fortify else (
            f"calls {', '.join(sorted(elf.fortifiable)[:4])} without their checked variants")

    return _hardening_report(ctx, missing, _all, "ELF files", Severity.LOW, Severity.LOW)


@check(CheckSpec(
    id="IOTB-HARD-006",
    title="Debug information or symbol tables left in binaries",
    severity=Severity.LOW,
    rationale="Symbols and DWARF debug data make reverse engineering and exploit writing much "
              "easier and may reveal internal names and paths.",
    remedy="Strip release binaries (strip --strip-all / install -s) and keep debug data off the "
           "device.",
    provisions=provisions(etsi=("5.6-9",), xiaomi=("3.2.9",), isvs=("V1.3.12", "V1.3.14")),
    cwe=(215,),
))
def find_unstripped(ctx: CheckContext) -> CheckReport:
    def missing(e: FileEntry) -> str | None:
        elf = e.elf
        if elf is None:
            return ""
        if elf.debug_info:
            return "carries DWARF debug information"
        return None if elf.stripped else "keeps its symbol table (not stripped)"

    return _hardening_report(ctx, missing, _all, "ELF files", Severity.LOW, Severity.LOW,
                             lack="keep symbols or debug data")


UNSAFE_IMPORTS = ("strcpy", "strcat", "sprintf", "vsprintf", "gets", "system", "popen",
                  "scanf", "sscanf", "stpcpy", "wcscpy", "strncpy")
_REPORTED_UNSAFE = ("strcpy", "strcat", "sprintf", "vsprintf", "gets", "system", "popen")


@check(CheckSpec(
    id="IOTB-HARD-008",
    title="Network-facing binary imports unsafe functions",
    severity=Severity.MEDIUM,
    rationale="strcpy, strcat, sprintf and gets copy without a bound, and system/popen run a "
              "shell; in a program that parses network input they are the usual roots of "
              "overflows and command injection.",
    remedy="Replace them with bounded variants (snprintf, strlcpy) and exec-style process "
           "creation without a shell; validate all network input.",
    provisions=provisions(etsi=("5.6-9",), xiaomi=("3.1.4",), tencent=("5.1.6-1",),
                          isvs=("V3.2.6", "V1.3.3")),
    cwe=(120, 78),
))
def find_unsafe_imports(ctx: CheckContext) -> CheckReport:
    facing = network_facing_binaries(ctx)
    if not user_space_elves(ctx):
        return CheckReport(not_applicable=NOT_APPLICABLE)
    report = CheckReport()
    for (root, path), reason in sorted(facing.items()):
        entry = ctx.index.get(path, root)
        if entry is None or entry.elf is None:
            continue
        if posixpath.basename(path) in ("busybox", "toybox"):
            continue  # a multi-call binary imports for all applets; not attributable
        used = [f for f in _REPORTED_UNSAFE if f in set(entry.elf.imports)]
        if not used:
            report.examined.append(Evidence(kind="file", ref=path,
                                            detail="no unsafe imports", sha256=entry.sha256))
            continue
        severity = Severity.HIGH if ("gets" in used or "system" in used or "popen" in used) \
            else Severity.MEDIUM
        report.hits.append(Hit(message=f"{path} ({reason}) imports {', '.join(used)}.",
                               path=path, root=root, severity=severity,
                               properties={"imports": used}))
    report.summary = (f"{len(report.hits)} network-facing binar(y/ies) with unsafe imports"
                      if report.hits else f"{len(facing)} network-facing binaries, no unsafe "
                                          f"imports")
    return report


CHECKS = (find_missing_nx, find_missing_pie, find_missing_canary, find_missing_relro,
          find_missing_fortify, find_unstripped, find_unsafe_imports)
