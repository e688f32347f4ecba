"""Wi-Fi security settings shipped in the image: WEP, WPA1/TKIP, open networks and WPS, in
hostapd.conf, wpa_supplicant.conf, OpenWrt's /etc/config/wireless and nvram defaults."""

from __future__ import annotations

import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check, redact
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.textscan import TextFile, excerpt, is_comment, text_files
from iotbaseline.model import Evidence, Severity

_HOSTAPD_RULES: list[tuple[re.Pattern[str], str, Severity]] = [
    (re.compile(r"^\s*wep_key\d\s*=", re.MULTILINE), "WEP key configured", Severity.HIGH),
    (re.compile(r"^\s*wpa\s*=\s*1\s*$", re.MULTILINE), "WPA1 only (wpa=1)", Severity.MEDIUM),
    (re.compile(r"^\s*(?:wpa_pairwise|rsn_pairwise)\s*=\s*TKIP\s*$", re.MULTILINE), "TKIP only", Severity.MEDIUM),
    (re.compile(r"^\s*wps_state\s*=\s*[12]\b", re.MULTILINE), "WPS enabled", Severity.MEDIUM),
]
_SUPPLICANT_RULES: list[tuple[re.Pattern[str], str, Severity]] = [
    (re.compile(r"^\s*wep_key\d\s*=", re.MULTILINE), "WEP key configured", Severity.HIGH),
    (re.compile(r"^\s*proto\s*=\s*WPA\s*$", re.MULTILINE), "WPA1 only (proto=WPA)", Severity.MEDIUM),
    (re.compile(r"^\s*pairwise\s*=\s*TKIP\s*$", re.MULTILINE), "TKIP only", Severity.MEDIUM),
    (re.compile(r"^\s*key_mgmt\s*=\s*NONE\s*$", re.MULTILINE), "open network or WEP (key_mgmt=NONE)",
     Severity.HIGH),
]
_UCI_ENCRYPTION = re.compile(r"^\s*option\s+encryption\s+['\"]?([\w+\-]+)['\"]?", re.MULTILINE)
_UCI_WPS = re.compile(r"^\s*option\s+wps_(?:pushbutton|label|pin)\s+['\"]?(?!0['\"]?\s*$)\S+", re.MULTILINE)
_NVRAM_RULES: list[tuple[re.Pattern[str], str, Severity]] = [
    (re.compile(r"^\s*wl\d*(?:\.\d)?_wep\s*=\s*(?:enabled|1|restricted)\s*$", re.MULTILINE | re.IGNORECASE), "WEP enabled", Severity.HIGH),
    (re.compile(r"^\s*wl\d*(?:\.\d)?_akm\s*=\s*(?:\"|')?\s*(?:|open|none)(?:\"|')?\s*$", re.MULTILINE | re.IGNORECASE), "open network", Severity.HIGH),
    (re.compile(r"^\s*wl\d*(?:\.\d)?_akm\s*=\s*[\"']?wpa[\"']?\s*$", re.MULTILINE | re.IGNORECASE), "WPA1 only", Severity.MEDIUM),
    (re.compile(r"^\s*wl\d*(?:\.\d)?_crypto\s*=\s*tkip\s*$", re.MULTILINE | re.IGNORECASE), "TKIP only", Severity.MEDIUM),
    (re.compile(r"^\s*(?:wl\d*_)?wps_mode\s*=\s*enabled\s*$", re.MULTILINE | re.IGNORECASE), "WPS enabled", Severity.MEDIUM),
]


def uci_encryption_problem(value: str) -> tuple[str, Severity] | None:
    v = value.lower()
    if v in ("none", "open", ""):
        return "open network (encryption none)", Severity.HIGH
    if v.startswith("wep"):
        return f"WEP ({value})", Severity.HIGH
    if v.startswith(("psk-mixed", "wpa-mixed")):
        return f"WPA1 allowed ({value})", Severity.MEDIUM
    if v in ("psk", "wpa") or v.startswith(("psk+", "wpa+")):
        return f"WPA1 ({value})", Severity.MEDIUM
    if "tkip" in v and "ccmp" not in v and "aes" not in v:
        return f"TKIP only ({value})", Severity.MEDIUM
    return None


