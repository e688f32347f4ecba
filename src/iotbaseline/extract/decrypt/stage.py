"""The decryption step of ``extract_image``: before anything else looks at an image, a
published scheme recognised at its start is undone and the plaintext extracted instead; an
image that stays opaque is reported as encrypted, never as "nothing found"."""

from __future__ import annotations

from pathlib import Path

from iotbaseline.extract.decrypt.common import DecryptError
from iotbaseline.extract.decrypt.entropy import describe_encrypted
from iotbaseline.extract.decrypt.schemes import SCHEMES, open_known
from iotbaseline.model import Chunk, ExtractionError, ExtractionResult

PLAIN_DIR = "decrypted"
OPAQUE_KINDS = {"unknown", "padding"}


def decrypt_input(source: Path, work_dir: Path, max_out: int,
                  result: ExtractionResult) -> Path | None:
    """The plaintext file when a published scheme opens ``source``, else None (with an
    "encrypted" error first in ``result.errors`` if the scheme is known but the key is not)."""
    with source.open("rb") as handle:
        head = handle.read(4096)
    size = source.stat().st_size
    if not any(scheme.matches(head, size) for scheme in SCHEMES):
        return None
    data = source.read_bytes()
    try:
        found = open_known(data, max_out)
    except DecryptError as exc:
        scheme = next(s.name for s in SCHEMES if s.matches(head, size))
        reason = describe_encrypted(data, scheme) or str(exc)
        result.errors.insert(0, ExtractionError(stage="decrypt", path=source.name, offset=0,
                                                size=size, message=f"{reason} ({exc})"))
        result.chunks.append(Chunk(start=0, end=size, kind="encrypted", parent=source.name,
                                   note=f"{scheme}: {exc}"))
        return None
    if found is None:
        return None
    _scheme, plain = found
    target = work_dir / PLAIN_DIR / f"{source.name}.{plain.scheme}.bin"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(plain.payload)
    result.chunks.append(Chunk(start=0, end=plain.end, kind=plain.scheme, parent=source.name,
                               extracted_to=str(target.relative_to(work_dir)),
                               note=f"{plain.description}; {len(plain.payload)} bytes of plaintext"))
    return target


def explain_opaque(source: Path, result: ExtractionResult) -> None:
    """Nothing at all was recognised: if the bytes look like ciphertext, say so first."""
    if result.roots or result.flat_images or any(e.stage == "decrypt" for e in result.errors):
        return
    if any(c.kind not in OPAQUE_KINDS for c in result.chunks):
        return
    with source.open("rb") as handle:
        data = handle.read(64 << 20)
    reason = describe_encrypted(data)
    if reason is not None:
        result.errors.insert(0, ExtractionError(stage="decrypt", path=source.name, offset=0,
                                                size=result.input_size, message=reason))
