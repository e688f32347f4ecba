"""Values and errors shared by the decryption schemes."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class DecryptError(Exception):
    """The header was recognised but the image is damaged (sizes past the end, …)."""


class KeyUnknown(DecryptError):
    """The scheme is known, but none of its published keys decrypts this image."""


@dataclass(frozen=True)
class Decrypted:
    scheme: str  # short id: "dlink-shrs", "dlink-mh01", "hilink-des", …
    description: str  # what was done, for the chunk note and provenance
    payload: bytes
    end: int  # bytes of the input the scheme accounts for


def aes_cbc(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-CBC without padding removal (the callers know their plaintext length)."""
    usable = len(data) - len(data) % 16
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(data[:usable]) + decryptor.finalize()


def strip_pkcs7(data: bytes) -> bytes | None:
    """The plaintext without PKCS#7 padding, or None when the padding is wrong (wrong key)."""
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(data) + unpadder.finalize()
    except ValueError:
        return None
