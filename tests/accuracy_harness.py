"""The accuracy harness: reads tests/corpus/<product>/*.yaml, scans each product through the real
pipeline, and scores the findings against the expectations written by hand from GROUND_TRUTH.md.

Shared by tests/test_accuracy_corpus.py (asserts every expectation that is not pending) and
bench/accuracy.py (prints the per-product table), so both score exactly the same way.
The format is described in tests/corpus/README.md.
"""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from iotbaseline.model import Assessment, Finding

EXPECTATIONS_DIR = Path(__file__).resolve().parent / "corpus"
PRODUCT_FILE = "product.yaml"

# The ELF-hardening checks: the second precision figure excludes them.
ELF_HARDENING_CHECKS = tuple(f"IOTB-HARD-00{n}" for n in (1, 2, 3, 4, 5, 6, 8))


class ExpectationError(ValueError):
    """An expectation file does not follow tests/corpus/README.md."""


@dataclass(frozen=True)
class FindingRule:
    """One entry of ``findings`` (must be reported) or ``must_not`` (must not be reported)."""

    id: str
    source: str
    check: str | None = None
    provisions: tuple[str, ...] = ()
    needle: str | None = None
    path: str | None = None
    secret: str | None = None  # the finding's unredacted secret equals this (case-sensitive)
    pending: str | None = None
    topic: str = ""

    def matches(self, finding: Finding) -> bool:
        if self.check and not finding.check.startswith(self.check):
            return False
        if self.secret is not None and finding.secret != self.secret:
            return False
        if self.provisions and not set(self.provisions) <= set(finding.provisions):
            return False
        if self.path and not any(self.path in p for p in _finding_paths(finding)):
            return False
        return not self.needle or self.needle.lower() in _finding_text(finding)


@dataclass(frozen=True)
class ComponentRule:
    id: str
    name: str
    version: str | None  # None: in the SBOM, no version known in the image
    source: str
    pending: str | None = None
    topic: str = ""


@dataclass(frozen=True)
class VerdictRule:
    id: str
    requirement: str  # "catalog:requirement"
    verdict: str
    source: str
    pending: str | None = None
    topic: str = ""


@dataclass(frozen=True)
class ExtractionRule:
    id: str
    path: str
    source: str
    pending: str | None = None
    topic: str = ""


@dataclass
class Product:
    name: str
    inputs: tuple[str, ...] = ()
    mounts: dict[str, str] = field(default_factory=dict)
    kind: str = "linux"
    scan_each: bool = False  # several independent firmwares in one folder (dvid-avr)
    findings: list[FindingRule] = field(default_factory=list)
    must_not: list[FindingRule] = field(default_factory=list)
    components: list[ComponentRule] = field(default_factory=list)
    verdicts: list[VerdictRule] = field(default_factory=list)
    extraction: list[ExtractionRule] = field(default_factory=list)
    has_product_file: bool = False


def _finding_paths(finding: Finding) -> list[str]:
    paths = [finding.location.path or ""]
    paths.extend(e.ref for e in finding.evidence if e.kind == "file")
    return paths


def _finding_text(finding: Finding) -> str:
    """Everything a needle may match: title, message, location, evidence, and the unredacted secret."""
    parts: list[str] = [finding.title, finding.message, finding.location.path or "", finding.secret or ""]
    for ev in finding.evidence:
        parts.extend((ev.ref, ev.detail, ev.excerpt or ""))
    return "\n".join(parts).lower()


