"""Where credentials live (issue 11): passwd/shadow precedence, backup copies, config classes
(empty table slots, OpenSSL CSR attributes, archive copies, unused samples), compiled-in NVRAM
defaults, accounts created by boot scripts; redaction of cracked values in every human report;
cracking never opens a socket. Trees are built here; expected lines are counted by hand."""

from __future__ import annotations

import json
import socket
import warnings
from pathlib import Path

import pytest
from checks_a_helpers import build_tree, run, where
from click.testing import CliRunner

from iotbaseline.checks.credentials import accounts as ca
from iotbaseline.checks.credentials import boot_accounts as cb
from iotbaseline.checks.credentials import compiled_defaults as cd
from iotbaseline.checks.credentials import config_passwords as cc
from iotbaseline.checks.credentials import crack
from iotbaseline.inventory.index import FileIndex

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from passlib.hash import des_crypt, md5_crypt

INITTAB = "::sysinit:/etc/init.d/rcS\n"


def _index(tmp_path: Path, files: dict[str, str | bytes]) -> FileIndex:
    return FileIndex.from_directory(build_tree(tmp_path / "root", files))


# ---- passwd / shadow precedence ---------------------------------------------------------------


def test_hash_in_passwd_wins_over_shadow_and_is_world_readable(tmp_path):
    root_hash = des_crypt.using(salt="ab").hash("xc3511")  # a Mirai-table default
    index = _index(tmp_path, {
        "/etc/passwd": f"root:{root_hash}:0:0:root:/root:/bin/sh\n",
        "/etc/shadow": "root:!:10933:0:99999:7:::\n",  # ignored: passwd has a real hash
    })
    _, fixed = run(ca.find_universal_passwords, index, crack_seconds=30)
    assert where(fixed) == [("/etc/passwd", 1)]
    assert fixed[0].secret == "xc3511"
    _, weak = run(ca.find_weak_hashes, index)
    readable = [f for f in weak if f.properties.get("world_readable")]
    assert where(readable) == [("/etc/passwd", 1)]
    assert "ignores the shadow entry" in readable[0].message


def test_x_defers_to_shadow_and_locked_or_hashed_shadow_is_not_empty(tmp_path):
    index = _index(tmp_path, {
        "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nguest:x:1:1::/:/bin/sh\nops::2:2::/:/bin/sh\n",
        "/etc/shadow": ("root:" + md5_crypt.hash("Zx9!long-unguessable") + ":1:0:99999:7:::\n"
                        "guest::1:0:99999:7:::\n"
                        "ops:!:1:0:99999:7:::\n"),  # passwd's empty field decides for ops
    })
    _, empty = run(ca.find_empty_passwords, index)
    assert where(empty) == [("/etc/passwd", 3), ("/etc/shadow", 2)]


def test_backup_copy_reported_at_low_weight_only(tmp_path):
    index = _index(tmp_path, {
        "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
        "/etc/shadow": "root:!:1:0:99999:7:::\n",
        "/etc/shadow-": "root::1:0:99999:7:::\n",
        "/etc/inittab": INITTAB, "/etc/init.d/rcS": "#!/bin/sh\nmount -a\n",
    })
    _, empty = run(ca.find_empty_passwords, index)
    assert where(empty) == [("/etc/shadow-", 1)]
    assert empty[0].confidence == "low" and empty[0].severity.value == "low"
    assert "backup copy" in empty[0].message


def test_copy_that_boot_puts_in_place_counts_for_the_device(tmp_path):
    index = _index(tmp_path, {
        "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
        "/etc/shadow": "->/var/shadow",
        "/etc/default/shadow.default": "root::1:0:99999:7:::\n",
        "/etc/inittab": INITTAB,
        "/etc/init.d/rcS": "#!/bin/sh\ncp /etc/default/shadow.default /var/shadow\n",
    })
    _, empty = run(ca.find_empty_passwords, index)
    assert where(empty) == [("/etc/default/shadow.default", 1)]
    assert empty[0].severity.value == "critical" and empty[0].confidence == "high"


# ---- configuration files ------------------------------------------------------------------------

USER_INI = ('[user0]\nusername = "admin     "\npassword = "admin     "\n'
            '[user1]\nusername = "          "\npassword = "          "\n')


