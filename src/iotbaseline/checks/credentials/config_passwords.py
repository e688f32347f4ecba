"""Passwords in shipped configuration (nvram defaults, uci, XML, JSON, ini) and passwords that
scripts derive from public data (MAC address, serial number, SSID) or from a counter."""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace

from iotbaseline.analysis.reachability import Use, reachability
from iotbaseline.checks.credentials import crack as cred_crack
from iotbaseline.checks.credentials.packed import decoded_configs, unbase64_value
from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check, redact
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.textscan import TextFile, blob_strings, excerpt, is_comment, text_files
from iotbaseline.model import Evidence, Severity

CONFIG_SUFFIXES = (".conf", ".cfg", ".ini", ".xml", ".json", ".nvm", ".default", ".defaults",
                   ".cnf", ".properties", ".yaml", ".yml", ".txt", ".env", ".dat")
NOT_CONFIG_SUFFIXES = (".sh", ".js", ".html", ".htm", ".lua", ".py", ".pl", ".php", ".asp",
                       ".css", ".c", ".h", ".md")
# key names that hold a password value, and key names that only talk about passwords
_KEY = r"[\w.\-]*?(?:pass(?:word|wd)?|pwd|passphrase)[\w.\-]*"
_NOT_A_PASSWORD_KEY = re.compile(
    r"(?:auth|authentication|enabled?|required|len(?:gth)?|min|max|file|path|dir|policy|type|"
    r"mode|timeout|expir\w*|prompt|change|reset|hint|label|field|retry|retries|attempts|"
    r"complexity|strength|age|interval|cmd|command|program|url|uri)$", re.IGNORECASE)
_BOOLEANISH = {"on", "off", "yes", "no", "true", "false", "0", "1", "enable", "enabled",
               "disable", "disabled", "none", "null", "required", "optional"}
_ASSIGN = re.compile(
    rf"""(?ix)
    (?:^|[\s{{,;])
    (?:option\s+(?P<uk>{_KEY})\s+['"]?(?P<uv>[^'"\n]*)['"]?\s*$            # uci: option key 'v'
     |["'](?P<jk>{_KEY})["']\s*:\s*"(?P<jv>[^"\n]*)"                         # json: "key": "v"
     |<(?P<xk>{_KEY})(?:\s[^>]*)?>(?P<xv>[^<\n]*)</(?P=xk)>                  # xml: <key>v</key>
     |(?P<xak>{_KEY})\s*=\s*"(?P<xav>[^"\n]*)"(?=[\s/>])                     # xml attribute
     |^[ \t]*(?P<qk>{_KEY})[ \t]*=[ \t]*"(?P<qv>[^"\n]*)"[ \t]*(?:$|[#;])    # ini: key = "v  "
     |^[ \t]*(?:export[ \t]+)?(?P<kk>{_KEY})[ \t]*[=:][ \t]*(?P<kv>[^\s#;"'<>,]*)[ \t]*(?:$|[#;]))  # key=value, key: v
    """,
    re.MULTILINE,
)
_TEMPLATE = re.compile(r"^(?:\$|%|\{\{|<|@)|\*{3,}|^x+$")


def is_config_file(tf: TextFile) -> bool:
    name = posixpath.basename(tf.path).lower()
    if tf.entry.kind == "script" or name.endswith(NOT_CONFIG_SUFFIXES):
        return False
    if tf.path.startswith(("/etc/", "/usr/etc/", "/var/", "/mnt/", "/data/", "/config/",
                           "/usr/share/", "/opt/", "/default")):
        return True
    return name.endswith(CONFIG_SUFFIXES) or "nvram" in name or "default" in name


_XML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _blank_xml_comments(text: str) -> str:
    """XML comments replaced by spaces of the same length (line numbers stay right)."""
    return _XML_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _password_assignments(tf: TextFile) -> list[tuple[int, str, str, str]]:
    """(line, key, value, line text) for every password-like key with a literal value."""
    out = []
    text = _blank_xml_comments(tf.text) if "<!--" in tf.text else tf.text
    for m in _ASSIGN.finditer(text):
        key = next(m.group(g) for g in ("uk", "jk", "xk", "xak", "qk", "kk") if m.group(g) is not None)
        value = next(m.group(g) for g in ("uv", "jv", "xv", "xav", "qv", "kv") if m.group(g) is not None)
        value = value.strip()
        line_text = tf.line_text(m.start(m.lastgroup or 0) if m.lastgroup else m.start())
        if is_comment(line_text) or _NOT_A_PASSWORD_KEY.search(key):
            continue
        if value.lower() in _BOOLEANISH and value != "" or _TEMPLATE.search(value):
            continue
        line = tf.line_number(m.start(m.lastgroup) if m.lastgroup else m.start())
        out.append((line, key, value, line_text))
    return out

