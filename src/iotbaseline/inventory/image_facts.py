"""ELF facts that depend on other files of the same image.

PIE vs shared library: an ET_DYN file is an executable when it asks for a loader (PT_INTERP)
or is marked DF_1_PIE; without an interpreter it is a shared library unless it is itself the
loader (named like ld-*.so* or the target of some binary's PT_INTERP, e.g. musl's libc.so) and
has an entry point. DT_DEBUG is not evidence: linkers put it in shared objects too.

FORTIFY: which calls could have been fortified depends on the C library the image ships, so
the fortifiable set is the image's own libc's exported ``__X_chk`` functions (found through
DT_NEEDED, by soname or in the library directories); a built-in glibc-like list is used only
when no libc is found in the root.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from typing import Any

from iotbaseline.inventory.elf_facts import fortified_base
from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import ElfInfo, FileEntry

LOADER_NAME = re.compile(r"^ld(64)?([-.][^/]*)?\.so(\.[0-9.]+)?$|^ld-[^/]*\.so[^/]*$")
LIBC_NEEDED = re.compile(r"^libc(\.so|-[0-9.]+\.so)")
LIBRARY_DIRS = ("/lib", "/usr/lib", "/lib64", "/usr/lib64", "/lib32", "/usr/lib32")

# Functions glibc offers a __X_chk variant for; used only when the image has no libc we can read.
BUILTIN_FORTIFIABLE = frozenset(
    ["asprintf", "confstr", "dprintf", "explicit_bzero", "fdelt", "fgets", "fgets_unlocked", "fgetws", "fgetws_unlocked", "fprintf", "fread", "fread_unlocked", "fwprintf", "getcwd", "getdomainname", "getgroups", "gethostname", "getlogin_r", "gets", "getwd", "longjmp", "mbsnrtowcs", "mbsrtowcs", "mbstowcs", "memcpy", "memmove", "mempcpy", "memset", "obstack_printf", "obstack_vprintf", "poll", "ppoll", "pread", "pread64", "printf", "ptsname_r", "read", "readlink", "readlinkat", "realpath", "recv", "recvfrom", "snprintf", "sprintf", "stpcpy", "stpncpy", "strcat", "strcpy", "strncat", "strncpy", "swprintf", "syslog", "ttyname_r", "vasprintf", "vdprintf", "vfprintf", "vfwprintf", "vprintf", "vsnprintf", "vsprintf", "vswprintf", "vsyslog", "vwprintf", "wcpcpy", "wcpncpy", "wcrtomb", "wcscat", "wcscpy", "wcsncat", "wcsncpy", "wcsnrtombs", "wcsrtombs", "wcstombs", "wctomb", "wmemcpy", "wmemmove", "wmempcpy", "wmemset", "wprintf"]
)


def settle(entries: list[FileEntry], hints: dict[tuple[str, str], dict[str, Any]],
           index: FileIndex) -> None:
    """Fill pie / is_shared_library / fortifiable / fortify on every ELF entry, in place."""
    loaders = _interpreter_targets(entries, index)
    for entry in entries:
        if entry.elf is not None and entry.elf.machine != "unknown":  # "unknown": unparsable
            _settle_role(entry, hints.get((entry.root, entry.path), {}),
                         (entry.root, entry.path) in loaders)
    _settle_fortify(entries, hints, index)


def _interpreter_targets(entries: Iterable[FileEntry], index: FileIndex) -> set[tuple[str, str]]:
    targets: set[tuple[str, str]] = set()
    wanted = {(e.root, e.elf.interpreter) for e in entries if e.elf and e.elf.interpreter}
    for root, interp in wanted:
        target = index.resolve(interp, root)
        if target is not None:
            targets.add((target.root, target.path))
    return targets


def _settle_role(entry: FileEntry, hint: dict[str, Any], is_interp_target: bool) -> None:
    elf = entry.elf
    assert elf is not None
    if elf.is_kernel_module or elf.elf_type != "dyn":
        elf.is_shared_library = False
        elf.pie = False if elf.elf_type == "exec" and entry.kind == "elf" else None
        return
    name = posixpath.basename(entry.path)
    is_loader = bool(hint.get("entry")) and (
        is_interp_target or bool(LOADER_NAME.match(elf.soname or "")) or bool(LOADER_NAME.match(name))
    )
    if hint.get("pie_flag") or (elf.interpreter and not elf.soname) or (
        not elf.interpreter and is_loader
    ):
        elf.pie, elf.is_shared_library = True, False
    else:
        # a shared library (glibc's libc.so.6 has PT_INTERP and a soname: still a library)
        elf.pie, elf.is_shared_library = None, True


def _settle_fortify(entries: list[FileEntry], hints: dict[tuple[str, str], dict[str, Any]],
                    index: FileIndex) -> None:
    sonames: dict[tuple[str, str], FileEntry] = {}
    for e in entries:
        if e.elf is not None and e.elf.soname:
            sonames.setdefault((e.root, e.elf.soname), e)
    chk_of_lib: dict[tuple[str, str], frozenset[str] | None] = {}
    root_libc: dict[str, frozenset[str]] = {}

    def libc_chk(entry: FileEntry, name: str) -> frozenset[str] | None:
        key = (entry.root, name)
        if key not in chk_of_lib:
            lib = _find_library(entry, name, sonames, index)
            chk_of_lib[key] = (
                None if lib is None or lib.elf is None
                else frozenset(b for n in lib.elf.exports if (b := fortified_base(n)))
            )
            if chk_of_lib[key] is not None:
                root_libc.setdefault(entry.root, chk_of_lib[key])  # type: ignore[arg-type]
        return chk_of_lib[key]

    pending: list[FileEntry] = []
    for e in entries:
        elf = e.elf
        if elf is None or elf.is_kernel_module or elf.machine == "unknown":
            continue
        hint = hints.get((e.root, e.path), {})
        if not hint.get("dynamic"):
            _apply(elf, frozenset(b for n in elf.fortified if (b := fortified_base(n))))
            continue
        libc_name = next((n for n in elf.needed if LIBC_NEEDED.match(n)), None)
        if libc_name is None:
            pending.append(e)  # libc itself, ld.so, or linked against libc only indirectly
            continue
        chk = libc_chk(e, libc_name)
        _apply(elf, BUILTIN_FORTIFIABLE if chk is None else chk)
    for e in pending:
        assert e.elf is not None
        if not e.elf.imports:
            continue
        _apply(e.elf, root_libc.get(e.root, BUILTIN_FORTIFIABLE))


def _apply(elf: ElfInfo, chk: frozenset[str]) -> None:
    bases = {b for n in elf.fortified if (b := fortified_base(n))}
    plain = {n for n in elf.imports if n in chk}
    elf.fortifiable = sorted(plain | bases)
    if elf.fortified:
        elf.fortify = True
    elif elf.fortifiable:
        elf.fortify = False
    else:
        elf.fortify = None  # nothing fortifiable is called (or cannot be told): not applicable


def _find_library(entry: FileEntry, name: str, sonames: dict[tuple[str, str], FileEntry],
                  index: FileIndex) -> FileEntry | None:
    lib = sonames.get((entry.root, name))
    if lib is not None:
        return lib
    assert entry.elf is not None
    origin = posixpath.dirname(entry.path)
    dirs = [d.replace("$ORIGIN", origin).replace("${ORIGIN}", origin)
            for d in (*entry.elf.rpath, *entry.elf.runpath)]
    for d in (*dirs, *LIBRARY_DIRS):
        found = index.resolve(posixpath.join(d, name), entry.root)
        if found is not None and found.elf is not None:
            return found
    return None