# Package-manager metadata and documentation name packages (hostapd-mini.control,
# wpa_supplicant.list …); they are not configurations, and reading them as such turned "no Wi-Fi
# configuration" into a PASS.
_NOT_CONFIG_DIRS = ("/usr/lib/opkg/", "/var/lib/opkg/", "/usr/lib/ipkg/", "/var/lib/dpkg/",
                    "/lib/apk/", "/usr/share/doc/", "/usr/share/man/")


def _kind(tf: TextFile) -> str | None:
    if tf.entry.kind == "script" or tf.path.startswith(_NOT_CONFIG_DIRS):
        return None
    name = tf.path.rsplit("/", 1)[-1]
    if "hostapd" in name and ".conf" in name:
        return "hostapd"
    if "wpa_supplicant" in name and ".conf" in name:
        return "supplicant"
    if tf.path == "/etc/config/wireless":
        return "uci"
    if "nvram" in tf.path.lower():
        return "nvram"
    return None


def _rule_hits(tf: TextFile, rules: list[tuple[re.Pattern[str], str, Severity]]) -> list[Hit]:
    out = []
    for pattern, what, sev in rules:
        for m in pattern.finditer(tf.text):
            line = tf.line_text(m.start())
            if is_comment(line):
                continue
            out.append(Hit(message=f"{tf.path}: {what}", path=tf.path, root=tf.root,
                           line=tf.line_number(m.start()), excerpt=excerpt(line), severity=sev,
                           properties={"setting": what}))
    return out


def _hostapd_open(tf: TextFile) -> Hit | None:
    """hostapd without wpa= and without WEP keys serves an open network."""
    if re.search(r"^\s*(?:wpa\s*=\s*[1-3]|wep_key\d\s*=)", tf.text, re.MULTILINE):
        return None
    if not re.search(r"^\s*ssid2?\s*=", tf.text, re.MULTILINE):
        return None
    return Hit(message=f"{tf.path}: open network (no wpa= and no WEP key)", path=tf.path,
               root=tf.root, line=1, excerpt=excerpt(tf.lines()[0] if tf.lines() else ""),
               severity=Severity.HIGH, confidence="medium", properties={"setting": "open"})


@check(CheckSpec(
    id="IOTB-WIFI-001",
    title="Weak Wi-Fi security: WEP, WPA1/TKIP, open network or WPS",
    severity=Severity.MEDIUM,
    rationale=("WEP and TKIP are broken, open networks carry everything in clear, and WPS PINs "
               "can be brute-forced: each lets a nearby attacker onto the device's network."),
    remedy=("Use WPA2-CCMP or WPA3-SAE only, with a per-device passphrase, and leave WPS off."),
    provisions=("etsi-en-303-645:5.5-1", "xiaomi-2.0:4.2.4", "tencent-qtx-001.1:5.2.1-1",
                "owasp-isvs:V4.4.2", "owasp-isvs:V4.4.3", "owasp-isvs:V4.4.4"),
    cwe=(326, 327),
    tags=("communications", "wifi"),
))
def find_weak_wifi(ctx: CheckContext) -> CheckReport:
    configs = [(tf, k) for tf in text_files(ctx) if (k := _kind(tf)) is not None]
    if not configs:
        return CheckReport(not_applicable="no Wi-Fi configuration (hostapd, wpa_supplicant, "
                           "uci wireless, nvram) in the image")
    hits: list[Hit] = []
    for tf, kind in configs:
        if kind == "hostapd":
            hits += _rule_hits(tf, _HOSTAPD_RULES)
            open_hit = _hostapd_open(tf)
            if open_hit:
                hits.append(open_hit)
        elif kind == "supplicant":
            hits += _rule_hits(tf, _SUPPLICANT_RULES)
        elif kind == "nvram":
            hits += _rule_hits(tf, _NVRAM_RULES)
        else:
            for m in _UCI_ENCRYPTION.finditer(tf.text):
                problem = uci_encryption_problem(m.group(1))
                if problem and not is_comment(tf.line_text(m.start())):
                    hits.append(Hit(message=f"{tf.path}: {problem[0]}", path=tf.path,
                                    root=tf.root, line=tf.line_number(m.start()),
                                    excerpt=excerpt(tf.line_text(m.start())), severity=problem[1],
                                    properties={"setting": problem[0]}))
            hits += _rule_hits(tf, [(_UCI_WPS, "WPS enabled", Severity.MEDIUM)])
    return CheckReport(hits=hits, examined=[Evidence(kind="file", ref=tf.path, sha256=tf.entry.sha256,
                       detail=f"{kind} Wi-Fi configuration read") for tf, kind in configs],
                       summary=f"{len(configs)} Wi-Fi configuration files examined")



