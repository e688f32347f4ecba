"""Cracking password hashes against our list of known IoT default credentials.

Uses passlib (the maintained library for Unix crypt schemes) to identify and verify hashes.
Work is bounded by a deadline and spread over processes when there is enough of it.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

with warnings.catch_warnings():  # passlib imports the stdlib crypt module (deprecated in 3.11)
    warnings.simplefilter("ignore", DeprecationWarning)
    from passlib.context import CryptContext  # type: ignore[import-untyped]

SCHEMES = ("md5_crypt", "sha256_crypt", "sha512_crypt", "bcrypt", "apr_md5_crypt", "ldap_sha1",
           "ldap_salted_sha1", "des_crypt")
WEAK_SCHEMES = {"des_crypt": "DES crypt", "md5_crypt": "MD5-crypt", "apr_md5_crypt": "Apache MD5",
                "ldap_sha1": "unsalted SHA-1", "ldap_salted_sha1": "salted SHA-1"}
_PARALLEL_ABOVE = 0.5  # estimated seconds of work below which starting processes does not pay
# rough seconds per verification on one core, to decide whether to use processes
_COST = {"sha512_crypt": 3e-3, "sha256_crypt": 3e-3, "bcrypt": 0.1, "md5_crypt": 2e-4,
         "apr_md5_crypt": 2e-4, "des_crypt": 2e-5, "ldap_sha1": 5e-6, "ldap_salted_sha1": 5e-6}


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


def verify(password: str, hash_value: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bool(_context().verify(password, hash_value))
    except (ValueError, TypeError, NotImplementedError, RuntimeError):
        return False


@dataclass(frozen=True)
class DefaultCredential:
    user: str  # "*" = any account
    password: str
    group: str


@lru_cache(maxsize=1)
def default_credentials() -> tuple[DefaultCredential, ...]:
    """Our compiled list (checks/data/default_credentials.yaml), in file order."""
    text = resources.files("iotbaseline.checks").joinpath("data/default_credentials.yaml").read_text()
    data = yaml.safe_load(text)
    out: list[DefaultCredential] = []
    for group in data["groups"]:
        for user, password in group["pairs"]:
            out.append(DefaultCredential(str(user), str(password), group["name"]))
    return tuple(out)


def default_passwords() -> frozenset[str]:
    return frozenset(c.password for c in default_credentials())


def candidates_for(user: str, extra: Iterable[str] = ()) -> list[str]:
    """Passwords to try for one account: pairs for this user first, then the rest, then the
    account name itself and values the image suggests (``extra``); no duplicates."""
    seen: dict[str, None] = {}
    creds = default_credentials()
    for c in creds:
        if c.user == user:
            seen.setdefault(c.password, None)
    for c in creds:
        seen.setdefault(c.password, None)
    for value in (user, *extra):
        seen.setdefault(value, None)
    return list(seen)


def _try_chunk(hash_value: str, passwords: list[str], deadline: float) -> tuple[str | None, int, bool]:
    """Returns (password found, verifications made, ran out of time)."""
    for n, password in enumerate(passwords, start=1):
        if time.time() > deadline:
            return None, n - 1, True
        if verify(password, hash_value):
            return password, n, False
    return None, len(passwords), False


@dataclass(frozen=True)
class CrackResult:
    password: str | None
    tried: int
    timed_out: bool


def crack(
    targets: dict[str, list[str]], seconds: float, jobs: int | None = None, chunk: int = 64
) -> dict[str, CrackResult]:
    """Try each hash (key) against its candidate passwords (value) until found or ``seconds``
    pass. Parallel across processes when the work is large enough."""
    deadline = time.time() + max(0.0, seconds)
    results: dict[str, CrackResult] = {}
    estimate = sum(len(v) * _COST.get(identify(h) or "", 1e-3) for h, v in targets.items())
    workers = jobs or len(os.sched_getaffinity(0)) or 1
    if estimate <= _PARALLEL_ABOVE or workers <= 1:
        for hash_value, passwords in targets.items():
            found, tried, late = _try_chunk(hash_value, passwords, deadline)
            results[hash_value] = CrackResult(found, tried, late)
        return results
    pending: dict[str, list[Future[tuple[str | None, int, bool]]]] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for hash_value, passwords in targets.items():
            pending[hash_value] = [
                pool.submit(_try_chunk, hash_value, passwords[i : i + chunk], deadline)
                for i in range(0, len(passwords), chunk)
            ]
        for hash_value, futures in pending.items():
            outcomes = [f.result() for f in futures]  # in candidate order
            password = next((pw for pw, _, _ in outcomes if pw is not None), None)
            tried = sum(n for _, n, _ in outcomes)
            late = any(t for _, _, t in outcomes) and password is None
            results[hash_value] = CrackResult(password, tried, late)
    return results
