"""Stable identities for findings across runs, and secret scrubbing for human-facing text.

Finding ids (``IOTB-CRED-001#3``) are numbered per run, so two scans of two firmware releases
cannot be compared by id. SARIF ``partialFingerprints`` and ``iotbaseline diff`` both need an
identity that survives a re-scan: the check, the path inside the firmware (or the network
endpoint) and the message with secrets replaced by their redacted form and ``file:line``
references reduced to the file (lines shift when an unrelated line is added or removed).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable

from iotbaseline.model import Finding, Location

_SPACE = re.compile(r"\s+")
# "path:12" inside a message: line numbers move with unrelated edits to the same file
_PATH_LINE = re.compile(r"(/[^\s:()\[\]]+):\d+\b")


def where(location: Location) -> str:
    """The path inside the firmware, or ``host:port/protocol`` for a live-probe finding."""
    if location.path:
        return location.path
    if location.host:
        port = f":{location.port}" if location.port is not None else ""
        proto = f"/{location.protocol}" if location.protocol else ""
        return f"{location.host}{port}{proto}"
    return ""


GLOBAL_SECRET_MIN_LENGTH = 8


class SecretScrubber:
    """Replaces known secret values with their redacted form in text shown to people.

    Checks already redact their excerpts; this is the second line of defence for messages and
    evidence that quote a value (a report must never print ``Finding.secret``). A finding's own
    text is scrubbed of its own secret whatever its length (``for_finding``); other text is
    scrubbed only of secrets of at least GLOBAL_SECRET_MIN_LENGTH characters, because short
    default passwords ("admin", "1234") are also ordinary words and user names there."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        pairs = {(f.secret, f.redacted or "[redacted]") for f in findings
                 if f.secret and len(f.secret) >= GLOBAL_SECRET_MIN_LENGTH}
        # longest first so a secret that contains another is replaced whole
        self._pairs = sorted(pairs, key=lambda p: -len(p[0]))

    def __call__(self, text: str | None) -> str:
        return _replace(text, self._pairs)

    def for_finding(self, finding: Finding) -> Callable[[str | None], str]:
        own = [(finding.secret, finding.redacted or "[redacted]")] if finding.secret else []
        pairs = sorted({*self._pairs, *own}, key=lambda p: -len(p[0]))
        return lambda text: _replace(text, pairs)


def _replace(text: str | None, pairs: list[tuple[str, str]]) -> str:
    if not text:
        return ""
    for secret, shown in pairs:
        if secret in text:
            text = text.replace(secret, shown)
    return text


def finding_key(finding: Finding, scrub: SecretScrubber | None = None) -> tuple[str, str, str]:
    """(check, where, normalised message): what makes two findings of two runs the same.

    Deliberately independent of secrets (``scrub`` is accepted for compatibility and unused):
    messages are redacted by the checks, and a fingerprint must be the same whether the
    assessment still holds the secret values (live scan) or not (re-render from JSON)."""
    message = _PATH_LINE.sub(r"\1:#", finding.message)
    return finding.check, where(finding.location), _SPACE.sub(" ", message).strip()


def finding_fingerprint(finding: Finding, scrub: SecretScrubber | None = None) -> str:
    """A short hex digest of :func:`finding_key` (SARIF partialFingerprints, diff matching)."""
    joined = "\x1f".join(finding_key(finding, scrub))
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:32]
