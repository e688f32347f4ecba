"""Verdict per elementary stream: CLEAR, PROTECTED, PROTECTED-BY-PATTERN, ENCRYPTED-TRANSPORT.

Video: a sample that FFmpeg decodes cleanly is CLEAR. Otherwise the slice headers tell the
schemes apart without a key: the pattern leaves each slice's first 32 bytes clear, so its slice
headers stay valid (PROTECTED-BY-PATTERN, basis "structure"); a scheme that encrypts the whole
payload leaves only the NAL header byte (PROTECTED). With a key the pattern is proved: the
stream decrypted by the pattern must decode cleanly (basis "decrypted").
G.711 has no structure: byte entropy decides (ciphertext is uniform; speech and tones are not).
AAC: decoding decides CLEAR; the first syntax element (clear under the pattern) tells the rest.
"""

from __future__ import annotations

from iotbaseline.stream.audio import (
    aac_first_element_plausible,
    byte_entropy,
    ciphertext_threshold,
)
from iotbaseline.stream.decode import decode_aac, decode_video, guess_aac_config, sample_nals
from iotbaseline.stream.model import StreamAnalysis, StreamVerdict
from iotbaseline.stream.nal import (
    h264_header_plausible,
    h264_pps_id,
    h264_slice_header,
    hevc_header_plausible,
    hevc_pps_id,
    is_vcl,
    nal_type,
)
from iotbaseline.stream.pattern import PatternCipher
from iotbaseline.stream.tracks import MediaTrack, OpaqueFlow, StreamInputError, Track

PLAUSIBLE = 0.8  # share of units whose clear part looks real
ENTROPY_SAMPLE = 1 << 16


