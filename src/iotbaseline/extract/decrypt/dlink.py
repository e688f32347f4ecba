"""D-Link update images: ``encrpted_img`` (AES-256-CBC), SHRS (AES-128-CBC) and MH01
(OpenSSL ``enc`` with a SHA-256 key derivation).

Keys: encrpted_img and SHRS use the keys D-Link firmware carries, published in unblob's
handlers (``unblob/handlers/archive/dlink/encrpted_img.py``, ``shrs.py``), imported from
there. MH01 keys are in D-Link's GPL source release for the M30 router
(``M30_sw_reva_GPLcode.tgz``), as listed by FKIE's fact_extractor (``plugins/unpacking/dlink/
code/dlink_mh01.py``); only their hex form is kept here.
"""

from __future__ import annotations

import hashlib
import struct

from unblob.handlers.archive.dlink import encrpted_img as unblob_encrpted_img
from unblob.handlers.archive.dlink import shrs as unblob_shrs

from iotbaseline.extract.decrypt.common import (
    Decrypted,
    DecryptError,
    KeyUnknown,
    aes_cbc,
    strip_pkcs7,
)

ENCRPTED_IMG_MAGIC = b"encrpted_img"
SHRS_MAGIC = b"SHRS"
SHRS_DATA = 0x6DC  # header: sizes, IV, three SHA-512 digests, 512 unused, two signatures
MH01_MAGIC = b"MH01"
MH01_HEADER = 16

MH01_KEYS = (
    "044b4e59846ecee953662ff2238fcc23", "08324188e8c509105186636274cf4bea",
    "0b8073ca811bf3de07a4b79d90cdb49e", "0bcca591c37f932c839d1eaa4dafc292",
    "118e57f905f0690157f8389b745b6ac8", "1ae6c79be7d069ca74df7670bdfc4952",
    "29f9ef6781fa478377d9954187fd078b", "3fb5d73c6ee959edb17ab70f4fb097cf",
    "443a194860796cd9d9a24d99c4242e64", "4d5ee2c8b5d0fdd9a9a2d351ba897752",
    "4e5aad6e440bdd16bdc8b6ad441e47ba", "5655840cefb7da085e7c3d9640e64922",
    "5c67ae65b2329711441a965bc3a73667", "6922920d95a6a48a44d8bf237bea3924",
    "6b29f1d663a21b35fb45b69a42649f5e", "6cc5de3f0022442fe809981fc1f40d4d",
    "70070e579f97548a96a7794d4d779376", "80c4d262297149e54c04a91bc3329175",
    "94706d6f4245039c411af6c3a705e607", "95d620854d9a51c90ae0a22787f50e17",
    "a07e5f355c8f4037a218d791e2d58fa6", "a4f7c17c3e0aa4532c2024ce6ac5f17c",
    "b0b2e9efd78ec5dba99e02293c36a94f", "b40c8b7a06b235471b69591021f82e60",
    "b4517d9b98e04d9f075f5e78c743e097", "c5f8a1e22f808abc84f2e4a6fa5f10bb",
    "c5ffe41dcdd9518060243921393e7d19", "ddcada1120056f68738e39d7336630eb",
    "df9c62b095a04e1f67bf4ffe21117eae", "e1d72a0952b1d349be0b7a32fbd1341e",
    "e5af7b6761f9791b6a522738275002db", "f21247200ea5d552efa08740522d0ff1",
    "f23051f55ed058c103c25ec37c6e1601", "fa0c50b3d95816b3fffd7da3efd5cb66",
)


def open_encrpted_img(data: bytes) -> Decrypted:
    """Magic, big-endian payload size, then AES-256-CBC from offset 16."""
    if len(data) < 32:
        raise DecryptError("encrpted_img: shorter than its header")
    (size,) = struct.unpack_from(">I", data, 12)
    body = data[16:]
    if size > len(body):
        raise DecryptError(f"encrpted_img: payload size {size} exceeds the {len(body)} bytes present")
    plain = aes_cbc(unblob_encrpted_img.KEY, unblob_encrpted_img.IV, body)
    return Decrypted("dlink-encrpted_img", "D-Link encrpted_img, AES-256-CBC with the published key",
                     plain[:size] if size else plain, len(data))


