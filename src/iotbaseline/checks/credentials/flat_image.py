"""Hard-coded passwords in flat microcontroller images (no file system, no symbols).

Without symbols we cannot see which string the code compares the input with. What we can see
is how compilers lay out constant strings: a firmware's literals sit together in its
initialised data, so the expected password is stored next to the prompts that ask for it
("Pass :", "Wrong password"). The heuristic: find prompt strings about passwords, then report
the single-word, secret-looking strings stored near them, with a confidence that says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from iotbaseline.checks.credentials import crack as cred_crack
from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check, redact
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.textscan import Blob, binaries, read_blob, strings
from iotbaseline.model import Evidence, Severity

PROMPT = re.compile(r"(?i)\b(pass(word|wd|code|phrase)?|pwd|pin|login|unlock|access code)\b")
WINDOW = 256  # bytes around a prompt in which the compared secret is looked for
_TOKEN = re.compile(r"^[\x21-\x7e]{4,64}$")  # one word, printable, no spaces
_LEET = str.maketrans({"4": "a", "@": "a", "3": "e", "0": "o", "1": "i", "!": "i", "5": "s",
                       "$": "s", "7": "t", "9": "g"})
_PASSWORD_WORDS = ("password", "passwd", "pass", "secret", "admin", "root", "letmein", "login")


@dataclass(frozen=True)
class Candidate:
    offset: int
    value: str
    confidence: str  # "high" | "medium" | "low"
    why: str
    prompt: str


def _score(value: str) -> tuple[str, str] | None:
    """Confidence and reason for a string near a prompt being the password, or None."""
    if not _TOKEN.match(value):
        return None
    if value in cred_crack.default_passwords():
        return "high", "a well-known default password"
    plain = value.lower().translate(_LEET)
    if any(w in plain for w in _PASSWORD_WORDS) and plain != value.lower():
        return "high", "reads as a password word with letters swapped for digits"
    if any(w in plain for w in _PASSWORD_WORDS):
        return "medium", "contains a password word"
    letters = sum(c.isalpha() for c in value)
    digits = sum(c.isdigit() for c in value)
    if len(value) >= 6 and letters and digits and letters + digits >= len(value) - 2:
        return "low", "a letter-and-digit token stored beside the password prompt"
    return None


def find_candidates(data: bytes) -> list[Candidate]:
    found = list(strings(data, min_len=4))
    prompts = [(off, s) for off, s in found if PROMPT.search(s) and (" " in s.strip() or
                                                                     s.rstrip().endswith((":", "?", ">")))]
    prompt_offsets = {po for po, _ in prompts}
    out: list[Candidate] = []
    for off, s in found:
        near = [(abs(off - po), pt) for po, pt in prompts if abs(off - po) <= WINDOW]
        if off in prompt_offsets or not near:
            continue
        scored = _score(s)
        if scored is not None:
            out.append(Candidate(off, s, scored[0], scored[1], min(near)[1].strip()))
    # one compared secret per prompt: once a string beside a prompt reads as a password (high),
    # mere letter-and-digit tokens beside the same prompt are other data (messages, keys)
    settled = {c.prompt for c in out if c.confidence == "high"}
    return [c for c in out if c.confidence != "low" or c.prompt not in settled]


@check(CheckSpec(
    id="IOTB-CRED-007",
    title="Hard-coded password in microcontroller firmware",
    severity=Severity.HIGH,
    rationale=("A password compiled into a firmware image is identical on every unit and is read "
               "back by anyone who dumps the flash or downloads the update file."),
    remedy=("Do not compile passwords into firmware; provision a unique per-device secret in "
            "protected storage, or let the user set one."),
    provisions=("etsi-en-303-645:5.1-1", "etsi-en-303-645:5.4-3", "xiaomi-2.0:4.1.1",
                "tencent-qtx-001.1:5.1.6-4", "owasp-isvs:V2.1.9"),
    applies_to="flat",
    cwe=(798, 259),
    tags=("credentials", "microcontroller"),
))
def find_flat_image_passwords(ctx: CheckContext) -> CheckReport:
    flats: list[Blob] = [b for b in binaries(ctx) if b.entry is None]
    if not flats:
        return CheckReport(not_applicable="no flat binary image to analyse")
    hits: list[Hit] = []
    sizes: dict[str, int] = {}
    for blob in flats:
        data = read_blob(ctx, blob)
        sizes[blob.name] = len(data)
        for c in find_candidates(data):
            hits.append(Hit(
                message=(f"{blob.name}: string at 0x{c.offset:x} stored beside the prompt "
                         f"{c.prompt!r} looks like a hard-coded password ({c.why})"),
                path=None, offset=c.offset, excerpt=redact(c.value), secret=c.value,
                redacted=redact(c.value), confidence=c.confidence,  # type: ignore[arg-type]
                severity=Severity.HIGH if c.confidence != "low" else Severity.MEDIUM,
                properties={"image": blob.name, "prompt": c.prompt}))
    examined = [Evidence(kind="note", ref=b.name, detail=f"{sizes[b.name]} bytes searched for "
                         "password prompts and the strings stored beside them") for b in flats]
    return CheckReport(hits=hits, examined=examined,
                       inferred={"uses_passwords": True} if hits else {},
                       summary=f"{len(flats)} flat images examined")


CHECKS = (find_flat_image_passwords,)
