"""What the readers hand the classifier: elementary streams as lists of units (NAL units or
audio frames), and flows whose content cannot be seen (TLS, DTLS, SRTP, ciphertext files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


class StreamInputError(ValueError):
    """An input that is not a recording or capture we can read; the message is one line."""


@dataclass(slots=True)
class Unit:
    """A NAL unit (no start code), or an audio frame (ADTS header included when there is one)."""

    data: bytes
    offset: int | None = None  # byte offset in the input file, where known
    header_length: int = 0  # ADTS header length for AAC frames


@dataclass
class MediaTrack:
    id: str
    source: str
    kind: Literal["video", "audio"]
    codec: str  # h264, hevc, aac, pcm_alaw, pcm_mulaw
    container: str
    units: list[Unit] = field(default_factory=list)
    channels: int | None = None
    sample_rate: int | None = None
    extradata: bytes | None = None  # AudioSpecificConfig for raw AAC
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(len(u.data) for u in self.units)


@dataclass
class OpaqueFlow:
    """Bytes whose media cannot be seen: a TLS/DTLS session, an SRTP flow, a ciphertext file."""

    id: str
    source: str
    protocol: str  # tls, dtls, srtp, ciphertext
    container: str
    size: int
    units: int
    first_offset: int | None = None
    facts: dict[str, Any] = field(default_factory=dict)


Track = MediaTrack | OpaqueFlow
