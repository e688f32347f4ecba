"""The camera maker's sample-encryption pattern (white paper section 4.4), with AES-128-CBC.

Video (H.264): only NAL types 1 and 5 are touched. Working on the RBSP (emulation prevention
removed), the NAL header byte and the 31 bytes after it stay clear; from there, one 16-byte block
is encrypted and up to 144 bytes follow in the clear, repeated while more than 16 bytes remain
(so the tail is always clear). Units of 48 bytes or less stay wholly clear. Emulation prevention
is applied again afterwards, so the protected stream is still a valid Annex B stream.
Audio: G.711 frames are encrypted whole (every complete 16-byte block; a trailing part shorter
than a block stays clear, CBC needs whole blocks and the frame size must not change). AAC: the
ADTS header and the first 16 bytes of the raw data stay clear, then every complete block is
encrypted; frames with 31 bytes or less of raw data stay clear.

IV rule (ours, as HLS SAMPLE-AES and CENC 'cbcs' do): one constant 16-byte IV for the stream
(``--iv``, default all zero), restarted for every protected unit (NAL unit or audio frame); CBC
chains across the encrypted blocks inside one unit only. Each unit can then be decrypted alone,
as a player joining mid-stream or losing packets must.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from iotbaseline.stream.nal import escape, unescape

BLOCK = 16
CLEAR_LEADER = 32  # NAL header byte + 31 bytes
CLEAR_RUN = 144  # nine clear blocks after each encrypted one
SMALL_NAL = 48  # units this short (without start code) stay clear
PATTERN_NAL_TYPES = frozenset((1, 5))
AAC_CLEAR_LEADER = 16
ZERO_IV = bytes(BLOCK)


class PatternError(ValueError):
    """A key or IV that AES-128 cannot use."""


def _check(key: bytes, iv: bytes) -> None:
    if len(key) != 16:
        raise PatternError(f"the key must be 16 bytes (AES-128), not {len(key)}")
    if len(iv) != 16:
        raise PatternError(f"the IV must be 16 bytes, not {len(iv)}")


def video_block_offsets(rbsp_length: int) -> list[int]:
    """Offsets, in the RBSP, of the 16-byte blocks the pattern encrypts."""
    if rbsp_length <= SMALL_NAL:
        return []
    offsets = []
    pos = CLEAR_LEADER
    while rbsp_length - pos > BLOCK:
        offsets.append(pos)
        pos += BLOCK + CLEAR_RUN
    return offsets


class PatternCipher:
    """Applies or removes the pattern with one key and IV."""

    def __init__(self, key: bytes, iv: bytes = ZERO_IV) -> None:
        _check(key, iv)
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(iv))

    def _crypt(self, data: bytes, encrypt: bool) -> bytes:
        ctx = self._cipher.encryptor() if encrypt else self._cipher.decryptor()
        return ctx.update(data) + ctx.finalize()

    def _video(self, nal: bytes, encrypt: bool) -> bytes:
        if not nal or nal[0] & 0x1F not in PATTERN_NAL_TYPES:
            return nal
        # cheap exit before unescaping: escaping only grows a unit, so a unit of 48 bytes or
        # less in the stream is 48 bytes or less as RBSP too
        if len(nal) <= SMALL_NAL:
            return nal
        rbsp = unescape(nal)
        offsets = video_block_offsets(len(rbsp))
        if not offsets:
            return nal
        blocks = b"".join(rbsp[o:o + BLOCK] for o in offsets)
        crypted = self._crypt(blocks, encrypt)
        out = bytearray(rbsp)
        for index, offset in enumerate(offsets):
            out[offset:offset + BLOCK] = crypted[index * BLOCK:(index + 1) * BLOCK]
        return escape(bytes(out))

    def protect_nal(self, nal: bytes) -> bytes:
        """One H.264 NAL unit (without start code) → its protected form (other types as is)."""
        return self._video(nal, True)

    def unprotect_nal(self, nal: bytes) -> bytes:
        return self._video(nal, False)

    def _whole_blocks(self, data: bytes, start: int, encrypt: bool) -> bytes:
        usable = (len(data) - start) // BLOCK * BLOCK
        if usable <= 0:
            return data
        crypted = self._crypt(data[start:start + usable], encrypt)
        return data[:start] + crypted + data[start + usable:]

    def protect_g711(self, frame: bytes) -> bytes:
        return self._whole_blocks(frame, 0, True)

    def unprotect_g711(self, frame: bytes) -> bytes:
        return self._whole_blocks(frame, 0, False)

    def _aac(self, frame: bytes, header_length: int, encrypt: bool) -> bytes:
        if len(frame) - header_length <= 31:
            return frame
        return self._whole_blocks(frame, header_length + AAC_CLEAR_LEADER, encrypt)

    def protect_aac(self, frame: bytes, header_length: int) -> bytes:
        """One AAC frame; ``header_length`` is 7 or 9 for ADTS, 0 for a raw access unit."""
        return self._aac(frame, header_length, True)

    def unprotect_aac(self, frame: bytes, header_length: int) -> bytes:
        return self._aac(frame, header_length, False)


def protect_annexb(data: bytes, cipher: PatternCipher, encrypt: bool = True) -> bytes:
    """An H.264 Annex B stream with every NAL unit passed through the pattern; start codes and
    anything before the first start code are kept byte for byte."""
    out: list[bytes] = []
    find = data.find
    pos = find(b"\x00\x00\x01")
    if pos == -1:
        return data
    out.append(data[:pos + 3])
    crypt = cipher.protect_nal if encrypt else cipher.unprotect_nal
    while pos != -1:
        begin = pos + 3
        nxt = find(b"\x00\x00\x01", begin)
        end = len(data) if nxt == -1 else nxt
        stop = end
        while stop > begin and data[stop - 1] == 0:
            stop -= 1
        out.append(crypt(data[begin:stop]))
        out.append(data[stop:end + 3] if nxt != -1 else data[stop:end])
        pos = nxt
    return b"".join(out)


def g711_frames(data: bytes, frame_size: int) -> Iterable[bytes]:
    for pos in range(0, len(data), frame_size):
        yield data[pos:pos + frame_size]
