"""The published schemes, in the order they are tried on the start of an image."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from iotbaseline.extract.decrypt.arcadyan import looks_like_arcadyan, open_arcadyan
from iotbaseline.extract.decrypt.common import Decrypted
from iotbaseline.extract.decrypt.dlink import (
    ENCRPTED_IMG_MAGIC,
    MH01_MAGIC,
    SHRS_MAGIC,
    open_encrpted_img,
    open_mh01,
    open_shrs,
)
from iotbaseline.extract.decrypt.hilink import looks_like_hilink, open_hilink


@dataclass(frozen=True)
class Scheme:
    name: str
    matches: Callable[[bytes, int], bool]  # (first 4 KiB, file size) -> recognised?
    open: Callable[[bytes, int], Decrypted]  # (whole image, output bound) -> plaintext


SCHEMES: tuple[Scheme, ...] = (
    Scheme("D-Link encrpted_img", lambda head, _n: head.startswith(ENCRPTED_IMG_MAGIC),
           lambda data, _max: open_encrpted_img(data)),
    Scheme("D-Link SHRS", lambda head, _n: head.startswith(SHRS_MAGIC),
           lambda data, _max: open_shrs(data)),
    Scheme("D-Link MH01", lambda head, _n: head.startswith(MH01_MAGIC)
           and head[16:20] == MH01_MAGIC, lambda data, _max: open_mh01(data)),
    Scheme("Arcadyan obfuscated LZMA", lambda head, _n: looks_like_arcadyan(head), open_arcadyan),
    Scheme("Huawei HiLink DES", looks_like_hilink, lambda data, _max: open_hilink(data)),
)


def open_known(data: bytes, max_out: int) -> tuple[Scheme, Decrypted] | None:
    """The first scheme that recognises the image and its plaintext; raises ``DecryptError``
    (``KeyUnknown``) when the scheme is recognised but the image cannot be opened."""
    head = data[:4096]
    for scheme in SCHEMES:
        if scheme.matches(head, len(data)):
            return scheme, scheme.open(data, max_out)
    return None