# ---------------------------------------------------------------------------------------------
# default Wi-Fi credentials and set-up access points (issue 11)
# ---------------------------------------------------------------------------------------------

_PSK = re.compile(r"^\s*(wpa_passphrase|wpa_psk|ap_pin|wps_pin)\s*=\s*(\S.*?)\s*$", re.MULTILINE)
_NVRAM_PSK = re.compile(r"^\s*(wl\d*(?:\.\d)?_wpa_psk|wpa_psk|WPAPSK\d*|wl\d*_key\d|"
                        r"wl\d*(?:\.\d)?_wps_device_pin|wps_device_pin)\s*=\s*[\"']?([^\"'\s]+)",
                        re.MULTILINE)
_UCI_KEY = re.compile(r"^\s*option\s+(key|wps_pin)\s+['\"]?([^'\"\s]+)", re.MULTILINE)
_WPS_ON = re.compile(r"^\s*wps_state\s*=\s*[12]\b", re.MULTILINE)
# the device's own access point in app configs (XML, INI, JSON): ApPwd, ap_passwd, softap_key …
_AP_KEY_NAME = r"(?:ap|softap|hotspot|setup_?ap|wifi_?ap|uap)_?(?:pwd|passw(?:or)?d|pass|key|psk)"
_AP_KEY = re.compile(
    rf"(?i)<({_AP_KEY_NAME})>([^<]*)</|"
    rf"(?:^|[\s\"',{{])[\"']?({_AP_KEY_NAME})[\"']?\s*[=:]\s*[\"']?([^\"'\s,}}<]*)")


def _trivial(value: str) -> str:
    from iotbaseline.checks.credentials.crack import default_passwords

    if value.isdigit() and (len(set(value)) <= 2 or value in "0123456789012345678"
                            or value in "9876543210"):
        return " (a trivial numeric key)"
    if value in default_passwords():
        return " (a published default password)"
    return ""


def _hostapd_use(ctx: CheckContext, tf: TextFile) -> tuple[str, str]:
    """(use, why): used | conditional | unknown | unused, for one hostapd configuration."""
    from iotbaseline.analysis.boot import started_services
    from iotbaseline.analysis.reachability import Use, reachability

    name = tf.path.rsplit("/", 1)[-1]
    for s in started_services(ctx):
        if not s.name.startswith("hostapd") or s.root != tf.root:
            continue
        if any(a == tf.path or a.endswith("/" + name) for a in s.argv):
            where = f"{s.source}:{s.line}"
            if not s.enabled:
                return "unused", f"only a hostapd start that is not enabled names it ({where})"
            if s.condition:
                return "conditional", f"hostapd started at {where} when `{s.condition[:100]}`"
            return "used", f"hostapd started at {where} reads it"
    use = reachability(ctx).use(tf.path)
    if use is Use.USED:
        live = [s for s in started_services(ctx) if s.enabled and s.name.startswith("hostapd")]
        if live:
            s = live[0]
            return "used", (f"a boot script names it and hostapd is started at "
                            f"{s.source}:{s.line} (`{' '.join(s.argv)[:80]}`)")
        return "conditional", ("a boot script names it, but no hostapd start is on the default "
                               "boot path (used when the device is switched to access-point mode)")
    if use is Use.UNKNOWN:
        return "unknown", "no boot scripts in the image to tell whether hostapd reads it"
    return "unused", "nothing started at boot refers to it"


