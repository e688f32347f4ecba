"""Facts the image can show about disclosure and support: a security contact or security.txt,
the model designation a user can read, and the firmware version (and any support-period
statement). These checks give evidence, never findings: the absence of a contact in the image
does not prove the maker has no policy, so absence is reported as 'not applicable here'
(the assessor then asks the manufacturer's declaration)."""

from __future__ import annotations

import re

from iotbaseline.checks.base import CheckReport, CheckSpec, check
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.textscan import TextFile, excerpt, search, text_file, text_files
from iotbaseline.model import Evidence, Severity

WEB_ROOTS = ("/www/", "/usr/www/", "/var/www/", "/usr/share/www/", "/web/", "/usr/lib/lua/luci/",
             "/srv/www/", "/home/httpd/", "/htdocs/")
CONTACT = re.compile(
    r"(?i)(?:mailto:)?\b(?:security|psirt|secure|vuln\w*|cert)@[\w.-]+\.\w+|"
    r"\bpsirt\b|vulnerability (?:disclosure|report\w*)|report (?:a )?(?:security )?vulnerabilit\w+|"
    r"bug bounty|security advisor(?:y|ies)|^Contact:\s*\S+")
SUPPORT = re.compile(r"(?i)(?:security )?support period|end[- ]of[- ](?:life|support)|"
                     r"security updates? (?:until|through|till)|supported until")


def _web_files(ctx: CheckContext) -> list[TextFile]:
    return [t for t in text_files(ctx) if t.path.startswith(WEB_ROOTS)
            or t.path.endswith("security.txt")]


@check(CheckSpec(
    id="IOTB-DISC-001",
    title="Security contact or security.txt shown by the device",
    severity=Severity.INFO,
    rationale=("Users and researchers need to know where to report vulnerabilities; a "
               "security.txt or a contact in the web interface is evidence of a published policy."),
    remedy=("Publish a vulnerability disclosure policy and point to it from the device's web "
            "interface and a /.well-known/security.txt file."),
    provisions=("etsi-en-303-645:5.2-1", "owasp-isvs:V1.1.5", "owasp-isvs:V1.1.6"),
    tags=("disclosure",),
))
def find_security_contact(ctx: CheckContext) -> CheckReport:
    files = _web_files(ctx)
    found = [m for m in search(ctx, CONTACT, files=files)][:10]
    sectxt = [t for t in text_files(ctx) if t.path.endswith("security.txt")]
    if not found and not sectxt:
        return CheckReport(not_applicable=(
            f"no security contact or security.txt in the image ({len(files)} web files "
            "searched); the disclosure policy must be shown by the manufacturer's declaration"),
            inferred={"security_contact_in_image": False})
    examined = [Evidence(kind="file", ref=t.path, sha256=t.entry.sha256, detail="security.txt")
                for t in sectxt]
    examined += [Evidence(kind="file", ref=m.file.path, sha256=m.file.entry.sha256, line=m.line,
                          excerpt=excerpt(m.line_text), detail="security contact in web UI")
                 for m in found]
    return CheckReport(examined=examined, inferred={
        "security_contact_in_image": True,
        "security_contacts": sorted({m.match.group(0) for m in found})[:5]},
        summary="security contact found in the image")


MODEL_SOURCES = ("/etc/device_info", "/etc/board.json", "/tmp/sysinfo/model", "/etc/model",
                 "/etc/hostname", "/etc/openwrt_release", "/etc/os-release", "/etc/product")
MODEL_KEYS = re.compile(
    r"""(?im)^\s*(?:DEVICE_PRODUCT|DEVICE_MANUFACTURER|DEVICE_REVISION|MODEL|PRODUCT(?:_NAME)?|
    BOARD(?:_NAME)?|HARDWARE|DISTRIB_TARGET|"model"|"name")\s*[=:]\s*(?P<value>[^\n]+)$""", re.VERBOSE)
HTML_TITLE = re.compile(r"(?i)<title>\s*(?P<value>[^<]{2,80})</title>")


