"""Sensitive data in what the image's scripts upload: Wi-Fi credentials, phone identifiers
(IMEI/IMSI/ICCID) or location put into the payload of ``curl``/``wget``/``mosquitto_pub``
requests."""

from __future__ import annotations

import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import provisions
from iotbaseline.checks.textscan import excerpt, is_comment, search, text_files
from iotbaseline.model import Evidence, Severity

# Variables holding the data Xiaomi 5.3 names: Wi-Fi credentials, device/subscriber ids, location.
SENSITIVE_VAR = re.compile(
    r"\$\{?(\w*(?:psk|wifi_?pass\w*|wpa_?(?:key|pass\w*)|wlan_?(?:key|pass\w*)|imei|imsi|"
    r"iccid|latitude|longitude|gps\w*|location)\w*)", re.IGNORECASE)
UPLOAD_LINE = re.compile(r"(?im)^[^\n]*\b(curl|wget|mosquitto_pub|uclient-fetch)\b[^\n]*$")
# Options that carry a payload, and query strings of URLs (authentication options are not data).
PAYLOAD = re.compile(
    r"(?i)(?:(?<=\s)(?:-d|--data(?:-\w+)?|-F|--form|--post-data|--body-data|-m|--message)"
    r"(?:=|\s+)(\"(?:\\.|[^\"\\])*\"|'[^']*'|\S+))|((?:https?|mqtts?)://[^\s\"']*\?[^\s\"']*)")
# Names of files and paths, not of the value itself ("-F log=@$LOCATION_FILE").
_NOT_A_VALUE = re.compile(r"(?i)(?:file|dir|path|name)$")


@check(CheckSpec(
    id="IOTB-LOG-002",
    title="Wi-Fi credentials, phone identifiers or location in uploaded data",
    severity=Severity.MEDIUM,
    rationale="Telemetry and log uploads that carry the Wi-Fi password, IMEI/IMSI or location "
              "hand data the service does not need to the cloud, where it can leak or be "
              "misused; encryption in transit does not change that it is collected.",
    remedy="Leave credentials, subscriber identifiers and location out of uploads; where one is "
           "truly needed, justify it and state it in the privacy policy.",
    provisions=provisions(xiaomi=("5.3",)),
    applies_to="rootfs",
    cwe=(359, 201),
    tags=("privacy", "telemetry"),
))
def find_sensitive_uploads(ctx: CheckContext) -> CheckReport:
    scripts = [tf for tf in text_files(ctx) if tf.entry.kind == "script"]
    if not scripts:
        return CheckReport(not_applicable="no shell scripts in the image")
    report = CheckReport()
    for m in search(ctx, UPLOAD_LINE, files=scripts,
                    hints=("curl", "wget", "mosquitto_pub", "uclient-fetch")):
        if is_comment(m.line_text):
            continue
        payloads = [p.group(1) or p.group(2) for p in PAYLOAD.finditer(m.match.group(0))]
        variables = sorted({v.group(1) for p in payloads for v in SENSITIVE_VAR.finditer(p)
                            if not _NOT_A_VALUE.search(v.group(1))})
        if not variables:
            continue
        report.hits.append(Hit(
            message=f"{m.file.path}:{m.line} sends {', '.join('$' + v for v in variables)} "
                    f"with {m.match.group(1)}.",
            path=m.file.path, root=m.file.root, line=m.line, excerpt=excerpt(m.line_text),
            properties={"variables": variables, "command": m.match.group(1)}))
    report.examined.append(Evidence(
        kind="note", ref="uploads",
        detail=f"{len(scripts)} shell scripts searched for curl/wget/mosquitto_pub payloads "
               "carrying Wi-Fi credentials, IMEI/IMSI/ICCID or location"))
    report.summary = (f"{len(report.hits)} upload(s) carry sensitive data" if report.hits
                      else "no script uploads Wi-Fi credentials, phone identifiers or location")
    return report


CHECKS = (find_sensitive_uploads,)
