"""Not Linux (issue 12 part 5): RTOS and bare-metal images are recognised, and the checks that
need a Linux user space say NOT_APPLICABLE with the reason instead of "nothing found"."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from iotbaseline.analysis.platform import detect_platform, not_linux_reason
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.registry import all_checks
from iotbaseline.checks.runner import run_checks
from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import ExtractionResult, OutcomeStatus, PlatformInfo

CORPUS = os.environ.get("IOTBASELINE_CORPUS")
needs_corpus = pytest.mark.skipif(not CORPUS, reason="IOTBASELINE_CORPUS not set: real RTOS images not available")
EXE = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "iotbaseline"


@pytest.mark.parametrize(("banner", "kind", "name"), [
    (b'\0VxWorks operating system version "6.9" , compiled\0', "vxworks", "VxWorks 6.9"),
    (b"\0WIND version 2.6\0", "vxworks", "VxWorks 2.6"),
    (b"\0FreeRTOS Kernel V10.4.3\0", "freertos", "FreeRTOS 10.4.3"),
    (b"\0ThreadX Cortex-M4/GNU Version G5.8.5.0\0", "threadx", "ThreadX 5.8.5.0"),
    (b"\0*** Booting Zephyr OS build zephyr-v3.2.0 ***\0", "zephyr", "Zephyr 3.2.0"),
    (b"\0Cyg_Scheduler::start\0", "ecos", "eCos"),
])
def test_rtos_banner_names_the_platform(tmp_path: Path, banner: bytes, kind: str, name: str) -> None:
    blob = tmp_path / "fw.bin"
    blob.write_bytes(os.urandom(5000).replace(b"V", b"v") + banner + b"\xff" * 100)
    platform = detect_platform(ExtractionResult(input=str(blob), work_dir=str(tmp_path)), None, [blob])
    assert platform is not None
    assert (platform.kind, platform.name, platform.linux_userspace) == (kind, name, False)
    assert platform.evidence[0].startswith("fw.bin @0x")


def test_bare_metal_vector_tables(tmp_path: Path) -> None:
    avr = tmp_path / "avr.bin"
    avr.write_bytes(b"\x0c\x94\x5c\x00" * 26 + b"\x11\x24" * 20)  # jmp vectors of an ATmega
    cortex = tmp_path / "m4.bin"
    cortex.write_bytes((0x20008000).to_bytes(4, "little") + (0x080001C1).to_bytes(4, "little") + b"\0" * 56)
    for path, arch in ((avr, "AVR"), (cortex, "ARM Cortex-M")):
        result = ExtractionResult(input=str(path), input_kind="ihex", work_dir=str(tmp_path),
                                  flat_images=[str(path)])
        platform = detect_platform(result, None, [])
        assert platform is not None and platform.kind == "bare-metal"
        assert platform.name == f"bare-metal {arch} (Intel HEX)"


def test_linux_tree_wins_over_strings(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/inittab").write_text("::sysinit:/etc/init.d/rcS\n")
    (root / "fw.bin").write_bytes(b"\0FreeRTOS Kernel V10.0.0\0")  # a coprocessor blob
    index = FileIndex.from_directory(root)
    platform = detect_platform(ExtractionResult(input=str(root), work_dir=str(tmp_path)),
                               index.inventory, [])
    assert platform is not None and platform.kind == "linux" and platform.linux_userspace


def test_linux_only_checks_not_applicable_with_reason(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web/index.htm").write_text("<html>login</html>")
    index = FileIndex.from_directory(tmp_path / "web")
    vxworks = PlatformInfo(kind="vxworks", name="VxWorks 5.5.1", version="5.5.1")
    outcomes, _findings, _ = run_checks(CheckContext(index=index, platform=vxworks))
    specs = {c.spec.id: c.spec for c in all_checks()}
    by_id = {o.check: o for o in outcomes}
    linux_only = [i for i, s in specs.items() if s.applies_to == "rootfs"]
    assert linux_only
    for check_id in linux_only:
        assert by_id[check_id].status is OutcomeStatus.NOT_APPLICABLE
        assert by_id[check_id].summary == "VxWorks 5.5.1 image: no Linux user space"
    # checks for any file tree still run on the RTOS's embedded file system
    anywhere = [i for i, s in specs.items() if s.applies_to == "any"]
    assert any(by_id[i].summary != not_linux_reason(vxworks) for i in anywhere)


# ---- real images ------------------------------------------------------------------------
def _scan(image: Path, out: Path) -> dict:
    run = subprocess.run([str(EXE), "scan", str(image), "-o", str(out), "--no-db", "--format", "json",
                          "--crack-seconds", "1"], capture_output=True, text=True, timeout=900)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    return json.loads((out / "assessment.json").read_text())


@needs_corpus
@pytest.mark.parametrize(("product", "image", "web_file"), [
    ("tplink-wr702n-vxworks", "wr.fw", "/restart.htm"),
    ("linksys-srw2024-vxworks", "test.ros", "/home.htm"),
])
def test_vxworks_images(tmp_path: Path, product: str, image: str, web_file: str) -> None:
    assessment = _scan(Path(str(CORPUS)) / product / image, tmp_path / "out")
    platform = assessment["extraction"]["platform"]
    # GROUND_TRUTH.md: VxWorks 5.5.1 (WIND 2.6)
    assert platform["kind"] == "vxworks" and platform["version"] == "5.5.1"
    assert not platform["linux_userspace"]
    outcomes = {o["check"]: o for o in assessment["outcomes"]}
    # no passwd/shadow/init scripts/BusyBox/ELF: those checks are not applicable, with the reason
    for check_id in ("IOTB-CRED-001", "IOTB-SVC-001", "IOTB-HARD-001"):
        assert outcomes[check_id]["status"] == "not_applicable"
        assert outcomes[check_id]["summary"] == "VxWorks 5.5.1 image: no Linux user space"
    # the embedded file system (MFS web UI / 7-Zip web archive) is analysed
    roots = assessment["extraction"]["roots"]
    assert roots and Path(roots[0]["path"], web_file.lstrip("/")).is_file()
    # the decompressed VxWorks image is searched as a flat binary
    assert assessment["extraction"]["flat_images"]
    # negative control: "password"/"admin" are identifiers and help text there, not credentials
    assert not [f for f in assessment["findings"] if f["check"] == "IOTB-CRED-007"]
    assert outcomes["IOTB-CRED-007"]["summary"] == "VxWorks 5.5.1 image: not microcontroller firmware"
    for error in assessment["errors"]:
        assert "\n" not in error["message"] and "Traceback" not in error["message"]


@needs_corpus
def test_avr_hex_is_bare_metal(tmp_path: Path) -> None:
    image = Path(str(CORPUS)) / "dvid-avr" / "hardcodedPassword.ino.arduino_standard.hex"
    assessment = _scan(image, tmp_path / "out")
    platform = assessment["extraction"]["platform"]
    assert platform["name"] == "bare-metal AVR (Intel HEX)"  # GROUND_TRUTH.md: ATmega328P
    outcomes = {o["check"]: o for o in assessment["outcomes"]}
    assert outcomes["IOTB-CRED-001"]["summary"] == "bare-metal AVR (Intel HEX) image: no Linux user space"
    # the string checks still find the hard-coded UART password (GROUND_TRUTH.md 1)
    assert any(f["check"] == "IOTB-CRED-007" for f in assessment["findings"])
