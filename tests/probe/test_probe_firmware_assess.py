"""Firmware ↔ device comparison, probe.json written by the CLI, and probe results changing
verdicts in the assessment engine."""

from __future__ import annotations

import json
from pathlib import Path

import probe_servers as ps
from click.testing import CliRunner
from conftest import findings_of, outcome_of, probe

from iotbaseline.assess.engine import assess
from iotbaseline.catalog.loader import load_catalogs
from iotbaseline.cli import main
from iotbaseline.model import PROBE_SCHEMA, ProbeResult, VerdictValue

FIRMWARE = {
    "schema": "iotbaseline.assessment/1",
    "findings": [
        {"id": "IOTB-SVC-001#1", "check": "IOTB-SVC-001", "title": "Telnet server started at boot",
         "severity": "high", "message": "Telnet server `telnetd -l /bin/login` started by an "
         "enabled init script (/etc/init.d/telnet:12).",
         "location": {"path": "/etc/init.d/telnet"}},
        {"id": "IOTB-SVC-006#1", "check": "IOTB-SVC-006", "title": "SSH server allows root",
         "severity": "medium", "message": "SSH server `dropbear -p 22` …",
         "location": {"path": "/etc/init.d/dropbear"}},
    ],
    "outcomes": [],
}


def test_drift_between_firmware_and_device(tmp_path: Path) -> None:
    firmware = tmp_path / "assessment.json"
    firmware.write_text(json.dumps(FIRMWARE))
    telnet = ps.BannerServer(b"Welcome\r\n")
    web = ps.serve_http(ps.HttpDevice())
    try:
        # port 22 is probed (nothing listens there on loopback here), so ssh's absence shows
        result = probe((telnet.port, web.server_address[1], 22), firmware_results=firmware)
        unprobed = probe((telnet.port, web.server_address[1]), firmware_results=firmware)
    finally:
        telnet.close()
        web.shutdown()
    unpredicted = findings_of(result, "IOTB-DRIFT-001")
    assert [(f.location.protocol, f.location.port) for f in unpredicted] == [
        ("http", web.server_address[1])]
    missing = findings_of(result, "IOTB-DRIFT-002")
    assert [f.location.protocol for f in missing] == ["ssh"]
    assert missing[0].severity.value == "info"
    # without its usual port in the scan, ssh's absence is not claimed
    assert findings_of(unprobed, "IOTB-DRIFT-002") == []
    drift = next(o for o in result.observations if o.id == "drift/services")
    assert set(drift.data["predicted"]) == {"telnet", "ssh"}


def test_cli_writes_probe_json_and_refuses_ranges(tmp_path: Path) -> None:
    server = ps.BannerServer(b"Welcome\r\n")
    try:
        run = CliRunner().invoke(main, ["probe", "127.0.0.1", "--ports", str(server.port),
                                        "--rate", "200/s", "-o", str(tmp_path)])
    finally:
        server.close()
    assert run.exit_code == 0, run.output
    data = json.loads((tmp_path / "probe.json").read_text())
    assert data["schema"] == PROBE_SCHEMA and data["address"] == "127.0.0.1"
    result = ProbeResult.model_validate(data)
    assert findings_of(result, "IOTB-NET-001")[0].location.port == server.port
    refused = CliRunner().invoke(main, ["probe", "127.0.0.0/8", "-o", str(tmp_path / "x")])
    assert refused.exit_code == 2 and "CIDR" in refused.output
    assert not (tmp_path / "x").exists()
    bad_rate = CliRunner().invoke(main, ["probe", "127.0.0.1", "--rate", "fast"])
    assert bad_rate.exit_code == 2


def test_probe_results_change_verdicts() -> None:
    server = ps.serve_http(ps.HttpDevice())  # plain HTTP login, no lockout
    try:
        result = probe((server.server_address[1],), test_lockout=True,
                       correct_login=ps.CORRECT, lockout_attempts=5)
    finally:
        server.shutdown()
    assert outcome_of(result, "IOTB-LOCKOUT-001") == "fail"
    catalogs = load_catalogs(["etsi-en-303-645", "tencent-qtx-001.1", "xiaomi-2.0"])
    without = assess(catalogs, None, [], [], [], [], {})
    loaded = ProbeResult.model_validate_json(result.model_dump_json(by_alias=True))
    with_probe = assess(catalogs, None, loaded.findings, loaded.outcomes, loaded.observations,
                        [], {})
    for catalog, requirement in (("etsi-en-303-645", "5.1-5"), ("xiaomi-2.0", "3.1.3"),
                                 ("tencent-qtx-001.1", "5.2.3-5"),
                                 ("etsi-en-303-645", "5.5-7")):
        assert without[catalog][requirement].verdict is VerdictValue.INCONCLUSIVE, requirement
        verdict = with_probe[catalog][requirement]
        assert verdict.verdict is VerdictValue.FAIL, requirement
        assert any(e.kind == "finding" and e.ref.startswith(("IOTB-LOCKOUT", "IOTB-HTTP"))
                   for e in verdict.evidence)


def test_pass_evidence_reaches_the_engine(certs) -> None:  # type: ignore[no-untyped-def]
    tls = ps.serve_http(ps.HttpDevice(security_headers=True, server_header="web"),
                        ps.good_tls_context(certs["good"]))
    try:
        result = probe((tls.server_address[1],), ca_file=certs["good"].ca)
    finally:
        tls.shutdown()
    catalogs = load_catalogs(["tencent-qtx-001.1"])
    verdicts = assess(catalogs, None, result.findings, result.outcomes, result.observations,
                      [], {})
    # Tencent 5.2.3-3 (SHA-256 signatures) is purely technical: the probe decides it
    sha = verdicts["tencent-qtx-001.1"]["5.2.3-3"]
    assert sha.verdict is VerdictValue.PASS
    assert any(e.ref == "IOTB-TLS-003" for e in sha.evidence)
