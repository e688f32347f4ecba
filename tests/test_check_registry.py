"""The check registry: every check module in every concern package is registered, ids are
unique and well formed, every check has words and cites requirements that exist."""

from __future__ import annotations

import importlib
import pkgutil
import re

import iotbaseline.checks as checks_pkg
from iotbaseline.catalog.loader import ref_exists
from iotbaseline.checks.registry import GROUPS, MODULES, all_checks

ID_PATTERN = re.compile(r"^IOTB-[A-Z]+-\d{3}$")


def _modules_defining_checks() -> list[str]:
    found = []
    for info in pkgutil.walk_packages(checks_pkg.__path__, prefix="iotbaseline.checks."):
        module = importlib.import_module(info.name)
        if hasattr(module, "CHECKS"):
            found.append(info.name)
    return found


def test_every_module_with_checks_is_registered_in_its_concern_group() -> None:
    registered = {m.__name__ for m in MODULES}
    found = _modules_defining_checks()
    assert len(found) >= 25
    assert sorted(set(found) - registered) == []
    for group, modules in GROUPS.items():
        for module in modules:
            # a module sits in the package of its concern group
            assert module.__name__.split(".")[2] == group, module.__name__


def test_ids_unique_and_well_formed() -> None:
    ids = [c.spec.id for c in all_checks()]
    assert len(ids) == len(set(ids))
    assert all(ID_PATTERN.match(i) for i in ids), [i for i in ids if not ID_PATTERN.match(i)]


def test_every_cited_requirement_exists_in_its_catalog() -> None:
    missing = [(c.spec.id, p) for c in all_checks() for p in c.spec.provisions if not ref_exists(p)]
    assert missing == []


def test_every_check_has_words_and_cites_a_baseline() -> None:
    for c in all_checks():
        assert len(c.spec.rationale) > 40 and len(c.spec.remedy) > 20, c.spec.id
        catalogs = {p.split(":", 1)[0] for p in c.spec.provisions}
        assert catalogs & {"etsi-en-303-645", "xiaomi-2.0", "tencent-qtx-001.1"}, c.spec.id