def open_shrs(data: bytes) -> Decrypted:
    """SHRS: sizes at 4/8, IV at 0x0C, SHA-512 of the plaintext at 0x5C, data at 0x6DC."""
    if len(data) < SHRS_DATA + 16:
        raise DecryptError("SHRS: shorter than its header")
    size, unpadded = struct.unpack_from(">II", data, 4)
    iv = data[12:28]
    digest = data[0x5C:0x9C]
    body = data[SHRS_DATA:]
    if size > len(body) or unpadded > size:
        raise DecryptError(f"SHRS: sizes {size}/{unpadded} do not fit the {len(body)} bytes present")
    plain = aes_cbc(unblob_shrs.KEY, iv, body[:size] if size else body)
    if hashlib.sha512(plain[:unpadded]).digest() != digest:
        raise KeyUnknown("SHRS: the published key does not reproduce the plaintext digest")
    return Decrypted("dlink-shrs", "D-Link SHRS, AES-128-CBC with the published key "
                     "(plaintext SHA-512 verified)", plain[:unpadded], SHRS_DATA + size)


def _mh01_parts(data: bytes, at: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """(offset, size) of the two files an MH01 header at ``at`` wraps."""
    if data[at : at + 4] != MH01_MAGIC or len(data) < at + MH01_HEADER:
        raise DecryptError(f"MH01: no header at {at:#x}")
    order = {b"\x2b\x1a": "<", b"\x1a\x2b": ">"}.get(data[at + 12 : at + 14])
    if order is None:
        raise DecryptError("MH01: unknown byte-order mark")
    second_rel, second_size = struct.unpack_from(order + "II", data, at + 4)
    second = at + MH01_HEADER + second_rel
    if second + second_size > len(data):
        raise DecryptError("MH01: second file runs past the end of the image")
    return (at + MH01_HEADER, second - at - MH01_HEADER), (second, second_size)


def open_mh01(data: bytes) -> Decrypted:
    """Outer MH01 (inner MH01 + signature); inner MH01 = hex IV + OpenSSL "Salted__" blob,
    AES-128-CBC, key = SHA-256(passphrase + salt)[:16]; the plaintext is a third MH01 whose
    first file is the firmware."""
    (inner_at, _inner_len), (_sig_at, sig_size) = _mh01_parts(data, 0)
    (iv_at, iv_len), (blob_at, blob_size) = _mh01_parts(data, inner_at)
    try:
        iv = bytes.fromhex(data[iv_at : iv_at + iv_len].decode("ascii").strip())
    except ValueError as exc:
        raise DecryptError("MH01: the IV field is not hex text") from exc
    blob = data[blob_at : blob_at + blob_size]
    if len(iv) != 16 or blob[:8] != b"Salted__" or len(blob) < 32:
        raise DecryptError("MH01: no OpenSSL salted payload")
    salt, cipher_text = blob[8:16], blob[16:]
    for passphrase in MH01_KEYS:
        key = hashlib.sha256(passphrase.encode() + salt).digest()[:16]
        plain = strip_pkcs7(aes_cbc(key, iv, cipher_text))
        if plain is None or plain[:4] != MH01_MAGIC:
            continue
        (fw_at, fw_len), _sig = _mh01_parts(plain, 0)
        return Decrypted("dlink-mh01", f"D-Link MH01, AES-128-CBC, published key {passphrase[:8]}…",
                         plain[fw_at : fw_at + fw_len], len(data))
    raise KeyUnknown(f"MH01: none of the {len(MH01_KEYS)} published keys decrypts it "
                     f"(signature of {sig_size} bytes present)")
