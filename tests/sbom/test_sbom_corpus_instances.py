"""One version per component instance on the real corpus: for every component that a product's
tests/corpus/<product>/components.yaml expects (written from GROUND_TRUTH.md), the scan reports
that component with the expected version only — no second, guessed version beside it (the
accuracy harness checks that the expected version is there; this checks that nothing else is).
Products are scanned through the real pipeline once each (tests/accuracy_harness.py)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from accuracy_harness import ProductScan, load_products, scan_product, scan_work_dir  # noqa: E402

PRODUCTS = {p.name: p for p in load_products() if p.has_product_file and p.components}

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def work() -> Iterator[Path]:
    path = scan_work_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("product", sorted(PRODUCTS))
def test_expected_components_have_one_version(work: Path, corpus: Path, product: str) -> None:
    scan: ProductScan = scan_product(PRODUCTS[product], corpus, work)
    seen: dict[str, set[str | None]] = {}
    for assessment in scan.assessments:
        for c in assessment.components:
            seen.setdefault(c.name.lower(), set()).add(c.version)
    problems = []
    for rule in PRODUCTS[product].components:
        versions = seen.get(rule.name.lower(), set())
        if versions != {rule.version}:
            problems.append(f"{rule.name}: expected {rule.version}, reported {sorted(map(str, versions))}")
    assert problems == [], f"{product}: {problems}"
