"""AND/OR/negate evaluation. No real NVD record in ../shared uses ``negate: true`` (searched:
0 of 2,554), so these configurations are written here, each outcome worked out by hand."""

from __future__ import annotations

import msgspec

from iotbaseline.vulns.configs import ConfigEvaluator, Subject, Truth
from iotbaseline.vulns.nvd import Configuration

APP = "cpe:2.3:a:example:app:*:*:*:*:*:*:*:*"
LIB = "cpe:2.3:a:example:lib:*:*:*:*:*:*:*:*"
HW = "cpe:2.3:h:example:board:-:*:*:*:*:*:*:*"


def configs(data: list[dict[str, object]]) -> list[Configuration]:
    return msgspec.convert(data, list[Configuration])


def subject(product: str, version: str, is_os: bool = False) -> Subject:
    return Subject(ref=product, pairs=frozenset({("example", product)}), version=version,
                   is_os=is_os)


app = subject("app", "1.5")
lib = subject("lib", "2.0")


def node(op: str, *matches: dict[str, object], negate: bool = False) -> dict[str, object]:
    return {"operator": op, "negate": negate, "cpeMatch": list(matches)}


def vuln(criteria: str, **bounds: str) -> dict[str, object]:
    return {"vulnerable": True, "criteria": criteria, **bounds}


def platform(criteria: str) -> dict[str, object]:
    return {"vulnerable": False, "criteria": criteria}


def test_or_node_any_criterion() -> None:
    # app < 1.0 OR app >= 1.4: 1.5 is in the second range → TRUE
    c = configs([{"nodes": [node("OR", vuln(APP, versionEndExcluding="1.0"),
                                 vuln(APP, versionStartIncluding="1.4"))]}])
    result = ConfigEvaluator([app]).evaluate(c, app)
    assert result.truth is Truth.TRUE and "versionStartIncluding" not in result.matched[0]
    assert ">= 1.4" in result.matched[0]


def test_and_of_two_vulnerable_components() -> None:
    # AND(app <= 2, lib < 2.0): lib 2.0 is not < 2.0 → FALSE; with lib 1.9 → TRUE
    c = configs([{"operator": "AND", "nodes": [
        node("OR", vuln(APP, versionEndIncluding="2")),
        node("OR", vuln(LIB, versionEndExcluding="2.0"))]}])
    assert ConfigEvaluator([app, lib]).evaluate(c, app).truth is Truth.FALSE
    old_lib = subject("lib", "1.9")
    assert ConfigEvaluator([app, old_lib]).evaluate(c, app).truth is Truth.TRUE


def test_negated_node() -> None:
    # AND(app any, NOT(lib >= 2.0)): app affected unless lib 2.0+ is present.
    c = configs([{"operator": "AND", "nodes": [
        node("OR", vuln(APP)),
        node("OR", vuln(LIB, versionStartIncluding="2.0"), negate=True)]}])
    assert ConfigEvaluator([app, lib]).evaluate(c, app).truth is Truth.FALSE  # lib 2.0: NOT → F
    old_lib = subject("lib", "1.0")
    assert ConfigEvaluator([app, old_lib]).evaluate(c, app).truth is Truth.TRUE
    assert ConfigEvaluator([app]).evaluate(c, app).truth is Truth.TRUE  # no lib at all


def test_negated_configuration() -> None:
    # negate on the configuration flips its value: NOT(app < 1.0) with app 1.5 → TRUE,
    # but app matched no vulnerable criterion, so it is not reported as affected
    c = configs([{"negate": True, "nodes": [node("OR", vuln(APP, versionEndExcluding="1.0"))]}])
    result = ConfigEvaluator([app]).evaluate(c, app)
    assert result.truth is Truth.FALSE and result.matched == []


def test_hardware_platform_stays_unknown() -> None:
    # AND(app any, board hardware): we cannot see hardware → UNKNOWN (reported, marked)
    c = configs([{"operator": "AND", "nodes": [node("OR", vuln(APP)), node("OR", platform(HW))]}])
    result = ConfigEvaluator([app]).evaluate(c, app)
    assert result.truth is Truth.UNKNOWN and result.unverified == [HW]


def test_configuration_of_other_product_does_not_match() -> None:
    c = configs([{"nodes": [node("OR", vuln(LIB))]}])
    assert ConfigEvaluator([app, lib]).evaluate(c, app).matched == []
