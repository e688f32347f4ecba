"""One Atheris harness per parser of untrusted bytes, each calling the parser the way the
scan does and allowing only the exceptions its caller handles (see ``support.Harness``).

Seeds come from the shared firmware corpus at run time (``support``): SquashFS vectors,
image heads, files of extracted root filesystems, NVD records; never stored here.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from support import (
    Harness,
    ScratchRoot,
    extracted_roots,
    files_in,
    heads_of,
    index_of,
    run_checks,
    split_input,
)


def _tmpdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="iotb-fuzz-"))


# ---- extraction -----------------------------------------------------------------------------
def _squashfs_target():  # type: ignore[no-untyped-def]
    import shutil

    from iotbaseline.extract.limits import Budget, Limits
    from iotbaseline.extract.squashfs.extract import extract_squashfs

    limits = Limits(max_total_bytes=8 << 20, max_files=2000, extractor_timeout_s=5)
    scratch = _tmpdir()

    def run(data: bytes) -> None:
        out = scratch / "out"
        shutil.rmtree(out, ignore_errors=True)
        extract_squashfs(data, 0, out, Budget(limits, len(data)))

    return run


def _squashfs_seeds(corpus: Path, work: Path) -> Iterator[bytes]:
    for folder in ("vectors-fact-extractor", "vectors-binwalk"):
        for path in sorted((corpus / folder).glob("*")):
            if path.suffix.startswith(".sqfs") or path.name == "squashfs.bin":
                yield path.read_bytes()


def _squashfs_expected() -> tuple[type[BaseException], ...]:
    from iotbaseline.extract.limits import LimitHit
    from iotbaseline.extract.squashfs.reader import SquashfsError

    return (SquashfsError, LimitHit)


def _headers_target():  # type: ignore[no-untyped-def]
    import shutil

    from iotbaseline.extract.carve import carve_image
    from iotbaseline.extract.headers import PARSERS
    from iotbaseline.extract.limits import Budget, Limits

    limits = Limits(max_total_bytes=8 << 20, max_files=2000, extractor_timeout_s=5)
    scratch = _tmpdir()

    def run(data: bytes) -> None:
        for parse in PARSERS.values():
            parse(data)
        out = scratch / "fast"
        shutil.rmtree(out, ignore_errors=True)
        carve_image(data, "fuzz.bin", out, scratch, Budget(limits, len(data)))

    return run


def _headers_seeds(corpus: Path, work: Path) -> Iterator[bytes]:
    images = [p for p in sorted(corpus.glob("*/*")) if p.is_file() and p.suffix != ".md"
              and p.name != "MANIFEST.tsv"]
    yield from heads_of(images, 8 * 1024)


def _cramfs_jffs2_target():  # type: ignore[no-untyped-def]
    """Our glue around unblob's CramFS/JFFS2 handlers: chunk calculation as the worker runs
    it (InvalidInputFormat/EOFError are unblob's normal rejections), and the gap
    classification that decides what goes to unblob (padding, JFFS2 end marker)."""
    from unblob.file_utils import File
    from unblob.handlers.filesystem import cramfs, jffs2

    from iotbaseline.extract.carve import classify_gap

    handlers = [cramfs.CramFSHandler(), jffs2.JFFS2NewHandler(), jffs2.JFFS2OldHandler()]
    scratch = _tmpdir() / "in.bin"

    def run(data: bytes) -> None:
        classify_gap(data, 0, len(data), "fuzz.bin")
        if not data:
            return
        scratch.write_bytes(data)
        with File.from_path(scratch) as file:
            for handler in handlers:
                try:
                    handler.calculate_chunk(file, 0)
                except _unblob_rejections():
                    pass

    return run


def _unblob_rejections() -> tuple[type[BaseException], ...]:
    from unblob.file_utils import InvalidInputFormat, SeekError

    return (InvalidInputFormat, EOFError, SeekError)


def _cramfs_jffs2_seeds(corpus: Path, work: Path) -> Iterator[bytes]:
    for rel in ("vectors-binwalk/cramfs.bin", "vectors-fact-extractor/cramfs.img",
                "vectors-fact-extractor/jffs2_be.img", "vectors-fact-extractor/jffs2_le.img"):
        yield from heads_of([corpus / rel], 32 * 1024)


# ---- inventory ------------------------------------------------------------------------------
def _elf_target():  # type: ignore[no-untyped-def]
    from iotbaseline.inventory.elf_facts import elf_info_fields
    from iotbaseline.inventory.elf_parser import parse_elf

    def run(data: bytes) -> None:
        elf_info_fields(parse_elf(data))
        elf_info_fields(parse_elf(data, want_symbols=False))

    return run


def _elf_expected() -> tuple[type[BaseException], ...]:
    from iotbaseline.inventory.elf_parser import ElfFormatError

    return (ElfFormatError,)


def _elf_seeds(corpus: Path, work: Path) -> Iterator[bytes]:
    roots = extracted_roots(corpus, work)
    count = 0
    for data in files_in(roots, lambda p: True, limit=100_000, max_size=48 * 1024):
        if data.startswith(b"\x7fELF"):
            yield data
            count += 1
            if count >= 40:
                return


# ---- text the checks read -------------------------------------------------------------------
def _tree_target(paths: tuple[str, ...], checks: tuple[str, ...], boot: bool = False):  # type: ignore[no-untyped-def]
    scratch = ScratchRoot()

    def run(data: bytes) -> None:
        files = dict(zip(paths, split_input(data, len(paths)), strict=True))
        index = index_of(scratch.fill(files))
        if boot:
            from iotbaseline.analysis.boot import build_boot_model

            build_boot_model(index)
        run_checks(index, checks)

    return run


def _joined(corpus: Path, work: Path, wanted: tuple[str, ...]) -> Iterator[bytes]:
    """Seeds in the split format of ``_tree_target``: each root's files joined by NUL-NUL."""
    for root in extracted_roots(corpus, work):
        parts = []
        for rel in wanted:
            path = root / rel.lstrip("/")
            parts.append(path.read_bytes()[:16384] if path.is_file() and not path.is_symlink()
                         else b"")
        if any(parts):
            yield b"\0\0".join(parts)


ACCOUNT_PATHS = ("/etc/passwd", "/etc/shadow", "/etc/init.d/rcS")
BOOT_PATHS = ("/etc/inittab", "/etc/init.d/rcS", "/etc/rc.d/S50svc", "/etc/inetd.conf")
CONFIG_PATHS = ("/etc/config/wireless", "/etc/nvram.default", "/etc/app.ini")
KEY_PATHS = ("/etc/ssl/server.pem", "/etc/dropbear/dropbear_rsa_host_key", "/etc/ssl/ca.der")


def _configs_target():  # type: ignore[no-untyped-def]
    from iotbaseline.analysis.uci import parse_uci

    try:
        from iotbaseline.analysis.uboot_env import parse_uboot_env
    except ImportError:  # the U-Boot environment reader is newer than this harness
        def parse_uboot_env(data: bytes) -> None:
            return None

    tree = _tree_target(CONFIG_PATHS, ("IOTB-CRED-005", "IOTB-CRED-006", "IOTB-WIFI-001"))

    def run(data: bytes) -> None:
        parse_uci(data.decode("utf-8", "replace"))
        parse_uboot_env(data)
        tree(data)

    return run


def _configs_seeds(corpus: Path, work: Path) -> Iterator[bytes]:
    yield from _joined(corpus, work, CONFIG_PATHS)
    roots = extracted_roots(corpus, work)
    yield from files_in(roots, lambda p: p.startswith("/etc/config/") or "nvram" in p
                        or p.endswith((".ini", ".conf")), limit=30, max_size=16384)
    yield from heads_of([corpus / "holystone-hs720-drone/u-boot-env.bin",
                         corpus / "escam-g02-goke/bootenv.bin"], 16384)


def _keys_target():  # type: ignore[no-untyped-def]
    from iotbaseline.checks.secrets.private_keys import parse_dropbear, parse_pem_key

    tree = _tree_target(KEY_PATHS, ("IOTB-KEY-001", "IOTB-KEY-002", "IOTB-CERT-001"))

    def run(data: bytes) -> None:
        parse_dropbear(data)
        text = data.decode("latin-1")
        if "PRIVATE KEY" in text:
            parse_pem_key(text)
        tree(data)

    return run


def _keys_seeds(corpus: Path, work: Path) -> Iterator[bytes]:
    roots = extracted_roots(corpus, work)
    yield from files_in(roots, lambda p: p.endswith((".pem", ".crt", ".key", ".der", ".cer"))
                        or "host_key" in p, limit=30, max_size=16384)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import datetime as dt

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "fuzz")])
    now = dt.datetime(2024, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    yield b"\0\0".join([cert.public_bytes(serialization.Encoding.PEM) + pem_key, b"",
                        cert.public_bytes(serialization.Encoding.DER)])


def _accounts_seeds(corpus: Path, work: Path) -> Iterator[bytes]:
    yield from _joined(corpus, work, ACCOUNT_PATHS)


def _boot_seeds(corpus: Path, work: Path) -> Iterator[bytes]:
    yield from _joined(corpus, work, BOOT_PATHS)
    roots = extracted_roots(corpus, work)
    yield from files_in(roots, lambda p: p.startswith(("/etc/init.d/", "/etc/rc")) or
                        p == "/etc/inittab", limit=40, max_size=16384)


# ---- data files the user hands us -----------------------------------------------------------
def _vulndata_target():  # type: ignore[no-untyped-def]
    from iotbaseline.vulns import osv
    from iotbaseline.vulns.importer import prepare_path
    from iotbaseline.vulns.sources import kev_entries, load, osv_records

    path = _tmpdir() / "feed.json"

    def run(data: bytes) -> None:
        path.write_bytes(data)
        kind, _path, _batch, _errors = prepare_path(path)
        if kind in ("osv", "osv-zip"):
            for record in osv_records(load(path)):
                if osv.is_osv_record(record):
                    osv.row_from_osv(record)
        elif kind == "kev":
            kev_entries(load(path))

    return run


def _vulndata_expected() -> tuple[type[BaseException], ...]:
    from iotbaseline.vulns.sources import VulnDataError

    return (VulnDataError,)


def _vulndata_seeds(corpus: Path, work: Path) -> Iterator[bytes]:
    nvd = Path(os.environ.get("IOTBASELINE_NVD", corpus.parent / "nvd"))
    files = sorted(p for p in nvd.rglob("*.json") if p.stat().st_size < 4 << 20)[:4]
    for path in files:
        obj = json.loads(path.read_text())
        if isinstance(obj, dict) and isinstance(obj.get("vulnerabilities"), list):
            yield json.dumps({**obj, "vulnerabilities": obj["vulnerabilities"][:3]}).encode()
    yield json.dumps([{"id": "OSV-1", "modified": "2024-01-01T00:00:00Z", "affected": [
        {"package": {"ecosystem": "Debian", "name": "busybox"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]}]}],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}
    ]).encode()
    yield json.dumps({"catalogVersion": "1", "vulnerabilities": [
        {"cveID": "CVE-2020-0001", "dateAdded": "2021-01-01"}]}).encode()


