"""Hardening facts of one ELF (NX, canary, RELRO, fortified calls…) from what the parser read.

Facts that need other files of the same image — whether a shared object is the dynamic loader
others name as PT_INTERP, and which functions the image's own libc can fortify — are settled
afterwards by ``image_facts.py``; here each file is judged alone so the result can be cached by
content hash.
"""

from __future__ import annotations

import re
from typing import Any

from iotbaseline.inventory.elf_parser import (
    DF_1_NOW,
    DF_1_PIE,
    DF_BIND_NOW,
    ET_CORE,
    ET_DYN,
    ET_EXEC,
    ET_REL,
    PF_X,
    PT_GNU_RELRO,
    PT_GNU_STACK,
    RawElf,
)

CANARY_SYMBOLS = frozenset(
    {"__stack_chk_fail", "__stack_chk_guard", "__stack_chk_fail_local", "__intel_security_cookie"}
)
FORTIFIED_NAME = re.compile(r"^__(\w+)_chk$")

# Architectures on which Linux maps the stack non-executable when PT_GNU_STACK is missing
# (native 64-bit arm64 and riscv64 tasks never get READ_IMPLIES_EXEC). Everywhere else —
# x86, ARM32, MIPS, PowerPC, and x86-64 kernels before 5.8 — a missing GNU_STACK means an
# executable stack, so we report NX as absent.
NX_BY_DEFAULT = frozenset({("AArch64", 64), ("RISC-V", 64)})

_ELF_TYPES = {ET_REL: "rel", ET_EXEC: "exec", ET_DYN: "dyn", ET_CORE: "core"}


def fortified_base(name: str) -> str | None:
    """``__memcpy_chk`` → ``memcpy``; None for anything that is not a fortified variant."""
    m = FORTIFIED_NAME.match(name)
    if m is None or name == "__stack_chk_fail":
        return None
    return m.group(1)


def nx_of(raw: RawElf) -> bool | None:
    """True when the stack is mapped non-executable (see NX_BY_DEFAULT for a missing GNU_STACK)."""
    if raw.e_type not in (ET_EXEC, ET_DYN) or not raw.segments:
        return None
    stack = raw.segment(PT_GNU_STACK)
    if stack is not None:
        return not (stack.flags & PF_X)
    return (raw.machine, raw.bits) in NX_BY_DEFAULT


def bind_now_of(raw: RawElf) -> bool:
    return raw.dt_bind_now or bool(raw.dt_flags & DF_BIND_NOW) or bool(raw.dt_flags_1 & DF_1_NOW)


def relro_of(raw: RawElf) -> str:
    if raw.e_type not in (ET_EXEC, ET_DYN) or raw.segment(PT_GNU_RELRO) is None:
        return "none"
    return "full" if bind_now_of(raw) else "partial"


def is_kernel_module(raw: RawElf) -> bool:
    return raw.e_type == ET_REL and raw.section(".modinfo") is not None


def elf_info_fields(raw: RawElf) -> dict[str, Any]:
    """The ElfInfo fields decidable from this file alone, plus private hints under ``_``."""
    module = is_kernel_module(raw)
    names: set[str] | None
    if raw.has_dynamic:
        names = set(raw.imports)
    elif raw.static_symbols is not None:
        names = raw.static_symbols
    else:
        names = None  # static and stripped: nothing to look at
    canary = None if names is None else bool(names & CANARY_SYMBOLS)
    fortified = sorted(n for n in (names or ()) if fortified_base(n) is not None)
    imports = raw.imports if raw.has_dynamic else (raw.undefined_static if module else [])
    return {
        "machine": raw.machine,
        "endianness": raw.endianness,
        "bits": raw.bits,
        "elf_type": _ELF_TYPES.get(raw.e_type, "other"),
        "interpreter": raw.interpreter,
        "is_kernel_module": module,
        "nx": None if module else nx_of(raw),
        "canary": canary,
        "relro": relro_of(raw),
        "bind_now": bind_now_of(raw),
        "fortified": fortified,
        "rpath": raw.rpath,
        "runpath": raw.runpath,
        "stripped": not raw.has_symtab,
        "debug_info": raw.has_debug_info,
        "imports": imports,
        "exports": raw.exports,
        "needed": raw.needed,
        "soname": raw.soname,
        "comment": raw.comment,
        "vermagic": raw.modinfo.get("vermagic") if module else None,
        "error": "; ".join(raw.warnings) or None,
        # hints for image_facts (not ElfInfo fields)
        "_": {
            "entry": raw.entry != 0,
            "pie_flag": bool(raw.dt_flags_1 & DF_1_PIE),
            "dynamic": raw.has_dynamic,
            "static_symbols": raw.static_symbols is not None,
            "vmlinux": raw.e_type == ET_EXEC and raw.section("__ksymtab_strings") is not None,
        },
    }


def error_fields(head: bytes, message: str) -> dict[str, Any]:
    """ElfInfo for a file with the ELF magic that could not be parsed: what the ident says."""
    bits = 64 if len(head) > 4 and head[4] == 2 else 32
    endian = "big" if len(head) > 5 and head[5] == 2 else "little"
    return {"machine": "unknown", "endianness": endian, "bits": bits, "elf_type": "other",
            "error": message, "_": {}}
