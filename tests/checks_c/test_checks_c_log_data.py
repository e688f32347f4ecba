"""IOTB-LOG-001 (secrets printed to console/logs) and IOTB-DATA-001 (factory reset present) on
hand-written scripts; the expected lines are the ones written below."""

from __future__ import annotations

from pathlib import Path

from checks_c_helpers import run, tree_context, where

from iotbaseline.checks.privacy import factory_reset as data_reset

from iotbaseline.checks.privacy import log_secrets

from iotbaseline.checks.privacy import telemetry as telemetry_upload
from iotbaseline.model import OutcomeStatus, Severity

PROVISION_LOG = "xiaomi-2.0:1.1.4"

BOOT_LEAKS = """#!/bin/sh
# set up the cloud link
WIFI_PSK=$(nvram get wl_psk)
echo "connecting with psk $WIFI_PSK"
logger -t cloud "token=${CLOUD_TOKEN}"
echo "root:$ROOT_PASSWORD" | chpasswd
echo "$API_KEY" > /tmp/api.key
printf 'admin password %s\\n' "$ADMIN_PASS" > /dev/console
# echo $SECRET_TOKEN
echo "starting daemon"
"""


def test_log_secrets_positive_exact_lines(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/etc/init.d/cloud": BOOT_LEAKS,
                                  "/www/cgi-bin/login.cgi": '#!/bin/sh\necho "$PASSWORD"\n'})
    outcome, findings = run(log_secrets.find_secrets_in_logs, ctx)
    assert outcome.status is OutcomeStatus.FAIL
    # line 4 echo to console, 5 logger, 8 printf to /dev/console; not the pipe (6), the file
    # redirect (7), the comment (9) or the CGI script (its stdout is the HTTP reply)
    assert where(findings) == [("/etc/init.d/cloud", 4), ("/etc/init.d/cloud", 5),
                               ("/etc/init.d/cloud", 8)]
    assert [f.properties["variable"] for f in findings] == ["WIFI_PSK", "CLOUD_TOKEN",
                                                             "ADMIN_PASS"]
    assert findings[1].properties["destination"] == "the system log (logger)"
    assert all(PROVISION_LOG in f.provisions for f in findings)
    assert all(f.severity is Severity.MEDIUM for f in findings)


def test_log_secrets_negative(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/etc/init.d/net": "#!/bin/sh\n"
                                  'echo "password changed for $USER"\n'
                                  'echo "$PASSWORD" | passwd --stdin root\n'
                                  'logger -t net "link up on $IFACE"\n'})
    outcome, findings = run(log_secrets.find_secrets_in_logs, ctx)
    assert findings == []
    assert outcome.status is OutcomeStatus.PASS
    assert PROVISION_LOG in outcome.provisions


def test_log_secrets_not_applicable_without_scripts(tmp_path: Path) -> None:
    outcome, findings = run(log_secrets.find_secrets_in_logs,
                            tree_context(tmp_path, {"/etc/motd": "hello\n"}))
    assert outcome.status is OutcomeStatus.NOT_APPLICABLE and findings == []


RESET_BUTTON = """#!/bin/sh
[ "${ACTION}" = "released" ] || exit 0
if [ "$SEEN" -gt 5 ]; then
	echo "FACTORY RESET" > /dev/console
	jffs2reset -y && reboot &
fi
"""


def test_factory_reset_found(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {
        "/etc/rc.button/reset": RESET_BUTTON,
        "/sbin/jffs2reset": b"\x7fELF-not-really",  # presence of the program is evidence
        "/etc/init.d/done": "#!/bin/sh\nfirstboot switch2jffs\n",  # overlay set-up, not reset
    })
    outcome, findings = run(data_reset.find_factory_reset, ctx)
    assert findings == [] and outcome.status is OutcomeStatus.PASS
    refs = [(e.ref, e.line) for e in outcome.evidence]
    assert refs == [("/sbin/jffs2reset", None), ("/etc/rc.button/reset", 5)]
    assert "etsi-en-303-645:5.11-1" in outcome.provisions


def test_factory_reset_absent_is_info_only(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/etc/init.d/done": "#!/bin/sh\nfirstboot switch2jffs\n",
                                  "/etc/banner": "run firstboot to reset\n"})
    outcome, findings = run(data_reset.find_factory_reset, ctx)
    assert outcome.findings == ["IOTB-DATA-001#1"]
    assert len(findings) == 1 and findings[0].severity is Severity.INFO
    assert findings[0].location.path is None
    assert "declarations.data_deletion.device_erase" in (findings[0].message or "")


def test_erase_command_parsing() -> None:
    cases = {
        "firstboot": "firstboot", "firstboot -y && reboot": "firstboot",
        "firstboot switch2jffs": None, "mtd -r erase rootfs_data": "mtd",
        "mtd write fw.bin firmware": None, "[ -n \"$x\" ] && nvram erase": "nvram",
        "echo jffs2reset": None, "# jffs2reset -y": None, "ls /lib/firstboot": None,
    }
    assert {line: data_reset.erase_command(line) for line in cases} == cases


UPLOADS = """#!/bin/sh
IMEI=$(uqmi -d /dev/cdc-wdm0 --get-imei)
curl -s -d "ssid=$SSID&psk=$WIFI_PSK" https://t.example.com/report
curl -u admin:$WIFI_PASS https://t.example.com/login
wget -q -O- "http://log.example.com/up?imei=$IMEI&v=1"
mosquitto_pub -h broker -t dev/pos -m "{\\"lat\\":$LATITUDE}"
curl -F log=@$LOCATION_FILE https://t.example.com/logs
# curl -d "imei=$IMEI" https://old.example.com
"""


def test_sensitive_uploads_exact_lines(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/usr/bin/report.sh": UPLOADS})
    outcome, findings = run(telemetry_upload.find_sensitive_uploads, ctx)
    assert outcome.status is OutcomeStatus.FAIL
    # 3 (-d payload), 5 (query string), 6 (MQTT message); not the -u credentials (4), the
    # uploaded file's name (7) or the comment (8)
    assert where(findings) == [("/usr/bin/report.sh", 3), ("/usr/bin/report.sh", 5),
                               ("/usr/bin/report.sh", 6)]
    assert [f.properties["variables"] for f in findings] == [["WIFI_PSK"], ["IMEI"],
                                                             ["LATITUDE"]]
    assert all(f.provisions == ["xiaomi-2.0:5.3"] for f in findings)


def test_sensitive_uploads_negative(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/usr/bin/report.sh": (
        "#!/bin/sh\ncurl -s -d \"uptime=$UPTIME&fw=$VERSION\" https://t.example.com/health\n")})
    outcome, findings = run(telemetry_upload.find_sensitive_uploads, ctx)
    assert findings == [] and outcome.status is OutcomeStatus.PASS
