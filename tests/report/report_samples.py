"""Hand-built assessments for the report tests: small, every section populated, hostile strings
where firmware text goes. Expected values in the tests are counted by hand from these."""

from __future__ import annotations

from iotbaseline.model import (
    AnalysisError,
    Assessment,
    CheckOutcome,
    Chunk,
    Component,
    ComponentEvidence,
    CvssScore,
    Evidence,
    ExtractionError,
    ExtractionResult,
    Finding,
    Location,
    OutcomeStatus,
    RunInfo,
    Severity,
    Target,
    ToolInfo,
    Verdict,
    VerdictValue,
    Vulnerability,
)

ETSI = "etsi-en-303-645"
SECRET = "hunter2-s3cr3t-value"
REDACTED = "hu**********"
HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
PROVENANCE = ["cam.bin", "image offset 0x10000: SquashFS 4.0 xz"]
DB_INFO = {"path": "/tmp/db.sqlite", "records": 3, "newest_record": "2024-01-01T00:00:00"}


def _finding(fid: str, check: str, severity: Severity, path: str | None, line: int | None,
             message: str, excerpt: str | None = None, **extra: object) -> Finding:
    loc = Location(path=path, root="rootfs" if path else None, line=line, sha256="aa" * 32 if path else None,
                   provenance=list(PROVENANCE) if path else [])
    evidence = [Evidence(kind="file", ref=path or "-", excerpt=excerpt, line=line)] if excerpt else []
    return Finding(id=fid, check=check, title=f"title of {check}", severity=severity,
                   provisions=[f"{ETSI}:5.1-1"], message=message, location=loc, evidence=evidence,
                   remedy="fix it", **extra)  # type: ignore[arg-type]


def findings() -> list[Finding]:
    return [
        _finding("IOTB-CRED-001#1", "IOTB-CRED-001", Severity.CRITICAL, "/etc/shadow", 2,
                 "account 'admin' has an empty password field", "admin::18000:0:99999:7:::"),
        _finding("IOTB-SECRET-001#1", "IOTB-SECRET-001", Severity.HIGH, "/etc/config/cloud.json", 5,
                 f"API token {SECRET} in cloud.json", f'{HOSTILE} "token": "{REDACTED}"',
                 secret=SECRET, redacted=REDACTED),
        _finding("IOTB-SVC-001#1", "IOTB-SVC-001", Severity.HIGH, "/etc/init.d/rcS", 6,
                 "Telnet server started at boot", "/usr/sbin/telnetd -l /bin/sh"),
        Finding(id="PROBE-TELNET#1", check="IOTB-PROBE-TELNET", title="Telnet open on the device",
                severity=Severity.MEDIUM, message="port 23 answers with a login prompt",
                location=Location(host="127.0.0.1", port=23, protocol="tcp")),
    ]


def components(with_vulns: bool = True) -> list[Component]:
    busybox = Component(
        ref="pkg:generic/busybox@1.19.4", name="busybox", version="1.19.4",
        evidence=[ComponentEvidence(path="/bin/busybox", method="signature:busybox", match="BusyBox v1.19.4")])
    kernel = Component(
        ref="pkg:generic/linux@4.9.37", name="linux", version="4.9.37", kind="operating-system",
        evidence=[ComponentEvidence(path="/lib/modules/4.9.37", method="kernel-banner")])
    dnsmasq = Component(ref="pkg:generic/dnsmasq@2.66", name="dnsmasq", version="2.66",
                        evidence=[ComponentEvidence(path="/usr/sbin/dnsmasq", method="signature:dnsmasq")])
    if with_vulns:
        busybox.vulnerabilities = [Vulnerability(
            id="CVE-2016-6301", cvss=[CvssScore(version="3.0", score=7.5)],
            match="cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:* (< 1.25.1) matched 1.19.4")]
        kernel.vulnerabilities = [
            Vulnerability(id="CVE-2099-0001", cvss=[CvssScore(version="3.1", score=9.8)], kev=True),
            Vulnerability(id="CVE-2099-0002", cvss=[CvssScore(version="3.1", score=8.8)],
                          status="not_affected_kernel_config", status_reason="CONFIG_BT is not set"),
        ]
    return [busybox, kernel, dnsmasq]


def verdicts() -> dict[str, Verdict]:
    return {
        "5.1-1": Verdict(verdict=VerdictValue.FAIL, reason="Not met: IOTB-CRED-001#1",
                         evidence=[Evidence(kind="finding", ref="IOTB-CRED-001#1")]),
        "5.6-1": Verdict(verdict=VerdictValue.FAIL, reason="Telnet is on",
                         evidence=[Evidence(kind="finding", ref="IOTB-SVC-001#1")]),
        "5.3-1": Verdict(verdict=VerdictValue.PASS, reason="update path found",
                         evidence=[Evidence(kind="check", ref="IOTB-UPD-001")]),
        "5.1-2": Verdict(verdict=VerdictValue.PASS, reason="declared",
                         evidence=[Evidence(kind="declaration", ref="declarations.passwords.unique")]),
        "5.2-1": Verdict(verdict=VerdictValue.INCONCLUSIVE, reason="no disclosure policy known",
                         missing=["declarations.vulnerability_disclosure.url"],
                         questions=["Where is the vulnerability disclosure policy published?"]),
        "5.3-13": Verdict(verdict=VerdictValue.NOT_APPLICABLE, reason="condition does not hold"),
    }


def assessment(*, db: bool = True) -> Assessment:
    return Assessment(
        tool=ToolInfo(version="0.1.0"),
        target=Target(name="cam<b>.bin", kind="image", path="/tmp/cam.bin", sha256="ab" * 32, size=1234),
        run=RunInfo(started="2026-11-21T10:00:00+00:00", catalogs={ETSI: "V2.1.1 (2020-06)"},
                    vulnerability_db=dict(DB_INFO) if db else None),
        extraction=ExtractionResult(
            input="/tmp/cam.bin", work_dir="/tmp/w",
            chunks=[Chunk(start=0x40, end=0x10000, kind="unknown", parent="cam.bin", note="not identified")],
            errors=[ExtractionError(stage="squashfs", path="rootfs.sqfs", offset=0x20000, message="bad inode table")],
            limits_hit=["max_files reached in jffs2 partition"],
        ),
        findings=findings(),
        outcomes=[
            CheckOutcome(check="IOTB-CRED-001", title="t", status=OutcomeStatus.FAIL, findings=["IOTB-CRED-001#1"]),
            CheckOutcome(check="IOTB-UPD-001", title="t", status=OutcomeStatus.PASS),
            CheckOutcome(check="IOTB-HARD-001", title="t", status=OutcomeStatus.ERROR, error="ValueError: bad ELF header"),
        ],
        components=components(),
        verdicts={ETSI: verdicts()},
        errors=[AnalysisError(stage="sbom", message="signature table unreadable")],
    )
