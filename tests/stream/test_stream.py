"""`iotbaseline stream`: verdicts on real streams built with FFmpeg (Debian `ffmpeg`),
protected with the reference pattern, packetised into RTP by FFmpeg, wrapped in real TLS."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from iotbaseline.cli import main
from iotbaseline.stream.nal import escape, split_annexb, unescape
from iotbaseline.stream.pattern import PatternCipher, video_block_offsets
from iotbaseline.stream.run import analyse_streams

sys.path.insert(0, str(Path(__file__).parent))
from rtp_capture import dtls_pcap, rtp_pcap, rtsp_interleaved_pcap, tcp_pcap  # noqa: E402

KEY = bytes(range(16))
KEY_HEX = KEY.hex()
FFMPEG = shutil.which("ffmpeg")
pytestmark = pytest.mark.skipif(FFMPEG is None and not os.environ.get("CI"),
                                reason="Debian ffmpeg not installed (system-packages.txt)")


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True,
                   capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("media")
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "4", "-c:v", "libx264",
            "-preset", "veryfast", "-g", "25", "-f", "h264", str(d / "clear.h264"))
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2", "-c:v", "libx265",
            "-x265-params", "log-level=error", "-f", "hevc", str(d / "clear.h265"))
    _ffmpeg("-i", str(d / "clear.h264"), "-c", "copy", str(d / "clear.mp4"))
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000", "-t", "4", "-c:a", "aac",
            "-f", "adts", str(d / "clear.aac"))
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000", "-t", "4", "-c:a", "aac",
            str(d / "clear.m4a"))
    # speech-like: a tone with noise, so frames do not repeat
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:sample_rate=8000", "-f", "lavfi", "-i",
            "anoisesrc=sample_rate=8000:amplitude=0.05", "-filter_complex", "amix=inputs=2",
            "-t", "4", "-c:a", "pcm_alaw", "-f", "alaw", str(d / "clear.alaw"))
    runner = CliRunner()
    for name in ("clear.h264", "clear.aac", "clear.alaw"):
        result = runner.invoke(main, ["stream", "protect", str(d / name),
                                      str(d / name.replace("clear", "prot")), "--key", KEY_HEX])
        assert result.exit_code == 0, result.output
    return d


def _verdicts(*paths: Path, key: bytes | None = None) -> dict[str, tuple[str, str]]:
    report = analyse_streams(list(paths), key)
    assert report.errors == []
    return {s.id.split("#")[0]: (s.verdict.value, s.basis) for s in report.streams}


# -- the pattern itself, from the white paper's text -------------------------------------


def test_block_offsets_follow_the_white_paper() -> None:
    # ≤ 48 bytes: clear; then 32 clear, 16 encrypted, 144 clear…, encrypted only while > 16 remain
    assert video_block_offsets(48) == []
    assert video_block_offsets(49) == [32]
    assert video_block_offsets(208) == [32]
    assert video_block_offsets(209) == [32, 192]
    assert video_block_offsets(1000) == [32, 192, 352, 512, 672, 832]


def test_protected_nal_matches_hand_computed_cbc() -> None:
    rbsp = bytes([0x65]) + bytes((i * 7 + 1) % 256 for i in range(299))
    protected = PatternCipher(KEY).protect_nal(rbsp)
    # by hand: blocks at 32 and 192 chained in CBC with the zero IV, restarted per unit
    enc = Cipher(algorithms.AES(KEY), modes.CBC(bytes(16))).encryptor()
    blocks = enc.update(rbsp[32:48] + rbsp[192:208]) + enc.finalize()
    expected = rbsp[:32] + blocks[:16] + rbsp[48:192] + blocks[16:] + rbsp[208:]
    assert unescape(protected) == expected
    assert b"\x00\x00\x01" not in protected and b"\x00\x00\x00" not in protected


def test_emulation_prevention_round_trip() -> None:
    # ends in a cabac_zero_word (00 00): H.264 7.4.1 appends a final 03
    rbsp = b"\x41\x00\x00\x00\x00\x00\x01\x00\x00\x02\x00\x00\x03\x00\x00\x04\x00\x00"
    escaped = escape(rbsp)
    assert escaped == (b"\x41\x00\x00\x03\x00\x00\x03\x00\x01\x00\x00\x03\x02\x00\x00\x03"
                       b"\x03\x00\x00\x04\x00\x00\x03")
    assert unescape(escaped) == rbsp


@pytest.mark.parametrize("name", ["h264", "aac", "alaw"])
def test_protect_unprotect_round_trip_is_byte_identical(media: Path, name: str,
                                                        tmp_path: Path) -> None:
    clear = (media / f"clear.{name}").read_bytes()
    protected = (media / f"prot.{name}").read_bytes()
    assert protected != clear
    back = tmp_path / f"back.{name}"
    result = CliRunner().invoke(main, ["stream", "unprotect", str(media / f"prot.{name}"),
                                       str(back), "--key", KEY_HEX])
    assert result.exit_code == 0, result.output
    assert back.read_bytes() == clear


def test_protected_h264_changes_only_slice_nal_units(media: Path) -> None:
    clear = list(split_annexb((media / "clear.h264").read_bytes()))
    prot = list(split_annexb((media / "prot.h264").read_bytes()))
    assert len(clear) == len(prot)
    for a, b in zip(clear, prot, strict=True):
        kind = a.data[0] & 0x1F
        if kind not in (1, 5) or len(a.data) <= 48:
            assert a.data == b.data
        else:
            assert a.data[:32] == b.data[:32] and a.data != b.data


# -- verdicts ---------------------------------------------------------------------------


def test_clear_recordings_are_clear(media: Path) -> None:
    got = _verdicts(media / "clear.h264", media / "clear.h265", media / "clear.mp4",
                    media / "clear.aac", media / "clear.m4a", media / "clear.alaw")
    assert got == {"clear.h264": ("CLEAR", "decoded"), "clear.h265": ("CLEAR", "decoded"),
                   "clear.mp4": ("CLEAR", "decoded"), "clear.aac": ("CLEAR", "decoded"),
                   "clear.m4a": ("CLEAR", "decoded"), "clear.alaw": ("CLEAR", "entropy")}


def test_pattern_protected_without_key(media: Path) -> None:
    got = _verdicts(media / "prot.h264", media / "prot.aac", media / "prot.alaw")
    assert got == {"prot.h264": ("PROTECTED-BY-PATTERN", "structure"),
                   "prot.aac": ("PROTECTED-BY-PATTERN", "structure"),
                   "prot.alaw": ("PROTECTED", "entropy")}


def test_key_proves_the_pattern_by_parsing_decrypted_slices(media: Path) -> None:
    report = analyse_streams([media / "prot.h264", media / "prot.aac", media / "prot.alaw"], KEY)
    by_id = {s.id.split("#")[0]: s for s in report.streams}
    assert {k: (s.verdict.value, s.basis) for k, s in by_id.items()} == {
        "prot.h264": ("PROTECTED-BY-PATTERN", "decrypted"),
        "prot.aac": ("PROTECTED-BY-PATTERN", "decrypted"),
        "prot.alaw": ("PROTECTED-BY-PATTERN", "decrypted")}
    video = by_id["prot.h264"].facts
    assert video["access_units_with_errors"] > 0
    assert video["decrypted_access_units_with_errors"] == 0
    assert video["vcl_units"] == 100  # 4 s at 25 frames/s, one slice per picture
    # the sample: windows of up to 40 slices from the first, a middle and the last IDR
    assert 40 <= video["decrypted_sampled_slices"] <= 120
    assert video["decrypted_plausible_slice_headers"] == video["decrypted_sampled_slices"]


def test_wrong_key_does_not_prove_the_pattern(media: Path) -> None:
    got = _verdicts(media / "prot.h264", key=bytes(16))
    assert got == {"prot.h264": ("PROTECTED", "structure")}


def test_fully_encrypted_payloads_are_protected_not_pattern(media: Path, tmp_path: Path) -> None:
    out = bytearray()
    for n, unit in enumerate(split_annexb((media / "clear.h264").read_bytes())):
        nal = unit.data
        if nal[0] & 0x1F in (1, 5):
            ctr = Cipher(algorithms.AES(KEY), modes.CTR(n.to_bytes(16, "big"))).encryptor()
            nal = escape(nal[:1] + ctr.update(unescape(nal)[1:]))
        out += b"\x00\x00\x00\x01" + nal
    path = tmp_path / "full.h264"
    path.write_bytes(bytes(out))
    assert _verdicts(path) == {"full.h264": ("PROTECTED", "structure")}


def test_rtp_captures_from_ffmpeg(media: Path, tmp_path: Path) -> None:
    assert rtp_pcap(media / "clear.h264", tmp_path / "clear-h264.pcap", ("-r", "25")) > 100
    assert rtp_pcap(media / "prot.h264", tmp_path / "prot-h264.pcap", ("-r", "25")) > 100
    rtp_pcap(media / "clear.alaw", tmp_path / "clear-alaw.pcap", ("-f", "alaw", "-ar", "8000"))
    rtp_pcap(media / "prot.alaw", tmp_path / "prot-alaw.pcap", ("-f", "alaw", "-ar", "8000"))
    rtp_pcap(media / "clear.m4a", tmp_path / "clear-aac.pcap")
    got = _verdicts(*sorted(tmp_path.glob("*.pcap")))
    assert got == {"clear-h264.pcap": ("CLEAR", "decoded"),
                   "prot-h264.pcap": ("PROTECTED-BY-PATTERN", "structure"),
                   "clear-alaw.pcap": ("CLEAR", "entropy"),
                   "prot-alaw.pcap": ("PROTECTED", "entropy"),
                   "clear-aac.pcap": ("CLEAR", "decoded")}
    proved = _verdicts(tmp_path / "prot-h264.pcap", key=KEY)
    assert proved == {"prot-h264.pcap": ("PROTECTED-BY-PATTERN", "decrypted")}


SRTP_OUT = ("-srtp_out_suite", "AES_CM_128_HMAC_SHA1_80", "-srtp_out_params",
            "zRjOyRv3Ce2h6zCb6KqLdqCGcpYU7/0SeGJUPb01")


def test_srtp_from_ffmpeg_is_encrypted_transport(media: Path, tmp_path: Path) -> None:
    rtp_pcap(media / "clear.h264", tmp_path / "video.pcap", ("-r", "25"), scheme="srtp",
             output=SRTP_OUT)
    rtp_pcap(media / "clear.alaw", tmp_path / "audio.pcap", ("-f", "alaw", "-ar", "8000"),
             scheme="srtp", output=SRTP_OUT)
    report = analyse_streams([tmp_path / "video.pcap", tmp_path / "audio.pcap"])
    assert [(s.kind, s.codec, s.verdict.value) for s in report.streams] == [
        ("transport", "srtp", "ENCRYPTED-TRANSPORT"), ("transport", "srtp", "ENCRYPTED-TRANSPORT")]


def test_rtsp_interleaved_captures(media: Path, tmp_path: Path) -> None:
    assert rtsp_interleaved_pcap(media / "clear.h264", tmp_path / "clear.pcap", ("-r", "25")) > 1000
    rtsp_interleaved_pcap(media / "prot.h264", tmp_path / "prot.pcap", ("-r", "25"))
    report = analyse_streams([tmp_path / "clear.pcap", tmp_path / "prot.pcap"])
    assert report.errors == []
    assert [(s.container, s.codec, s.verdict.value, s.basis) for s in report.streams] == [
        ("rtsp-interleaved", "h264", "CLEAR", "decoded"),
        ("rtsp-interleaved", "h264", "PROTECTED-BY-PATTERN", "structure")]
    assert all(s.units > 100 for s in report.streams)


def _tls_client_bytes(payload: bytes, tmp_path: Path) -> list[bytes]:
    """A real TLS 1.3 session between two in-memory ssl objects; what the client sent."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "camera.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.load_verify_locations(tmp_path / "c.pem")
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname="camera.test")
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    sent: list[bytes] = []
    for _ in range(10):
        for side in (client, server):
            try:
                side.do_handshake()
            except ssl.SSLWantReadError:
                pass
        if c_out.pending:
            sent.append(c_out.read())
            s_in.write(sent[-1])
        if s_out.pending:
            c_in.write(s_out.read())
    client.write(payload)
    sent.append(c_out.read())
    return sent