def _entropy_sample(chunks: list[bytes], skip: int = 0) -> bytes:
    out = bytearray()
    step = max(1, len(chunks) // 512)
    for chunk in chunks[::step]:
        out += chunk[skip:]
        if len(out) >= ENTROPY_SAMPLE:
            break
    return bytes(out[:ENTROPY_SAMPLE])


def _result(track: MediaTrack, verdict: StreamVerdict, basis: str, reason: str,
            facts: dict[str, object]) -> StreamAnalysis:
    first = next((u.offset for u in track.units if u.offset is not None), None)
    return StreamAnalysis(id=track.id, source=track.source, kind=track.kind, codec=track.codec,
                          container=track.container, verdict=verdict, basis=basis,  # type: ignore[arg-type]
                          reason=reason, units=len(track.units), bytes=track.size,
                          first_offset=first, facts={**track.facts, **facts})


def header_plausibility(codec: str, nals: list[bytes]) -> tuple[int, int]:
    """(VCL units, VCL units whose slice header is valid)."""
    pps_ids: set[int] = set()
    vcl = good = 0
    for nal in nals:
        kind = nal_type(codec, nal)  # type: ignore[arg-type]
        if codec == "h264" and kind == 8:
            pps = h264_pps_id(nal)
            if pps is not None:
                pps_ids.add(pps)
        elif codec == "hevc" and kind == 34:
            pps = hevc_pps_id(nal)
            if pps is not None:
                pps_ids.add(pps)
        elif is_vcl(codec, kind):  # type: ignore[arg-type]
            vcl += 1
            if codec == "h264":
                good += h264_header_plausible(h264_slice_header(nal), kind, pps_ids)
            else:
                good += hevc_header_plausible(nal, pps_ids)
    return vcl, good


def classify_video(track: MediaTrack, cipher: PatternCipher | None) -> StreamAnalysis:
    nals = [u.data for u in track.units if u.data]
    vcl, good = header_plausibility(track.codec, nals)
    if vcl == 0:
        raise StreamInputError(f"{track.source}: stream {track.id} has no picture slice among "
                               f"its {len(nals)} NAL units (nothing to judge)")
    decoded = decode_video(track.codec, nals)
    facts: dict[str, object] = {
        "vcl_units": vcl, "plausible_slice_headers": good,
        "decoded_access_units": decoded.packets, "access_units_with_errors": decoded.failed,
        "key_pictures": decoded.key_packets, "key_pictures_with_errors": decoded.key_failed,
    }
    if decoded.first_error:
        facts["first_decoder_error"] = decoded.first_error
    if decoded.clean:
        damaged = f" ({decoded.failed} damaged)" if decoded.failed else ""
        return _result(track, StreamVerdict.CLEAR, "decoded",
                       f"{decoded.packets - decoded.failed} of {decoded.packets} sampled pictures "
                       f"decode{damaged}: the video can be watched by whoever holds these bytes",
                       facts)
    headers_clear = good >= PLAUSIBLE * vcl
    if cipher is not None and track.codec == "h264":
        # only the decoded sample needs decrypting: the slice headers are in the clear part
        plain = [cipher.unprotect_nal(n) for n in sample_nals(track.codec, nals)]
        proof = decode_video(track.codec, plain, sampled=True)
        pvcl, pgood = header_plausibility(track.codec, plain)
        facts.update({"decrypted_access_units": proof.packets,
                      "decrypted_access_units_with_errors": proof.failed,
                      "decrypted_sampled_slices": pvcl,
                      "decrypted_plausible_slice_headers": pgood})
        if proof.clean and pgood >= PLAUSIBLE * pvcl:
            return _result(track, StreamVerdict.PROTECTED_BY_PATTERN, "decrypted",
                           f"decrypted by the pattern with the given key, {proof.packets - proof.failed} "
                           f"of {proof.packets} sampled pictures decode and {pgood} of {pvcl} slice "
                           "headers parse", facts)
        return _result(track, StreamVerdict.PROTECTED, "structure",
                       "slice payloads are ciphertext, but decrypting by the pattern with the given "
                       "key does not give decodable video (another scheme or another key)", facts)
    if headers_clear and track.codec == "h264":
        return _result(track, StreamVerdict.PROTECTED_BY_PATTERN, "structure",
                       f"parameter sets and {good} of {vcl} slice headers are clear while the "
                       "slice data does not decode: the layout of the pattern (give --key to "
                       "prove it)", facts)
    if headers_clear:
        return _result(track, StreamVerdict.PROTECTED, "structure",
                       f"{good} of {vcl} slice headers are clear while the slice data does not "
                       "decode (the pattern is defined for H.264 only)", facts)
    return _result(track, StreamVerdict.PROTECTED, "structure",
                   f"NAL framing and parameter sets are visible but only {good} of {vcl} slice "
                   "headers parse: the slice payloads are encrypted whole", facts)


def _distinct_blocks(frames: list[bytes]) -> bytes:
    """The sample's distinct 16-byte blocks: with a constant IV, repeated audio (a tone,
    silence) repeats its ciphertext too, and repeats would lower the entropy of ciphertext."""
    sample = _entropy_sample(frames)
    blocks = dict.fromkeys(sample[i:i + 16] for i in range(0, len(sample) - 15, 16))
    return b"".join(blocks)


def classify_g711(track: MediaTrack, cipher: PatternCipher | None) -> StreamAnalysis:
    frames = [u.data for u in track.units]
    sample = _distinct_blocks(frames)
    entropy = byte_entropy(sample)
    threshold = ciphertext_threshold(len(sample))
    facts: dict[str, object] = {"entropy_bits_per_byte": round(entropy, 4),
                                "ciphertext_threshold": round(threshold, 4),
                                "sampled_bytes": len(sample)}
    if len(sample) < 1024:
        facts["note"] = "too little audio for a reliable entropy measure"
    if entropy < threshold:
        return _result(track, StreamVerdict.CLEAR, "entropy",
                       f"the samples' byte entropy is {entropy:.2f} bits/byte, the uneven "
                       "distribution of audible G.711, not ciphertext", facts)
    if cipher is not None:
        plain = _distinct_blocks([cipher.unprotect_g711(f) for f in frames])
        after = byte_entropy(plain)
        facts["decrypted_entropy_bits_per_byte"] = round(after, 4)
        if after < threshold:
            return _result(track, StreamVerdict.PROTECTED_BY_PATTERN, "decrypted",
                           f"frames are ciphertext ({entropy:.2f} bits/byte); decrypted by the "
                           f"pattern with the given key they are audio again ({after:.2f})", facts)
        return _result(track, StreamVerdict.PROTECTED, "entropy",
                       "frames are ciphertext, and the given key does not decrypt them by the "
                       "pattern", facts)
    return _result(track, StreamVerdict.PROTECTED, "entropy",
                   f"the frames are uniformly distributed ({entropy:.3f} bits/byte): ciphertext "
                   "(G.711 has no structure to show the pattern; give --key to prove it)", facts)


def classify_aac(track: MediaTrack, cipher: PatternCipher | None) -> StreamAnalysis:
    frames = [u.data for u in track.units]
    headers = [u.header_length for u in track.units]
    if track.extradata is None and not any(headers):
        track.extradata, track.channels = guess_aac_config(frames)
        track.facts["audio_specific_config"] = ("guessed " + track.extradata.hex()
                                                if track.extradata else "unknown")
    decoded = decode_aac(frames, track.extradata)
    plausible = sum(aac_first_element_plausible(f[h:], track.channels or 0)
                    for f, h in zip(frames, headers, strict=True))
    facts: dict[str, object] = {"decoded_frames": decoded.packets,
                                "frames_with_errors": decoded.failed,
                                "plausible_first_elements": plausible}
    if decoded.first_error:
        facts["first_decoder_error"] = decoded.first_error
    if decoded.clean:
        return _result(track, StreamVerdict.CLEAR, "decoded",
                       f"{decoded.packets - decoded.failed} of {decoded.packets} sampled AAC frames "
                       "decode: the audio can be heard by whoever holds these bytes", facts)
    if cipher is not None:
        plain = [cipher.unprotect_aac(f, h) for f, h in zip(frames, headers, strict=True)]
        proof = decode_aac(plain, track.extradata)
        facts["decrypted_frames_with_errors"] = proof.failed
        if proof.clean:
            return _result(track, StreamVerdict.PROTECTED_BY_PATTERN, "decrypted",
                           f"decrypted by the pattern with the given key, {proof.packets - proof.failed}"
                           f" of {proof.packets} sampled frames decode", facts)
        return _result(track, StreamVerdict.PROTECTED, "structure",
                       "frames do not decode, and the given key does not decrypt them by the "
                       "pattern", facts)
    if frames and plausible >= PLAUSIBLE * len(frames):
        return _result(track, StreamVerdict.PROTECTED_BY_PATTERN, "structure",
                       "frame headers and the start of every frame are clear while the rest does "
                       "not decode: the layout of the pattern (give --key to prove it)", facts)
    return _result(track, StreamVerdict.PROTECTED, "structure",
                   "frames are delimited but their content does not decode", facts)


def classify_opaque(flow: OpaqueFlow) -> StreamAnalysis:
    if flow.protocol == "ciphertext":
        return StreamAnalysis(
            id=flow.id, source=flow.source, kind="opaque", codec=None, container=flow.container,
            verdict=StreamVerdict.PROTECTED, basis="entropy", units=flow.units, bytes=flow.size,
            first_offset=flow.first_offset, facts=flow.facts,
            reason="no media structure at all and uniformly distributed bytes: the whole file "
                   "is ciphertext (which media it holds cannot be told)")
    names = {"tls": "TLS", "dtls": "DTLS", "srtp": "SRTP"}
    return StreamAnalysis(
        id=flow.id, source=flow.source, kind="transport", codec=flow.protocol,
        container=flow.container, verdict=StreamVerdict.ENCRYPTED_TRANSPORT, basis="transport",
        units=flow.units, bytes=flow.size, first_offset=flow.first_offset, facts=flow.facts,
        reason=f"{names.get(flow.protocol, flow.protocol)} protects this flow: the media inside "
               "cannot be seen on the path")


def classify(track: Track, cipher: PatternCipher | None) -> StreamAnalysis:
    if isinstance(track, OpaqueFlow):
        return classify_opaque(track)
    if track.kind == "video":
        return classify_video(track, cipher)
    if track.codec == "aac":
        return classify_aac(track, cipher)
    return classify_g711(track, cipher)
