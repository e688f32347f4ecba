"""Readiness per regulation: READY / NOT READY / NEEDS EVIDENCE, and what blocks it.

The question a maker asks is "is this firmware ready for PSTI / RED / CRA, and what blocks it?".
The answer is read off the verdicts of the regulation's catalogs (``assess.regulation``):

- NOT READY when any requirement is FAIL — the blocking list is those requirements, each with
  the evidence that fails it;
- NEEDS EVIDENCE when nothing is FAIL but something is INCONCLUSIVE — the blocking list is the
  undecided requirements with what would decide them;
- READY only when every requirement is PASS or NOT APPLICABLE.

Readiness is the tool's reading of the evidence it has, not a legal conformity decision.
"""

from __future__ import annotations

from collections import Counter

from iotbaseline.catalog.model import Catalog
from iotbaseline.model import (
    BlockingRequirement,
    Readiness,
    ReadinessStatus,
    Verdict,
    VerdictValue,
)

_EVIDENCE_PER_BLOCKER = 8


def _blocker(catalog: Catalog, req_id: str, verdict: Verdict) -> BlockingRequirement:
    title = next((r.title or "" for r in catalog.requirements if r.id == req_id), "")
    return BlockingRequirement(
        ref=f"{catalog.id}:{req_id}", title=title, verdict=verdict.verdict,
        reason=verdict.reason, evidence=verdict.evidence[:_EVIDENCE_PER_BLOCKER],
        missing=list(verdict.missing))


def regulation_readiness(
    catalogs: dict[str, Catalog], verdicts: dict[str, dict[str, Verdict]]
) -> list[Readiness]:
    """One ``Readiness`` per regulation among the assessed catalogs, in catalog order."""
    groups: dict[str, list[Catalog]] = {}
    for catalog_id, catalog in catalogs.items():
        if catalog.regulation is not None and catalog_id in verdicts:
            groups.setdefault(catalog.regulation.id, []).append(catalog)
    out: list[Readiness] = []
    for regulation_id, members in groups.items():
        view = members[0].regulation
        assert view is not None
        counts: Counter[str] = Counter()
        failing: list[BlockingRequirement] = []
        undecided: list[BlockingRequirement] = []
        for catalog in members:
            for req_id, verdict in verdicts[catalog.id].items():
                counts[verdict.verdict.value] += 1
                if verdict.verdict is VerdictValue.FAIL:
                    failing.append(_blocker(catalog, req_id, verdict))
                elif verdict.verdict is VerdictValue.INCONCLUSIVE:
                    undecided.append(_blocker(catalog, req_id, verdict))
        total = sum(counts.values())
        if failing:
            status = ReadinessStatus.NOT_READY
            summary = (f"{len(failing)} of {total} requirements not met"
                       + (f"; {len(undecided)} more undecided" if undecided else ""))
            blocking = failing
        elif undecided:
            status = ReadinessStatus.NEEDS_EVIDENCE
            summary = f"nothing fails, but {len(undecided)} of {total} requirements are undecided"
            blocking = undecided
        else:
            status = ReadinessStatus.READY
            summary = f"all {total} requirements met or not applicable"
            blocking = []
        out.append(Readiness(
            regulation=regulation_id, name=view.name, applies_from=view.applies_from,
            catalogs=[c.id for c in members], status=status, summary=summary,
            counts={v.value: counts.get(v.value, 0) for v in VerdictValue}, blocking=blocking))
    return out