def test_tls_wrapped_stream_is_encrypted_transport(media: Path, tmp_path: Path) -> None:
    clear = (media / "clear.h264").read_bytes()
    chunks = _tls_client_bytes(clear, tmp_path)
    tcp_pcap(tmp_path / "tls.pcap", [c[i:i + 1400] for c in chunks for i in range(0, len(c), 1400)])
    report = analyse_streams([tmp_path / "tls.pcap"])
    assert [(s.kind, s.codec, s.verdict.value) for s in report.streams] == [
        ("transport", "tls", "ENCRYPTED-TRANSPORT")]
    assert report.streams[0].bytes > len(clear)


def test_dtls_flow_is_encrypted_transport(media: Path, tmp_path: Path) -> None:
    _tls_client_bytes(b"", tmp_path)  # writes c.pem / k.pem
    sent = dtls_pcap(tmp_path / "dtls.pcap", tmp_path / "c.pem", tmp_path / "k.pem",
                     (media / "clear.alaw").read_bytes()[:8000])
    assert sent >= 3
    report = analyse_streams([tmp_path / "dtls.pcap"])
    assert [(s.kind, s.codec, s.verdict.value) for s in report.streams] == [
        ("transport", "dtls", "ENCRYPTED-TRANSPORT")]


def test_damaged_clear_recording_stays_clear(media: Path, tmp_path: Path) -> None:
    data = bytearray((media / "clear.h264").read_bytes())
    middle = len(data) // 2
    data[middle:middle + 600] = bytes(600)
    path = tmp_path / "damaged.h264"
    path.write_bytes(bytes(data))
    assert _verdicts(path) == {"damaged.h264": ("CLEAR", "decoded")}


