"""Cryptography, communications, Wi-Fi and disclosure checks on trees built here."""

from __future__ import annotations

from checks_a_helpers import run, where

from iotbaseline.checks.crypto import transport as ct
from iotbaseline.checks.crypto import wifi as comm_wifi
from iotbaseline.checks.crypto import weak_crypto as crypto_weak
from iotbaseline.checks.privacy import disclosure as disclosure_info
from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import ElfInfo, FileEntry, Inventory, OutcomeStatus, RootFilesystem


def _elf_index(imports: dict[str, list[str]]) -> FileIndex:
    """An inventory with ELF facts as the inventory stage records them (no files on disk)."""
    files = [FileEntry(path=p, kind="elf", elf=ElfInfo(machine="MIPS", endianness="big", bits=32,
                                                        elf_type="exec", imports=i))
             for p, i in imports.items()]
    return FileIndex(Inventory(roots=[RootFilesystem(label="rootfs", path="/nonexistent")],
                               files=files))


def test_weak_crypto_imports():
    index = _elf_index({"/usr/bin/cloudd": ["MD5_Init", "DES_ecb_encrypt", "printf"],
                        "/usr/bin/ok": ["SHA256_Init", "EVP_aes_256_gcm"]})
    _, findings = run(crypto_weak.find_weak_crypto_imports, index)
    assert where(findings) == [("/usr/bin/cloudd", None)]
    assert findings[0].properties["algorithms"] == ["DES/3DES", "MD5"]
    assert findings[0].severity.value == "medium"


def test_strong_crypto_imports_pass():
    outcome, findings = run(crypto_weak.find_weak_crypto_imports,
                            _elf_index({"/usr/bin/ok": ["SHA256_Init", "EVP_aes_128_gcm"]}))
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_weak_crypto_config(tree):
    index = tree({
        "/etc/ssh/sshd_config": "Port 22\nCiphers aes128-ctr,arcfour256\nMACs hmac-sha2-256\n",
        "/etc/lighttpd/lighttpd.conf": 'server.port = 443\nssl.use-sslv3 = "enable"\n',
        "/etc/nginx/nginx.conf": "ssl_protocols TLSv1.2 TLSv1.3;\n"})
    _, findings = run(crypto_weak.find_weak_crypto_config, index)
    assert sorted(where(findings)) == [("/etc/lighttpd/lighttpd.conf", 2), ("/etc/ssh/sshd_config", 2)]


def test_strong_crypto_config_passes(tree):
    index = tree({"/etc/ssh/sshd_config": "Ciphers aes256-gcm@openssh.com\nMACs hmac-sha2-512\n",
                  "/etc/nginx/nginx.conf": "ssl_protocols TLSv1.2 TLSv1.3;\n"})
    outcome, findings = run(crypto_weak.find_weak_crypto_config, index)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_hardcoded_key_and_iv(tree):
    index = tree({"/usr/sbin/backup.sh": "#!/bin/sh\n# encrypt config\nopenssl enc -aes-128-cbc "
                  "-K 00112233445566778899aabbccddeeff -iv 0102030405060708 -in a -out b\n",
                  "/etc/app.conf": "aes_key=$KEY\n"})
    _, findings = run(crypto_weak.find_hardcoded_symmetric_keys, index)
    assert where(findings) == [("/usr/sbin/backup.sh", 3), ("/usr/sbin/backup.sh", 3)]
    assert [f.properties["kind"] for f in findings] == ["key", "IV"]


