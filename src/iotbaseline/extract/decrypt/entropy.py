"""How random the bytes of an image look: the evidence behind "encrypted"."""

from __future__ import annotations

import math
from collections import Counter

SAMPLE_BYTES = 1 << 20
ENCRYPTED_BITS = 7.95  # ciphertext and good compression both sit above 7.95 bits per byte


def shannon_entropy(data: bytes) -> float:
    """Bits per byte of ``data`` (a spread sample of at most 1 MiB for big inputs)."""
    if len(data) > SAMPLE_BYTES:
        step = len(data) // 16
        piece = SAMPLE_BYTES // 16
        data = b"".join(data[i * step : i * step + piece] for i in range(16))
    if not data:
        return 0.0
    total = len(data)
    return -sum(n / total * math.log2(n / total) for n in Counter(data).values())


def describe_encrypted(data: bytes, scheme: str | None = None) -> str | None:
    """The one-line reason "encrypted (entropy …, header …)" when the image looks like
    ciphertext (or names a scheme whose key is unknown); None when it does not."""
    bits = shannon_entropy(data)
    if scheme is None and bits < ENCRYPTED_BITS:
        return None
    header = data[:8].hex(" ")
    what = f"{scheme} header" if scheme else "header"
    reason = ("no published key decrypts it" if scheme
              else "no known format, container or published key matches it")
    return f"encrypted (entropy {bits:.2f} bits/byte, {what} {header}): {reason}"