def _profile_target():  # type: ignore[no-untyped-def]
    from iotbaseline.assess.profile import parse_profile

    def run(data: bytes) -> None:
        parse_profile(data.decode("utf-8", "replace"))

    return run


def _profile_expected() -> tuple[type[BaseException], ...]:
    from iotbaseline.assess.profile import ProfileError

    return (ProfileError,)


def _profile_seeds(corpus: Path, work: Path) -> Iterator[bytes]:
    from iotbaseline.assess.template import render_template

    for category in ("camera", "router", "generic"):
        try:
            yield render_template(category).encode()
        except (KeyError, ValueError):
            continue


def _probe_target():  # type: ignore[no-untyped-def]
    from iotbaseline.pipeline import _load_probe
    from iotbaseline.report.json_report import load_probe_input

    path = _tmpdir() / "probe.json"

    def run(data: bytes) -> None:
        path.write_bytes(data)
        _load_probe(path)
        load_probe_input(path)

    return run


def _probe_expected() -> tuple[type[BaseException], ...]:
    from iotbaseline.pipeline import InputError
    from iotbaseline.report.json_report import ReportInputError

    return (InputError, ReportInputError)


def _probe_seeds(corpus: Path, work: Path) -> Iterator[bytes]:
    from iotbaseline.model import Observation, ProbeResult

    sample = ProbeResult(target="127.0.0.1", address="127.0.0.1", started="2024-01-01T00:00:00Z",
                         observations=[Observation(id="tcp/23/open", kind="port", host="127.0.0.1",
                                                   port=23, protocol="telnet", summary="open")])
    yield sample.model_dump_json(by_alias=True).encode()