def test_truncated_capture_keeps_what_was_read(media: Path, tmp_path: Path) -> None:
    rtp_pcap(media / "clear.h264", tmp_path / "full.pcap", ("-r", "25"))
    data = (tmp_path / "full.pcap").read_bytes()
    (tmp_path / "cut.pcap").write_bytes(data[: len(data) // 2 + 7])
    assert _verdicts(tmp_path / "cut.pcap") == {"cut.pcap": ("CLEAR", "decoded")}


def test_whole_file_ciphertext_is_opaque_protected(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(os.urandom(1 << 16))
    report = analyse_streams([path])
    assert [(s.kind, s.verdict.value, s.basis) for s in report.streams] == [
        ("opaque", "PROTECTED", "entropy")]


def test_stream_without_pictures_is_an_error(media: Path, tmp_path: Path) -> None:
    sets = [u.data for u in split_annexb((media / "clear.h264").read_bytes())
            if u.data[0] & 0x1F in (7, 8)]
    assert len(sets) == 8  # x264 repeats SPS + PPS before each of the 4 IDR pictures (-g 25, 4 s)
    params = b"".join(b"\x00\x00\x00\x01" + s for s in sets)
    path = tmp_path / "params-only.h264"
    path.write_bytes(params)
    report = analyse_streams([path])
    assert report.streams == []
    assert report.errors == [f"{path}: stream params-only.h264#0 has no picture slice among its "
                             "8 NAL units (nothing to judge)"]


def test_protected_mp4_container(media: Path, tmp_path: Path) -> None:
    _ffmpeg("-i", str(media / "prot.h264"), "-c", "copy", str(tmp_path / "prot.mp4"))
    assert _verdicts(tmp_path / "prot.mp4") == {"prot.mp4": ("PROTECTED-BY-PATTERN", "structure")}
    assert _verdicts(tmp_path / "prot.mp4", key=KEY) == {
        "prot.mp4": ("PROTECTED-BY-PATTERN", "decrypted")}


def test_unreadable_inputs_give_one_line_errors(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a stream at all\n" * 50)
    empty = tmp_path / "empty.h264"
    empty.write_bytes(b"")
    bad_pcap = tmp_path / "bad.pcap"
    bad_pcap.write_bytes(b"\xd4\xc3\xb2\xa1" + b"\x00" * 3)
    result = CliRunner().invoke(main, ["stream", str(text), str(empty), str(bad_pcap),
                                       str(tmp_path / "missing.h264"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    report = json.loads((tmp_path / "o" / "stream.json").read_text())
    assert len(report["errors"]) == 4
    assert all("\n" not in e for e in report["errors"])
    assert report["errors"][0].startswith(f"{text}: ")
    assert "empty file" in report["errors"][1]


def test_stream_json_feeds_findings_and_outcome(media: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["stream", str(media / "clear.h264"),
                                       str(media / "prot.h264"), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "stream.json").read_text())
    assert report["schema"] == "iotbaseline.stream/1"
    assert [f["check"] for f in report["findings"]] == ["IOTB-STREAM-001"]
    assert report["findings"][0]["location"]["path"].endswith("clear.h264")
    assert "etsi-en-303-645:5.8-2" in report["findings"][0]["provisions"]
    assert [(o["check"], o["status"]) for o in report["outcomes"]] == [("IOTB-STREAM-001", "fail")]
    assert len(report["observations"]) == 2


def test_bad_key_is_a_usage_error(media: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["stream", "protect", str(media / "clear.h264"),
                                       str(tmp_path / "x"), "--key", "abcd"])
    assert result.exit_code == 2
    assert "16 bytes" in result.output
