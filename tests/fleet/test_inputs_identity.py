"""Small, corpus-free units of the fleet: which images a batch's arguments name, where product
and version come from (profile, then --product/--version, then the image, then the file
name), the options that make an assessment key, and the one-line errors of `batch`/`serve`."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest
from conftest import CLI

from iotbaseline.fleet.inputs import BatchInputError, expand_inputs
from iotbaseline.fleet.work import assessment_key, result_options
from iotbaseline.pipeline import ScanOptions
from iotbaseline.store.identity import identify


def test_inputs_files_directories_and_lists(tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    a = tmp_path / "a.bin"
    a.write_bytes(b"a")
    (tmp_path / "d" / "b.bin").write_bytes(b"b")
    (tmp_path / "d" / "sub" / "c.bin").write_bytes(b"c")
    (tmp_path / "d" / "GROUND_TRUTH.md").write_text("notes")
    listing = tmp_path / "list.txt"
    listing.write_text("# release 2\na.bin\tCam-1\t2.0\n\n")
    found = expand_inputs([str(a), str(tmp_path / "d"), f"@{listing}"])
    assert [p.path.name for p in found] == ["a.bin", "b.bin", "c.bin"]  # a.bin once
    with_list_first = expand_inputs([f"@{listing}", str(a)])
    assert (with_list_first[0].product, with_list_first[0].version) == ("Cam-1", "2.0")
    with pytest.raises(BatchInputError, match="missing.bin: no such file"):
        expand_inputs([str(tmp_path / "missing.bin")])
    listing.write_text("nothere.bin\n")
    with pytest.raises(BatchInputError, match=r"list.txt:1: nothere.bin"):
        expand_inputs([f"@{listing}"])


def _tree(tmp_path: Path, files: dict[str, str]) -> dict[str, object]:
    root = tmp_path / "root"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return {"extraction": {"roots": [{"path": str(root)}], "chunks": []}}


def test_identity_precedence(tmp_path: Path) -> None:
    doc = _tree(tmp_path, {"etc/os-release": 'NAME="Foo Linux"\nVERSION_ID=3.1.4\n'})
    image = Path("/x/fw-image.bin")
    assert identify(doc, image) .model == "Foo Linux"
    assert identify(doc, image).version == "3.1.4"
    assert identify(doc, image, "Cam", "9").source == "cli"
    doc["profile"] = {"product": {"model": "IPC-1", "vendor": "V", "category": "camera", "firmware_version": "1.0"}}
    ident = identify(doc, image, "Cam", "9")
    assert (ident.model, ident.version, ident.vendor, ident.category, ident.source) == \
        ("IPC-1", "1.0", "V", "camera", "profile")
    bare = identify({"extraction": {"roots": [], "chunks": [
        {"note": "U-Boot uImage 'WNR2000v5 V1.0.0.34' (lzma payload)"}]}}, image)
    assert (bare.model, bare.version, bare.source) == ("WNR2000v5 V1.0.0.34", "1.0.0.34", "image:uImage name")
    nothing = identify({}, image)
    assert (nothing.model, nothing.version, nothing.source) == ("fw-image", "unknown", "file name")


def test_identity_never_follows_a_symlink_out_of_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "secret-release"
    outside.write_text("NAME=Outside\nVERSION_ID=6.6\n")
    doc = _tree(tmp_path, {"etc/placeholder": ""})
    (tmp_path / "root" / "etc" / "os-release").symlink_to(outside)
    assert identify(doc, Path("fw.bin")).model == "fw"


def test_assessment_key_counts_what_changes_results(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("a: 1\n")
    base = ScanOptions(out_dir=tmp_path / "o1", profile=profile)
    key = assessment_key("0" * 64, base)
    assert key == assessment_key("0" * 64, dataclasses.replace(base, out_dir=tmp_path / "o2", jobs=1))
    assert key != assessment_key("0" * 64, dataclasses.replace(base, crack_seconds=1))
    assert key.catalogs == "" and assessment_key("0" * 64, dataclasses.replace(
        base, catalogs=("xiaomi-2.0", "etsi-en-303-645"))).catalogs == "etsi-en-303-645,xiaomi-2.0"
    profile.write_text("a: 2\n")  # same path, other content: another key
    assert key != assessment_key("0" * 64, base)
    assert "out_dir" not in result_options(base)


def test_batch_and_serve_usage_errors_are_one_line(tmp_path: Path) -> None:
    done = subprocess.run([*CLI, "batch", str(tmp_path / "none.bin"), "--store", str(tmp_path / "s.db")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "none.bin: no such file" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    served = subprocess.run([*CLI, "serve", "--store", str(tmp_path / "s.db"), "--host", "0.0.0.0"],
                            capture_output=True, text=True, timeout=60, check=False, env={"PATH": "/usr/bin"})
    assert served.returncode == 2 and "token" in served.stderr