def _text(entry: dict[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise ExpectationError(f"{where}: '{key}' must be a string")
    return str(value)


def _required(entry: dict[str, Any], key: str, where: str) -> str:
    value = _text(entry, key, where)
    if not value:
        raise ExpectationError(f"{where}: '{key}' is required")
    return value


def _finding_rule(entry: Any, where: str, topic: str, negative: bool) -> FindingRule:
    if not isinstance(entry, dict):
        raise ExpectationError(f"{where}: each entry must be a mapping")
    provisions = entry.get("provisions") or []
    if not isinstance(provisions, list) or not all(isinstance(p, str) for p in provisions):
        raise ExpectationError(f"{where}: 'provisions' must be a list of strings")
    rule = FindingRule(
        id=_required(entry, "id", where),
        source=_required(entry, "source", where),
        check=_text(entry, "check", where),
        provisions=tuple(provisions),
        needle=_text(entry, "needle", where),
        path=_text(entry, "path", where),
        secret=_text(entry, "secret", where),
        pending=_text(entry, "pending", where),
        topic=topic,
    )
    if negative and not (rule.check or rule.needle or rule.path or rule.secret):
        raise ExpectationError(f"{where}: a must_not entry needs check, needle or path")
    if not negative and not rule.check:
        raise ExpectationError(f"{where}: a findings entry needs 'check'")
    return rule


def _entries(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise ExpectationError(f"{where}: '{key}' must be a list")
    return value


def _read_yaml(path: Path, where: str) -> Any:
    try:
        return yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ExpectationError(f"{where}{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc


def _load_topic(product: Product, path: Path) -> None:
    where = f"{path.parent.name}/{path.name}"
    data = _read_yaml(path, where)
    if not isinstance(data, dict):
        raise ExpectationError(f"{where}: must be a mapping")
    topic = path.stem
    for i, e in enumerate(_entries(data, "findings", where)):
        product.findings.append(_finding_rule(e, f"{where} findings[{i}]", topic, negative=False))
    for i, e in enumerate(_entries(data, "must_not", where)):
        product.must_not.append(_finding_rule(e, f"{where} must_not[{i}]", topic, negative=True))
    for i, e in enumerate(_entries(data, "components", where)):
        w = f"{where} components[{i}]"
        name = _required(e, "name", w)
        if "version" not in e:
            raise ExpectationError(f"{w}: 'version' is required (null: present without a version)")
        version = _text(e, "version", w)
        product.components.append(ComponentRule(
            id=_text(e, "id", w) or f"{name}@{version}", name=name, version=version,
            source=_required(e, "source", w), pending=_text(e, "pending", w), topic=topic))
    for i, e in enumerate(_entries(data, "verdicts", where)):
        w = f"{where} verdicts[{i}]"
        req = _required(e, "requirement", w)
        verdict = _required(e, "verdict", w)
        product.verdicts.append(VerdictRule(
            id=_text(e, "id", w) or f"{req}={verdict}", requirement=req, verdict=verdict,
            source=_required(e, "source", w), pending=_text(e, "pending", w), topic=topic))
    for i, e in enumerate(_entries(data, "extraction", where)):
        w = f"{where} extraction[{i}]"
        p = _required(e, "path", w)
        product.extraction.append(ExtractionRule(
            id=_text(e, "id", w) or p, path=p, source=_required(e, "source", w),
            pending=_text(e, "pending", w), topic=topic))


def _load_product_file(product: Product, path: Path) -> None:
    where = f"{path.parent.name}/{path.name}"
    data = _read_yaml(path, where)
    if not isinstance(data, dict):
        raise ExpectationError(f"{where}: must be a mapping")
    inputs = data.get("inputs") or []
    if not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs):
        raise ExpectationError(f"{where}: 'inputs' must be a non-empty list of file names")
    mounts = data.get("mounts") or {}
    if not isinstance(mounts, dict):
        raise ExpectationError(f"{where}: 'mounts' must be a mapping of input to mount point")
    product.inputs = tuple(inputs)
    product.mounts = {str(k): str(v) for k, v in mounts.items()}
    product.kind = str(data.get("kind", "linux"))
    product.scan_each = bool(data.get("scan_each", False))
    product.has_product_file = True


def load_product(folder: Path) -> Product:
    product = Product(name=folder.name)
    for path in sorted(folder.glob("*.yaml")):
        if path.name == PRODUCT_FILE:
            _load_product_file(product, path)
        else:
            _load_topic(product, path)
    ids = [f"{r.topic}.yaml:{r.id}" for r in (*product.findings, *product.must_not)]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:  # unique within a topic file: topics are written by different engineers
        raise ExpectationError(f"{folder.name}: expectation ids repeat: {', '.join(dupes)}")
    return product


def load_products(root: Path = EXPECTATIONS_DIR) -> list[Product]:
    return [load_product(d) for d in sorted(root.iterdir()) if d.is_dir() and any(d.glob("*.yaml"))]


# --------------------------------------------------------------------------------------------
# Scanning
# --------------------------------------------------------------------------------------------


@dataclass
class ProductScan:
    """The result of scanning one product: the merged findings and the assessments."""

    product: str
    assessments: list[Assessment]
    seconds: float
    note: str = ""  # e.g. why only part of the inputs was scanned

    @property
    def findings(self) -> list[Finding]:
        return [f for a in self.assessments for f in a.findings]


def _run_scan_takes_several() -> bool:
    from iotbaseline.pipeline import run_scan

    first = next(iter(inspect.signature(run_scan).parameters.values()))
    return "Sequence" in str(first.annotation) or "list" in str(first.annotation)


def _options(out: Path, product: Product, db_path: Path | None) -> Any:
    from iotbaseline.pipeline import ScanOptions

    kwargs: dict[str, Any] = {
        "out_dir": out, "show_secrets": True, "formats": ("json",),
        "use_db": db_path is not None, "db_path": db_path,
    }
    if product.mounts and "mounts" in ScanOptions.__dataclass_fields__:
        kwargs["mounts"] = dict(product.mounts)
    return ScanOptions(**kwargs)


def scan_product(product: Product, corpus: Path, work: Path, db_path: Path | None = None) -> ProductScan:
    """Scan the product through iotbaseline.pipeline.run_scan (the real scan, secrets shown)."""
    import time

    from iotbaseline.pipeline import run_scan

    folder = corpus / product.name
    sources = [folder / name for name in product.inputs]
    started = time.perf_counter()
    assessments: list[Assessment] = []
    note = ""
    if product.scan_each or len(sources) == 1:
        for i, src in enumerate(sources):
            result = run_scan(src, _options(work / f"{product.name}-{i}", product, db_path))
            assessments.append(result.assessment)
    elif _run_scan_takes_several():
        result = run_scan(sources, _options(work / product.name, product, db_path))  # type: ignore[arg-type]
        assessments.append(result.assessment)
    else:  # until run_scan accepts several inputs: the first input alone, said so
        result = run_scan(sources[0], _options(work / product.name, product, db_path))
        assessments.append(result.assessment)
        note = f"run_scan takes one input: only {product.inputs[0]} scanned"
    return ProductScan(product.name, assessments, time.perf_counter() - started, note)


def scan_work_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="iotb-accuracy-"))


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


@dataclass
class Score:
    product: str
    found: list[FindingRule] = field(default_factory=list)
    missed: list[FindingRule] = field(default_factory=list)  # not pending and not found
    pending_found: list[FindingRule] = field(default_factory=list)
    pending_missed: list[FindingRule] = field(default_factory=list)
    violated: list[tuple[FindingRule, Finding]] = field(default_factory=list)
    respected: list[FindingRule] = field(default_factory=list)
    true_findings: list[Finding] = field(default_factory=list)  # covered by a findings entry
    false_findings: list[Finding] = field(default_factory=list)  # matched by a must_not entry
    uncovered: list[Finding] = field(default_factory=list)  # to review
    components_ok: list[ComponentRule] = field(default_factory=list)
    components_missed: list[tuple[ComponentRule, str]] = field(default_factory=list)
    verdicts_ok: list[VerdictRule] = field(default_factory=list)
    verdicts_missed: list[tuple[VerdictRule, str]] = field(default_factory=list)
    extraction_ok: list[ExtractionRule] = field(default_factory=list)
    extraction_missed: list[ExtractionRule] = field(default_factory=list)
    note: str = ""


def _component_problem(rule: ComponentRule, assessments: Iterable[Assessment]) -> str | None:
    seen = [c for a in assessments for c in a.components if c.name.lower() == rule.name.lower()]
    if seen and rule.version is None or any(c.version == rule.version for c in seen if c.version):
        return None
    versions = sorted({c.version or "?" for c in seen})
    return f"versions seen: {', '.join(versions)}" if versions else "not in the SBOM"


def _verdict_problem(rule: VerdictRule, assessments: Iterable[Assessment]) -> str | None:
    catalog, _, requirement = rule.requirement.partition(":")
    got = [a.verdicts.get(catalog, {}).get(requirement) for a in assessments]
    values = sorted({str(v.verdict) for v in got if v is not None})
    if rule.verdict in values:
        return None
    return f"verdict {', '.join(values) or 'absent'}"


def _extracted(rule: ExtractionRule, assessments: Iterable[Assessment]) -> bool:
    rel = rule.path.lstrip("/")
    for a in assessments:
        if a.extraction is None:
            continue
        for root in a.extraction.roots:
            candidate = Path(root.path) / rel
            if candidate.exists() or candidate.is_symlink():
                return True
    return False


def score(product: Product, scan: ProductScan) -> Score:
    result = Score(product=product.name, note=scan.note)
    findings = scan.findings
    for rule in product.findings:
        hit = any(rule.matches(f) for f in findings)
        if rule.pending:
            (result.pending_found if hit else result.pending_missed).append(rule)
        else:
            (result.found if hit else result.missed).append(rule)
    for rule in product.must_not:
        bad = [f for f in findings if rule.matches(f)]
        if rule.pending:
            continue
        if bad:
            result.violated.extend((rule, f) for f in bad)
        else:
            result.respected.append(rule)
    for f in findings:  # a pending negative control still marks its findings FALSE
        if any(r.matches(f) for r in product.must_not):
            result.false_findings.append(f)
        elif any(r.matches(f) for r in product.findings):
            result.true_findings.append(f)
        else:
            result.uncovered.append(f)
    for c in product.components:
        problem = _component_problem(c, scan.assessments)
        if problem is None:
            result.components_ok.append(c)
        elif not c.pending:
            result.components_missed.append((c, problem))
    for v in product.verdicts:
        problem = _verdict_problem(v, scan.assessments)
        if problem is None:
            result.verdicts_ok.append(v)
        elif not v.pending:
            result.verdicts_missed.append((v, problem))
    for x in product.extraction:
        if _extracted(x, scan.assessments):
            result.extraction_ok.append(x)
        elif not x.pending:
            result.extraction_missed.append(x)
    return result


def precision(true: int, false: int) -> float | None:
    return None if true + false == 0 else true / (true + false)


def is_elf_hardening(finding: Finding) -> bool:
    return finding.check.startswith(ELF_HARDENING_CHECKS)


def describe(finding: Finding) -> str:
    where = finding.location.path or finding.location.host or "-"
    if finding.location.line:
        where += f":{finding.location.line}"
    return f"{finding.check} [{finding.confidence}] {where}: {finding.title}"
