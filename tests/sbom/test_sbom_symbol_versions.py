"""ELF symbol versions as component evidence, on libraries linked here by gcc/ld with a version
script (gcc is in system-packages.txt): the version nodes are what the real linker writes.

A node is a floor: a version string at or above it is confirmed, one below it is a reported
conflict (no version), nodes alone name the component without a version."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import Component
from iotbaseline.sbom.identify import identify_components
from iotbaseline.sbom.symbol_versions import read_version_nodes

GCC = shutil.which("gcc")


def _library(work: Path, name: str, nodes: list[str], text: str) -> Path:
    """A shared library defining one function per node and holding ``text`` as a string."""
    assert GCC, "gcc (system-packages.txt) is not installed"
    work.mkdir(parents=True, exist_ok=True)
    functions = "\n".join(f"int f_{i}(void) {{ return {i}; }}" for i in range(len(nodes)))
    (work / "lib.c").write_text(f'const char *version_text = "{text}";\n{functions}\n')
    script = "\n".join(f"{node} {{ global: f_{i}; {'local: *;' if i == 0 else ''} }};"
                       for i, node in enumerate(nodes))
    (work / "lib.map").write_text(script + "\n")
    out = work / name
    subprocess.run([GCC, "-shared", "-fPIC", "-o", str(out), str(work / "lib.c"),
                    f"-Wl,--version-script={work / 'lib.map'}", f"-Wl,-soname,{name}"],
                   check=True, capture_output=True, timeout=120)
    return out


def _program(work: Path, library: Path, calls: str) -> Path:
    """A program linked against ``library`` that calls ``calls`` (recorded in .gnu.version_r)."""
    assert GCC
    (work / "prog.c").write_text(f"int {calls}(void);\nint main(void) {{ return {calls}(); }}\n")
    out = work / "prog"
    subprocess.run([GCC, "-o", str(out), str(work / "prog.c"), str(library)],
                   check=True, capture_output=True, timeout=120)
    return out


def _scan(root: Path) -> list[Component]:
    return identify_components(FileIndex.from_directory(root))


def _put(root: Path, path: str, source: Path) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _openssl(comps: list[Component]) -> list[Component]:
    return [c for c in comps if c.name == "openssl"]


def test_nodes_are_read_from_the_linker_output(tmp_path: Path) -> None:
    lib = _library(tmp_path / "b", "libcrypto.so.1.1", ["OPENSSL_1_1_0", "OPENSSL_1_1_1d"], "x")
    prog = _program(tmp_path / "b", lib, "f_1")
    defined, _ = read_version_nodes(lib.read_bytes())
    assert defined == ["OPENSSL_1_1_0", "OPENSSL_1_1_1d"]  # the base (soname) entry is skipped
    _, needed = read_version_nodes(prog.read_bytes())
    assert ("libcrypto.so.1.1", "OPENSSL_1_1_1d") in needed


def test_string_version_at_or_above_the_floor_is_confirmed(tmp_path: Path) -> None:
    lib = _library(tmp_path / "b", "libcrypto.so.1.1", ["OPENSSL_1_1_0", "OPENSSL_1_1_1d"],
                   "OpenSSL 1.1.1k  25 Mar 2021")
    _put(tmp_path / "root", "/usr/lib/libcrypto.so.1.1", lib)
    [ssl] = _openssl(_scan(tmp_path / "root"))
    assert ssl.version == "1.1.1k"
    methods = {e.method: e.match for e in ssl.evidence}
    assert "signature:openssl" in methods
    assert "OPENSSL_1_1_1d" in methods["symbol-version:openssl"]
    assert "at least 1.1.1d" in methods["symbol-version:openssl"]


def test_string_version_below_the_floor_is_a_conflict_not_a_guess(tmp_path: Path) -> None:
    lib = _library(tmp_path / "b", "libcrypto.so.1.1", ["OPENSSL_1_1_0"],
                   "OpenSSL 1.0.2k  26 Jan 2017")
    _put(tmp_path / "root", "/usr/lib/libcrypto.so.1.1", lib)
    [ssl] = _openssl(_scan(tmp_path / "root"))
    assert ssl.version is None
    conflict = next(n for n in ssl.notes if n.startswith("version conflict"))
    assert "1.0.2k" in conflict and "OPENSSL_1_1_0" in conflict and "1.1.0 or later" in conflict
    assert any("not matched against vulnerability data" in n for n in ssl.notes)


def test_nodes_alone_name_the_component_without_a_version(tmp_path: Path) -> None:
    lib = _library(tmp_path / "b", "libssl.so.3", ["OPENSSL_3.0.0", "OPENSSL_3.2.0"], "no banner")
    _put(tmp_path / "root", "/usr/lib/libssl.so.3", lib)
    [ssl] = _openssl(_scan(tmp_path / "root"))
    assert ssl.version is None
    assert any("3.2.0 or later" in n and "OPENSSL_3.2.0" in n for n in ssl.notes)


def test_glibc_floor_older_than_the_release_is_consistent(tmp_path: Path) -> None:
    # glibc 2.31 defines no GLIBC_2.31 node when it added no symbol: the newest node is a floor
    lib = _library(tmp_path / "b", "libc.so.6", ["GLIBC_2.2.5", "GLIBC_2.30"],
                   "GNU C Library (Debian GLIBC 2.31-13) stable release version 2.31.")
    _put(tmp_path / "root", "/lib/libc.so.6", lib)
    [glibc] = [c for c in _scan(tmp_path / "root") if c.name == "glibc"]
    assert glibc.version == "2.31"
    assert any(e.method == "symbol-version:glibc" for e in glibc.evidence)


def test_program_needing_a_newer_node_adds_a_note_not_a_conflict(tmp_path: Path) -> None:
    newer = _library(tmp_path / "new", "libcrypto.so.1.1", ["OPENSSL_1_1_0", "OPENSSL_1_1_1d"], "x")
    prog = _program(tmp_path / "new", newer, "f_1")
    shipped = _library(tmp_path / "old", "libcrypto.so.1.1", ["OPENSSL_1_1_0"],
                       "OpenSSL 1.1.0l  10 Sep 2019")
    root = tmp_path / "root"
    _put(root, "/usr/lib/libcrypto.so.1.1", shipped)
    _put(root, "/usr/bin/prog", prog)
    [ssl] = _openssl(_scan(root))
    assert ssl.version == "1.1.0l"
    assert any("/usr/bin/prog needs OPENSSL_1_1_1d" in n and "1.1.1d or later" in n for n in ssl.notes)


def test_malformed_elf_gives_no_nodes() -> None:
    broken = b"\x7fELF\x02\x01\x01" + b"\xff" * 200
    assert read_version_nodes(broken) == ([], [])
    assert read_version_nodes(b"") == ([], [])


def test_cyclonedx_names_symbol_versions_as_binary_analysis(tmp_path: Path) -> None:
    import json

    from iotbaseline.model import Target
    from iotbaseline.sbom.cyclonedx import render_cyclonedx

    lib = _library(tmp_path / "b", "libcrypto.so.1.1", ["OPENSSL_1_1_0", "OPENSSL_1_1_1d"],
                   "OpenSSL 1.1.1k  25 Mar 2021")
    _put(tmp_path / "root", "/usr/lib/libcrypto.so.1.1", lib)
    doc = json.loads(render_cyclonedx(_openssl(_scan(tmp_path / "root")), Target(name="x", path="x")))
    [component] = [c for c in doc["components"] if c["name"] == "openssl"]
    methods = component["evidence"]["identity"][0]["methods"] if isinstance(
        component["evidence"]["identity"], list) else component["evidence"]["identity"]["methods"]
    symbol = [m for m in methods if m["value"].startswith("symbol-version:openssl")]
    assert symbol and symbol[0]["technique"] == "binary-analysis"
