"""Hostile input: the stream parsers take attacker-controlled bytes. Whatever they get, they
return values or raise the one-line StreamInputError, never anything else."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from iotbaseline.stream.audio import split_adts, split_rfc3640
from iotbaseline.stream.capture import depacketise_h264, depacketise_hevc, read_capture
from iotbaseline.stream.nal import escape, h264_slice_header, split_annexb, split_length_prefixed, unescape
from iotbaseline.stream.tracks import StreamInputError

PCAP_HEADER = bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_nal_and_audio_parsers_never_crash(data: bytes) -> None:
    units = list(split_annexb(data))
    assert all(u.data and 0 <= u.offset < len(data) for u in units)
    list(split_length_prefixed(data, 4))
    h264_slice_header(data)
    assert unescape(escape(data)) == data or data.endswith(b"\x00")
    frames, skipped = split_adts(data)
    assert skipped + sum(f.length for f in frames) == len(data)
    list(split_rfc3640(data))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=300), max_size=30))
def test_rtp_depacketisers_never_crash(payloads: list[bytes]) -> None:
    for nal in depacketise_h264(payloads) + depacketise_hevc(payloads):
        assert isinstance(nal, bytes)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=4096))
def test_capture_reader_fails_with_one_line(body: bytes) -> None:
    path = Path("fuzz.pcap")
    try:
        read_capture(path, PCAP_HEADER + body)
    except StreamInputError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.pcap: ")
