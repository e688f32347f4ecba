"""Cloud credentials and tokens (files and binaries), Wi-Fi pre-shared keys in shipped
configuration, and the ZigBee Alliance's public default link key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check, redact
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.credentials.crack import default_passwords
from iotbaseline.checks.textscan import (
    BinaryMatch,
    TextMatch,
    blob_strings,
    excerpt,
    is_comment,
    search,
    search_binaries,
    text_files,
)
from iotbaseline.analysis.reachability import Use, reachability
from iotbaseline.model import Evidence, Severity

_PLACEHOLDER = re.compile(r"(?i)example|your|xxxx|changeme|dummy|sample|placeholder|^\$|\$\{|"
                          r"^<|^%|test(?:ing)?key|^(.)\1+$")


@dataclass(frozen=True)
class SecretPattern:
    id: str
    what: str
    text: re.Pattern[str] | None
    binary: re.Pattern[str] | None
    confidence: str
    hints: tuple[str, ...] = ()  # lower-case words a text file must contain to be searched


@lru_cache(maxsize=1)
def secret_patterns() -> tuple[SecretPattern, ...]:
    raw = yaml.safe_load(resources.files("iotbaseline.checks").joinpath(
        "data/secret_patterns.yaml").read_text())
    out = []
    for p in raw["patterns"]:
        scope = p["scope"]
        out.append(SecretPattern(
            p["id"], p["what"],
            re.compile(p["regex"], re.MULTILINE) if scope in ("text", "both") else None,
            re.compile(p["regex"], re.MULTILINE) if scope in ("binary", "both") else None,
            p["confidence"], tuple(p.get("hints", ()))))
    return tuple(out)


def _value(m: re.Match[str]) -> str:
    return m.group(1) if m.re.groups else m.group(0)


def _shown(text: str, secret: str) -> str:
    return excerpt(text.replace(secret, redact(secret, keep=4)))


@check(CheckSpec(
    id="IOTB-SECRET-001",
    title="Cloud credentials and tokens hard-coded in the image",
    severity=Severity.HIGH,
    rationale=("Cloud access keys, MQTT passwords and API tokens in firmware are shared by every "
               "unit and readable by anyone with the update file; they often open the backend."),
    remedy=("Provision per-device credentials (certificates or tokens) at manufacturing or "
            "enrolment, keep them in protected storage and revoke any that were shipped."),
    provisions=("etsi-en-303-645:5.4-3", "etsi-en-303-645:5.4-4", "xiaomi-2.0:4.1.1",
                "tencent-qtx-001.1:5.1.6-4", "owasp-isvs:V2.1.9", "owasp-isvs:V2.4.1",
                "owasp-isvs:V4.2.3"),
    applies_to="any",
    cwe=(798,),
    tags=("secrets",),
))
def find_cloud_credentials(ctx: CheckContext) -> CheckReport:
    files = text_files(ctx)
    blobs = blob_strings(ctx)
    if not files and not blobs:
        return CheckReport(not_applicable="no files to search")
    hits: list[Hit] = []
    seen: set[tuple[str, str]] = set()
    for pat in secret_patterns():
        if pat.text is None:
            continue
        for m in search(ctx, pat.text, hints=pat.hints):
            value = _value(m.match)
            if _PLACEHOLDER.search(value) or is_comment(m.line_text) or (m.file.path, value) in seen:
                continue
            seen.add((m.file.path, value))
            hits.append(_text_hit(pat, m, value))
    # binaries: one pass with all binary patterns together, then tell which one matched
    binary_patterns = [p for p in secret_patterns() if p.binary is not None]
    combined = re.compile("|".join(f"(?:{p.binary.pattern})" for p in binary_patterns if p.binary))
    for bm in search_binaries(ctx, combined):
        for pat in binary_patterns:
            own = pat.binary.fullmatch(bm.match.group(0)) if pat.binary else None
            if own is None:
                continue
            value = _value(own)
            name = bm.blob.entry.path if bm.blob.entry else bm.blob.name
            if not _PLACEHOLDER.search(value) and (name, value) not in seen:
                seen.add((name, value))
                hits.append(_binary_hit(pat, bm, value))
            break
    return CheckReport(hits=hits, examined=[Evidence(kind="note", ref="secret-patterns", detail=(
        f"{len(files)} text files and {len(blobs)} binaries searched with "
        f"{len(secret_patterns())} credential patterns"))],
        summary=f"{len(files)} text files, {len(blobs)} binaries examined")


def _text_hit(pat: SecretPattern, m: TextMatch, value: str) -> Hit:
    return Hit(message=f"{pat.what} in {m.file.path}", path=m.file.path, root=m.file.root,
               line=m.line, excerpt=_shown(m.line_text, value), secret=value,
               redacted=redact(value, keep=4), confidence=pat.confidence,  # type: ignore[arg-type]
               properties={"pattern": pat.id})


def _binary_hit(pat: SecretPattern, bm: BinaryMatch, value: str) -> Hit:
    entry = bm.blob.entry
    return Hit(message=f"{pat.what} inside binary {entry.path if entry else bm.blob.name}",
               path=entry.path if entry else None, root=entry.root if entry else None,
               offset=bm.offset, excerpt=_shown(bm.string, value), secret=value,
               redacted=redact(value, keep=4), confidence=pat.confidence,  # type: ignore[arg-type]
               properties={"pattern": pat.id, "image": None if entry else bm.blob.name})


# ---- IOTB-SECRET-002: Wi-Fi PSKs ---------------------------------------------------------------

WIFI_PSK = re.compile(
    r"""(?mix)^\s*(?:
        (?:wpa_passphrase|wpa_psk|sae_password)\s*=\s*(?P<h>[^\n]+?)\s*$            # hostapd
      | psk\s*=\s*(?P<s>"[^"\n]*"|[0-9a-f]{64})\s*$                                  # wpa_supplicant
      | option\s+key\s+['"]?(?P<u>[^'"\n]+)['"]?\s*$                                  # uci wireless
      | (?:wl\d*_)?(?:wpa_psk|wpa_key|wifi_?key|wlan_?key|ssid_?key)\s*=\s*(?P<n>[^\s\n]+)\s*$  # nvram
    )""")


@check(CheckSpec(
    id="IOTB-SECRET-002",
    title="Wi-Fi pre-shared keys fixed in shipped configuration",
    severity=Severity.MEDIUM,
    rationale=("A Wi-Fi passphrase written into the image's default configuration is the same "
               "on every unit, so anyone who reads the firmware can join every device's network."),
    remedy=("Generate a random per-device Wi-Fi passphrase at manufacturing (printed on the "
            "label) or require the user to set one before the access point starts."),
    provisions=("etsi-en-303-645:5.1-1", "etsi-en-303-645:5.4-3", "xiaomi-2.0:4.2.4",
                "tencent-qtx-001.1:5.2.1-1", "owasp-isvs:V2.1.10"),
    cwe=(798, 521),
    tags=("secrets", "wifi"),
))
def find_wifi_psks(ctx: CheckContext) -> CheckReport:
    def is_wifi_config(tf: object) -> bool:
        path = tf.path  # type: ignore[attr-defined]
        return (path.startswith("/etc/") or "hostapd" in path or "wpa_supplicant" in path
                or "nvram" in path or path.endswith((".conf", ".cfg", ".ini", ".default")))

    configs = [t for t in text_files(ctx) if is_wifi_config(t) and t.entry.kind != "script"]
    if not configs:
        return CheckReport(not_applicable="no configuration files in the image")
    hits: list[Hit] = []
    defaults = default_passwords()
    for m in search(ctx, WIFI_PSK, files=configs, hints=("psk", "passphrase", "key", "sae_")):
        value = next(v for v in m.match.groupdict().values() if v is not None).strip().strip('"')
        if not value or _PLACEHOLDER.search(value):
            continue
        if m.match.group("u") is not None and "/etc/config/" not in m.file.path:
            continue  # 'option key' means a Wi-Fi key only in uci files
        weak = value in defaults or len(value) < 8
        if reachability(ctx).use(m.file.path) is Use.UNUSED:
            # nothing started at boot reads, copies or generates it: an SDK sample (issue 10)
            hits.append(Hit(message=f"Unused file ships a Wi-Fi key: {m.file.path} (nothing "
                            "started at boot reads or copies it)", path=m.file.path,
                            root=m.file.root, line=m.line, excerpt=_shown(m.line_text, value),
                            secret=value, redacted=redact(value), severity=Severity.LOW,
                            confidence="low", properties={"reachable": False}))
            continue
        hits.append(Hit(message=f"Wi-Fi pre-shared key fixed in {m.file.path}"
                        + (" (and weak or well-known)" if weak else ""),
                        path=m.file.path, root=m.file.root, line=m.line,
                        excerpt=_shown(m.line_text, value), secret=value, redacted=redact(value),
                        severity=Severity.HIGH if weak else Severity.MEDIUM))
    return CheckReport(hits=hits, examined=[Evidence(kind="note", ref="wifi-configs", detail=(
        f"{len(configs)} configuration files searched for Wi-Fi passphrases"))],
        summary=f"{len(configs)} configuration files examined")


# ---- IOTB-SECRET-003: ZigBee default link key ---------------------------------------------------

ZIGBEE_TEXT = re.compile(
    r"(?i)zigbeealliance09|5a6967426565416c6c69616e63653039|"
    r"0x5a\s*,\s*0x69\s*,\s*0x67\s*,\s*0x42\s*,\s*0x65\s*,\s*0x65\s*,\s*0x41\s*,\s*0x6c")
ZIGBEE_BYTES = re.compile(r"(?i)ZigBeeAlliance09|5a6967426565416c6c69616e63653039")


@check(CheckSpec(
    id="IOTB-SECRET-003",
    title="ZigBee Alliance default link key in the image",
    severity=Severity.HIGH,
    rationale=("'ZigBeeAlliance09' is a published global link key: a device that joins with it "
               "hands its network key to anyone listening during pairing."),
    remedy=("Join with install codes (unique per device) or out-of-band keys; accept the "
            "default key only where compatibility demands it and only briefly."),
    provisions=("etsi-en-303-645:5.4-3", "xiaomi-2.0:4.5.2", "xiaomi-2.0:4.4.1",
                "tencent-qtx-001.1:5.2.1-4", "owasp-isvs:V4.5.4", "owasp-isvs:V4.5.3"),
    applies_to="any",
    cwe=(798, 1394),
    tags=("secrets", "zigbee"),
))
def find_zigbee_default_key(ctx: CheckContext) -> CheckReport:
    files = text_files(ctx)
    blobs = blob_strings(ctx)
    if not files and not blobs:
        return CheckReport(not_applicable="no files to search")
    hits = [Hit(message=f"ZigBee default link key in {m.file.path}", path=m.file.path,
                root=m.file.root, line=m.line, excerpt=excerpt(m.line_text))
            for m in search(ctx, ZIGBEE_TEXT, hints=("zigbee", "5a69", "0x5a"))]
    for bm in search_binaries(ctx, ZIGBEE_BYTES):
        entry = bm.blob.entry
        hits.append(Hit(message=f"ZigBee default link key inside {entry.path if entry else bm.blob.name}",
                        path=entry.path if entry else None, root=entry.root if entry else None,
                        offset=bm.offset, excerpt=excerpt(bm.string),
                        properties={"image": None if entry else bm.blob.name}))
    return CheckReport(hits=hits, examined=[Evidence(kind="note", ref="zigbee-key", detail=(
        f"{len(files)} text files and {len(blobs)} binaries searched for the default link key"))])


CHECKS = (find_cloud_credentials, find_wifi_psks, find_zigbee_default_key)
