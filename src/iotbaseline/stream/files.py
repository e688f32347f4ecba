"""Readers for recordings: raw H.264/H.265 Annex B, AAC ADTS and G.711 files (split here), and
containers (MP4, Matroska, FLV, MPEG-TS…) demuxed by PyAV, FFmpeg's bindings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from iotbaseline.stream.audio import looks_like_adts, split_adts
from iotbaseline.stream.nal import sniff_annexb_codec, split_annexb, split_length_prefixed
from iotbaseline.stream.tracks import MediaTrack, StreamInputError, Unit

G711_SUFFIXES = {".alaw": "pcm_alaw", ".pcma": "pcm_alaw", ".g711a": "pcm_alaw",
                 ".ulaw": "pcm_mulaw", ".mulaw": "pcm_mulaw", ".pcmu": "pcm_mulaw",
                 ".g711u": "pcm_mulaw", ".g711": "pcm_alaw"}
G711_FRAME = 160  # 20 ms at 8 kHz: the framing a raw G.711 file is protected and judged in
MAX_INPUT = 4 << 30


def read_annexb(path: Path, data: bytes) -> MediaTrack | None:
    codec = sniff_annexb_codec(data)
    if codec is None:
        return None
    units = [Unit(u.data, u.offset) for u in split_annexb(data)]
    return MediaTrack(id=f"{path.name}#0", source=str(path), kind="video", codec=codec,
                      container="annexb", units=units)


def read_adts(path: Path, data: bytes) -> MediaTrack:
    frames, skipped = split_adts(data)
    if not frames:
        raise StreamInputError(f"{path}: no AAC ADTS frame in it")
    track = MediaTrack(id=f"{path.name}#0", source=str(path), kind="audio", codec="aac",
                       container="adts", channels=frames[0].channels,
                       sample_rate=frames[0].sample_rate,
                       units=[Unit(data[f.offset:f.offset + f.length], f.offset, f.header_length)
                              for f in frames])
    track.facts["bytes_outside_frames"] = skipped
    return track


def read_g711(path: Path, data: bytes, codec: str) -> MediaTrack:
    units = [Unit(data[pos:pos + G711_FRAME], pos) for pos in range(0, len(data), G711_FRAME)]
    return MediaTrack(id=f"{path.name}#0", source=str(path), kind="audio", codec=codec,
                      container="g711", units=units, channels=1, sample_rate=8000)


def _avcc_parameter_sets(extra: bytes) -> tuple[int, list[bytes]]:
    """NAL length size and SPS/PPS from an avcC record (ISO/IEC 14496-15 5.3.3.1)."""
    if len(extra) < 7 or extra[0] != 1:
        return 4, []
    size = (extra[4] & 0x03) + 1
    sets: list[bytes] = []
    pos = 5
    for count_mask in (0x1F, 0xFF):
        if pos >= len(extra):
            break
        count = extra[pos] & count_mask
        pos += 1
        for _ in range(count):
            length = int.from_bytes(extra[pos:pos + 2], "big")
            sets.append(extra[pos + 2:pos + 2 + length])
            pos += 2 + length
    return size, sets


def _hvcc_parameter_sets(extra: bytes) -> tuple[int, list[bytes]]:
    """NAL length size and VPS/SPS/PPS from an hvcC record (ISO/IEC 14496-15 8.3.3.1)."""
    if len(extra) < 23 or extra[0] != 1:
        return 4, []
    size = (extra[21] & 0x03) + 1
    sets: list[bytes] = []
    pos = 23
    for _ in range(extra[22]):
        if pos + 3 > len(extra):
            break
        count = int.from_bytes(extra[pos + 1:pos + 3], "big")
        pos += 3
        for _ in range(count):
            length = int.from_bytes(extra[pos:pos + 2], "big")
            sets.append(extra[pos + 2:pos + 2 + length])
            pos += 2 + length
    return size, sets


def read_container(path: Path) -> list[MediaTrack]:
    """Every H.264/H.265/AAC/G.711 stream of a container PyAV can open."""
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise StreamInputError(f"{path}: not a recording or capture iotbaseline can read "
                               f"({exc.__class__.__name__})") from exc
    with container:
        fmt = container.format.name.split(",")[0]
        tracks: dict[int, MediaTrack] = {}
        lengths: dict[int, int] = {}
        for stream in container.streams:
            name = stream.codec_context.name
            if name not in ("h264", "hevc", "aac", "pcm_alaw", "pcm_mulaw"):
                continue
            kind: Literal["video", "audio"] = "video" if stream.type == "video" else "audio"
            track = MediaTrack(id=f"{path.name}#{stream.index}", source=str(path), kind=kind,
                               codec=name, container=fmt)
            extra = bytes(stream.codec_context.extradata or b"")
            if kind == "video" and extra and not extra.startswith((b"\x00\x00\x01",
                                                                   b"\x00\x00\x00\x01")):
                size, sets = (_avcc_parameter_sets(extra) if name == "h264"
                              else _hvcc_parameter_sets(extra))
                lengths[stream.index] = size
                track.units.extend(Unit(s) for s in sets)
            elif kind == "video" and extra:
                track.units.extend(Unit(u.data) for u in split_annexb(extra))
            if kind == "audio":
                track.channels = getattr(stream.codec_context, "channels", None)
                track.sample_rate = getattr(stream.codec_context, "sample_rate", None)
                track.extradata = extra or None
            tracks[stream.index] = track
        if not tracks:
            raise StreamInputError(f"{path}: {fmt} file without an H.264, H.265, AAC or G.711 "
                                   "stream")
        for packet in container.demux(*(container.streams[i] for i in tracks)):
            if packet.size == 0 or packet.stream.index not in tracks:
                continue
            track = tracks[packet.stream.index]
            payload = bytes(packet)
            pos = packet.pos if packet.pos is not None and packet.pos >= 0 else None
            if track.kind == "video":
                if packet.stream.index in lengths:
                    nals = split_length_prefixed(payload, lengths[packet.stream.index])
                else:
                    nals = split_annexb(payload)
                track.units.extend(Unit(n.data, None if pos is None else pos + n.offset)
                                   for n in nals)
            elif track.codec == "aac" and payload[:2] in (b"\xff\xf1", b"\xff\xf9"):
                track.units.append(Unit(payload, pos, 7 if payload[1] & 1 else 9))
            else:
                track.units.append(Unit(payload, pos))
    return list(tracks.values())


def read_recording(path: Path, data: bytes) -> list[MediaTrack]:
    """The elementary streams of a recording file (not a capture)."""
    suffix = path.suffix.lower()
    if suffix in G711_SUFFIXES:
        return [read_g711(path, data, G711_SUFFIXES[suffix])]
    if data.startswith((b"\x00\x00\x01", b"\x00\x00\x00\x01")):
        track = read_annexb(path, data)
        if track is not None:
            return [track]
    if looks_like_adts(data):
        return [read_adts(path, data)]
    return read_container(path)
