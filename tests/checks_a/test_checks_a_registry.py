"""Group A checks: registered, ids unique and well formed, cited requirements exist — both in
the project's catalogs and in the source documents in ../shared (counted independently here)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import iotbaseline.checks as checks_pkg
from iotbaseline.catalog.loader import ref_exists
from iotbaseline.checks.registry import GROUP_A, all_checks

GROUP_A_PREFIXES = ("cred_", "secret_", "cert_", "crypto_", "comm_", "disclosure_")
ID_PATTERN = re.compile(r"^IOTB-(CRED|KEY|CERT|SECRET|CRYPTO|COMM|WIFI|DISC)-\d{3}$")
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


def test_every_group_a_module_with_checks_is_registered() -> None:
    registered = {m.__name__ for m in GROUP_A}
    for info in pkgutil.iter_modules(checks_pkg.__path__):
        if info.name.startswith(GROUP_A_PREFIXES):
            module = importlib.import_module(f"iotbaseline.checks.{info.name}")
            if hasattr(module, "CHECKS"):
                assert module.__name__ in registered, info.name


def test_ids_unique_well_formed_and_words_present() -> None:
    ids = [c.spec.id for c in all_checks()]
    assert len(ids) == len(set(ids))
    for c in (c for m in GROUP_A for c in m.CHECKS):
        assert ID_PATTERN.match(c.spec.id), c.spec.id
        assert len(c.spec.rationale) > 40 and len(c.spec.remedy) > 20, c.spec.id
        if c.spec.id != "IOTB-DISC-002":  # no ISVS requirement is about the model designation
            assert "owasp-isvs" in {p.split(":", 1)[0] for p in c.spec.provisions}, c.spec.id


def test_every_cited_requirement_exists_in_the_catalogs() -> None:
    missing = [(c.spec.id, p) for m in GROUP_A for c in m.CHECKS for p in c.spec.provisions
               if not ref_exists(p)]
    assert missing == []


def _tencent_bullets() -> dict[str, int]:
    seed = next((SHARED / "seeds").glob("004_*.txt"))
    counts: dict[str, int] = {}
    clause = None
    for line in seed.read_text().splitlines():
        m = re.match(r"^(5\.\d+\.\d+) ", line)
        if m:
            clause = m.group(1)
            counts[clause] = 0
        elif clause and re.match(r"^\s*(——|- )", line):
            counts[clause] += 1
    return counts


def test_cited_requirements_exist_in_the_source_documents() -> None:
    if not (SHARED / "seeds").is_dir():
        pytest.skip("../shared is not beside the project")
    etsi = set(re.findall(r"5\.[1-8]-\d+", next((SHARED / "seeds").glob("002_*.txt")).read_text()))
    xiaomi = {line.split("\t")[0] for line in
              (SHARED / "reference/xiaomi/xiaomi_baseline_v2.0_ids.tsv").read_text().splitlines()
              if "\tTrue\t" in line}
    isvs = {line.split("\t")[0] for line in
            (SHARED / "reference/owasp-isvs/isvs_requirements.tsv").read_text().splitlines()}
    bullets = _tencent_bullets()

    def exists(ref: str) -> bool:
        catalog, rid = ref.split(":", 1)
        if catalog == "tencent-qtx-001.1":
            clause, n = rid.rsplit("-", 1)
            return 1 <= int(n) <= bullets.get(clause, 0)
        return rid in {"etsi-en-303-645": etsi, "xiaomi-2.0": xiaomi, "owasp-isvs": isvs}[catalog]

    missing = [(c.spec.id, p) for m in GROUP_A for c in m.CHECKS for p in c.spec.provisions
               if not exists(p)]
    assert missing == []


def test_checks_list_in_a_pipe_keeps_every_requirement_whole():
    # CliRunner output is not a terminal (80 columns, as in a CI log or `| grep`): ids used to be
    # cut to "tencent-qtx-001.1:5.3…", so grepping for a requirement found nothing.
    from click.testing import CliRunner

    from iotbaseline.checks.registry import all_checks
    from iotbaseline.cli import main

    result = CliRunner().invoke(main, ["checks", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for c in all_checks():
        assert any(c.spec.id in line for line in lines), c.spec.id
        for provision in c.spec.provisions:
            assert any(provision in line for line in lines), (c.spec.id, provision)