HARNESSES: tuple[Harness, ...] = (
    Harness("squashfs", "SquashFS reader and extractor (extract/squashfs)", _squashfs_target,
            seeds=_squashfs_seeds),
    Harness("headers", "vendor headers and the fast path (extract/headers.py, carve.py)",
            _headers_target, seeds=_headers_seeds),
    Harness("cramfs_jffs2", "CramFS/JFFS2 chunk glue and gap classification",
            _cramfs_jffs2_target, seeds=_cramfs_jffs2_seeds),
    Harness("elf", "ELF facts (inventory/elf_parser.py, elf_facts.py)", _elf_target,
            seeds=_elf_seeds),
    Harness("accounts", "passwd/shadow through the credential checks", lambda: _tree_target(
        ACCOUNT_PATHS, ("IOTB-CRED-001", "IOTB-CRED-002", "IOTB-CRED-003", "IOTB-CRED-004")),
            seeds=_accounts_seeds, max_len=16 * 1024),
    Harness("boot", "inittab, rc scripts, inetd (analysis/boot.py) and the service checks",
            lambda: _tree_target(BOOT_PATHS, ("IOTB-SVC-001", "IOTB-SVC-002", "IOTB-DEBUG-001"),
                                 boot=True), seeds=_boot_seeds, max_len=16 * 1024),
    Harness("configs", "nvram/INI/UCI configs, U-Boot environment", _configs_target,
            seeds=_configs_seeds, max_len=16 * 1024),
    Harness("keys", "certificates and private keys (PEM, DER, dropbear)", _keys_target,
            seeds=_keys_seeds, max_len=16 * 1024),
    Harness("vulndata", "NVD/OSV/KEV JSON import (vulns/sources.py, nvd.py, osv.py)",
            _vulndata_target, seeds=_vulndata_seeds),
    Harness("profile", "profile YAML (assess/profile.py)", _profile_target,
            seeds=_profile_seeds, max_len=16 * 1024),
    Harness("probe", "probe.json as read by scan and report", _probe_target,
            seeds=_probe_seeds, max_len=16 * 1024),
)

_LAZY_EXPECTED = {
    "squashfs": _squashfs_expected, "elf": _elf_expected, "vulndata": _vulndata_expected,
    "profile": _profile_expected, "probe": _probe_expected,
}


def by_name(name: str) -> Harness:
    """The harness, with its expected exceptions resolved (imports the parser)."""
    from dataclasses import replace

    harness = next(h for h in HARNESSES if h.name == name)
    lazy = _LAZY_EXPECTED.get(name)
    return replace(harness, expected=lazy()) if lazy else harness
