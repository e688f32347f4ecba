"""False-positive class 4 of issue 10: shell semantics. Real Netgear WNR2000v5 image (unpacked by
unsquashfs): etc/email/email_log:38 `echo -n " -U $username -P $password"` sits in a function
whose output is captured to build the mail command line (read by hand), so it is not printed to
the console. PHP templates (TRENDnet's etc/events/*.php `echo 'password "'.$pass.'"'`) render the
file they generate."""

from __future__ import annotations

from pathlib import Path

import pytest
from accuracy_images import context

from iotbaseline.checks.privacy import log_secrets
from iotbaseline.checks.runner import run_one

pytestmark = pytest.mark.corpus


def test_captured_function_output_is_not_console(netgear_root: Path) -> None:
    _, findings, _ = run_one(log_secrets.find_secrets_in_logs, context(netgear_root))
    assert "/etc/email/email_log" not in {f.location.path for f in findings}


def test_template_and_captured_output_rules(tmp_path: Path) -> None:
    (tmp_path / "etc" / "events").mkdir(parents=True)
    (tmp_path / "etc" / "init.d").mkdir(parents=True)
    (tmp_path / "etc" / "events" / "ppp.php").write_text(
        "<?\necho 'password \"'.$pass.'\"\\n';\n?>\n")
    (tmp_path / "etc" / "init.d" / "S10x").write_text(
        "#!/bin/sh\nargs() {\n\techo \" -P $password\"\n}\nmail $(args)\n"
        "show() {\n\techo \"pw=$password\"\n}\nshow\n")
    _, findings, _ = run_one(log_secrets.find_secrets_in_logs, context(tmp_path))
    assert [(f.location.path, f.location.line) for f in findings] == [("/etc/init.d/S10x", 7)]


@pytest.fixture(scope="module")
def trendnet_root(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """TRENDnet TEW-733GR: vendor-LZMA SquashFS that stock unsquashfs cannot read (GROUND_TRUTH.md);
    sasquatch is not installed here, so the project's extractor unpacks it."""
    from iotbaseline.extract import extract_image

    result = extract_image(corpus / "trendnet-tew733gr-rootfs" / "firmware.squashfs",
                           tmp_path_factory.mktemp("tew") / "x", None)
    root = Path(result.roots[0].path)
    assert (root / "etc" / "init0.d" / "S80telnetd.sh").is_file()
    return root


def test_dead_else_branch_is_pruned(trendnet_root: Path) -> None:
    """S80telnetd.sh:5-9: `if [ -f "/usr/sbin/login" ]` (the file is in the image, a link to
    rgbin) starts `telnetd -l /usr/sbin/login -u Alphanetworks:$image_sign`; the bare
    `telnetd &` of the else branch (line 9) never runs."""
    from iotbaseline.analysis.boot import boot_model

    assert (trendnet_root / "usr" / "sbin" / "login").is_symlink()
    script = (trendnet_root / "etc" / "init0.d" / "S80telnetd.sh").read_text().splitlines()
    assert script[8].strip() == "telnetd &" and "else" in script[7]
    telnets = [(s.source, s.line) for s in boot_model(context(trendnet_root)).services
               if s.name == "telnetd"]
    assert telnets == [("/etc/init0.d/S80telnetd.sh", 7)]