def test_no_hardcoded_key(tree):
    index = tree({"/usr/sbin/backup.sh": "#!/bin/sh\nopenssl enc -aes-256-gcm -kfile /dev/mtd5\n"})
    outcome, findings = run(crypto_weak.find_hardcoded_symmetric_keys, index)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_plaintext_endpoints_excluding_local_and_documentation(tree):
    index = tree({
        "/usr/sbin/fwcheck": "#!/bin/sh\n# see http://vendor.example/doc\n"
                             "wget http://update.vendorcloud.cn/fw/latest.bin -O /tmp/fw\n"
                             "curl http://192.168.1.1/status\n",
        "/etc/upnp.xml": '<root xmlns="http://www.upnp.org/device-1-0">\n</root>\n',
        "/usr/bin/agent": b"\x00http://telemetry.iotmaker.com/v1/report\x00http://localhost/x\x00"})
    _, findings = run(ct.find_plaintext_endpoints, index)
    got = sorted((f.location.path, f.location.line, f.properties["purpose"]) for f in findings)
    assert got == [("/usr/bin/agent", None, "telemetry"), ("/usr/sbin/fwcheck", 3, "update")]


def test_only_local_urls_pass(tree):
    index = tree({"/usr/sbin/x": "#!/bin/sh\ncurl http://127.0.0.1:8080/ http://10.0.0.2/a\n",
                  "/etc/app.xml": "<!-- mirror:\n <url>http://mirror.maker.com/fw</url> -->\n",
                  "/etc/ssl/certs/ca.der": b"\x30\x82\x00http://crl.someca.com/root.crl0\x00",
                  "/usr/bin/d": b"\x00see http://www.apache.org/licenses/LICENSE-2.0\x00"})
    outcome, findings = run(ct.find_plaintext_endpoints, index)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_tls_verification_off_and_missing_ca(tree):
    index = tree({"/usr/sbin/ota": "#!/bin/sh\ncurl -k https://ota.maker.com/fw\n"
                  "wget --no-check-certificate https://ota.maker.com/sig\n"
                  "curl --cacert /etc/ssl/maker-ca.pem https://api.maker.com\n",
                  "/etc/mosquitto/bridge.conf": "bridge_insecure true\n"})
    _, findings = run(ct.find_tls_verification_off, index)
    assert sorted(where(findings)) == [("/etc/mosquitto/bridge.conf", 1), ("/usr/sbin/ota", 2),
                                       ("/usr/sbin/ota", 3), ("/usr/sbin/ota", 4)]


def test_tls_verification_on_passes(tree):
    index = tree({"/usr/sbin/ota": "#!/bin/sh\ncurl --cacert /etc/ssl/ca.pem https://ota.maker.com\n",
                  "/etc/ssl/ca.pem": "placeholder\n"})
    outcome, findings = run(ct.find_tls_verification_off, index)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_mqtt_and_coap_cleartext(tree):
    index = tree({"/etc/mosquitto/mosquitto.conf": "listener 1883\nlistener 8883\n",
                  "/usr/bin/sensor": b"\x00coap://cloud.maker.com/obs\x00coaps://x.maker.com\x00"})
    _, findings = run(ct.find_cleartext_iot_protocols, index)
    assert sorted((f.location.path, f.location.line, f.location.offset) for f in findings) == [
        ("/etc/mosquitto/mosquitto.conf", 1, None), ("/usr/bin/sensor", None, 1)]


def test_mqtt_over_tls_passes(tree):
    index = tree({"/etc/mosquitto/mosquitto.conf": "listener 8883\ncafile /etc/ca.pem\n"})
    outcome, findings = run(ct.find_cleartext_iot_protocols, index)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_weak_wifi(tree):
    index = tree({
        "/etc/config/wireless": "config wifi-iface\n\toption encryption 'psk+tkip'\n"
                                "\toption wps_pushbutton '1'\nconfig wifi-iface\n"
                                "\toption encryption 'none'\n",
        "/etc/hostapd.conf": "ssid=Cam\nwpa=1\nwpa_passphrase=abcdefgh12\n"})
    _, findings = run(comm_wifi.find_weak_wifi, index)
    assert sorted(where(findings)) == [("/etc/config/wireless", 2), ("/etc/config/wireless", 3),
                                       ("/etc/config/wireless", 5), ("/etc/hostapd.conf", 2)]


