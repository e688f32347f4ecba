"""What a check is: a frozen declaration (``CheckSpec``) plus a pure function from the
``CheckContext`` to a ``CheckReport``.

A check module defines ``CHECKS: tuple[Check, ...]`` and is listed in ``checks/registry.py``.
The runner (``checks/runner.py``) turns the report into ``Finding``s and one ``CheckOutcome``
per check; it never edits what a check returned and never lets a crash pass silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from iotbaseline.model import Evidence, Severity

if TYPE_CHECKING:
    from iotbaseline.checks.context import CheckContext

Applies = Literal["rootfs", "flat", "any"]


@dataclass(frozen=True)
class CheckSpec:
    """Declaration of a check: stable id, words in our own phrasing, requirements evidenced."""

    id: str  # "IOTB-CRED-001": opaque, stable, never reused
    title: str
    severity: Severity  # default severity of its findings
    rationale: str  # why it matters, our words
    remedy: str  # what the maker should do, our words
    provisions: tuple[str, ...]  # "catalog:requirement" it evidences
    applies_to: Applies = "rootfs"
    cwe: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    """One thing a check found. The runner makes a ``Finding`` from it and the spec."""

    message: str
    path: str | None = None
    root: str | None = None
    line: int | None = None
    offset: int | None = None
    excerpt: str | None = None  # must already be redacted if it holds a secret
    secret: str | None = None  # full secret value; only in JSON with --show-secrets
    redacted: str | None = None  # how to show the secret to people
    severity: Severity | None = None  # overrides the spec's default
    provisions: tuple[str, ...] | None = None  # a subset of the spec's, when only some apply
    confidence: Literal["low", "medium", "high"] = "high"
    evidence: tuple[Evidence, ...] = ()
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckReport:
    """What a check returns: hits (→ FAIL), what it examined (→ evidence for PASS), or why it
    does not apply. ``inferred`` carries facts for the assessment (e.g. uses_passwords=True)."""

    hits: list[Hit] = field(default_factory=list)
    examined: list[Evidence] = field(default_factory=list)
    not_applicable: str | None = None
    summary: str = ""
    inferred: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    spec: CheckSpec
    run: Callable[[CheckContext], CheckReport]


def check(spec: CheckSpec) -> Callable[[Callable[[CheckContext], CheckReport]], Check]:
    """Decorator: ``@check(CheckSpec(...))`` over ``def find_…(ctx) -> CheckReport``."""

    def wrap(fn: Callable[[CheckContext], CheckReport]) -> Check:
        return Check(spec=spec, run=fn)

    return wrap


def redact(secret: str, keep: int = 2) -> str:
    """Show the shape of a secret without its value: first ``keep`` characters then stars."""
    if not secret:
        return "(empty)"
    shown = secret[:keep] if len(secret) > 4 else ""
    return shown + "*" * max(4, min(12, len(secret) - len(shown)))
