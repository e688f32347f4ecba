"""Microcontroller firmware in Intel HEX or Motorola S-record: convert to a flat binary.

Such firmware has no filesystem; the binary (one file from the lowest to the highest
address, gaps filled with 0xFF as erased flash reads) is what the later stages scan.
"""

from __future__ import annotations

from pathlib import Path


class FlatImageError(Exception):
    """The text is not a valid HEX/S-record file."""


def sniff_flat(head: bytes) -> str | None:
    """"ihex", "srec" or None from the first bytes of a file."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] == b":" and all(c in b"0123456789abcdefABCDEF" for c in text[1:9]) and len(text) > 10:
        return "ihex"
    if text[:1] == b"S" and text[1:2] in b"0123456789" and len(text) > 10 and all(
        c in b"0123456789abcdefABCDEF" for c in text[2:10]
    ):
        return "srec"
    return None


def convert_flat(source: Path, kind: str, out_dir: Path, max_bytes: int) -> tuple[Path, list[tuple[int, int]]]:
    """Write ``<name>.bin`` into out_dir; return it and the (start, end) address segments."""
    import bincopy  # type: ignore[import-untyped]  # 60 ms to import: only for HEX/S-record input

    image = bincopy.BinFile()
    try:
        text = source.read_text(encoding="ascii", errors="strict")
        if kind == "ihex":
            image.add_ihex(text)
        else:
            image.add_srec(text)
    except (UnicodeDecodeError, bincopy.Error, ValueError) as exc:
        raise FlatImageError(f"invalid {kind} file: {exc}") from exc
    segments = [(seg.minimum_address, seg.maximum_address) for seg in image.segments]
    if not segments:
        raise FlatImageError(f"{kind} file holds no data records")
    span = image.maximum_address - image.minimum_address
    if span > max_bytes:
        raise FlatImageError(f"{kind} address span of {span} bytes exceeds the byte limit")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / (source.name + ".bin")
    target.write_bytes(image.as_binary(padding=b"\xff"))
    return target, segments
