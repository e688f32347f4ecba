"""The shared scanner (checks/textscan.py): bounded reads, no escape through symlinks,
line numbers and binary offsets."""

from __future__ import annotations

from pathlib import Path

from checks_a_helpers import build_tree, run, where

from iotbaseline.checks.credentials import accounts as cred_accounts

from iotbaseline.checks import textscan
from iotbaseline.checks.context import CheckContext
from iotbaseline.inventory.index import FileIndex


def test_symlinks_out_of_the_image_are_never_followed(tmp_path: Path):
    secret = tmp_path / "host_shadow"
    secret.write_text("root::0:0:::::\n")  # a file of the analysing machine
    root = build_tree(tmp_path / "img", {"/etc/passwd": "root:x:0:0::/root:/bin/sh\n"})
    (root / "etc" / "shadow").symlink_to(secret)  # absolute host path
    (root / "etc" / "shadow-").symlink_to("../../../../../../../../" + str(secret))
    _, findings = run(cred_accounts.find_empty_passwords, FileIndex.from_directory(root))
    assert findings == []
    assert textscan.text_file(CheckContext(FileIndex.from_directory(root)), "/etc/shadow") is None


def test_symlink_inside_the_image_is_followed_and_reported_at_the_real_file(tree):
    index = tree({"/etc/passwd": "root:x:0:0::/root:/bin/sh\n",
                  "/etc/shadow": "->/var/shadow.real", "/var/shadow.real": "root::0:0:::::\n"})
    _, findings = run(cred_accounts.find_empty_passwords, index)
    assert where(findings) == [("/var/shadow.real", 1)]
    assert findings[0].location.sha256 is not None


def test_large_text_files_are_not_read(tree):
    big = "x" * (textscan.MAX_TEXT_BYTES + 10)
    index = tree({"/etc/big.conf": big, "/etc/small.conf": "a=1\nb=2\n"})
    files = [t.path for t in textscan.text_files(CheckContext(index))]
    assert files == ["/etc/small.conf"]


def test_line_numbers_and_binary_offsets(tree):
    index = tree({"/etc/a.conf": "one\ntwo\nneedle here\n",
                  "/usr/bin/b": b"\x00\x01\x02ab\x00needle in binary\x00"})
    ctx = CheckContext(index)
    import re

    text = list(textscan.search(ctx, re.compile("needle")))
    assert [(m.file.path, m.line, m.line_text) for m in text] == [("/etc/a.conf", 3, "needle here")]
    binary = list(textscan.search_binaries(ctx, re.compile("in binary")))
    assert [(b.blob.name, b.offset, b.string) for b in binary] == [
        ("/usr/bin/b", 13, "needle in binary")]
