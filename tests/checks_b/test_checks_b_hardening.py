"""Binary hardening (IOTB-HARD-00x) on small programs compiled here with gcc: the weak build
lacks each protection by its flags, the hardened build has them all. Expected facts follow
from the flags (and are what readelf shows), not from our output."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from checks_b_helpers import run, tree_context, where

from iotbaseline.checks.hardening import aslr as hard_aslr

from iotbaseline.checks.hardening import elf_hardening as hard_elf
from iotbaseline.model import OutcomeStatus, Severity

GCC = shutil.which("gcc")
SERVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
int main(int argc, char **argv) {
    char name[32];
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    bind(s, (struct sockaddr *)&a, sizeof a);
    listen(s, 1);
    int c = accept(s, 0, 0);
#ifdef UNSAFE
    strcpy(name, argv[0]);
    system(name);
#else
    size_t n = strlen(argv[0]) % sizeof name;
    memcpy(name, argv[0], n);  /* a runtime length: FORTIFY makes it __memcpy_chk */
    name[n] = 0;
#endif
    return c + (int)strlen(name);
}
"""
TOOL = r"""
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) { char b[64]; strcpy(b, argv[0]); puts(b); return 0; }
"""
WEAK = ["-O0", "-fno-stack-protector", "-no-pie", "-z", "execstack", "-Wl,-z,norelro", "-g",
        "-DUNSAFE"]
HARD = ["-O2", "-D_FORTIFY_SOURCE=2", "-fstack-protector-all", "-fPIE", "-pie",
        "-Wl,-z,relro,-z,now", "-s"]


def _compile(tmp: Path, name: str, source: str, flags: list[str]) -> bytes:
    src = tmp / f"{name}.c"
    src.write_text(source)
    out = tmp / name
    subprocess.run([GCC or "gcc", *flags, "-o", str(out), str(src)], check=True,
                   capture_output=True)
    return out.read_bytes()


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    if GCC is None:
        pytest.fail("gcc is needed for the hardening tests (system-packages.txt lists it)")
    tmp = tmp_path_factory.mktemp("cc")
    return {"weak_server": _compile(tmp, "ws", SERVER, WEAK),
            "weak_tool": _compile(tmp, "wt", TOOL, WEAK),
            "hard_server": _compile(tmp, "hs", SERVER, HARD),
            "hard_tool": _compile(tmp, "ht", TOOL, HARD)}


def _tree(tmp_path: Path, builds: dict[str, bytes], kind: str):  # type: ignore[no-untyped-def]
    return tree_context(tmp_path / kind, {
        "/usr/sbin/webd": builds[f"{kind}_server"],
        "/usr/bin/tool": builds[f"{kind}_tool"],
        "/etc/rc.local": "#!/bin/sh\n/usr/sbin/webd &\nexit 0\n"})


PER_CHECK = [
    (hard_elf.find_missing_nx, "executable stack", Severity.HIGH),
    (hard_elf.find_missing_pie, "fixed address", Severity.MEDIUM),
    (hard_elf.find_missing_canary, "no stack protector", Severity.MEDIUM),
    (hard_elf.find_missing_relro, "no RELRO", Severity.LOW),
    (hard_elf.find_missing_fortify, "without their checked variants", Severity.LOW),
    (hard_elf.find_unstripped, "DWARF debug information", Severity.LOW),
]


@pytest.mark.parametrize(("check", "words", "severity"), PER_CHECK,
                         ids=[c.spec.id for c, _, _ in PER_CHECK])
def test_weak_build_names_network_binary_and_groups_the_rest(
        tmp_path: Path, builds: dict[str, bytes], check, words: str, severity: Severity) -> None:  # type: ignore[no-untyped-def]
    outcome, findings, _ = run(check, _tree(tmp_path, builds, "weak"))
    assert outcome.status == OutcomeStatus.FAIL
    assert where(findings) == [("/usr/sbin/webd", None), (None, None)]
    assert words in findings[0].message and "started at boot as webd" in findings[0].message
    assert findings[0].severity == severity
    assert findings[1].properties["paths"] == ["/usr/bin/tool"]


def test_grouped_hit_counts_only_the_other_files(tmp_path: Path, builds: dict[str, bytes]) -> None:
    # one network-facing weak server, two other weak tools and one other hardened tool: the group
    # says "2 of 3 other", not "2 of 4 other" (the network-facing file was counted as "other")
    ctx = tree_context(tmp_path / "mixed", {
        "/usr/sbin/webd": builds["weak_server"],
        "/usr/bin/tool": builds["weak_tool"],
        "/usr/bin/tool2": builds["weak_tool"],
        "/usr/bin/safe": builds["hard_tool"],
        "/etc/rc.local": "#!/bin/sh\n/usr/sbin/webd &\nexit 0\n"})
    _, findings, _ = run(hard_elf.find_missing_canary, ctx)
    assert where(findings) == [("/usr/sbin/webd", None), (None, None)]
    assert findings[1].message.startswith("2 of 3 other ")


@pytest.mark.parametrize("check", [c for c, _, _ in PER_CHECK], ids=[c.spec.id for c, _, _ in PER_CHECK])
def test_hardened_build_passes(tmp_path: Path, builds: dict[str, bytes], check) -> None:  # type: ignore[no-untyped-def]
    outcome, findings, _ = run(check, _tree(tmp_path, builds, "hard"))
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_unsafe_imports_in_network_facing_binary(tmp_path: Path, builds: dict[str, bytes]) -> None:
    _, findings, _ = run(hard_elf.find_unsafe_imports, _tree(tmp_path, builds, "weak"))
    assert where(findings) == [("/usr/sbin/webd", None)]  # the tool is not network-facing
    assert findings[0].properties["imports"] == ["strcpy", "system"]
    assert findings[0].severity == Severity.HIGH
    _, findings, _ = run(hard_elf.find_unsafe_imports, _tree(tmp_path, builds, "hard"))
    assert findings == []


def test_elf_checks_not_applicable_without_elves(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/etc/passwd": "root:x:0:0::/:/bin/sh\n"})
    for check in hard_elf.CHECKS:
        outcome, _, _ = run(check, ctx)
        assert outcome.status == OutcomeStatus.NOT_APPLICABLE, check.spec.id


def test_aslr_disabled_and_weakened(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {
        "/etc/sysctl.conf": "# tuning\nkernel.randomize_va_space = 0\n",
        "/etc/sysctl.d/10-aslr.conf": "kernel.randomize_va_space=1\n",
        "/etc/rc.local": "#!/bin/sh\necho 0 > /proc/sys/kernel/randomize_va_space\n"})
    _, findings, _ = run(hard_aslr.find_aslr_disabled, ctx)
    assert sorted(where(findings)) == [("/etc/rc.local", 2), ("/etc/sysctl.conf", 2),
                                       ("/etc/sysctl.d/10-aslr.conf", 1)]
    by_path = {f.location.path: f.severity for f in findings}
    assert by_path["/etc/sysctl.d/10-aslr.conf"] == Severity.MEDIUM
    assert by_path["/etc/sysctl.conf"] == Severity.HIGH
    ctx = tree_context(tmp_path / "good", {"/etc/sysctl.conf": "kernel.randomize_va_space=2\n"
                                                               "# kernel.randomize_va_space=0\n"})
    outcome, findings, _ = run(hard_aslr.find_aslr_disabled, ctx)
    assert findings == [] and [(e.ref, e.line) for e in outcome.evidence] == [
        ("/etc/sysctl.conf", 1)]
