"""Xiaomi 2.0, Tencent Q/TX 001.1 and OWASP ISVS catalogs: exact counts and hand-checked facts."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from iotbaseline.catalog.loader import load_catalog

XIAOMI = Path("/work/shared/reference/xiaomi/xiaomi_baseline_v2.0_ids.tsv")
ISVS = Path("/work/shared/reference/owasp-isvs/isvs_requirements.tsv")


def _reqs(catalog_id: str) -> dict:
    return {r.id: r for r in load_catalog(catalog_id).requirements}


# ---------------- Xiaomi 2.0 ----------------

def test_xiaomi_has_69_requirements_in_six_chapters() -> None:
    cat = load_catalog("xiaomi-2.0")
    reqs = [r for r in cat.requirements if not r.is_group]
    assert len(reqs) == 69
    assert [c.id for c in cat.chapters] == ["1", "2", "3", "4", "5", "6"]
    # requirements per chapter, counted by hand in the table of contents / Appendix B
    assert Counter(r.chapter for r in reqs) == {"1": 12, "2": 8, "3": 14, "4": 22, "5": 7, "6": 6}
    groups = {r.id for r in cat.requirements if r.is_group}
    assert groups == {"1.1", "1.2", "2.1", "3.1", "3.2", "4.1", "4.2", "4.3", "4.4", "4.5"}


def test_xiaomi_levels_match_appendix_b_spot_checks() -> None:
    # read by hand from the Appendix B table of the English edition
    reqs = _reqs("xiaomi-2.0")
    assert reqs["1.1.1"].levels == ["M", "H"]
    assert reqs["1.1.2"].levels == ["H"]
    assert reqs["2.1.1"].levels == ["L", "M", "H"]
    assert reqs["2.1.2"].levels == ["H"]
    assert reqs["3.1.2"].levels == ["L", "M", "H"]
    assert reqs["3.2.2"].levels == ["H"]
    assert reqs["3.2.9"].levels == ["L", "M", "H"]
    assert reqs["4.1.3"].levels == ["H"]
    for rid in ("1.3", "1.4", "4.3.7"):  # absent from the Appendix B table
        assert reqs[rid].levels == [] and reqs[rid].level_note


def test_xiaomi_levels_and_conditions_match_the_id_list() -> None:
    reqs = _reqs("xiaomi-2.0")
    with XIAOMI.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert len(rows) == len(reqs)
    for row in rows:
        req = reqs[row["id"]]
        assert req.is_group == (row["is_requirement"] == "False")
        assert req.title_zh == row["title_zh"]
        if row["levels"] and not row["levels"].startswith("("):
            assert req.levels == row["levels"].split(",")
        assert bool(req.conditions) == bool(row["condition"].strip())


def test_xiaomi_conditions() -> None:
    cat = load_catalog("xiaomi-2.0")
    fields = {c.id: c.profile_field for c in cat.conditions}
    assert sorted(fields.values()) == sorted([
        "device_is_smart_lock", "device_is_doorbell", "device_is_outdoor",
        "device_opens_wifi_hotspot"])
    reqs = _reqs("xiaomi-2.0")
    by_field = lambda rid: [fields[c] for c in reqs[rid].conditions]
    assert sorted(by_field("1.5")) == ["device_is_doorbell", "device_is_smart_lock"]
    assert reqs["1.5"].condition_logic == "any"
    assert by_field("1.6") == ["device_is_smart_lock"]
    assert by_field("1.7") == ["device_is_smart_lock"]
    assert by_field("4.2.4") == by_field("4.2.5") == ["device_opens_wifi_hotspot"]
    assert by_field("6.4") == ["device_is_outdoor"]
    assert sum(1 for r in reqs.values() if r.conditions) == 6


# ---------------- Tencent Q/TX 001.1 ----------------

# Bullets per clause of clause 5, counted by hand in the seed (5.1.3 has two dash bullets and two
# undashed requirement sentences, fingerprint and GPS).
TENCENT_BULLETS = {
    "5.1.1": 5, "5.1.2": 2, "5.1.3": 4, "5.1.4": 3, "5.1.5": 6, "5.1.6": 4, "5.1.7": 11,
    "5.2.1": 6, "5.2.2": 4, "5.2.3": 5, "5.2.4": 3,
    "5.3.1": 3, "5.3.2": 4, "5.3.3": 3, "5.3.4": 9, "5.3.5": 10,
}


# Requirement sentences that introduce a clause before its bullets (seed 004, 5.2.2: 必须分配一个
# 独一无二的身份编号 … 无法伪造与防硬件篡改), recorded as bullet 0 of the clause (issue 16).
TENCENT_INTRO_STATEMENTS = {"5.2.2-0"}


def test_tencent_bullet_count_is_exact() -> None:
    cat = load_catalog("tencent-qtx-001.1")
    bullets = [r for r in cat.requirements if r.id not in TENCENT_INTRO_STATEMENTS]
    assert len(bullets) == 82 == sum(TENCENT_BULLETS.values())
    assert len(cat.requirements) == 83  # 82 bullets + the 5.2.2 introductory statement
    assert Counter(r.clause for r in bullets) == TENCENT_BULLETS
    for req in bullets:
        clause, n = req.id.rsplit("-", 1)
        assert clause == req.clause and 1 <= int(n) <= TENCENT_BULLETS[clause]


def test_tencent_intro_statement_and_title() -> None:
    cat = load_catalog("tencent-qtx-001.1")
    intro = next(r for r in cat.requirements if r.id == "5.2.2-0")
    assert intro.status == "shall" and intro.clause == "5.2.2"  # 必须
    assert "tamper" in intro.summary and "forged" in intro.summary
    assert "Basic Requirements" in cat.title and "基本要求" in cat.title


# Status rule (catalog notes): the modal verb decides. Hand-read from seed 004.
TENCENT_AVOID_STATUSES = {
    "5.1.1-3": "should",  # 应该尽量避免
    "5.1.1-5": "shall",   # 应避免
    "5.1.2-2": "shall",   # 应避免
    "5.1.6-2": "should",  # 尽量避免
    "5.1.6-3": "should",  # 尽量避免
    "5.1.6-4": "shall",   # bare 避免 … 不要 …
    "5.2.1-6": "shall",   # 应避免
}


def test_tencent_avoid_wording_follows_one_rule() -> None:
    cat = load_catalog("tencent-qtx-001.1")
    got = {r.id: r.status for r in cat.requirements if r.id in TENCENT_AVOID_STATUSES}
    assert got == TENCENT_AVOID_STATUSES


@pytest.mark.parametrize(
    ("rid", "words"),
    [
        ("5.1.5-1", "Verified Boot"),   # trusted boot, Android
        ("5.1.6-1", "compiles"),        # secure compile options
        ("5.1.6-3", "ports"),           # avoid open ports
        ("5.1.6-4", "hard-coded"),      # no hard-coded symmetric keys
        ("5.2.1-1", "Wi-Fi"),           # Wi-Fi password
        ("5.2.1-4", "ZigBee"),          # ZigBee alliance key
        ("5.3.2-1", "firewalls"),       # access control
        ("5.3.2-3", "weak-password"),   # account management
        ("5.3.5-10", "monitoring"),     # last bullet
    ],
)
def test_tencent_spot_checked_ids(rid: str, words: str) -> None:
    req = _reqs("tencent-qtx-001.1")[rid]
    assert words in req.summary
    assert req.clause == rid.rsplit("-", 1)[0]


def test_tencent_areas() -> None:
    tags = Counter(r.tags[0] for r in load_catalog("tencent-qtx-001.1").requirements)
    # communication: 18 bullets + the 5.2.2 introductory statement (issue 16)
    assert tags == {"terminal": 35, "communication": 19, "cloud": 29}


# ---------------- OWASP ISVS ----------------

def test_isvs_169_requirements_with_levels_and_licence() -> None:
    cat = load_catalog("owasp-isvs")
    assert len(cat.requirements) == 169
    assert cat.license == "CC-BY-SA-4.0"
    assert cat.attribution and "OWASP" in cat.attribution and "converted to YAML" in cat.attribution
    with ISVS.open(encoding="utf-8") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh, delimiter="\t")}
    for req in cat.requirements:
        assert req.levels == rows[req.id]["levels"].split(",")
        assert req.summary == rows[req.id]["text"]  # verbatim, licensed
    assert Counter(tuple(r.levels) for r in cat.requirements) == {
        ("L1", "L2", "L3"): 78, ("L2", "L3"): 64, ("L3",): 26, ("L1", "L2"): 1}