def test_ini_users_one_finding_per_account_and_empty_slots_quiet(tmp_path):
    index = _index(tmp_path, {
        "/mnt/conf/config_user.ini": USER_INI,
        "/mnt/conf/config_default.zip_extract/mnt/conf/config_user.ini": USER_INI,
        "/bin/server": b"\x00/mnt/conf/config_user.ini\x00",
    })
    _, findings = run(cc.find_config_passwords, index, show_secrets=True)
    assert where(findings) == [("/mnt/conf/config_user.ini", 3)]
    assert findings[0].secret == "admin" and "'admin'" in findings[0].message
    copies = [e.ref for e in findings[0].evidence if "zip_extract" in (e.ref or "")]
    assert copies == ["/mnt/conf/config_default.zip_extract/mnt/conf/config_user.ini"]


def test_openssl_csr_attributes_are_not_passwords(tmp_path):
    cnf = ("[ req_attributes ]\nchallengePassword\t\t= A challenge password\n"
           "challengePassword_min\t\t= 4\nchallengePassword_value\t\t= \n")
    _, findings = run(cc.find_config_passwords, _index(tmp_path, {"/etc/openssl.cnf": cnf}))
    assert findings == []


def test_unused_sample_is_low_unused_file(tmp_path):
    index = _index(tmp_path, {
        "/etc/inittab": INITTAB, "/etc/init.d/rcS": "#!/bin/sh\n/usr/sbin/httpd -c /etc/web.conf\n",
        "/usr/sbin/httpd": "#!/bin/sh\nexit 0\n",
        "/etc/web.conf": "password=admin\n",
        "/usr/share/sample/ftp-sample.conf": "password=admin\n",
    })
    _, findings = run(cc.find_config_passwords, index)
    by_path = {f.location.path: f for f in findings}
    assert by_path["/etc/web.conf"].confidence == "high"
    sample = by_path["/usr/share/sample/ftp-sample.conf"]
    assert sample.confidence == "low" and sample.message.startswith("unused file ships a password")


# ---- compiled-in defaults and accounts created at boot -------------------------------------------


def test_nvram_defaults_table_pairs():
    defaults = crack.default_passwords()
    data = b"\x00pppoe_passwd\x00pppoe_idletime\x00http_username\x00\x00http_passwd\x00admin\x00wl_ssid\x00"
    assert cd.find_pairs(data, defaults) == [(data.index(b"http_passwd"), "http_passwd", "admin")]


def test_account_created_at_boot_from_nvram_default(tmp_path):
    index = _index(tmp_path, {
        "/etc/inittab": INITTAB,
        "/etc/init.d/rcS": ("#!/bin/sh\nPW=$(nvram get http_passwd)\n"
                            "echo \"admin:$PW\" | chpasswd\n"),
        "/etc/nvram.default": "lan_ipaddr=192.168.1.1\nhttp_passwd=1234\n",
        "/etc/init.d/unused.sh": "#!/bin/sh\necho 'root:toor' | chpasswd\n",
    })
    _, findings = run(cb.find_boot_accounts, index, show_secrets=True)
    assert where(findings) == [("/etc/init.d/rcS", 3)]
    assert findings[0].secret == "1234"
    assert "/etc/nvram.default:2" in findings[0].message


# ---- redaction and no network ---------------------------------------------------------------------


def test_cracked_password_redacted_in_human_reports_shown_in_json_only_on_request(tmp_path):
    from iotbaseline.cli import main

    secret = "hichiphx"  # a published HiChip default (our compiled camera group)
    rootfs = build_tree(tmp_path / "fw", {
        "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
        "/etc/shadow": "root:" + des_crypt.using(salt="F0").hash(secret) + ":1:0:99999:7:::\n",
        "/bin/busybox": "#!/bin/sh\n",
    })
    outputs = {}
    for flag in ((), ("--show-secrets",)):
        out = tmp_path / ("shown" if flag else "hidden")
        result = CliRunner().invoke(main, ["scan", str(rootfs), "-o", str(out), "--no-db",
                                           "--format", "json", "--format", "html",
                                           "--format", "sarif", "--format", "md", *flag])
        assert result.exit_code in (0, 1), result.output
        outputs[bool(flag)] = (out, result.output)
    out, terminal = outputs[False]
    data = json.loads((out / "assessment.json").read_text())
    cracked = [f for f in data["findings"] if f["check"] == "IOTB-CRED-004"]
    assert cracked and all(f.get("secret") in (None, "") for f in cracked)
    assert secret not in terminal
    for name in ("assessment.json", "report.html", "results.sarif", "report.md"):
        assert secret not in (out / name).read_text(), name
    shown, terminal = outputs[True]
    assert secret not in terminal
    for name in ("report.html", "results.sarif", "report.md"):
        assert secret not in (shown / name).read_text(), name
    data = json.loads((shown / "assessment.json").read_text())
    assert [f["secret"] for f in data["findings"] if f["check"] == "IOTB-CRED-004"] == [secret]