@check(CheckSpec(
    id="IOTB-DISC-002",
    title="Model designation readable from the device",
    severity=Severity.INFO,
    rationale=("Users can only match advisories and support periods to their device when its "
               "model designation is shown, on a label or through an interface."),
    remedy="Show the exact model and hardware revision in the web interface and device info.",
    provisions=("etsi-en-303-645:5.3-16",),
    tags=("disclosure",),
))
def find_model_identification(ctx: CheckContext) -> CheckReport:
    evidence: list[Evidence] = []
    values: dict[str, str] = {}
    for path in MODEL_SOURCES:
        tf = text_file(ctx, path)
        if tf is None:
            continue
        for m in MODEL_KEYS.finditer(tf.text):
            value = m.group("value").strip().strip("'\"")
            key = m.group(0).split("=")[0].split(":")[0].strip().strip('"')
            if value:
                values.setdefault(key, value)
                evidence.append(Evidence(kind="file", ref=tf.path, sha256=tf.entry.sha256,
                                         line=tf.line_number(m.start()), excerpt=excerpt(m.group(0)),
                                         detail="model identification"))
    pages = [t for t in _web_files(ctx) if t.path.endswith((".html", ".htm", ".asp"))][:50]
    title = next(iter(search(ctx, HTML_TITLE, files=pages)), None)
    if title is not None:
        evidence.append(Evidence(kind="file", ref=title.file.path, line=title.line,
                                 excerpt=excerpt(title.match.group(0)), detail="web UI title"))
    if not evidence:
        return CheckReport(not_applicable="no model designation found in the image; the label "
                           "or a live probe must show it")
    return CheckReport(examined=evidence[:12], inferred={"model_identification": values},
                       summary=", ".join(f"{k}={v}" for k, v in list(values.items())[:4]))


VERSION_SOURCES = ("/etc/openwrt_release", "/etc/os-release", "/usr/lib/os-release",
                   "/etc/openwrt_version", "/etc/version", "/etc/banner", "/etc/issue",
                   "/etc/lsb-release", "/etc/firmware_version", "/etc/fw_version",
                   "/etc/build.prop", "/system/build.prop", "/etc/debian_version")
VERSION_LINE = re.compile(
    r"""(?im)^(?:\s*(?:DISTRIB_(?:RELEASE|REVISION|DESCRIPTION)|VERSION(?:_ID)?|PRETTY_NAME|BUILD_ID|
    ro\.build\.(?:display\.id|version\.release)|FIRMWARE_VERSION|FW_VERSION)\s*=\s*[^\n]+
    |[^\n]*\b\d+\.\d+(?:\.\d+)*\b[^\n]*)$""", re.VERBOSE)


@check(CheckSpec(
    id="IOTB-DISC-003",
    title="Firmware version and support statement shown by the device",
    severity=Severity.INFO,
    rationale=("A readable firmware version lets users compare their device with the published "
               "support period and advisories; a support-period statement shows it directly."),
    remedy=("Show the firmware version in the interface and publish the security support "
            "period with the product, pointing to it from the device."),
    provisions=("etsi-en-303-645:5.3-13", "owasp-isvs:V1.6.1"),
    tags=("disclosure",),
))
def find_version_information(ctx: CheckContext) -> CheckReport:
    evidence: list[Evidence] = []
    versions: dict[str, str] = {}
    for path in VERSION_SOURCES:
        tf = text_file(ctx, path)
        if tf is None:
            continue
        m = VERSION_LINE.search(tf.text)
        if m:
            versions[tf.path] = m.group(0).strip()[:120]
            evidence.append(Evidence(kind="file", ref=tf.path, sha256=tf.entry.sha256,
                                     line=tf.line_number(m.start()), excerpt=excerpt(m.group(0)),
                                     detail="firmware version"))
    support = next(iter(search(ctx, SUPPORT, files=_web_files(ctx))), None)
    if support is not None:
        evidence.append(Evidence(kind="file", ref=support.file.path, line=support.line,
                                 excerpt=excerpt(support.line_text), detail="support-period statement"))
    if not evidence:
        return CheckReport(not_applicable="no version string or support statement found in the image")
    return CheckReport(examined=evidence, inferred={
        "firmware_version": versions, "support_period_in_image": support is not None},
        summary="; ".join(list(versions.values())[:2]))


CHECKS = (find_security_contact, find_model_identification, find_version_information)