# ---- which assignments are credentials of the device --------------------------------------

_WIFI_KEY = re.compile(r"(?i)wpa|psk|wep|wifi|wlan|wl\d*_")
_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_USER_KEY = re.compile(r"""(?ix)(?:^|[\s<"'{,])[\w.-]*?(?:user(?:_?name)?|uname|login|account|name|uid)
                         (?:["']?\s*[=:]\s*["']?|>)\s*([^"'<\n]*)""")


def _neighbourhood(tf: TextFile, line: int, radius: int = 4) -> list[str]:
    """The lines of the same INI section (or of the nearby block) around ``line``."""
    lines = tf.lines()
    lo, hi = max(0, line - 1 - radius), min(len(lines), line + radius)
    block = lines[lo:hi]
    start = line - 1 - lo
    top = next((i for i in range(start, -1, -1) if _SECTION.match(block[i])), None)
    bottom = next((i for i in range(start + 1, len(block)) if _SECTION.match(block[i])), None)
    return block[(top or 0):(bottom if bottom is not None else len(block))]


_SSID_KEY = re.compile(r"""(?ix)(?:^|[\s<"'{,])[\w.-]*?ssid(?:["']?\s*[=:]\s*["']?|>)\s*([^"'<\n]*)""")


def _paired_user(tf: TextFile, line: int, pattern: re.Pattern[str] = _USER_KEY,
                 radius: int = 4) -> str | None:
    """The user name (or SSID) written beside a password (same section or block), stripped."""
    for text in _neighbourhood(tf, line, radius):
        m = pattern.search(text)
        if m and not re.search(_KEY, text.split("=")[0].split(">")[0], re.IGNORECASE):
            return m.group(1).strip()
    return None


def _empty_slot(tf: TextFile, line: int, value: str) -> bool:
    """A blank password beside a blank user name is an unused slot of a table (``[user3]``,
    an unconfigured FTP or NVR channel), not an account with an empty password."""
    return value == "" and (_paired_user(tf, line) == ""
                            or _paired_user(tf, line, _SSID_KEY, radius=1) == "")


def _is_csr_attribute(tf: TextFile, line: int, key: str) -> bool:
    """OpenSSL config ``[req_attributes]`` challengePassword* are prompts and CSR attributes,
    never a login of the device."""
    if not key.lower().startswith("challengepassword"):
        return False
    for text in reversed(tf.lines()[:line]):
        m = _SECTION.match(text)
        if m:
            return m.group(1).strip().lower() in ("req_attributes", "req")
    return posixpath.basename(tf.path).endswith(".cnf")


def _archive_of(path: str) -> str | None:
    """The archive a file was unpacked from (an ``…_extract`` directory on its path)."""
    parts = path.split("/")
    for i, part in enumerate(parts):
        if part.endswith("_extract") and i < len(parts) - 1:
            return "/".join(parts[:i] + [part[: -len("_extract")]])
    return None


def _fold_archive_copies(found: list[tuple[TextFile, Hit]]) -> list[tuple[TextFile, Hit]]:
    """A copy inside an unpacked archive (factory defaults zip) repeating a fact of a file the
    device uses is folded into that file's finding as evidence, not reported again."""
    def fact(tf: TextFile, hit: Hit) -> tuple[str, object, object, str | None]:
        return (posixpath.basename(tf.path), hit.properties.get("key"),
                hit.properties.get("user"), hit.secret)

    outside = {fact(tf, h): i for i, (tf, h) in enumerate(found) if _archive_of(tf.path) is None}
    extra: dict[int, list[Evidence]] = {}
    for tf, hit in found:
        archive = _archive_of(tf.path)
        owner = outside.get(fact(tf, hit)) if archive is not None else None
        if owner is not None:
            extra.setdefault(owner, []).append(Evidence(  # a note: the finding is not located there
                kind="note", ref=tf.path, sha256=tf.entry.sha256, line=hit.line,
                detail=f"the same value in the copy unpacked from {archive}"))
    out: list[tuple[TextFile, Hit]] = []
    for i, (tf, hit) in enumerate(found):
        archive = _archive_of(tf.path)
        if archive is not None and outside.get(fact(tf, hit)) is not None:
            continue
        if i in extra:
            hit = replace(hit, evidence=(*hit.evidence, *extra[i]))
        out.append((tf, hit))
    return out


def _names_in_image(ctx: CheckContext) -> frozenset[str]:
    """File names that any program or script of the image mentions."""
    names: set[str] = set()
    for bs in blob_strings(ctx):
        names.update(_FILE_NAME.findall(bs.joined))
    for tf in text_files(ctx):
        if tf.entry.kind == "script":
            names.update(_FILE_NAME.findall(tf.text))
    return frozenset(posixpath.basename(n) for n in names)