def test_cracking_never_opens_a_socket(monkeypatch: pytest.MonkeyPatch):
    opened: list[tuple[object, ...]] = []

    def refuse(*args: object, **kwargs: object) -> None:
        opened.append(args)
        raise AssertionError("cracking tried to open a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    target = md5_crypt.hash("admin")
    inline = crack.crack({target: crack.candidates_for("root")[:200]}, seconds=30, jobs=1)
    parallel = crack.crack({des_crypt.using(salt="ab").hash("hichiphx"): crack.candidates_for("root")},
                           seconds=60, jobs=2)
    assert inline[target].password == "admin"
    assert [r.password for r in parallel.values()] == ["hichiphx"]
    assert opened == []


def test_compiled_defaults_check_reports_the_library(tmp_path):
    import shutil

    lib = Path(shutil.which("ls") or "/bin/ls").read_bytes()  # a real ELF, then a defaults table
    table = b"\x00http_username\x00\x00http_passwd\x00admin\x00wl_ssid\x00linksys\x00"
    index = _index(tmp_path, {"/usr/lib/libshared.so": lib + table})
    outcome, findings = run(cd.find_compiled_defaults, index, show_secrets=True)
    assert [(f.location.path, f.location.offset) for f in findings] == [
        ("/usr/lib/libshared.so", len(lib) + table.index(b"http_passwd"))]
    assert findings[0].secret == "admin" and outcome.status.value == "fail"


def test_flat_image_low_tokens_beside_a_settled_prompt_are_dropped():
    from iotbaseline.checks.credentials.flat_image import find_candidates

    settled = b"\x00Enter Pass :\x00sup3rp4ssw0rd\x00T5uzzrhz4tf23lsccbes1111\x00"
    assert [(c.value, c.confidence) for c in find_candidates(settled)] == [("sup3rp4ssw0rd", "high")]
    alone = b"\x00Enter Pass :\x00T5uzzrhz4tf23lsccbes1111\x00"
    assert [(c.value, c.confidence) for c in find_candidates(alone)] == [
        ("T5uzzrhz4tf23lsccbes1111", "low")]  # low: never decisive (assess/engine.is_weak)


def test_blank_key_of_a_named_network_reported_unconfigured_station_quiet(tmp_path):
    xml = ("<CONFIG>\n<ApSsid>Drone_</ApSsid>\n<ApPwd></ApPwd>\n"
           "<StaSsid></StaSsid>\n<StaPwd></StaPwd>\n</CONFIG>\n")
    _, findings = run(cc.find_config_passwords, _index(tmp_path, {"/app/config.xml": xml}))
    assert where(findings) == [("/app/config.xml", 3)]


def test_compressed_base64_and_xor_defaults_are_decoded(tmp_path):
    import base64
    import gzip

    text = b"lan_ipaddr=192.168.1.1\nhttp_user=admin\nhttp_passwd=admin\n"
    index = _index(tmp_path, {
        "/etc/nvram.default.gz": gzip.compress(text),
        "/etc/config/user.b64": base64.b64encode(text).decode() + "\n",
        "/etc/config/account.dat": bytes(b ^ 0x5A for b in text),
        "/etc/web.conf": "password=" + base64.b64encode(b"1234").decode() + "\n",
    })
    _, findings = run(cc.find_config_passwords, index, show_secrets=True)
    got = sorted((f.location.path, f.location.line, f.secret, f.properties.get("decoded_from"))
                 for f in findings)
    assert got == [
        ("/etc/config/account.dat", 3, "admin", "XOR 0x5a"),
        ("/etc/config/user.b64", 3, "admin", "Base64"),
        ("/etc/nvram.default.gz", 3, "admin", "gzip"),
        ("/etc/web.conf", 1, "1234", "Base64 value"),
    ]


def test_odm_password_built_from_image_values_is_cracked(tmp_path):
    index = _index(tmp_path, {
        "/etc/config/image_sign": "wrgn80_acme_xr700\n",
        "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
        "/etc/shadow": "root:" + md5_crypt.hash("xr700123") + ":1:0:99999:7:::\n",
    })
    _, findings = run(ca.find_universal_passwords, index, crack_seconds=60, show_secrets=True)
    assert where(findings) == [("/etc/shadow", 1)]
    assert findings[0].secret == "xr700123"  # part of the image signature + "123"
