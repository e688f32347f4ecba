"""Cracking password hashes against the public default-credential corpus (``wordlists.py``).

The engine is the C library's ``crypt(3)`` called through Python's ``crypt`` module (glibc /
libxcrypt: DES, MD5, SHA-256/512 crypt, bcrypt); bench/bench_cracking.py measures it per
scheme, and docs/credentials.md keeps the figures (the whole corpus, about 31,600 candidates,
against an MD5-crypt hash takes a few seconds on two cores). passlib identifies the scheme and is
the fallback where ``crypt`` lacks a scheme (Apache MD5, LDAP SHA-1, NTLM); plain MD5/SHA-1 hex
digests go through ``hashlib``. John the Ripper (Debian's ``john`` 1.9.0) was measured as a back
end and not used: its core build has no ``--pot`` option and writes every cracked password to
the invoking user's home directory, outside the work directory, and it is no faster than
``crypt(3)`` for MD5-crypt. Work is bounded by a deadline and spread over processes when there
is enough of it.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import warnings
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

from iotbaseline.checks.credentials import wordlists
from iotbaseline.checks.credentials.wordlists import DefaultCredential

with warnings.catch_warnings():  # passlib and crypt are deprecated in 3.11 (removed in 3.13)
    warnings.simplefilter("ignore", DeprecationWarning)
    from passlib.context import CryptContext  # type: ignore[import-untyped]

    try:
        import crypt as _crypt
    except ImportError:  # Python 3.13+: passlib's own implementations are used instead
        _crypt = None  # type: ignore[assignment]

SCHEMES = ("md5_crypt", "sha256_crypt", "sha512_crypt", "bcrypt", "apr_md5_crypt", "ldap_sha1",
           "ldap_salted_sha1", "des_crypt")
HEX_SCHEMES = ("raw_md5", "raw_sha1", "nthash")  # only for values known to be password hashes
WEAK_SCHEMES = {"des_crypt": "DES crypt", "md5_crypt": "MD5-crypt", "apr_md5_crypt": "Apache MD5",
                "ldap_sha1": "unsalted SHA-1", "ldap_salted_sha1": "salted SHA-1",
                "raw_md5": "unsalted MD5", "raw_sha1": "unsalted SHA-1", "nthash": "NTLM (MD4)"}
_C_CRYPT = {"des_crypt", "md5_crypt", "sha256_crypt", "sha512_crypt", "bcrypt"}
ENGINE = "crypt(3) via Python" if _crypt is not None else "passlib"
_PARALLEL_ABOVE = 0.5  # estimated seconds of work below which starting processes does not pay
# seconds per verification on one core (measured here; bench/bench_cracking.py prints them)
_COST = {"sha512_crypt": 1.4e-3, "sha256_crypt": 2.3e-3, "bcrypt": 2e-3, "md5_crypt": 1.8e-4,
         "apr_md5_crypt": 1e-3, "des_crypt": 1.1e-5, "ldap_sha1": 5e-6, "ldap_salted_sha1": 5e-6,
         "raw_md5": 1e-6, "raw_sha1": 1e-6, "nthash": 5e-6}
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
_HEX40 = re.compile(r"^[0-9a-fA-F]{40}$")


@lru_cache(maxsize=1)
def _context() -> CryptContext:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return CryptContext(schemes=list(SCHEMES))


def identify(hash_value: str) -> str | None:
    """passlib's scheme name for a crypt string, or None when it is not a known hash."""
    try:
        return _context().identify(hash_value)  # type: ignore[no-any-return]
    except (ValueError, TypeError):
        return None


def identify_hex(value: str) -> tuple[str, ...]:
    """Schemes a bare hex digest may be (a 32-digit value is MD5 or NTLM)."""
    if _HEX32.match(value):
        return ("raw_md5", "nthash")
    if _HEX40.match(value):
        return ("raw_sha1",)
    return ()


def _nthash(password: str) -> str:
    from passlib.hash import nthash  # type: ignore[import-untyped]
    return str(nthash.hash(password))


