"""Values of the stream stage: one verdict per elementary stream, and ``stream.json``.

``stream.json`` carries observations, findings and check outcomes in the same shapes as the
probe's ``probe.json``, so ``scan``/``assess --stream-results`` merge them the same way.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from iotbaseline.model import CheckOutcome, Finding, Model, Observation

STREAM_SCHEMA = "iotbaseline.stream/1"


class StreamVerdict(StrEnum):
    CLEAR = "CLEAR"  # the media parses and decodes: anyone on the path sees it
    PROTECTED = "PROTECTED"  # framing visible, payload ciphertext (not shown to be the pattern)
    PROTECTED_BY_PATTERN = "PROTECTED-BY-PATTERN"  # the white paper's sample encryption
    ENCRYPTED_TRANSPORT = "ENCRYPTED-TRANSPORT"  # TLS / DTLS / SRTP: the media cannot be seen


Basis = Literal["decoded", "structure", "entropy", "decrypted", "transport"]


class StreamAnalysis(Model):
    """What one elementary stream (or one encrypted flow) is, and why."""

    id: str  # "clip.mp4#0", "cap.pcap#udp/10.0.0.2:5004>10.0.0.9:6000/pt96"
    source: str  # input file
    kind: Literal["video", "audio", "transport", "opaque"]
    codec: str | None = None  # h264, hevc, aac, pcm_alaw, pcm_mulaw, tls, dtls, srtp
    container: str  # annexb, adts, g711, mp4, matroska, flv, mpegts, rtp, rtsp-interleaved…
    verdict: StreamVerdict
    basis: Basis
    reason: str  # one or two sentences in our words
    units: int = 0  # NAL units, audio frames or records seen
    bytes: int = 0
    first_offset: int | None = None  # byte offset of the first unit in the input
    facts: dict[str, Any] = Field(default_factory=dict)  # measured figures behind the verdict


class StreamReport(Model):
    schema_: str = Field(default=STREAM_SCHEMA, alias="schema")
    started: str
    seconds: float | None = None
    inputs: list[dict[str, Any]] = Field(default_factory=list)  # path, size, sha256, format
    streams: list[StreamAnalysis] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    outcomes: list[CheckOutcome] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