def _file_use(ctx: CheckContext, tf: TextFile) -> tuple[str, str]:
    from iotbaseline.analysis.reachability import Use, reachability

    use = reachability(ctx).use(tf.path)
    if use is Use.USED:
        return "used", "a program or script started at boot refers to this file"
    if use is Use.UNKNOWN:
        return "unknown", "no boot scripts in the image to tell which program reads it"
    return "unused", "nothing started at boot refers to it"


def _app_ap_keys(ctx: CheckContext, seen: set[str]) -> list[Hit]:
    """The access-point password of vendor app configs (``<ApPwd></ApPwd>`` beside the SSID)."""
    hits: list[Hit] = []
    for tf in text_files(ctx):
        if tf.path in seen or tf.entry.kind == "script" or tf.path.startswith(_NOT_CONFIG_DIRS) \
                or not _AP_KEY.search(tf.text):
            continue
        use, why = _file_use(ctx, tf)
        for m in _AP_KEY.finditer(tf.text):
            key = m.group(1) or m.group(3)
            value = (m.group(2) if m.group(1) else m.group(4)) or ""
            line = tf.line_text(m.start())
            if is_comment(line) or value.startswith(("$", "%")):
                continue
            number = tf.line_number(m.start())
            severity = _USE_SEVERITY[use]
            if value == "":
                message = (f"{tf.path}:{number} leaves the access point's password '{key}' "
                           f"empty: an open set-up network anyone nearby can join ({why}).")
                secret = None
                prov = ("etsi-en-303-645:5.1-1", "etsi-en-303-645:5.5-1", "xiaomi-2.0:4.2.4",
                        "tencent-qtx-001.1:5.2.1-1")
            else:
                message = (f"{tf.path}:{number} ships a fixed access-point password '{key}'"
                           f"{_trivial(value)} ({why}).")
                secret = value
                prov = ("etsi-en-303-645:5.1-1", "xiaomi-2.0:4.2.4", "tencent-qtx-001.1:5.2.1-1")
            hits.append(Hit(message=message, path=tf.path, root=tf.root, line=number,
                            excerpt=excerpt(line.replace(value, redact(value)) if value else line),
                            secret=secret, redacted=redact(value) if value else None,
                            severity=severity,
                            confidence="high" if use == "used" else
                            ("low" if use == "unused" else "medium"),  # type: ignore[arg-type]
                            provisions=prov,
                            properties={"use": use, "setting": "open" if not value else "key"}))
    return hits


_USE_SEVERITY = {"used": Severity.HIGH, "unknown": Severity.HIGH, "conditional": Severity.MEDIUM,
                 "unused": Severity.LOW}


