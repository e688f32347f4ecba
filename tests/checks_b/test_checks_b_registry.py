"""Group B checks: registered, ids unique and well formed, every cited requirement exists."""

from __future__ import annotations

import importlib
import pkgutil
import re

import iotbaseline.checks as checks_pkg
from iotbaseline.catalog.loader import ref_exists
from iotbaseline.checks.registry import GROUP_B, all_checks

GROUP_B_PREFIXES = ("svc_", "debug_", "android_", "firewall_", "priv_", "hard_", "update_",
                    "boot_")
ID_PATTERN = re.compile(r"^IOTB-(SVC|DEBUG|ANDROID|FW|PRIV|HARD|UPD|BOOT)-\d{3}$")


def test_every_group_b_module_with_checks_is_registered() -> None:
    registered = {m.__name__ for m in GROUP_B}
    for info in pkgutil.iter_modules(checks_pkg.__path__):
        if not info.name.startswith(GROUP_B_PREFIXES):
            continue
        module = importlib.import_module(f"iotbaseline.checks.{info.name}")
        if hasattr(module, "CHECKS"):
            assert module.__name__ in registered, f"{info.name} defines CHECKS but is not in GROUP_B"


def test_ids_are_unique_and_well_formed() -> None:
    ids = [c.spec.id for c in all_checks()]
    assert len(ids) == len(set(ids))
    group_b = [c.spec.id for m in GROUP_B for c in m.CHECKS]
    assert len(group_b) >= 40
    assert all(ID_PATTERN.match(i) for i in group_b), group_b


def test_every_cited_requirement_exists_in_its_catalog() -> None:
    missing = [(c.spec.id, p) for m in GROUP_B for c in m.CHECKS for p in c.spec.provisions
               if not ref_exists(p)]
    assert missing == []


def test_every_check_cites_all_four_catalogs_where_it_can_and_has_words() -> None:
    for module in GROUP_B:
        for c in module.CHECKS:
            catalogs = {p.split(":", 1)[0] for p in c.spec.provisions}
            assert "owasp-isvs" in catalogs, c.spec.id
            assert catalogs & {"etsi-en-303-645", "xiaomi-2.0"}, c.spec.id
            assert len(c.spec.rationale) > 40 and len(c.spec.remedy) > 20, c.spec.id
