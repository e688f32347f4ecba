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
from collections.abc import Iterable

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


class SecretScrubber:
    """Replaces every known secret value with its redacted form in text shown to people.

    Checks already redact their excerpts; this is the second line of defence for messages and
    evidence that quote a value (a report must never print ``Finding.secret``)."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        pairs = {(f.secret, f.redacted or "[redacted]") for f in findings if f.secret}
        # longest first so a secret that contains another is replaced whole
        self._pairs = sorted(pairs, key=lambda p: -len(p[0]))

    def __call__(self, text: str | None) -> str:
        if not text:
            return ""
        for secret, shown in self._pairs:
            if secret in text:
                text = text.replace(secret, shown)
        return text


def finding_key(finding: Finding, scrub: SecretScrubber | None = None) -> tuple[str, str, str]:
    """(check, where, normalised message): what makes two findings of two runs the same."""
    message = scrub(finding.message) if scrub else finding.message
    message = _PATH_LINE.sub(r"\1:#", message)
    return finding.check, where(finding.location), _SPACE.sub(" ", message).strip()


def finding_fingerprint(finding: Finding, scrub: SecretScrubber | None = None) -> str:
    """A short hex digest of :func:`finding_key` (SARIF partialFingerprints, diff matching)."""
    joined = "\x1f".join(finding_key(finding, scrub))
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:32]
