"""False-positive class 1 of issue 10: absence claimed as fact. On the real Linksys WRT54G v4
image (unpacked by unsquashfs) the firewall, the upgrade handler and the factory reset all live
in the monolithic vendor programs, not in init scripts; read by hand with `strings`:
sbin/rc has `iptables -I INPUT -d %s -i %s -p udp --dport %d -j %s` and `restore_defaults`,
usr/sbin/httpd has `do_upgrade_cgi` (GROUND_TRUTH.md 3 and 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from accuracy_images import context

from iotbaseline.analysis.vendor_programs import vendor_facts
from iotbaseline.checks.privacy import factory_reset
from iotbaseline.checks.runner import run_one
from iotbaseline.checks.services import firewall
from iotbaseline.checks.updates import update_path

pytestmark = pytest.mark.corpus


def test_vendor_programs_hold_firewall_upgrade_and_reset(wrt54g_root: Path) -> None:
    facts = vendor_facts(context(wrt54g_root))
    assert "/sbin/rc" in {e.ref for e in facts.firewall}
    assert "/usr/sbin/httpd" in {e.ref for e in facts.upgrade}
    assert {"/sbin/rc", "/usr/sbin/httpd"} & {e.ref for e in facts.reset}


@pytest.mark.parametrize("check", [firewall.find_missing_firewall, update_path.find_update_mechanism,
                                   factory_reset.find_factory_reset])
def test_no_absence_claimed_when_a_vendor_program_has_it(wrt54g_root: Path, check: object) -> None:
    _, findings, _ = run_one(check, context(wrt54g_root))  # type: ignore[arg-type]
    assert findings == [], [f.message for f in findings]


def test_absence_is_low_confidence_and_asks_the_maker(tmp_path: Path) -> None:
    """Where nothing at all is found, the finding is a low-confidence 'not found' with a question."""
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "inittab").write_text("::sysinit:/etc/init.d/rcS\n")
    _, findings, _ = run_one(firewall.find_missing_firewall, context(tmp_path))
    assert len(findings) == 1
    assert findings[0].confidence == "low" and findings[0].properties["absence"] is True
    assert "?" in findings[0].properties["question"]
