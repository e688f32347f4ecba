"""`stream protect` / `stream unprotect`: the pattern applied to a whole file, for makers and
labs building their own samples. Raw H.264 Annex B, AAC ADTS and G.711 files (160-byte frames)."""

from __future__ import annotations

from pathlib import Path

from iotbaseline.stream.audio import looks_like_adts, split_adts
from iotbaseline.stream.files import G711_FRAME, G711_SUFFIXES
from iotbaseline.stream.nal import sniff_annexb_codec
from iotbaseline.stream.pattern import PatternCipher, protect_annexb
from iotbaseline.stream.tracks import StreamInputError


def apply_pattern(data: bytes, name: str, cipher: PatternCipher, encrypt: bool) -> bytes:
    """``data`` with the pattern applied (``encrypt``) or removed; the size never changes
    for audio, and video changes only by emulation prevention bytes."""
    if Path(name).suffix.lower() in G711_SUFFIXES:
        g711 = cipher.protect_g711 if encrypt else cipher.unprotect_g711
        return b"".join(g711(data[p:p + G711_FRAME]) for p in range(0, len(data), G711_FRAME))
    if data.startswith((b"\x00\x00\x01", b"\x00\x00\x00\x01")):
        codec = sniff_annexb_codec(data)
        if codec == "h264":
            return protect_annexb(data, cipher, encrypt)
        if codec == "hevc":
            raise StreamInputError(f"{name}: H.265; the pattern is defined for H.264 only")
    if looks_like_adts(data):
        frames, _ = split_adts(data)
        out = bytearray(data)
        crypt = cipher.protect_aac if encrypt else cipher.unprotect_aac
        for f in frames:
            out[f.offset:f.offset + f.length] = crypt(data[f.offset:f.offset + f.length],
                                                      f.header_length)
        return bytes(out)
    raise StreamInputError(f"{name}: not a raw H.264 (Annex B), AAC (ADTS) or G.711 "
                           "(.alaw/.ulaw/.g711) file")
