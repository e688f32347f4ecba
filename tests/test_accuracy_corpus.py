"""Accuracy on the shared corpus: every expectation of tests/corpus/ that is not pending holds.

Each product is scanned once per session through the real pipeline (secrets shown so needles can
match secret values); the expectations are written by hand from each product's GROUND_TRUTH.md
(see tests/corpus/README.md). Needs IOTBASELINE_CORPUS; skips, saying so, without it (CI sets it).
`make accuracy` prints the same scoring as a table.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from accuracy_harness import (
    EXPECTATIONS_DIR,
    FindingRule,
    Product,
    ProductScan,
    describe,
    load_product,
    load_products,
    scan_product,
    scan_work_dir,
    score,
)

PRODUCTS = {p.name: p for p in load_products() if p.has_product_file}

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def scanned(corpus: Path) -> Iterator[Callable[[str], ProductScan]]:
    """Scans a product the first time a test asks for it, then reuses the result."""
    work = scan_work_dir()
    cache: dict[str, ProductScan] = {}

    def get(name: str) -> ProductScan:
        if name not in cache:
            cache[name] = scan_product(PRODUCTS[name], corpus, work)
        return cache[name]

    yield get
    shutil.rmtree(work, ignore_errors=True)


def _cases(kind: str) -> list[object]:
    cases: list[object] = []
    for product in PRODUCTS.values():
        rules = getattr(product, kind)
        for rule in rules:
            if not rule.pending:
                key = f"{rule.topic}:{rule.id}"
                cases.append(pytest.param(product.name, key, id=f"{product.name}/{key}"))
    return cases


def _rule(product: str, kind: str, key: str) -> FindingRule:
    rules: list[FindingRule] = getattr(PRODUCTS[product], kind)
    return next(r for r in rules if f"{r.topic}:{r.id}" == key)


@pytest.mark.parametrize(("product", "rule_id"), _cases("findings"))
def test_expected_finding_is_reported(scanned: Callable[[str], ProductScan], product: str, rule_id: str) -> None:
    rule = _rule(product, "findings", rule_id)
    scan = scanned(product)
    assert any(rule.matches(f) for f in scan.findings), (
        f"{product}: expected finding {rule_id} ({rule.source}) not reported {scan.note}; reported:\n"
        + "\n".join(describe(f) for f in scan.findings)
    )


@pytest.mark.parametrize(("product", "rule_id"), _cases("must_not"))
def test_negative_control_is_respected(scanned: Callable[[str], ProductScan], product: str, rule_id: str) -> None:
    rule = _rule(product, "must_not", rule_id)
    bad = [describe(f) for f in scanned(product).findings if rule.matches(f)]
    assert not bad, f"{product}: negative control {rule_id} ({rule.source}) violated by:\n" + "\n".join(bad)


if _cases("components"):  # only when some product has components expectations (no empty parameter set)

    @pytest.mark.parametrize(("product", "rule_id"), _cases("components"))
    def test_expected_component_version(scanned: Callable[[str], ProductScan], product: str, rule_id: str) -> None:
        prod = PRODUCTS[product]
        result = score(Product(name=product, components=[r for r in prod.components if f"{r.topic}:{r.id}" == rule_id]),
                       scanned(product))
        assert not result.components_missed, f"{product}: {result.components_missed}"


if _cases("verdicts"):  # only when some product has verdicts expectations (no empty parameter set)

    @pytest.mark.parametrize(("product", "rule_id"), _cases("verdicts"))
    def test_expected_verdict(scanned: Callable[[str], ProductScan], product: str, rule_id: str) -> None:
        prod = PRODUCTS[product]
        result = score(Product(name=product, verdicts=[r for r in prod.verdicts if f"{r.topic}:{r.id}" == rule_id]),
                       scanned(product))
        assert not result.verdicts_missed, f"{product}: {result.verdicts_missed}"


if _cases("extraction"):  # only when some product has extraction expectations (no empty parameter set)

    @pytest.mark.parametrize(("product", "rule_id"), _cases("extraction"))
    def test_expected_path_extracted(scanned: Callable[[str], ProductScan], product: str, rule_id: str) -> None:
        prod = PRODUCTS[product]
        result = score(Product(name=product, extraction=[r for r in prod.extraction if f"{r.topic}:{r.id}" == rule_id]),
                       scanned(product))
        assert not result.extraction_missed, f"{product}: {[r.path for r in result.extraction_missed]} not extracted"


def test_expectation_files_follow_the_format() -> None:
    """Every expectation folder loads (the loader raises on a malformed entry) and names inputs
    that exist in the corpus folder of the same name when the corpus is present."""
    for folder in sorted(d for d in EXPECTATIONS_DIR.iterdir() if d.is_dir()):
        product = load_product(folder)
        assert product.findings or product.must_not or product.components or product.extraction \
            or product.verdicts or product.has_product_file, f"{folder.name}: no expectations"


def test_product_inputs_exist(corpus: Path) -> None:
    for product in PRODUCTS.values():
        for name in product.inputs:
            assert (corpus / product.name / name).is_file(), f"{product.name}: input {name} not in the corpus"
