"""Identity values of the image (hostname, model, brand, SSID prefix, build signature), tried as
password candidates: ODMs build default passwords from them (Alpha Networks' telnet password is
the image signature ``wrgn80_trendnet_tew733gr``; many routers use the model name).

Read from small identity files and from identity keys of configuration files; bounded, so a
hostile image cannot make the candidate list grow without end.
"""

from __future__ import annotations

import posixpath
import re

from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.textscan import text_files

MAX_VALUES = 40
# files whose whole (first-line) content is an identity value
_IDENTITY_FILES = re.compile(r"^(hostname|image_sign|model|modelname|product|brand|vendor|"
                             r"board|board_name|machine|devicename|device_name|sysname)$",
                             re.IGNORECASE)
# key = value lines whose value is an identity
_KEYS = (r"hostname|host_name|sysname|sys_name|model|model_?name|modelnumber|product|"
         r"product_?name|brand|vendor|manufacturer|board|board_?name|friendlyname|device_?name|"
         r"image_?sign|ssid|wl_ssid|ssid_?prefix|ap_?ssid|wlan_?ssid|machine")
_ASSIGN = re.compile(
    rf"""(?im)(?:^\s*(?:export\s+|option\s+)?(?:{_KEYS})\s*[=:\s]\s*["']?([\w .@+-]{{3,40}}?)["']?\s*$"""
    rf"""|<(?:{_KEYS})>([\w .@+-]{{3,40}})</|(?:{_KEYS})\s*=\s*"([\w .@+-]{{3,40}})")""")
_SKIP = frozenset({"none", "null", "true", "false", "default", "localhost", "openwrt", "linux",
                   "unknown", "disable", "enable"})


def _load(ctx: CheckContext) -> tuple[str, ...]:
    out: dict[str, None] = {}

    def add(value: str) -> None:
        value = value.strip().strip("\"'")
        if 3 <= len(value) <= 40 and value.lower() not in _SKIP and len(out) < MAX_VALUES:
            out.setdefault(value, None)

    files = text_files(ctx)
    for tf in files:
        if _IDENTITY_FILES.match(posixpath.basename(tf.path)) and tf.entry.size <= 256:
            first = tf.text.strip().splitlines()[:1]
            if first:
                add(first[0])
    for tf in files:
        if len(out) >= MAX_VALUES:
            break
        if tf.entry.kind == "script" or not tf.path.startswith(("/etc/", "/usr/etc/", "/mnt/",
                                                                 "/config", "/default")):
            continue
        if not tf.mentions(("host", "model", "ssid", "brand", "vendor", "product", "sign",
                            "board", "name")):
            continue
        for m in _ASSIGN.finditer(tf.text):
            add(next(g for g in m.groups() if g is not None))
    return tuple(out)


def image_values(ctx: CheckContext) -> tuple[str, ...]:
    """Identity values of the image, computed once per run."""
    result: tuple[str, ...] = ctx.fact("cred.image_values", _load)
    return result
