"""Decoding tests with FFmpeg (PyAV): does a sample of a stream decode without errors?

Only samples are decoded (windows starting at random-access points at the start, middle and
end), so a 100 MB recording costs about as much as a few seconds of video.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iotbaseline.stream.nal import is_vcl, nal_type, split_annexb
from iotbaseline.stream.tracks import MediaTrack

WINDOWS = 3
WINDOW_VCL = 40  # VCL NAL units per window
WINDOW_AUDIO = 60  # audio frames per window


@dataclass(frozen=True)
class DecodeFacts:
    packets: int
    failed: int
    key_packets: int  # access units with an IDR/IRAP picture
    key_failed: int
    first_error: str | None

    @property
    def failed_fraction(self) -> float:
        return self.failed / self.packets if self.packets else 1.0

    @property
    def clean(self) -> bool:
        """Decodes: at most a tenth of the access units with errors (a damaged capture) and
        most key pictures intact. A protected stream fails on nearly every key picture."""
        if not self.packets:
            return False
        key_ok = self.key_packets == 0 or self.key_failed / self.key_packets < 0.5
        return self.failed_fraction <= 0.1 and key_ok


def _is_key(codec: str, kind: int) -> bool:
    return kind == 5 if codec == "h264" else 16 <= kind <= 21


def _windows(starts: list[int], total: int) -> list[int]:
    if not starts:
        return [0] if total else []
    picks = {starts[0], starts[len(starts) // 2], starts[-1]}
    return sorted(picks)[:WINDOWS]


def sample_nals(codec: str, nals: list[bytes]) -> list[bytes]:
    """The NAL units of the sample windows, each window led by the stream's parameter sets."""
    params: dict[int, bytes] = {}
    keys: list[int] = []
    for index, nal in enumerate(nals):
        kind = nal_type(codec, nal)  # type: ignore[arg-type]
        if (codec == "h264" and kind in (7, 8)) or (codec == "hevc" and kind in (32, 33, 34)):
            params.setdefault(kind, nal)
        elif _is_key(codec, kind):
            if not keys or index - keys[-1] > 1:
                keys.append(index)
    out: list[bytes] = []
    for start in _windows(keys, len(nals)):
        out.extend(params.values())
        vcl = 0
        for nal in nals[start:]:
            kind = nal_type(codec, nal)  # type: ignore[arg-type]
            if is_vcl(codec, kind):  # type: ignore[arg-type]
                vcl += 1
                if vcl > WINDOW_VCL:
                    break
            out.append(nal)
    return out


def decode_video(codec: str, nals: list[bytes], sampled: bool = False) -> DecodeFacts:
    """Decode the sample windows of ``nals`` (or ``nals`` as they are, when ``sampled``)."""
    import av
    import av.logging

    chosen = nals if sampled else sample_nals(codec, nals)
    sample = b"".join(b"\x00\x00\x00\x01" + n for n in chosen)
    ctx: Any = av.CodecContext.create(codec, "r")  # a VideoCodecContext
    packets = failed = key_packets = key_failed = 0
    first_error: str | None = None
    av.logging.set_level(av.logging.ERROR)
    with av.logging.Capture(local=False) as logs:
        for packet in ctx.parse(sample):
            before = len(logs)
            error = None
            try:
                ctx.decode(packet)
            except av.error.FFmpegError as exc:
                error = str(exc)
            if len(logs) > before and error is None:
                error = logs[before][2].strip()
            kinds = {nal_type(codec, u.data) for u in split_annexb(bytes(packet))}  # type: ignore[arg-type]
            if not any(is_vcl(codec, k) for k in kinds):  # type: ignore[arg-type]
                continue
            packets += 1
            key = any(_is_key(codec, k) for k in kinds)
            key_packets += key
            if error:
                failed += 1
                key_failed += key
                first_error = first_error or error
    av.logging.set_level(None)
    return DecodeFacts(packets, failed, key_packets, key_failed, first_error)


def decode_aac(frames: list[bytes], extradata: bytes | None) -> DecodeFacts:
    """ADTS frames (self-describing) or raw access units with their AudioSpecificConfig."""
    import av
    import av.logging

    ctx: Any = av.CodecContext.create("aac", "r")
    if extradata:
        ctx.extradata = extradata
    step = max(1, len(frames) // (WINDOWS * WINDOW_AUDIO))
    sample = frames[::step][:WINDOWS * WINDOW_AUDIO]
    failed = 0
    first_error: str | None = None
    av.logging.set_level(av.logging.ERROR)
    with av.logging.Capture(local=False) as logs:
        for frame in sample:
            before = len(logs)
            error = None
            try:
                ctx.decode(av.Packet(frame))
            except av.error.FFmpegError as exc:
                error = str(exc)
            if len(logs) > before and error is None:
                error = logs[before][2].strip()
            if error:
                failed += 1
                first_error = first_error or error
    av.logging.set_level(None)
    return DecodeFacts(len(sample), failed, 0, 0, first_error)


GUESS_RATES = (8000, 16000, 44100, 48000, 32000, 22050, 11025, 24000, 12000)
RATE_INDEX = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)


def guess_aac_config(frames: list[bytes]) -> tuple[bytes | None, int | None]:
    """Raw AAC without its AudioSpecificConfig (RTP seen without the SDP): the AAC-LC
    configuration under which the first frames decode cleanly, if any."""
    probe = frames[:20]
    for channels in (1, 2):
        for rate in GUESS_RATES:
            config = ((2 << 11) | (RATE_INDEX.index(rate) << 7) | (channels << 3)).to_bytes(2, "big")
            facts = decode_aac(probe, config)
            if facts.packets and facts.failed == 0:
                return config, channels
    return None, None
