"""End to end through the CLI: `iotbaseline probe` against a real broker on loopback, then
`iotbaseline scan … --probe-results probe.json` changes the verdicts the probe's findings
evidence (and only through evidence: the scan without probe results leaves them undecided)."""

from __future__ import annotations

import json
from pathlib import Path

import probe_servers as ps
from click.testing import CliRunner

from iotbaseline.cli import main


def _verdicts(out: Path) -> dict[str, dict[str, str]]:
    data = json.loads((out / "assessment.json").read_text())
    return {c: {r: v["verdict"] for r, v in reqs.items()} for c, reqs in data["verdicts"].items()}


def test_probe_results_change_scan_verdicts(mosquitto_anonymous: ps.Daemon, tmp_path: Path) -> None:
    from iotbaseline.demo.build import build_demo_image

    runner = CliRunner()
    probe_dir = tmp_path / "probe"
    result = runner.invoke(main, ["probe", ps.LOOPBACK, "--ports", str(mosquitto_anonymous.port),
                                  "--rate", "200", "--timeout", "2", "-o", str(probe_dir)])
    assert result.exit_code == 0, result.output
    probe = json.loads((probe_dir / "probe.json").read_text())
    mqtt = [f for f in probe["findings"] if f["check"].startswith("IOTB-MQTT")]
    assert mqtt, "the anonymous broker must give an MQTT finding"
    refs = sorted({p for f in mqtt for p in f["provisions"]})

    image = build_demo_image(tmp_path / "build").path
    without, with_probe = tmp_path / "without", tmp_path / "with"
    for out, extra in ((without, []), (with_probe, ["--probe-results", str(probe_dir / "probe.json")])):
        result = runner.invoke(main, ["scan", str(image), "-o", str(out), "--no-db", *extra])
        assert result.exit_code == 0, result.output
    before, after = _verdicts(without), _verdicts(with_probe)
    for ref in refs:
        catalog, req = ref.split(":", 1)
        assert after[catalog][req] == "FAIL", ref
    assert any(before[r.split(":", 1)[0]][r.split(":", 1)[1]] != "FAIL" for r in refs)
    observations = json.loads((with_probe / "assessment.json").read_text())["observations"]
    assert any(o["port"] == mosquitto_anonymous.port for o in observations)