def test_strong_wifi_passes(tree):
    index = tree({"/etc/config/wireless": "config wifi-iface\n\toption encryption 'psk2+ccmp'\n",
                  "/etc/hostapd.conf": "ssid=Cam\nwpa=2\nrsn_pairwise=CCMP\nwps_state=0\n"})
    outcome, findings = run(comm_wifi.find_weak_wifi, index)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_wifi_package_metadata_is_not_a_configuration(tree):
    # OpenWrt ships /usr/lib/opkg/info/hostapd-mini.control and writes /etc/config/wireless
    # only at first boot: the image has no Wi-Fi configuration, so the check must not PASS.
    index = tree({"/usr/lib/opkg/info/hostapd-mini.control":
                  "Package: hostapd-mini\nVersion: 20131120-1\nDescription: WPA-PSK only\n",
                  "/usr/lib/opkg/info/wpa_supplicant.list": "/usr/sbin/wpa_supplicant\n",
                  "/usr/share/doc/hostapd/README": "ssid=example\n"})
    outcome, findings = run(comm_wifi.find_weak_wifi, index)
    assert findings == [] and outcome.status == OutcomeStatus.NOT_APPLICABLE


def test_wifi_config_with_interface_suffix_is_read(tree):
    index = tree({"/etc/hostapd-wlan0.conf": "ssid=Cam\nwep_key0=abcde\n",
                  "/usr/lib/opkg/info/hostapd.control": "Package: hostapd\n"})
    outcome, findings = run(comm_wifi.find_weak_wifi, index)
    assert where(findings) == [("/etc/hostapd-wlan0.conf", 2)]
    assert [e.ref for e in outcome.evidence] == ["/etc/hostapd-wlan0.conf"]


def test_disclosure_facts_present(tree):
    index = tree({"/www/.well-known/security.txt": "Contact: mailto:security@maker.com\n",
                  "/etc/device_info": "DEVICE_PRODUCT='CamX 200'\n",
                  "/etc/openwrt_release": "DISTRIB_RELEASE='21.02.3'\n"})
    ctx_checks = (disclosure_info.find_security_contact, disclosure_info.find_model_identification,
                  disclosure_info.find_version_information)
    outcomes = [run(c, index) for c in ctx_checks]
    assert all(o.status == OutcomeStatus.PASS and not f for o, f in outcomes)
    assert outcomes[0][0].evidence[0].ref == "/www/.well-known/security.txt"
    assert outcomes[1][0].evidence[0].excerpt == "DEVICE_PRODUCT='CamX 200'"
    assert outcomes[2][0].evidence[0].excerpt == "DISTRIB_RELEASE='21.02.3'"


def test_disclosure_facts_absent_are_not_applicable(tree):
    index = tree({"/www/index.html": "<html><body>hello</body></html>\n"})
    for c in (disclosure_info.find_security_contact, disclosure_info.find_model_identification,
              disclosure_info.find_version_information):
        outcome, findings = run(c, index)
        assert findings == [] and outcome.status == OutcomeStatus.NOT_APPLICABLE


def test_upnp_vendor_web_pages_are_not_endpoints(tree):
    # UPnP device descriptions (files, and the same XML inside miniupnpd-like daemons) name the
    # maker's web pages for people to read; they were reported as plain-text endpoints and made
    # ETSI 5.5-1 FAIL on their own.
    desc = ("<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><device>\n"
            "<manufacturerURL>http://www.tp-link.com</manufacturerURL>\n"
            "<modelURL>http://www.tp-link.com/en/products/details/cat-9_TL-MR3020.html</modelURL>\n"
            "</device></root>\n")
    index = tree({"/etc/upnp/desc.xml": desc,
                  "/usr/sbin/upnpd": b"\x00<manufacturerURL>http://miniupnp.free.fr/</manufacturerURL>\x00",
                  "/etc/cloud.conf": "report_url=http://api.maker-cloud.com/v1/report\n"})
    _, findings = run(ct.find_plaintext_endpoints, index)
    assert where(findings) == [("/etc/cloud.conf", 1)]
