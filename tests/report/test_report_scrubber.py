"""Secret redaction in reports: a finding's own secret is hidden in its own text whatever its
length; short secrets do not redact the same word in unrelated text; fingerprints do not
depend on whether the secret values are still in the assessment."""

from __future__ import annotations

from iotbaseline.model import Finding, Location, Severity
from iotbaseline.report.fingerprint import SecretScrubber, finding_fingerprint


def _finding(message: str, secret: str | None = None) -> Finding:
    return Finding(id="X#1", check="IOTB-CRED-004", title="t", severity=Severity.HIGH, message=message,
                   location=Location(path="/etc/shadow"), secret=secret,
                   redacted="ad****" if secret else None)


def test_own_short_secret_is_hidden_but_the_same_word_elsewhere_is_not() -> None:
    cracked = _finding("root's hash cracks to admin", secret="admin")
    other = _finding("account 'admin' has user id 0")
    scrub = SecretScrubber([cracked, other])
    assert scrub.for_finding(cracked)(cracked.message) == "root's hash cracks to ad****"
    assert scrub.for_finding(other)(other.message) == "account 'admin' has user id 0"
    assert scrub("verdict: account 'admin' has user id 0") == "verdict: account 'admin' has user id 0"


def test_long_secret_is_hidden_everywhere() -> None:
    leaked = _finding("key found", secret="wJalrXUtnFEMI/K7MDENG")
    scrub = SecretScrubber([leaked])
    assert "wJalrXUtnFEMI/K7MDENG" not in scrub("evidence quotes wJalrXUtnFEMI/K7MDENG here")


def test_fingerprint_same_with_and_without_secret_values() -> None:
    live = _finding("account 'admin' has an empty password", secret="admin")
    saved = live.model_copy(update={"secret": None})
    assert finding_fingerprint(live, SecretScrubber([live])) == finding_fingerprint(saved)
