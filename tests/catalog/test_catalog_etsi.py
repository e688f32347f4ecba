"""The ETSI EN 303 645 catalog against Annex B Table B.1, transcribed by hand from the seed
(../shared/seeds/002_*.txt) independently of the YAML file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from iotbaseline.catalog.loader import load_catalog

# Table B.1, row by row: provision -> (status, conditions). 4-1 is not a row of the table; the
# text of clause 4 makes it an unconditional "shall" (M). The seed prints 5.3-10 as "M (11, 12)":
# a status with conditions is conditional, hence MC.
TABLE_B1: dict[str, tuple[str, tuple[str, ...]]] = {
    "4-1": ("M", ()),
    "5.1-1": ("MC", ("1",)),
    "5.1-2": ("MC", ("2",)),
    "5.1-3": ("M", ()),
    "5.1-4": ("MC", ("8",)),
    "5.1-5": ("MC", ("5",)),
    "5.2-1": ("M", ()),
    "5.2-2": ("R", ()),
    "5.2-3": ("R", ()),
    "5.3-1": ("R", ()),
    "5.3-2": ("MC", ("5",)),
    "5.3-3": ("MC", ("12",)),
    "5.3-4": ("RC", ("12",)),
    "5.3-5": ("RC", ("12",)),
    "5.3-6": ("RC", ("9", "12")),
    "5.3-7": ("MC", ("12",)),
    "5.3-8": ("MC", ("12",)),
    "5.3-9": ("RC", ("12",)),
    "5.3-10": ("MC", ("11", "12")),
    "5.3-11": ("RC", ("12",)),
    "5.3-12": ("RC", ("12",)),
    "5.3-13": ("M", ()),
    "5.3-14": ("RC", ("3", "4")),
    "5.3-15": ("RC", ("3", "4")),
    "5.3-16": ("M", ()),
    "5.4-1": ("M", ()),
    "5.4-2": ("MC", ("10",)),
    "5.4-3": ("M", ()),
    "5.4-4": ("M", ()),
    "5.5-1": ("M", ()),
    "5.5-2": ("R", ()),
    "5.5-3": ("R", ()),
    "5.5-4": ("R", ()),
    "5.5-5": ("M", ()),
    "5.5-6": ("R", ()),
    "5.5-7": ("M", ()),
    "5.5-8": ("M", ()),
    "5.6-1": ("M", ()),
    "5.6-2": ("M", ()),
    "5.6-3": ("R", ()),
    "5.6-4": ("MC", ("13",)),
    "5.6-5": ("R", ()),
    "5.6-6": ("R", ()),
    "5.6-7": ("R", ()),
    "5.6-8": ("R", ()),
    "5.6-9": ("R", ()),
    "5.7-1": ("R", ()),
    "5.7-2": ("R", ()),
    "5.8-1": ("R", ()),
    "5.8-2": ("M", ()),
    "5.8-3": ("M", ()),
    "5.9-1": ("R", ()),
    "5.9-2": ("R", ()),
    "5.9-3": ("R", ()),
    "5.10-1": ("RC", ("6",)),
    "5.11-1": ("M", ()),
    "5.11-2": ("R", ()),
    "5.11-3": ("R", ()),
    "5.11-4": ("R", ()),
    "5.12-1": ("R", ()),
    "5.12-2": ("R", ()),
    "5.12-3": ("R", ()),
    "5.13-1": ("M", ()),
    "6-1": ("M", ()),
    "6-2": ("MC", ("7",)),
    "6-3": ("M", ()),
    "6-4": ("RC", ("6",)),
    "6-5": ("MC", ("6",)),
}

# The 13 conditions at the foot of Table B.1 and the profile fields that answer them.
CONDITION_FIELDS = {
    "1": ("uses_passwords", False),
    "2": ("preinstalled_passwords", False),
    "3": ("software_updatable", True),
    "4": ("constrained_device", False),
    "5": ("constrained_device", True),
    "6": ("telemetry_collected", False),
    "7": ("consent_based_processing", False),
    "8": ("user_authentication", False),
    "9": ("automatic_updates_or_notifications", False),
    "10": ("hardcoded_unique_identity", False),
    "11": ("updates_via_network", False),
    "12": ("update_mechanism", False),
    "13": ("debug_interface_physically_accessible", False),
}

TS_103_701 = Path("/work/shared/reference/etsi-ts-103-701")


def test_etsi_has_68_provisions_in_order() -> None:
    catalog = load_catalog("etsi-en-303-645")
    ids = [r.id for r in catalog.requirements if not r.is_group]
    assert len(ids) == 68
    assert ids == list(TABLE_B1)


@pytest.mark.parametrize("provision", list(TABLE_B1))
def test_etsi_status_and_conditions_match_table_b1(provision: str) -> None:
    req = {r.id: r for r in load_catalog("etsi-en-303-645").requirements}[provision]
    status, conditions = TABLE_B1[provision]
    assert req.status == status
    assert tuple(req.conditions) == conditions
    # conditional statuses carry conditions, unconditional ones never do
    assert status.endswith("C") == bool(conditions)
    assert req.clause == provision.split("-")[0]
    assert req.summary.strip()


def test_etsi_conditions_and_profile_fields() -> None:
    catalog = load_catalog("etsi-en-303-645")
    got = {c.id: (c.profile_field, c.negated) for c in catalog.conditions}
    assert got == CONDITION_FIELDS


def test_etsi_multi_condition_provisions_need_all_conditions() -> None:
    # 5.3-6 (auto-update support AND an update mechanism), 5.3-10 (network delivery AND
    # mechanism), 5.3-14/15 (constrained AND not updatable): the provision texts join them.
    reqs = {r.id: r for r in load_catalog("etsi-en-303-645").requirements}
    for pid in ("5.3-6", "5.3-10", "5.3-14", "5.3-15"):
        assert reqs[pid].condition_logic == "all"


def test_etsi_5_3_10_note_explains_mc() -> None:
    notes = " ".join(load_catalog("etsi-en-303-645").notes)
    assert "5.3-10" in notes and "MC" in notes


def test_etsi_test_cases_match_ts_103_701() -> None:
    reqs = {r.id: r for r in load_catalog("etsi-en-303-645").requirements}
    with (TS_103_701 / "ts103701_v1.1.1_test_cases.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert len(rows) == 108
    attached = [(tc.id, tc.kind) for r in reqs.values() for tc in r.test_cases]
    assert sorted(attached) == sorted((row["test_case"], row["kind"]) for row in rows)
    for row in rows:
        assert row["test_case"] in {tc.id for tc in reqs[row["test_group"]].test_cases}
    # hand-checked examples
    assert [(t.id, t.kind) for t in reqs["5.1-1"].test_cases] == [
        ("5.1-1-1", "conceptual"),
        ("5.1-1-2", "functional"),
    ]
    assert [(t.id, t.kind) for t in reqs["5.8-3"].test_cases] == [("5.8-3-1", "functional")]


def test_etsi_ixit_references() -> None:
    reqs = {r.id: r for r in load_catalog("etsi-en-303-645").requirements}
    assert reqs["5.1-1"].ixit == ["1-AuthMech"]
    assert set(reqs["5.13-1"].ixit) == {"11-ComMech", "27-UserIntf", "28-ExtAPI", "29-InpVal"}
    assert set(reqs["5.3-10"].ixit) == {"7-UpdMech"}
    assert reqs["4-1"].ixit == []
