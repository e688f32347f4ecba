"""Collects what the probes saw and turns it into the ``ProbeResult`` values: one
``CheckOutcome`` per probe check (PASS evidence too), findings located at host/port/protocol,
and observations citing the requirements of the checks that used them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from iotbaseline.checks.base import CheckSpec
from iotbaseline.model import (
    CheckOutcome,
    Evidence,
    Finding,
    Location,
    Observation,
    OutcomeStatus,
    Severity,
)
from iotbaseline.probe.specs import ALL_SPECS


@dataclass
class _CheckState:
    hits: list[Finding] = field(default_factory=list)
    examined: list[Evidence] = field(default_factory=list)
    not_applicable: str | None = None
    error: str | None = None
    summary_pass: str = ""


@dataclass
class ProbeRecorder:
    """Thread-safe sink the individual probes report into."""

    host: str
    observations: list[Observation] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _state: dict[str, _CheckState] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _get(self, spec: CheckSpec) -> _CheckState:
        return self._state.setdefault(spec.id, _CheckState())

    def observe(self, id: str, kind: str, summary: str, *, port: int | None = None,
                protocol: str | None = None, data: dict[str, Any] | None = None,
                specs: tuple[CheckSpec, ...] = ()) -> Observation:
        """Record a fact; it cites the requirements of ``specs`` (the checks it informs) and
        counts as their examined evidence."""
        refs = tuple(dict.fromkeys(ref for spec in specs for ref in spec.provisions))
        obs = Observation(id=id, kind=kind, host=self.host, port=port, protocol=protocol,
                          summary=summary, data=data or {}, provisions=list(refs))
        with self._lock:
            self.observations = [o for o in self.observations if o.id != id] + [obs]
            for spec in specs:
                self._get(spec).examined.append(
                    Evidence(kind="observation", ref=id, detail=summary[:300]))
        return obs

    def examined(self, spec: CheckSpec, ref: str, detail: str) -> None:
        with self._lock:
            self._get(spec).examined.append(Evidence(kind="observation", ref=ref,
                                                     detail=detail[:300]))

    def hit(self, spec: CheckSpec, message: str, *, port: int | None = None,
            protocol: str | None = None, severity: Severity | None = None,
            excerpt: str | None = None, observation: str | None = None,
            properties: dict[str, Any] | None = None, secret: str | None = None,
            redacted: str | None = None,
            confidence: str = "high") -> None:
        with self._lock:
            state = self._get(spec)
            number = len(state.hits) + 1
            evidence = [Evidence(kind="observation", ref=observation or f"{spec.id}#{number}",
                                 detail=message[:300], excerpt=excerpt[:300] if excerpt else None)]
            state.hits.append(Finding(
                id=f"{spec.id}#{number}", check=spec.id, title=spec.title,
                severity=severity or spec.severity, provisions=list(spec.provisions),
                message=message,
                location=Location(host=self.host, port=port, protocol=protocol),
                evidence=evidence, remedy=spec.remedy, cwe=list(spec.cwe),
                confidence=confidence,  # type: ignore[arg-type]
                properties=dict(properties or {}), secret=secret, redacted=redacted,
            ))

    def not_applicable(self, spec: CheckSpec, reason: str) -> None:
        with self._lock:
            state = self._get(spec)
            if state.not_applicable is None:
                state.not_applicable = reason

    def passed(self, spec: CheckSpec, summary: str) -> None:
        with self._lock:
            self._get(spec).summary_pass = summary

    def error(self, spec: CheckSpec | None, message: str) -> None:
        with self._lock:
            self.errors.append(f"{spec.id}: {message}" if spec else message)
            if spec is not None:
                self._get(spec).error = message

    def findings(self) -> list[Finding]:
        return [f for spec in ALL_SPECS for f in self._state.get(spec.id, _CheckState()).hits]

    def outcomes(self) -> list[CheckOutcome]:
        """One outcome per check: FAIL with findings, PASS when it examined something, ERROR
        when it crashed with nothing examined, else NOT_APPLICABLE with the reason."""
        out: list[CheckOutcome] = []
        for spec in ALL_SPECS:
            state = self._state.get(spec.id, _CheckState())
            base = {"check": spec.id, "title": spec.title, "evidence": state.examined[:50]}
            if state.hits:
                out.append(CheckOutcome(
                    **base, status=OutcomeStatus.FAIL,  # type: ignore[arg-type]
                    provisions=sorted({p for f in state.hits for p in f.provisions}),
                    summary=f"{len(state.hits)} finding(s): " + "; ".join(
                        f.message for f in state.hits[:3])[:400],
                    findings=[f.id for f in state.hits]))
            elif state.error and not state.examined:
                out.append(CheckOutcome(**base, status=OutcomeStatus.ERROR,  # type: ignore[arg-type]
                                        provisions=list(spec.provisions),
                                        summary="the probe failed", error=state.error))
            elif state.examined:
                out.append(CheckOutcome(
                    **base, status=OutcomeStatus.PASS,  # type: ignore[arg-type]
                    provisions=list(spec.provisions),
                    summary=state.summary_pass or f"nothing wrong in {len(state.examined)} "
                                                  "item(s) examined"))
            else:
                out.append(CheckOutcome(
                    **base, status=OutcomeStatus.NOT_APPLICABLE,  # type: ignore[arg-type]
                    provisions=list(spec.provisions),
                    summary=state.not_applicable or "nothing on the device for this check"))
        return out
