"""What the vendor's own programs and templates contain: packet-filter rule templates, firmware
upgrade handlers and factory-reset routines.

Routers often set up their firewall, update and reset inside a monolithic daemon (Broadcom `rc`,
ZyXEL `cfm`, a vendor web server) or PHP/shell templates rendered at run time, not in init
scripts. Before a check claims that something is absent, it asks here (issue 10, class 1):
a hit means "the image does have it, inside a vendor program", so no absence is claimed.
Computed once per run and shared by the checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from iotbaseline.analysis.boot import boot_model
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.textscan import excerpt, search, search_binaries
from iotbaseline.model import Evidence

MAX_EVIDENCE = 5

# iptables command templates and rule fragments ("iptables -I INPUT …", "-A FORWARD … -j DROP"),
# and routines named for loading them (BcmCfmSec_FltInRuniptables, loadIpTables)
FIREWALL = re.compile(
    r"\b(?:ip6?tables|nft)\b[^\n]{0,40}?\s-(?:[AIPN]|t\s+\w+\s+-[AIPN])\s+\S+"
    r"|-[AI]\s+(?:INPUT|FORWARD|PREROUTING)\b[^\n]{0,120}?-j\s+(?:DROP|REJECT)"
    r"|\b\w*(?:run|load)_?ip_?tables\w*", re.IGNORECASE)
# firmware upload/upgrade handlers in web servers and CGIs, and firmware signature routines
UPGRADE = re.compile(
    r"\b(?:do_upgrade\w*|\w*upgrade\.cgi|\w*_?upgrade_cgi|fwupgrade\w*|http_upgrade|tftp_upgrade|"
    r"\w+_sys_?upgrade\w*|firmware_?upgrade\w*|upgrade_?firmware\w*|checkDigitalSign\w*|"
    r"verify_?image\w*|seama_\w*check\w*|fw_?upload\w*|upload_?firmware\w*|\w*flash_?image\w*|"
    r"\w*_CGI_Upgrade\w*)\b", re.IGNORECASE)
# restore-defaults routines and pages
RESET = re.compile(
    r"\b(?:\w*restore_?defaults?\w*|\w*factory_?defaults?\w*|\w*factory_?reset\w*|"
    r"reset_?to_?default\w*|load_?default\w*|nvram\s+erase|resetbutton\w*|\w*RestoreDefault\w*|"
    r"\w*RestoreFactory\w*|\w*_CGI_Restore\w*|restore\.cgi)",
    re.IGNORECASE)

_EXECUTABLE_DIRS = ("/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/lib/", "/lib/", "/htdocs/",
                    "/www/", "/webs/", "/web/", "/etc/",
                    # app partitions mounted from the device's own flash (cameras: /mnt/mtd/ipc)
                    "/mnt/", "/app/", "/opt/")


# in scripts and templates only a rule that blocks counts ("iptables -P INPUT ACCEPT" does not)
FIREWALL_TEXT = re.compile(r"\b(?:ip6?tables|nft)\b[^\n]*\b(?:DROP|REJECT|drop|reject)\b")
_NOT_SERVER_SIDE = (".js", ".css", ".txt", ".md", ".html", ".htm")


@dataclass(frozen=True)
class VendorFacts:
    firewall: tuple[Evidence, ...]
    upgrade: tuple[Evidence, ...]
    reset: tuple[Evidence, ...]


def _find(ctx: CheckContext, pattern: re.Pattern[str], what: str,
          text_pattern: re.Pattern[str] | None = None) -> tuple[Evidence, ...]:
    """Programs (strings) and server-side scripts/templates holding ``pattern``; scripts the boot
    model already read are left to the checks (they judge what those scripts do)."""
    found: list[Evidence] = []
    seen: set[str] = set()
    in_programs: Callable[..., bool] = lambda b: bool(b.entry) and b.name.startswith(_EXECUTABLE_DIRS)
    for bm in search_binaries(ctx, pattern, where=in_programs):
        if bm.blob.name in seen:
            continue
        seen.add(bm.blob.name)
        found.append(Evidence(kind="file", ref=bm.blob.name, detail=f"{what} inside this program "
                              f"(string at offset {bm.offset})", excerpt=bm.string[:160]))
        if len(found) >= MAX_EVIDENCE:
            return tuple(found)
    followed = set(boot_model(ctx).scripts) | set(boot_model(ctx).files)
    for tm in search(ctx, text_pattern or pattern,
                     where=lambda t: t.path.startswith(_EXECUTABLE_DIRS) and t.path not in followed
                     and not t.path.endswith(_NOT_SERVER_SIDE)):
        if tm.file.path in seen or tm.line_text.lstrip().startswith("#"):
            continue
        seen.add(tm.file.path)
        found.append(Evidence(kind="file", ref=tm.file.path, line=tm.line,
                              detail=f"{what} in this script or template", excerpt=excerpt(tm.line_text)))
        if len(found) >= MAX_EVIDENCE:
            break
    return tuple(found)


def _compute(ctx: CheckContext) -> VendorFacts:
    return VendorFacts(
        firewall=_find(ctx, FIREWALL, "packet-filter rule template", FIREWALL_TEXT),
        upgrade=_find(ctx, UPGRADE, "firmware upgrade handler"),
        reset=_find(ctx, RESET, "restore-defaults routine"),
    )


def vendor_facts(ctx: CheckContext) -> VendorFacts:
    """Firewall, upgrade and reset evidence inside the image's programs and templates (cached)."""
    facts: VendorFacts = ctx.fact("analysis.vendor_programs", _compute)
    return facts
