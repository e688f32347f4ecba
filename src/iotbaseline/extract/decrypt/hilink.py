"""Huawei HiLink update images: a uImage encrypted twice with single DES (ECB).

Layout as documented by binwalk 2's ``hilink`` plugin (public source): the first 3 bytes
stay, the rest is DES-decrypted, then the whole result is DES-decrypted again. The key is the
published ``H@L9K*(3``. Recognised by decrypting only the first 64 bytes and finding a valid
uImage header (magic, size within the file, printable name).
"""

from __future__ import annotations

import struct

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from iotbaseline.extract.decrypt.common import Decrypted, DecryptError

DES_KEY = b"H@L9K*(3"  # single DES: TripleDES with an 8-byte key is K1 = K2 = K3
UIMAGE_MAGIC = 0x27051956


def _des(data: bytes) -> bytes:
    usable = len(data) + (-len(data)) % 8
    padded = data.ljust(usable, b"\x00")
    decryptor = Cipher(TripleDES(DES_KEY), modes.ECB()).decryptor()
    return decryptor.update(padded) + decryptor.finalize()


def decrypt_hilink(data: bytes) -> bytes:
    return _des(data[:3] + _des(data[3:]))[: len(data)]


def looks_like_hilink(head: bytes, size: int) -> bool:
    if len(head) < 72:
        return False
    plain = decrypt_hilink(head[:72])
    magic, _crc, _time, length = struct.unpack_from(">IIII", plain, 0)
    name = plain[32:56].rstrip(b"\x00")
    return (magic == UIMAGE_MAGIC and 0 < length <= size - 64
            and all(32 <= c < 127 for c in name))


def open_hilink(data: bytes) -> Decrypted:
    if not looks_like_hilink(data[:72], len(data)):
        raise DecryptError("HiLink: the decrypted header is not a uImage")
    plain = decrypt_hilink(data)
    (length,) = struct.unpack_from(">I", plain, 12)
    return Decrypted("hilink-des", "Huawei HiLink, DES-ECB with the published key → uImage",
                     plain[: 64 + length], len(data))
