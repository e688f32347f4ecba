"""Benchmark: password cracking against the default-credential corpus.

1. candidates per second per hash scheme on one core (DES, MD5-crypt, SHA-256/512-crypt,
   bcrypt cost 5, Apache MD5, raw MD5 / SHA-1 hex, NTLM), through ``crack.verify`` as the
   checks call it (C ``crypt(3)`` where it has the scheme, passlib / hashlib otherwise);
2. the time to try the vendor list (our groups + the DefaultCreds cheat sheet) and the full
   corpus (+ image-word mutations + zxcvbn's 30,000 common passwords) against one DES and one
   MD5-crypt hash that is in neither (every candidate is tried), with ``--jobs`` processes.

Medians of ``--runs`` runs; the 1-minute load average is printed before and after, since the
machine is shared. Usage:
    .venv/bin/python bench/bench_cracking.py [--runs 5] [--jobs 2] [--per-scheme-seconds 1]
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import statistics
import time
import warnings

logging.getLogger("passlib").setLevel(logging.ERROR)  # its bcrypt version probe is noisy

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from passlib.hash import (  # type: ignore[import-untyped]
        apr_md5_crypt,
        des_crypt,
        md5_crypt,
        nthash,
        sha256_crypt,
        sha512_crypt,
    )

from iotbaseline.checks.credentials import crack, wordlists

MISSING = "zQ9#not-in-any-list"  # a password in no list: every candidate is tried


def _bcrypt5() -> str:
    """passlib's bcrypt wrapper fails with bcrypt >= 4.1; the ``bcrypt`` package makes it."""
    import bcrypt as _bcrypt  # type: ignore[import-untyped]

    return str(_bcrypt.hashpw(MISSING.encode(), _bcrypt.gensalt(rounds=5)).decode())


def _hashes() -> dict[str, tuple[str, str]]:
    """label -> (scheme, hash of MISSING)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "DES crypt": ("des_crypt", des_crypt.hash(MISSING[:8])),
            "MD5-crypt": ("md5_crypt", md5_crypt.hash(MISSING)),
            "SHA-256-crypt (5000)": ("sha256_crypt", sha256_crypt.using(rounds=5000).hash(MISSING)),
            "SHA-512-crypt (5000)": ("sha512_crypt", sha512_crypt.using(rounds=5000).hash(MISSING)),
            "bcrypt (cost 5)": ("bcrypt", _bcrypt5()),
            "Apache MD5 (apr1)": ("apr_md5_crypt", apr_md5_crypt.hash(MISSING)),
            "raw MD5 hex": ("raw_md5", hashlib.md5(MISSING.encode()).hexdigest()),
            "raw SHA-1 hex": ("raw_sha1", hashlib.sha1(MISSING.encode()).hexdigest()),
            "NTLM": ("nthash", nthash.hash(MISSING)),
        }


def _load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def per_scheme(seconds: float, runs: int) -> None:
    words = wordlists.candidates_for("root")
    print(f"candidates per second, one core ({crack.ENGINE}; median of {runs} runs of ~{seconds:g} s):")
    for label, (scheme, value) in _hashes().items():
        rates = []
        for _ in range(runs):
            n, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                for word in words[n % len(words): n % len(words) + 64]:
                    crack.verify(word, value, scheme)
                n += 64
            rates.append(n / (time.perf_counter() - started))
        print(f"  {label:22} {statistics.median(rates):>12,.0f} /s")


def full_corpus(runs: int, jobs: int) -> None:
    vendor = list(dict.fromkeys(c.password for c in wordlists.vendor_pairs()))
    corpus = wordlists.candidates_for("root")
    print(f"vendor list {len(vendor):,} candidates; full corpus {len(corpus):,} candidates "
          f"(common passwords {len(wordlists.common_passwords()):,}); jobs={jobs}")
    for label in ("DES crypt", "MD5-crypt"):
        _scheme, value = _hashes()[label]
        for name, words in (("vendor list", vendor), ("full corpus", corpus)):
            times, tried = [], 0
            for _ in range(runs):
                started = time.perf_counter()
                result = crack.crack({value: words}, seconds=600, jobs=jobs)[value]
                times.append(time.perf_counter() - started)
                tried = result.tried
                assert result.password is None and not result.timed_out
            print(f"  {label:10} {name:12} {statistics.median(times):7.2f} s median "
                  f"(min {min(times):.2f}, max {max(times):.2f}; {tried:,} tried)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--per-scheme-seconds", type=float, default=1.0)
    args = parser.parse_args()
    print(f"load average before: {_load()}  (cores: {len(os.sched_getaffinity(0))})")
    per_scheme(args.per_scheme_seconds, args.runs)
    full_corpus(args.runs, args.jobs)
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
