"""Credential checks (IOTB-CRED-00x) on small trees built here; expected lines hand-counted."""

from __future__ import annotations

import warnings

from checks_a_helpers import run, where

from iotbaseline.checks.credentials import accounts as ca
from iotbaseline.checks.credentials import config_passwords as cc
from iotbaseline.model import OutcomeStatus

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from passlib.hash import des_crypt, md5_crypt, sha512_crypt

PASSWD = (
    "root:x:0:0:root:/root:/bin/ash\n"
    "daemon:*:1:1:daemon:/var:/bin/false\n"
    "nobody:*:65534:65534:nobody:/var:/bin/false\n"
)


def test_empty_password_found_and_locked_accounts_ignored(tree):
    index = tree({"/etc/passwd": PASSWD,
                  "/etc/shadow": "root::0:0:99999:7:::\ndaemon:*:0:0:99999:7:::\n"})
    outcome, findings = run(ca.find_empty_passwords, index)
    assert outcome.status == OutcomeStatus.FAIL
    assert where(findings) == [("/etc/shadow", 1)]
    assert findings[0].severity.value == "critical"


def test_no_empty_password_passes_with_evidence(tree):
    index = tree({"/etc/passwd": PASSWD, "/etc/shadow": "root:!:0:0:99999:7:::\n"})
    outcome, findings = run(ca.find_empty_passwords, index)
    assert findings == []
    assert outcome.status == OutcomeStatus.PASS
    assert {e.ref for e in outcome.evidence} == {"/etc/passwd", "/etc/shadow"}


def test_placeholder_root_reported_only_when_a_script_treats_it_as_no_password(tree):
    files = {"/etc/passwd": PASSWD, "/etc/shadow": "root:x:0:0:99999:7:::\n"}
    _, plain = run(ca.find_empty_passwords, tree(files))
    assert plain == []


def test_placeholder_root_with_openwrt_login_script(tmp_path):
    from checks_a_helpers import build_tree

    from iotbaseline.inventory.index import FileIndex

    root = build_tree(tmp_path / "r", {
        "/etc/passwd": PASSWD, "/etc/shadow": "root:x:0:0:99999:7:::\n",
        "/bin/login.sh": "#!/bin/sh\nif ! grep -qs '^root:[!x]\\?:' /etc/shadow; then exit 0; fi\n"
                         "exec /bin/ash --login\n"})
    _, findings = run(ca.find_empty_passwords, FileIndex.from_directory(root))
    assert where(findings) == [("/etc/shadow", 1)]
    assert "/bin/login.sh" in findings[0].message


def test_passwd_symlink_into_tmp_does_not_crash(tree):
    index = tree({"/etc/passwd": "->/tmp/passwd", "/etc/shadow": "root::0:0:::::\n"})
    outcome, findings = run(ca.find_empty_passwords, index)
    assert where(findings) == [("/etc/shadow", 1)]
    assert any("/tmp/passwd" in e.detail for e in outcome.evidence)


def test_no_account_files_is_not_applicable(tree):
    outcome, findings = run(ca.find_empty_passwords, tree({"/etc/hosts": "127.0.0.1 localhost\n"}))
    assert outcome.status == OutcomeStatus.NOT_APPLICABLE and findings == []


def test_extra_uid0_account(tree):
    bad = tree({"/etc/passwd": PASSWD + "toor:x:0:0::/root:/bin/sh\n"})
    _, findings = run(ca.find_extra_root_accounts, bad)
    assert where(findings) == [("/etc/passwd", 4)]


def test_only_root_has_uid0(tmp_path):
    from checks_a_helpers import build_tree

    from iotbaseline.inventory.index import FileIndex

    index = FileIndex.from_directory(build_tree(tmp_path / "r", {"/etc/passwd": PASSWD}))
    outcome, findings = run(ca.find_extra_root_accounts, index)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_weak_hash_schemes(tree):
    des = des_crypt.hash("secret1")
    md5 = md5_crypt.hash("secret2")
    strong = sha512_crypt.using(rounds=5000).hash("secret3")
    index = tree({"/etc/passwd": PASSWD + "admin:x:500:500::/home:/bin/sh\nops:x:501:501::/:/bin/sh\n",
                  "/etc/shadow": f"root:{strong}:1:0:99999:7:::\nadmin:{des}:1:0:::::\nops:{md5}:1::::::\n"})
    _, findings = run(ca.find_weak_hashes, index)
    assert where(findings) == [("/etc/shadow", 2), ("/etc/shadow", 3)]
    assert [f.properties["scheme"] for f in findings] == ["des_crypt", "md5_crypt"]
    assert des not in (findings[0].evidence[0].excerpt or "")  # redacted


