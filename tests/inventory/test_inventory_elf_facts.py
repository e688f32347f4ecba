"""Each ELF fact on small x86-64 programs compiled here with gcc, where the flags decide the
expected value (e.g. -z execstack ⇒ no NX), plus hostile (corrupted) ELF files."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from iotbaseline.inventory.builder import build_inventory
from iotbaseline.inventory.elf_parser import ElfFormatError, parse_elf
from iotbaseline.model import ElfInfo, FileEntry, RootFilesystem

GCC = shutil.which("gcc")
HOST_LIBC = Path("/lib/x86_64-linux-gnu/libc.so.6")
HOST_LOADER = Path("/lib64/ld-linux-x86-64.so.2")

PROGRAM = r"""
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    char buf[8];
    strcpy(buf, argc > 1 ? argv[1] : "x");
    printf("%s %d\n", buf, argc);
    return 0;
}
"""
LIBRARY = "int answer(void) { return 42; }\n"
MODULE = (
    'const char vermagic[] __attribute__((section(".modinfo"))) = "vermagic=5.10.0 SMP mod_unload";\n'
    "extern int printk(const char *, ...);\n"
    "int init_module(void) { return printk(\"hi\"); }\n"
)
ENTRY_LIB = (
    "void _start_loader(void) { for (;;) {} }\n"
    "int answer(void) { return 42; }\n"
)

# name → (source, gcc arguments)
BUILDS: dict[str, tuple[str, list[str]]] = {
    "canary": (PROGRAM, ["-O0", "-fstack-protector-all"]),
    "nocanary": (PROGRAM, ["-O0", "-fno-stack-protector"]),
    "execstack": (PROGRAM, ["-z", "execstack"]),
    "noexecstack": (PROGRAM, ["-z", "noexecstack"]),
    "nopie": (PROGRAM, ["-no-pie", "-fno-pie"]),
    "pie": (PROGRAM, ["-pie", "-fPIE"]),
    "fullrelro": (PROGRAM, ["-Wl,-z,relro,-z,now"]),
    "partialrelro": (PROGRAM, ["-Wl,-z,relro,-z,lazy"]),
    "norelro": (PROGRAM, ["-Wl,-z,norelro", "-Wl,-z,lazy"]),
    "fortified": (PROGRAM, ["-O2", "-D_FORTIFY_SOURCE=2"]),
    "unfortified": (PROGRAM, ["-O2", "-U_FORTIFY_SOURCE", "-fno-builtin"]),
    "rpath": (PROGRAM, ["-Wl,-rpath,/opt/a:/opt/b", "-Wl,--disable-new-dtags"]),
    "runpath": (PROGRAM, ["-Wl,-rpath,/opt/c", "-Wl,--enable-new-dtags"]),
    "stripped": (PROGRAM, ["-s"]),
    "debug": (PROGRAM, ["-g"]),
    "static": (PROGRAM, ["-static", "-fstack-protector-all"]),
    "staticpie": (PROGRAM, ["-static-pie"]),
    "libanswer.so": (LIBRARY, ["-shared", "-fPIC", "-Wl,-soname,libanswer.so.1"]),
}


def _gcc(src: str, out: Path, args: list[str], tmp: Path) -> None:
    assert GCC, "gcc is required for these tests"
    source = tmp / (out.name + ".c")
    source.write_text(src)
    subprocess.run([GCC, *args, "-o", str(out), str(source)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def compiled_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("src")
    root = tmp_path_factory.mktemp("root")
    (root / "bin").mkdir()
    (root / "lib").mkdir()
    (root / "lib64").mkdir()
    for name, (src, args) in BUILDS.items():
        target = root / ("lib" if name.endswith(".so") else "bin") / name
        _gcc(src, target, args, tmp)
    _gcc(MODULE, root / "lib" / "demo.ko", ["-c", "-fno-stack-protector"], tmp)
    # the image's own libc and loader (copies of this machine's glibc)
    shutil.copy(HOST_LIBC, root / "lib" / "libc.so.6")
    shutil.copy(HOST_LOADER, root / "lib64" / HOST_LOADER.name)
    # a musl-like layout: the loader is libc.so itself, reached through a PT_INTERP symlink
    _gcc(ENTRY_LIB, root / "lib" / "libc.so", ["-shared", "-fPIC", "-nostdlib",
                                               "-Wl,-e,_start_loader", "-Wl,-soname,libc.so"], tmp)
    (root / "lib" / "ld-musl-x86_64.so.1").symlink_to("libc.so")
    _gcc(PROGRAM, root / "bin" / "muslish", ["-Wl,--dynamic-linker=/lib/ld-musl-x86_64.so.1"], tmp)
    # the same entry-point library, but nobody's interpreter: a plain shared library
    _gcc(ENTRY_LIB, root / "lib" / "libentry.so", ["-shared", "-fPIC", "-nostdlib",
                                                   "-Wl,-e,_start_loader", "-Wl,-soname,libentry.so"], tmp)
    (root / "boot").mkdir()
    shutil.copy(root / "bin" / "nopie", root / "boot" / "vmlinux")  # an ET_EXEC named vmlinux
    return root


@pytest.fixture(scope="module")
def compiled(compiled_root: Path) -> dict[str, FileEntry]:
    inventory = build_inventory([RootFilesystem(label="rootfs", path=str(compiled_root))], jobs=1)
    return {f.path: f for f in inventory.files}


def elf(compiled: dict[str, FileEntry], path: str) -> ElfInfo:
    entry = compiled[path]
    assert entry.elf is not None, path
    return entry.elf


def test_header_facts(compiled: dict[str, FileEntry]) -> None:
    info = elf(compiled, "/bin/canary")
    assert (info.machine, info.bits, info.endianness) == ("x86-64", 64, "little")
    assert info.interpreter == "/lib64/ld-linux-x86-64.so.2"
    assert info.needed == ["libc.so.6"]
    assert info.error is None


def test_stack_canary(compiled: dict[str, FileEntry]) -> None:
    assert elf(compiled, "/bin/canary").canary is True
    assert elf(compiled, "/bin/nocanary").canary is False
    assert "__stack_chk_fail" in elf(compiled, "/bin/canary").imports
    assert elf(compiled, "/bin/static").canary is True  # found in .symtab of the static binary


def test_nx_follows_gnu_stack(compiled: dict[str, FileEntry]) -> None:
    assert elf(compiled, "/bin/execstack").nx is False
    assert elf(compiled, "/bin/noexecstack").nx is True


def test_pie_executables_and_libraries(compiled: dict[str, FileEntry]) -> None:
    nopie, pie = elf(compiled, "/bin/nopie"), elf(compiled, "/bin/pie")
    assert (nopie.elf_type, nopie.pie, nopie.is_shared_library) == ("exec", False, False)
    assert (pie.elf_type, pie.pie, pie.is_shared_library) == ("dyn", True, False)
    lib = elf(compiled, "/lib/libanswer.so")
    assert (lib.elf_type, lib.pie, lib.is_shared_library) == ("dyn", None, True)
    assert lib.soname == "libanswer.so.1" and "answer" in lib.exports
    static_pie = elf(compiled, "/bin/staticpie")
    assert (static_pie.elf_type, static_pie.interpreter, static_pie.pie) == ("dyn", None, True)
    static = elf(compiled, "/bin/static")
    assert (static.elf_type, static.pie, static.needed) == ("exec", False, [])


def test_loader_and_libc_roles(compiled: dict[str, FileEntry]) -> None:
    loader = elf(compiled, "/lib64/ld-linux-x86-64.so.2")
    assert (loader.pie, loader.is_shared_library) == (True, False)
    glibc = elf(compiled, "/lib/libc.so.6")  # has PT_INTERP and a soname: still a library
    assert glibc.is_shared_library is True and glibc.pie is None
    musl_like = elf(compiled, "/lib/libc.so")  # target of /bin/muslish's PT_INTERP symlink
    assert (musl_like.pie, musl_like.is_shared_library) == (True, False)
    plain = elf(compiled, "/lib/libentry.so")  # same shape, not anyone's interpreter
    assert (plain.pie, plain.is_shared_library) == (None, True)


def test_relro(compiled: dict[str, FileEntry]) -> None:
    full = elf(compiled, "/bin/fullrelro")
    assert (full.relro, full.bind_now) == ("full", True)
    partial = elf(compiled, "/bin/partialrelro")
    assert (partial.relro, partial.bind_now) == ("partial", False)
    assert elf(compiled, "/bin/norelro").relro == "none"


def test_fortify_uses_the_images_libc(compiled: dict[str, FileEntry]) -> None:
    fortified = elf(compiled, "/bin/fortified")
    assert "__strcpy_chk" in fortified.fortified
    assert fortified.fortify is True and "strcpy" in fortified.fortifiable
    plain = elf(compiled, "/bin/unfortified")
    assert plain.fortified == [] and plain.fortify is False
    assert {"strcpy", "printf"} <= set(plain.fortifiable)


def test_rpath_runpath(compiled: dict[str, FileEntry]) -> None:
    assert elf(compiled, "/bin/rpath").rpath == ["/opt/a", "/opt/b"]
    assert elf(compiled, "/bin/rpath").runpath == []
    assert elf(compiled, "/bin/runpath").runpath == ["/opt/c"]


def test_stripped_and_debug(compiled: dict[str, FileEntry]) -> None:
    assert elf(compiled, "/bin/stripped").stripped is True
    assert elf(compiled, "/bin/canary").stripped is False
    assert elf(compiled, "/bin/debug").debug_info is True
    assert elf(compiled, "/bin/canary").debug_info is False
    assert any("GCC" in c for c in elf(compiled, "/bin/canary").comment)


def test_kernel_module(compiled: dict[str, FileEntry]) -> None:
    entry = compiled["/lib/demo.ko"]
    assert entry.kind == "kernel_module"
    assert entry.elf is not None and entry.elf.is_kernel_module
    assert entry.elf.vermagic == "5.10.0 SMP mod_unload"
    assert entry.elf.pie is None and entry.elf.nx is None
    assert "printk" in entry.elf.imports


# ---- hostile ELF files ----------------------------------------------------------------------
def test_truncated_and_corrupted_elves_never_crash(compiled_root: Path) -> None:
    data = (compiled_root / "bin" / "canary").read_bytes()
    rng = random.Random(1234)
    for i in range(300):
        mutated = bytearray(data)
        if i % 3 == 0:
            mutated = mutated[: rng.randrange(4, 2048)]
        else:
            for _ in range(rng.randrange(1, 12)):
                pos = rng.randrange(4, min(len(mutated), 4096))
                mutated[pos] = rng.randrange(256)
        try:
            parse_elf(bytes(mutated))
        except ElfFormatError:
            pass


def test_malformed_elf_gets_an_error_not_a_crash(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "short").write_bytes(b"\x7fELF\x02\x01\x01")  # ident only
    (root / "badclass").write_bytes(b"\x7fELF\x07\x01\x01" + b"\0" * 100)
    # a 64-bit header whose program headers point far outside the file
    header = bytearray(b"\x7fELF\x02\x01\x01" + b"\0" * 9)
    header += (2).to_bytes(2, "little") + (62).to_bytes(2, "little") + (1).to_bytes(4, "little")
    header += (0).to_bytes(8, "little") + (0x7FFFFFFF).to_bytes(8, "little") + bytes(8)
    header += bytes(4) + (64).to_bytes(2, "little") + (56).to_bytes(2, "little")
    header += (3).to_bytes(2, "little") + bytes(6)
    (root / "farphdr").write_bytes(bytes(header))
    inventory = build_inventory([RootFilesystem(label="r", path=str(root))])
    files = {f.path: f for f in inventory.files}
    for name, words in (("short", "outside"), ("badclass", "class"), ("farphdr", "program header")):
        info = files[f"/{name}"].elf
        assert info is not None and info.error is not None and words in info.error, name
        assert files[f"/{name}"].kind == "elf"



def test_vmlinux_is_a_kernel_image_with_elf_facts(compiled: dict[str, FileEntry]) -> None:
    entry = compiled["/boot/vmlinux"]
    assert entry.kind == "kernel_image"
    assert entry.elf is not None and entry.elf.elf_type == "exec"