_FILE_NAME = re.compile(r"[\w\-/]*[\w\-]\.[A-Za-z]{2,10}\b")


def _judge_use(ctx: CheckContext, tf: TextFile, hit: Hit) -> Hit:
    """A file nothing in the image names, while boot is understood, is an unused sample: at
    most a low "unused file ships a password"."""
    reach = reachability(ctx)
    if reach.use(tf.path) != Use.UNUSED:
        return hit
    names: frozenset[str] = ctx.fact("cred.names_in_image", _names_in_image)
    name = posixpath.basename(tf.path)
    archive = _archive_of(tf.path)
    if name in names or (archive is not None and posixpath.basename(archive) in names):
        return hit
    return replace(hit, message=f"unused file ships a password: {hit.message} (nothing "
                   "started refers to it)", severity=Severity.LOW, confidence="low",
                   properties={**hit.properties, "used": False})


@check(CheckSpec(
    id="IOTB-CRED-005",
    title="Blank or default passwords in shipped configuration",
    severity=Severity.HIGH,
    rationale=("A password written into a default configuration (nvram defaults, uci, XML, "
               "JSON) is the same on every unit; a blank or well-known one is guessed at once."),
    remedy=("Leave password fields unset and force the user to choose one at setup, or "
            "provision a unique per-device password outside the firmware image."),
    provisions=("etsi-en-303-645:5.1-1", "xiaomi-2.0:3.1.2", "xiaomi-2.0:3.2.2",
                "tencent-qtx-001.1:5.3.2-3", "owasp-isvs:V2.1.8", "owasp-isvs:V2.1.9"),
    cwe=(798, 1392, 258),
    tags=("credentials",),
))
def find_config_passwords(ctx: CheckContext) -> CheckReport:
    configs = [tf for tf in text_files(ctx) if is_config_file(tf)]
    if not configs:
        return CheckReport(not_applicable="no configuration files in the image")
    defaults = cred_crack.default_passwords()
    found: list[tuple[TextFile, Hit]] = []
    sources = [(tf, "") for tf in configs] + [(d.file, d.how) for d in decoded_configs(ctx)]
    for tf, packing in sources:
        for line, key, value, line_text in _password_assignments(tf):
            if (_is_csr_attribute(tf, line, key) or _empty_slot(tf, line, value)
                    or _WIFI_KEY.search(key)):  # wpa_passphrase, psk …: IOTB-SECRET-002
                continue
            user = _paired_user(tf, line)
            who = f" for user '{user}'" if user else ""
            shown = excerpt(line_text.replace(value, redact(value)) if value else line_text)
            props: dict[str, object] = {"key": key, "user": user}
            if packing:
                who += f" (line {line} of its {packing}-decoded text)"
                props["decoded_from"] = packing
            encoded = unbase64_value(value) if value not in defaults else None
            if encoded is not None and encoded in defaults:
                value, who = encoded, who + " (Base64-encoded)"
                props["decoded_from"] = "Base64 value"
            if value == "":
                hit = Hit(message=f"'{key}'{who} is blank in {tf.path}: the default password "
                          "is empty", path=tf.path, root=tf.root, line=line, excerpt=shown,
                          severity=Severity.HIGH, properties=props, confidence="medium")
            elif value in defaults:
                hit = Hit(message=f"'{key}'{who} in {tf.path} is a well-known default "
                          "password", path=tf.path, root=tf.root, line=line, excerpt=shown,
                          secret=value, redacted=redact(value), severity=Severity.CRITICAL,
                          properties=props)
            else:
                hit = Hit(message=f"'{key}'{who} in {tf.path} sets a password fixed in the "
                          "image (the same on every unit)", path=tf.path, root=tf.root,
                          line=line, excerpt=shown, secret=value, redacted=redact(value),
                          severity=Severity.MEDIUM, confidence="medium", properties=props)
            found.append((tf, hit))
    hits = [_judge_use(ctx, tf, hit) for tf, hit in _fold_archive_copies(found)]
    examined = [Evidence(kind="note", ref="config-files",
                         detail=f"{len(configs)} configuration files searched for password keys")]
    inferred = {"preinstalled_passwords": True} if any(h.confidence != "low" for h in hits) else {}
    return CheckReport(hits=hits, examined=examined, inferred=inferred,
                       summary=f"{len(configs)} configuration files examined")


# ---- IOTB-CRED-006: passwords derived from public data ----------------------------------------