def test_strong_hash_passes(tree):
    index = tree({"/etc/passwd": PASSWD, "/etc/shadow": f"root:{sha512_crypt.using(rounds=5000).hash('x9!')}:1:0:::::\n"})
    outcome, findings = run(ca.find_weak_hashes, index)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_universal_password_cracked_from_default_list(tree):
    cracked = md5_crypt.hash("xc3511")  # a Mirai pair for root
    uncracked = sha512_crypt.using(rounds=5000).hash("Q7#long-unguessable-pass")
    index = tree({"/etc/passwd": PASSWD + "user:x:1000:1000::/home:/bin/sh\n",
                  "/etc/shadow": f"root:{cracked}:1:0:::::\nuser:{uncracked}:1:0:::::\n"})
    _, findings = run(ca.find_universal_passwords, index, crack_seconds=20.0)
    assert where(findings) == [("/etc/shadow", 1), ("/etc/shadow", 2)]
    assert findings[0].secret == "xc3511" and findings[0].redacted != "xc3511"
    assert findings[0].properties["cracked"] is True
    assert findings[1].secret is None and findings[1].properties["cracked"] is False


def test_universal_password_replaced_per_device_at_first_boot(tree):
    index = tree({
        "/etc/passwd": PASSWD, "/etc/shadow": f"root:{md5_crypt.hash('admin')}:1:0:::::\n",
        "/etc/uci-defaults/50-rootpw": "#!/bin/sh\npw=$(head -c 12 /dev/urandom | base64)\n"
                                       "echo \"root:$pw\" | chpasswd\n"})
    outcome, findings = run(ca.find_universal_passwords, index, crack_seconds=5.0)
    assert findings == [] and outcome.status == OutcomeStatus.PASS
    assert any(e.ref == "/etc/uci-defaults/50-rootpw" and e.line == 3 for e in outcome.evidence)


def test_first_boot_script_for_another_account_does_not_hide_roots_universal_hash(tree):
    # the script gives the 'support' account a per-device password; root's shipped hash stays
    index = tree({
        "/etc/passwd": PASSWD + "support:x:1001:1001::/home:/bin/sh\n",
        "/etc/shadow": f"root:{md5_crypt.hash('admin')}:1:0:::::\nsupport:*:1:0:::::\n",
        "/usr/sbin/set_support_pw.sh": "#!/bin/sh\nMAC=$(cat /sys/class/net/eth0/address)\n"
                                       "echo \"support:$MAC\" | chpasswd\n"})
    outcome, findings = run(ca.find_universal_passwords, index, crack_seconds=5.0)
    assert where(findings) == [("/etc/shadow", 1)]
    assert findings[0].secret == "admin"
    assert any(e.ref == "/usr/sbin/set_support_pw.sh" and "support" in e.detail for e in outcome.evidence)


def test_config_blank_default_and_fixed_passwords(tree):
    index = tree({
        "/etc/nvram.default": "lan_ipaddr=192.168.1.1\nhttp_passwd=\nhttp_username=admin\n",
        "/etc/app/users.json": '{\n  "user": "admin",\n  "password": "admin"\n}\n',
        "/etc/app/cloud.xml": "<cfg>\n<AdminPassword>Xr7-unit</AdminPassword>\n</cfg>\n",
        "/etc/config/dropbear": "config dropbear\n\toption PasswordAuth 'on'\n",
    })
    _, findings = run(cc.find_config_passwords, index)
    assert sorted(where(findings)) == [("/etc/app/cloud.xml", 2), ("/etc/app/users.json", 3),
                                       ("/etc/nvram.default", 2)]
    by_path = {f.location.path: f for f in findings}
    assert by_path["/etc/app/users.json"].severity.value == "critical"
    assert by_path["/etc/nvram.default"].message.endswith("the default password is empty")
    assert by_path["/etc/app/cloud.xml"].secret == "Xr7-unit"


