"""Full evaluation of NVD ``configurations`` against the components of one image.

Three-valued logic, because an image tells us its software but not always its platform:
- a *vulnerable* criterion is TRUE when a component matches it (vendor:product through the
  alias table, version exact or in range), else FALSE;
- a *platform* criterion (``vulnerable: false``: "running on/with") is TRUE when a component
  matches it; FALSE when it names an operating system ("o") and the image's identified
  operating systems (kernel, distribution) all differ from it; otherwise UNKNOWN (hardware, or
  software we did not identify);
- OR is TRUE if any child is TRUE, else UNKNOWN if any is UNKNOWN, else FALSE; AND dually;
  ``negate`` flips TRUE/FALSE and keeps UNKNOWN.
A component is affected by a CVE when a configuration evaluates TRUE or UNKNOWN *and* the
component itself matched one of its vulnerable criteria; UNKNOWN is reported as
"platform condition not verified" in the match text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property, lru_cache

from iotbaseline.vulns.cpe import Cpe, match_key, parse_cpe
from iotbaseline.vulns.nvd import Configuration, CpeMatch, Node
from iotbaseline.vulns.versions import describe_range, in_range


class Truth(Enum):
    FALSE = 0
    UNKNOWN = 1
    TRUE = 2


@dataclass(frozen=True, eq=False)
class Subject:
    """A component as the evaluator sees it (hashed by identity: cheap in the memo cache)."""

    ref: str
    pairs: frozenset[tuple[str, str]]
    version: str | None
    is_os: bool = False

    @cached_property
    def key(self) -> str | None:
        return match_key(self.version) if self.version else None


@dataclass
class Evaluation:
    truth: Truth = Truth.FALSE
    matched: list[str] = field(default_factory=list)  # how the subject matched, human-readable
    unverified: list[str] = field(default_factory=list)  # platform criteria left UNKNOWN


def criterion_text(m: CpeMatch) -> str:
    bounds = describe_range(m.versionStartIncluding, m.versionStartExcluding,
                            m.versionEndIncluding, m.versionEndExcluding)
    return f"{m.criteria} ({bounds})" if bounds else m.criteria


def _version_matches(m: CpeMatch, cpe: Cpe, subject: Subject) -> bool:
    if cpe.has_version:
        return subject.key is not None and match_key(cpe.full_version()) == subject.key
    if subject.version is None:
        return False
    return in_range(subject.version, m.versionStartIncluding, m.versionStartExcluding,
                    m.versionEndIncluding, m.versionEndExcluding)


@lru_cache(maxsize=262144)
def subject_matches(m: CpeMatch, subject: Subject) -> bool:
    """Whether the component matches one criterion (memoised: kernel CVEs repeat criteria)."""
    cpe = parse_cpe(m.criteria)
    if cpe is None or (cpe.vendor, cpe.product) not in subject.pairs:
        return False
    return _version_matches(m, cpe, subject)


class ConfigEvaluator:
    def __init__(self, subjects: list[Subject]) -> None:
        self.subjects = subjects
        self.has_os = any(s.is_os for s in subjects)
        self.by_pair: dict[tuple[str, str], list[Subject]] = {}
        for s in subjects:
            for pair in s.pairs:
                self.by_pair.setdefault(pair, []).append(s)

    def _matching(self, m: CpeMatch) -> list[Subject]:
        cpe = parse_cpe(m.criteria)
        if cpe is None:
            return []
        candidates = self.by_pair.get((cpe.vendor, cpe.product))
        if not candidates:
            return []
        return [s for s in candidates if subject_matches(m, s)]

    def evaluate(self, configurations: list[Configuration], subject: Subject) -> Evaluation:
        """The best evaluation over the CVE's configurations for ``subject``."""
        best = Evaluation()
        for configuration in configurations:
            result = self._configuration(configuration, subject)
            if result.matched and result.truth is not Truth.FALSE and (
                    best.truth is Truth.FALSE or result.truth.value > best.truth.value):
                best = result
        return best

    def _configuration(self, configuration: Configuration, subject: Subject) -> Evaluation:
        result = Evaluation()
        values = [self._node(node, subject, result) for node in configuration.nodes]
        operator = (configuration.operator or "OR").upper()
        truth = _combine(operator, values)
        if configuration.negate:
            truth = _negate(truth)
        result.truth = truth
        return result

    def _node(self, node: Node, subject: Subject, result: Evaluation) -> Truth:
        values: list[Truth] = []
        for m in node.cpeMatch:
            matching = self._matching(m)
            if m.vulnerable:
                if subject in matching and not node.negate:
                    result.matched.append(criterion_text(m))
                values.append(Truth.TRUE if matching else Truth.FALSE)
            else:
                values.append(self._platform(m, matching, result))
        truth = _combine((node.operator or "OR").upper(), values)
        return _negate(truth) if node.negate else truth

    def _platform(self, m: CpeMatch, matching: list[Subject], result: Evaluation) -> Truth:
        if matching:
            return Truth.TRUE
        cpe = parse_cpe(m.criteria)
        if cpe is not None and cpe.part == "o" and self.has_os:
            return Truth.FALSE
        result.unverified.append(criterion_text(m))
        return Truth.UNKNOWN


def _combine(operator: str, values: list[Truth]) -> Truth:
    if not values:
        return Truth.FALSE
    if operator == "AND":
        return min(values, key=lambda t: t.value)
    return max(values, key=lambda t: t.value)


def _negate(truth: Truth) -> Truth:
    if truth is Truth.TRUE:
        return Truth.FALSE
    if truth is Truth.FALSE:
        return Truth.TRUE
    return Truth.UNKNOWN