def verify(password: str, hash_value: str, scheme: str | None = None) -> bool:
    """True when ``password`` produces ``hash_value`` (crypt string or hex digest)."""
    scheme = scheme or identify(hash_value)
    try:
        if scheme == "raw_md5":
            return hashlib.md5(password.encode(), usedforsecurity=False).hexdigest() == hash_value.lower()
        if scheme == "raw_sha1":
            return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest() == hash_value.lower()
        if scheme == "nthash":
            return _nthash(password) == hash_value.lower()
        if scheme in _C_CRYPT and _crypt is not None:
            return _crypt.crypt(password, hash_value) == hash_value
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bool(_context().verify(password, hash_value))
    except (ValueError, TypeError, NotImplementedError, RuntimeError, OSError):
        return False


def default_credentials() -> tuple[DefaultCredential, ...]:
    """Our compiled groups only (short enough to try on a live device)."""
    return wordlists.compiled_groups()[0]


def default_passwords() -> frozenset[str]:
    """Passwords of our compiled groups: a config value equal to one is a known default."""
    return frozenset(c.password for c in default_credentials())


def candidates_for(user: str, extra: Iterable[str] = (), image_values: Iterable[str] = ()) -> list[str]:
    """Passwords to try for one account (see ``wordlists.candidates_for``)."""
    return wordlists.candidates_for(user, image_values=image_values, extra=extra)


def _try_chunk(hash_value: str, passwords: list[str], deadline: float,
               schemes: tuple[str | None, ...] = (None,)) -> tuple[str | None, int, bool]:
    """Returns (password found, verifications made, ran out of time)."""
    for n, password in enumerate(passwords, start=1):
        if (n == 1 or n % 256 == 0) and time.time() > deadline:
            return None, n - 1, True
        for scheme in schemes:
            if verify(password, hash_value, scheme):
                return password, n, False
    return None, len(passwords), False


def _schemes(hash_value: str) -> tuple[str | None, ...]:
    scheme = identify(hash_value)
    if scheme is not None:
        return (scheme,)
    return identify_hex(hash_value) or (None,)


@dataclass(frozen=True)
class CrackResult:
    password: str | None
    tried: int
    timed_out: bool
    engine: str = ENGINE


def _crack_parallel(pool: ProcessPoolExecutor, workers: int, hash_value: str, passwords: list[str],
                    deadline: float, schemes: tuple[str | None, ...], chunk: int) -> CrackResult:
    """Chunks of candidates in order, a few in flight per worker; stops at the first hit so
    that a password found early does not keep the cores busy until the deadline."""
    cost = sum(_COST.get(s or "", 1e-3) for s in schemes)
    size = max(chunk, int(0.05 / cost))  # about 50 ms of work per chunk
    chunks = [passwords[i : i + size] for i in range(0, len(passwords), size)]
    in_flight: list[Future[tuple[str | None, int, bool]]] = []
    tried, late, next_chunk = 0, False, 0
    while next_chunk < len(chunks) or in_flight:
        while next_chunk < len(chunks) and len(in_flight) < 2 * workers:
            in_flight.append(pool.submit(_try_chunk, hash_value, chunks[next_chunk], deadline, schemes))
            next_chunk += 1
        found, n, timed_out = in_flight.pop(0).result()  # in candidate order
        tried += n
        late = late or timed_out
        if found is not None:
            for f in in_flight:
                f.cancel()
            return CrackResult(found, tried, False)
        if timed_out:
            for f in in_flight:
                f.cancel()
            break
    return CrackResult(None, tried, late)


def crack(
    targets: dict[str, list[str]], seconds: float, jobs: int | None = None, chunk: int = 64
) -> dict[str, CrackResult]:
    """Try each hash (key) against its candidate passwords (value) until found or ``seconds``
    pass. Parallel across processes when the work is large enough."""
    deadline = time.time() + max(0.0, seconds)
    results: dict[str, CrackResult] = {}
    schemes = {h: _schemes(h) for h in targets}
    estimate = sum(len(v) * sum(_COST.get(s or "", 1e-3) for s in schemes[h]) for h, v in targets.items())
    workers = jobs or len(os.sched_getaffinity(0)) or 1
    if estimate <= _PARALLEL_ABOVE or workers <= 1:
        for hash_value, passwords in targets.items():
            found, tried, late = _try_chunk(hash_value, passwords, deadline, schemes[hash_value])
            results[hash_value] = CrackResult(found, tried, late)
        return results
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for hash_value, passwords in targets.items():
            results[hash_value] = _crack_parallel(pool, workers, hash_value, passwords, deadline,
                                                  schemes[hash_value], chunk)
    return results