def test_config_without_passwords_passes(tree):
    index = tree({"/etc/config/dropbear": "config dropbear\n\toption PasswordAuth 'on'\n"
                  "\toption RootPasswordAuth 'on'\n", "/etc/app.conf": "password_min_len=8\n",
                  "/etc/ssl/openssl.cnf": "secret = pass:example  # how to pass a secret\n",
                  "/etc/app/settings.xml": "<s>\n<!--\n<password>sample1</password>\n-->\n</s>\n"})
    outcome, findings = run(cc.find_config_passwords, index)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_password_derived_from_mac_and_counter(tree):
    index = tree({"/etc/init.d/setpw": (
        "#!/bin/sh\n"
        "mac=$(cat /sys/class/net/eth0/address)\n"
        "tail=$(echo $mac | tr -d : | cut -c7-)\n"
        "echo \"root:admin$tail\" | chpasswd\n"),
        "/etc/init.d/wifi": "#!/bin/sh\nn=0\nuci set wireless.@wifi-iface[0].key=guest$((n + 1))\n"})
    _, findings = run(cc.find_derived_passwords, index)
    assert sorted(where(findings)) == [("/etc/init.d/setpw", 4), ("/etc/init.d/wifi", 3)]


def test_random_password_is_not_derived(tree):
    index = tree({"/etc/init.d/setpw": "#!/bin/sh\npw=$(head -c 9 /dev/urandom | base64)\n"
                  "echo \"root:$pw\" | chpasswd\n"})
    outcome, findings = run(cc.find_derived_passwords, index)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_cracking_is_bounded_by_the_deadline():
    from iotbaseline.checks.credentials import crack as cred_crack

    target = md5_crypt.hash("admin")
    result = cred_crack.crack({target: ["x", "admin"]}, seconds=0.0, jobs=1)[target]
    assert result.password is None and result.timed_out and result.tried == 0


def test_parallel_cracking_finds_what_inline_cracking_finds():
    from iotbaseline.checks.credentials import crack as cred_crack

    slow = sha512_crypt.using(rounds=5000)
    hashes = {slow.hash(pw): pw for pw in ("hi3518", "not-listed-1", "not-listed-2",
                                           "not-listed-3", "ubnt", "not-listed-4")}
    # the compiled vendor list only: the whole corpus against six SHA-512 hashes would outlast
    # any reasonable deadline on two cores (about 21 s per hash)
    vendor = sorted(cred_crack.default_passwords())
    targets = {h: vendor for h in hashes}
    # estimated work above the threshold, so processes are used
    assert sum(len(v) * cred_crack._COST["sha512_crypt"] for v in targets.values()) > \
        cred_crack._PARALLEL_ABOVE
    parallel = cred_crack.crack(targets, seconds=60, jobs=2)
    assert {h: r.password for h, r in parallel.items()} == {
        h: (pw if pw in ("hi3518", "ubnt") else None) for h, pw in hashes.items()}


def test_web_accounts_plain_blank_and_cracked(tree):
    from passlib.hash import apr_md5_crypt

    from iotbaseline.checks.credentials import web_accounts as cred_web

    index = tree({
        "/etc/httpd.conf": "A:*\nH:/www\n/cgi-bin:admin:admin\n/adm:root:\n",
        "/www/.htpasswd": f"ops:{apr_md5_crypt.hash('1234')}\nsvc:{apr_md5_crypt.hash('Zq9-x!long')}\n",
        "/etc/lighttpd/lighttpd.conf": 'auth.backend.plain.userfile = "/etc/lighttpd/users"\n',
        "/etc/lighttpd/users": "viewer:Cam-2231\n"})
    _, findings = run(cred_web.find_web_accounts, index, crack_seconds=10.0)
    got = sorted((f.location.path, f.location.line, f.severity.value, f.secret) for f in findings)
    assert got == [("/etc/httpd.conf", 3, "critical", "admin"),
                   ("/etc/httpd.conf", 4, "critical", None),
                   ("/etc/lighttpd/users", 1, "high", "Cam-2231"),
                   ("/www/.htpasswd", 1, "critical", "1234"),
                   ("/www/.htpasswd", 2, "high", None)]


def test_web_server_without_accounts_passes(tree):
    from iotbaseline.checks.credentials import web_accounts as cred_web

    outcome, findings = run(cred_web.find_web_accounts,
                            tree({"/etc/httpd.conf": "A:*\nH:/www\n.php:/usr/bin/php-cgi\n"}))
    assert findings == [] and outcome.status == OutcomeStatus.PASS