@check(CheckSpec(
    id="IOTB-WIFI-002",
    title="Default Wi-Fi credentials: fixed passphrase, open set-up network or fixed WPS PIN",
    severity=Severity.HIGH,
    rationale=("A Wi-Fi passphrase or WPS PIN written into the firmware is the same on every unit, "
               "and an open set-up network lets anyone nearby join before the owner does: either "
               "is a universal default credential for the device's own network."),
    remedy=("Generate the access point's passphrase and WPS PIN per device at manufacture (print "
            "them on the label) or have the user set them; never ship an open set-up network "
            "without a time limit and a physical confirmation."),
    provisions=("etsi-en-303-645:5.1-1", "etsi-en-303-645:5.5-1", "xiaomi-2.0:4.2.4",
                "tencent-qtx-001.1:5.2.1-1"),
    cwe=(1392, 798),
    tags=("communications", "wifi", "credentials"),
))
def find_default_wifi_credentials(ctx: CheckContext) -> CheckReport:
    configs = [(tf, k) for tf in text_files(ctx) if (k := _kind(tf)) is not None]
    hits: list[Hit] = _app_ap_keys(ctx, {tf.path for tf, _ in configs})
    if not configs and not hits:
        return CheckReport(not_applicable="no Wi-Fi configuration (hostapd, uci wireless, "
                           "nvram, access-point settings) in the image")
    for tf, kind in configs:
        if kind == "hostapd":
            use, why = _hostapd_use(ctx, tf)
        elif kind == "uci":
            use, why = "used", "OpenWrt's wireless configuration"
        elif kind == "nvram":
            use, why = "unknown", "nvram defaults (used at first boot or after a reset)"
        else:
            continue
        severity = _USE_SEVERITY[use]
        confidence = "high" if use == "used" else "medium"
        if use == "unused":
            confidence = "low"
        pattern = {"hostapd": _PSK, "uci": _UCI_KEY, "nvram": _NVRAM_PSK}[kind]
        for m in pattern.finditer(tf.text):
            line = tf.line_text(m.start())
            value = m.group(2).strip().strip("\"'")
            if is_comment(line) or not value or value.startswith("$") or len(value) < 4:
                continue
            what = ("WPS PIN" if "pin" in m.group(1).lower() else "Wi-Fi passphrase")
            message = (f"{tf.path}:{tf.line_number(m.start())} ships a fixed {what}"
                       f"{_trivial(value)}: {why}.")
            if use == "unused":
                message += " An unused file that ships a secret."
            hits.append(Hit(message=message, path=tf.path, root=tf.root,
                            line=tf.line_number(m.start()),
                            excerpt=excerpt(line.replace(value, redact(value))), secret=value,
                            redacted=redact(value), severity=severity,
                            confidence=confidence,  # type: ignore[arg-type]
                            provisions=("etsi-en-303-645:5.1-1", "xiaomi-2.0:4.2.4",
                                        "tencent-qtx-001.1:5.2.1-1"),
                            properties={"use": use, "setting": what}))
        if kind == "hostapd":
            open_hit = _hostapd_open(tf)
            if open_hit is not None:
                hits.append(Hit(message=f"{tf.path}: an open access point (no wpa= and no WEP "
                                        f"key): anyone nearby can join; {why}.",
                                path=tf.path, root=tf.root, line=open_hit.line,
                                excerpt=open_hit.excerpt, severity=severity,
                                confidence="low" if use == "unused" else "medium",
                                provisions=("etsi-en-303-645:5.1-1", "etsi-en-303-645:5.5-1",
                                            "xiaomi-2.0:4.2.4", "tencent-qtx-001.1:5.2.1-1"),
                                properties={"use": use, "setting": "open"}))
            wps = _WPS_ON.search(tf.text)
            if wps and not is_comment(tf.line_text(wps.start())) and re.search(
                    r"^\s*config_methods\s*=.*push_button", tf.text, re.MULTILINE):
                hits.append(Hit(message=f"{tf.path}:{tf.line_number(wps.start())} turns WPS on "
                                        f"with push-button set-up: {why}.",
                                path=tf.path, root=tf.root, line=tf.line_number(wps.start()),
                                excerpt=excerpt(tf.line_text(wps.start())),
                                severity=Severity.MEDIUM if use != "unused" else Severity.LOW,
                                confidence=confidence,  # type: ignore[arg-type]
                                provisions=("etsi-en-303-645:5.5-1", "xiaomi-2.0:4.2.4"),
                                properties={"use": use, "setting": "wps"}))
    return CheckReport(hits=hits, examined=[Evidence(kind="file", ref=tf.path,
                                                     sha256=tf.entry.sha256,
                                                     detail=f"{kind} Wi-Fi defaults read")
                                            for tf, kind in configs],
                       summary=f"{len(hits)} default Wi-Fi credential(s) in {len(configs)} "
                               f"configuration file(s)")


CHECKS = (find_weak_wifi, find_default_wifi_credentials)
