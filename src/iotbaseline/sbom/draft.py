"""A component being assembled from evidence (identification works on these, then freezes
them into ``model.Component``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from iotbaseline.model import ComponentEvidence
from iotbaseline.sbom.signatures import Signature

MAX_EVIDENCE_PER_COMPONENT = 25


@dataclass
class Draft:
    name: str
    version: str | None
    kind: str = "application"
    sig: Signature | None = None
    cpe: str | None = None
    purl: str | None = None
    purl_rank: int = 9  # lower wins (the package that IS the component beats a sub-package)
    evidence: list[ComponentEvidence] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)  # METHOD_CONFIDENCE keys seen
    notes: list[str] = field(default_factory=list)
    dropped_evidence: int = 0

    def add(self, ev: ComponentEvidence, source: str) -> None:
        self.sources.add(source)
        if any(e.path == ev.path and e.method == ev.method and e.root == ev.root for e in self.evidence):
            return
        if len(self.evidence) >= MAX_EVIDENCE_PER_COMPONENT:
            self.dropped_evidence += 1
            return
        self.evidence.append(ev)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