_PUBLIC_SOURCE = re.compile(
    r"(?i)(macaddr|mac_addr|hwaddr|ethaddr|wlanaddr|/sys/class/net/[^\s\"']*/address|"
    r"\bifconfig\b[^|\n]*\|[^\n]*(?:hwaddr|ether)|\bget_?mac\b|\bserial(?:_?(?:no|num|number))?\b|"
    r"\bsn\b|\bssid\b|\bboard_?id\b|\bdevice_?id\b|\bimei\b)")
_COUNTER = re.compile(r"\$\(\(\s*\w+\s*\+\s*1\s*\)\)|\b(?:counter|count|idx|index)\b\s*\+\+")
_PASSWORD_SINK = re.compile(
    r"(?i)(\bchpasswd\b|\|\s*passwd\b|\bpasswd\s+\w|openssl\s+passwd|\bmkpasswd\b|"
    r"(?:pass(?:word|wd)?|pwd|passphrase|psk|wpa_key)[\w.]*\s*=|"
    r"uci\s+set\s+[\w.@\[\]-]*\.(?:key|password|passwd)\s*=|\blogin\s+-p\b)")
_SINK_HINTS = ("passw", "pwd", "passphrase", "psk", "wpa_key", "chpasswd", "uci set", "login -p")
_ASSIGN_VAR = re.compile(r"^\s*(?:local\s+|export\s+)?([A-Za-z_]\w*)=(.*)$")


def tainted_vars(lines: list[str], source: re.Pattern[str] = _PUBLIC_SOURCE) -> set[str]:
    """Shell variables whose value comes from ``source`` (directly or via other variables)."""
    tainted: set[str] = set()
    for _ in range(3):  # a few rounds reach values passed through helper variables
        for line in lines:
            m = _ASSIGN_VAR.match(line)
            if not m:
                continue
            name, value = m.groups()
            if name in tainted:
                continue
            if source.search(value) or any(
                re.search(rf"\$\{{?{re.escape(v)}\b", value) for v in tainted
            ):
                tainted.add(name)
    return tainted


def uses_var(line: str, names: set[str]) -> str | None:
    return next((v for v in names if re.search(rf"\$\{{?{re.escape(v)}\b", line)), None)


def _derivations(tf: TextFile) -> list[tuple[int, str, str]]:
    if not tf.mentions(_SINK_HINTS) or not _PASSWORD_SINK.search(tf.text):
        return []
    lines = tf.lines()
    tainted = tainted_vars(lines)
    out = []
    for number, line in enumerate(lines, start=1):
        if is_comment(line) or not _PASSWORD_SINK.search(line):
            continue
        rhs = line  # a pipe puts the value before the sink ("echo $pw | chpasswd")
        source = _PUBLIC_SOURCE.search(rhs)
        used = uses_var(rhs, tainted)
        if source is not None:
            out.append((number, line, f"public identifier '{source.group(0)}'"))
        elif used is not None:
            out.append((number, line, f"variable ${used}, taken from a public identifier"))
        elif _COUNTER.search(rhs):
            out.append((number, line, "a counter"))
    return out


@check(CheckSpec(
    id="IOTB-CRED-006",
    title="Passwords derived from public identifiers or a counter",
    severity=Severity.HIGH,
    rationale=("A per-device password computed from the MAC address, serial number or SSID (or "
               "numbered in sequence) can be computed by anyone who can read that identifier."),
    remedy=("Generate per-device passwords from a cryptographic random source at "
            "manufacturing and store them protected, never recomputable from public data."),
    provisions=("etsi-en-303-645:5.1-2", "xiaomi-2.0:3.2.2", "tencent-qtx-001.1:5.3.2-3",
                "owasp-isvs:V2.1.7", "owasp-isvs:V2.1.10"),
    cwe=(1391, 330),
    tags=("credentials",),
))
def find_derived_passwords(ctx: CheckContext) -> CheckReport:
    scripts = [tf for tf in text_files(ctx)
               if tf.entry.kind == "script" or tf.path.startswith(("/etc/init.d/", "/etc/rc",
                                                                   "/etc/uci-defaults/"))
               or tf.path.endswith((".sh", ".lua", ".py"))]
    if not scripts:
        return CheckReport(not_applicable="no scripts in the image")
    hits = [
        Hit(message=f"{tf.path} sets a password or key from {how}", path=tf.path, root=tf.root,
            line=line, excerpt=excerpt(text), confidence="medium", properties={"source": how})
        for tf in scripts for line, text, how in _derivations(tf)
    ]
    return CheckReport(hits=hits, examined=[Evidence(kind="note", ref="scripts", detail=(
        f"{len(scripts)} scripts searched for passwords built from MAC/serial/SSID/counters"))],
        summary=f"{len(scripts)} scripts examined")


CHECKS = (find_config_passwords, find_derived_passwords)
