"""Identification and SBOM output on the real corpus images (ground truth: GROUND_TRUTH.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from sbom_fixtures import unpack_dvar, unpack_openwrt
from spdx_tools.spdx.parser.json.json_parser import parse_from_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from iotbaseline.cli import main
from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import Component, Target
from iotbaseline.sbom.cyclonedx import render_cyclonedx
from iotbaseline.sbom.identify import identify_components, runtime_components
from iotbaseline.sbom.spdx import render_spdx

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def openwrt(openwrt_image: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return unpack_openwrt(openwrt_image, tmp_path_factory.mktemp("openwrt"))


@pytest.fixture(scope="module")
def openwrt_components(openwrt: tuple[Path, Path]) -> list[Component]:
    root, kernel = openwrt
    return identify_components(FileIndex.from_directory(root), extra_blobs=[kernel])


@pytest.fixture(scope="module")
def dvar_root(dvar_tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unpack_dvar(dvar_tarball, tmp_path_factory.mktemp("dvar"))


@pytest.fixture(scope="module")
def dvar_components(dvar_root: Path) -> list[Component]:
    return identify_components(FileIndex.from_directory(dvar_root))


def versions(components: list[Component], name: str) -> list[str | None]:
    return [c.version for c in components if c.name == name]


def one(components: list[Component], name: str) -> Component:
    found = [c for c in components if c.name == name]
    assert len(found) == 1, f"{name}: {[(c.name, c.version) for c in found]}"
    return found[0]


def test_openwrt_ground_truth(openwrt_components: list[Component]) -> None:
    c = openwrt_components
    assert versions(c, "busybox") == ["1.19.4"]
    assert versions(c, "dropbear") == ["2011.54"]
    assert versions(c, "dnsmasq") == ["2.66"]
    assert versions(c, "iptables") == ["1.4.10"]
    assert versions(c, "uclibc") == ["0.9.33.2"]
    assert versions(c, "linux-kernel") == ["3.3.8"]
    # hostapd-mini / wpad-mini 20131120: hostap 2.0 (2013-01-12) is the last release before it
    assert versions(c, "hostapd") == ["2.0"] and versions(c, "wpa_supplicant") == ["2.0"]
    assert versions(c, "openwrt") == ["12.09.2"]


def test_openwrt_evidence_from_both_sources(openwrt_components: list[Component]) -> None:
    c = openwrt_components
    for name, binary in (("busybox", "/bin/busybox"), ("dropbear", "/usr/sbin/dropbear"),
                         ("hostapd", "/usr/sbin/wpad")):
        comp = one(c, name)
        assert comp.confidence == "high"
        methods = {(e.method, e.path) for e in comp.evidence}
        assert ("opkg-status", "/usr/lib/opkg/status") in methods
        assert (f"signature:{name}", binary) in methods
    kernel = one(c, "linux-kernel")
    banner = next(e for e in kernel.evidence if e.method == "kernel-banner")
    assert banner.match.startswith("Linux version 3.3.8 (thefriedzombie@blarf)")
    assert {"kernel-package", "kernel-modules-dir", "kernel-vermagic"} <= {e.method for e in kernel.evidence}
    assert kernel.cpe == "cpe:2.3:o:linux:linux_kernel:3.3.8:*:*:*:*:*:*:*"
    assert one(c, "dropbear").cpe == "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2011.54:*:*:*:*:*:*:*"


def test_dvar_ground_truth(dvar_components: list[Component]) -> None:
    c = dvar_components
    assert versions(c, "busybox") == ["1.23.2"]
    assert versions(c, "dropbear") == ["2017.75"]
    assert versions(c, "openssl") == ["1.0.2n"]
    assert versions(c, "uclibc") == ["0.9.33.2"]
    # the 2017.75 binary has neither "SSH-2.0-dropbear_<v>" nor "<v>\nDropbear": still found
    assert ("signature:dropbear", "/usr/sbin/dropbear") in {(e.method, e.path) for e in one(c, "dropbear").evidence}
    ssl = one(c, "openssl")
    assert {"/usr/lib/libcrypto.so.1.0.0", "/usr/lib/libssl.so.1.0.0"} <= {e.path for e in ssl.evidence}
    assert not [k for k in c if k.name == "linux-kernel"]  # the tarball ships no kernel


def test_no_compiler_is_a_runtime_component(dvar_components: list[Component],
                                            openwrt_components: list[Component]) -> None:
    # DVAR's miniweb/lightsrv carry "GCC: (GNU) 3.3.2" and "GCC: (OpenWrt/Linaro GCC …) 4.6.4"
    gcc = [c for c in dvar_components if c.name == "gcc"]
    assert sorted(c.version for c in gcc) == ["3.3.2", "4.6.4"]
    assert all(c.kind == "build-tool" and c.cpe is None for c in gcc)
    for comps in (dvar_components, openwrt_components):
        assert not [c for c in runtime_components(comps) if c.name in ("gcc", "clang")]


def test_real_sboms_validate(openwrt_components: list[Component], dvar_components: list[Component],
                             tmp_path: Path) -> None:
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    for label, comps in (("openwrt", openwrt_components), ("dvar", dvar_components)):
        target = Target(name=label, kind="directory")
        cdx = render_cyclonedx(comps, target)
        assert validator.validate_str(cdx) is None, label
        assert len(json.loads(cdx)["components"]) == len(comps)
        spdx_file = tmp_path / f"{label}.spdx.json"
        spdx_file.write_text(render_spdx(comps, target))
        assert validate_full_spdx_document(parse_from_file(str(spdx_file))) == []


def test_cli_sbom_on_unpacked_root(dvar_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "dvar.cdx.json"
    result = CliRunner().invoke(main, ["sbom", str(dvar_root), "-o", str(out), "--no-vulns"])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    names = {(c["name"], c.get("version")) for c in doc["components"]}
    assert {("busybox", "1.23.2"), ("dropbear", "2017.75"), ("openssl", "1.0.2n")} <= names
    assert doc["metadata"]["component"]["type"] == "firmware"
    spdx_out = tmp_path / "dvar.spdx.json"
    result = CliRunner().invoke(main, ["sbom", str(dvar_root), "-o", str(spdx_out), "--format", "spdx", "--no-vulns"])
    assert result.exit_code == 0, result.output
    assert validate_full_spdx_document(parse_from_file(str(spdx_out))) == []


def test_cli_attaches_cves_from_the_database(openwrt: tuple[Path, Path], nvd_dir: Path, tmp_path: Path) -> None:
    from iotbaseline.vulns.db import VulnDatabase

    db_path = tmp_path / "vulns.sqlite"
    with VulnDatabase.open(db_path) as db:
        db.import_files([nvd_dir / "embedded-cves.jsonl.gz"])
    out = tmp_path / "openwrt.cdx.json"
    root, _ = openwrt
    result = CliRunner().invoke(main, ["sbom", str(root), "-o", str(out), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    dropbear_ref = next(c["bom-ref"] for c in doc["components"] if c["name"] == "dropbear")
    cve = next(v for v in doc["vulnerabilities"] if v["id"] == "CVE-2012-0920")
    assert {"ref": dropbear_ref} in cve["affects"]


def test_cli_missing_database_named_explicitly_is_an_error(dvar_root: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sbom", str(dvar_root), "-o", str(tmp_path / "x.json"),
                                       "--db", str(tmp_path / "absent.sqlite")])
    assert result.exit_code == 2
    assert "no vulnerability database" in result.output
    assert not (tmp_path / "x.json").exists()
