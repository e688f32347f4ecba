"""Software update checks (IOTB-UPD-00x)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from checks_b_helpers import run, tree_context, where

from iotbaseline.checks.updates import update_path
from iotbaseline.model import OutcomeStatus, Severity

CHECKSUM_ONLY = ("#!/bin/sh\n"                                     # 1
                 "IMG=$1\n"                                        # 2
                 "wget -O /tmp/fw.bin http://update.example.com/fw.bin\n"  # 3
                 "md5sum -c /tmp/fw.md5 || exit 1\n"               # 4
                 "mtd write /tmp/fw.bin firmware\n")               # 5
SIGNED = ("#!/bin/sh\n"
          "wget -O /tmp/fw.bin https://update.example.com/fw.bin\n"     # 2
          "usign -V -m /tmp/fw.bin -P /etc/opkg/keys || exit 1\n"       # 3
          "[ \"$new_version\" -lt \"$cur_version\" ] && echo refuse downgrade && exit 1\n"  # 4
          "fw_setenv upgrade_available 1\n"                             # 5
          "mtd write /tmp/fw.bin firmware\n")


def test_checksum_only_update_over_http(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/usr/sbin/fwupdate": CHECKSUM_ONLY,
                                  "/etc/opkg.conf": "src/gz base http://feeds.example.com/base\n"})
    outcome, findings, facts = run(update_path.find_update_mechanism, ctx)
    assert outcome.status == OutcomeStatus.PASS
    assert facts == {"update_mechanism": True, "updates_via_network": True,
                     "update_mechanism_evidence": "/usr/sbin/fwupdate",
                     "updates_via_network_evidence": "/usr/sbin/fwupdate"}
    _, findings, _ = run(update_path.find_unsigned_update, ctx)
    assert where(findings) == [("/usr/sbin/fwupdate", 4)]
    assert "md5sum" in findings[0].message
    _, findings, _ = run(update_path.find_plain_update_download, ctx)
    assert where(findings) == [("/usr/sbin/fwupdate", 3), ("/etc/opkg.conf", 1)]
    assert findings[1].severity == Severity.MEDIUM  # opkg without signatures either
    _, findings, _ = run(update_path.find_no_anti_rollback, ctx)
    # an absence ("no version compared"): low confidence, INCONCLUSIVE not FAIL (issue 10)
    assert len(findings) == 1 and findings[0].confidence == "low" and findings[0].properties["absence"]
    _, findings, _ = run(update_path.find_no_fallback, ctx)
    assert len(findings) == 1
    _, findings, _ = run(update_path.find_unsigned_packages, ctx)
    assert where(findings) == [("/etc/opkg.conf", 1)]


def test_signed_update_with_rollback_and_fallback(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {
        "/usr/sbin/fwupdate": SIGNED,
        "/etc/fw_env.config": "/dev/mtd1 0x0 0x10000 0x10000\n",
        "/etc/opkg.conf": "src/gz base https://feeds.example.com/base\noption check_signature 1\n",
        "/etc/opkg/keys/b5043e70f9a75cde": "untrusted comment: public key\nRWS...\n"})
    for check in update_path.CHECKS:
        outcome, findings, _ = run(check, ctx)
        assert findings == [] and outcome.status == OutcomeStatus.PASS, check.spec.id
    outcome, _, _ = run(update_path.find_unsigned_update, ctx)
    assert "/usr/sbin/fwupdate:3 (usign)" in outcome.summary


def test_web_upload_handler_counts_and_client_pages_do_not(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "cgi", {
        "/www/cgi-bin/admin.cgi": "#!/bin/sh\n# firmware upload\nmtd -r write $FILE firmware\n"})
    _, _, facts = run(update_path.find_update_mechanism, ctx)
    assert facts["update_mechanism_evidence"] == "/www/cgi-bin/admin.cgi"
    assert facts["updates_via_network"] is True
    ctx = tree_context(tmp_path / "js", {
        "/www/help.js": "var t = 'Use sysupgrade to upload firmware';\n"})
    outcome, findings, facts = run(update_path.find_update_mechanism, ctx)
    assert outcome.status == OutcomeStatus.FAIL and facts["update_mechanism"] is False
    assert findings[0].confidence == "low" and findings[0].properties["absence"]  # "not found" (issue 10)
    for check in (update_path.find_unsigned_update, update_path.find_no_anti_rollback):
        outcome, _, _ = run(check, ctx)
        assert outcome.status == OutcomeStatus.NOT_APPLICABLE


def test_signature_from_imports_of_update_binary(tmp_path: Path) -> None:
    gcc = shutil.which("gcc")
    assert gcc, "gcc is needed (system-packages.txt)"
    lib = tmp_path / "libstubcrypto.c"  # stands in for libcrypto: the program imports from it
    lib.write_text("int RSA_verify(int t, const void *m, unsigned ml, const void *s, unsigned sl,"
                   " void *k) { return 1; }\n")
    subprocess.run([gcc, "-shared", "-fPIC", "-o", str(tmp_path / "libstubcrypto.so"),
                    str(lib)], check=True, capture_output=True)
    src = tmp_path / "ota.c"
    src.write_text("int RSA_verify(int, const void *, unsigned, const void *, unsigned, void *);"
                   "\nint main(void) { return RSA_verify(0, 0, 0, 0, 0, 0); }\n")
    out = tmp_path / "ota_agent"
    subprocess.run([gcc, "-o", str(out), str(src), f"-L{tmp_path}", "-lstubcrypto"],
                   check=True, capture_output=True)
    ctx = tree_context(tmp_path / "signed", {"/usr/sbin/ota_agent": out.read_bytes()})
    outcome, findings, _ = run(update_path.find_unsigned_update, ctx)
    assert findings == [] and "imports RSA_verify" in outcome.summary


def test_apt_trusted_yes(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/etc/apt/sources.list":
                                  "deb [trusted=yes] https://repo.example.com stable main\n"})
    _, findings, _ = run(update_path.find_unsigned_packages, ctx)
    assert where(findings) == [("/etc/apt/sources.list", 1)]
