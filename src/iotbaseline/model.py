"""Values passed between the stages (extract → inventory → checks/sbom → vulns → assess → report).

Every stage reads and writes these models only, so each stage can run, be cached and be tested
alone, and the JSON written by one stage (extraction.json, probe.json, assessment.json) can be
read back by another. Models are pydantic v2 so the JSON Schema of ``assessment.json`` is
generated from them (see ``iotbaseline.report.schema``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, NewType

from pydantic import BaseModel, ConfigDict, Field

ASSESSMENT_SCHEMA = "iotbaseline.assessment/1"
EXTRACTION_SCHEMA = "iotbaseline.extraction/1"
INVENTORY_SCHEMA = "iotbaseline.inventory/1"
PROBE_SCHEMA = "iotbaseline.probe/1"
FINDINGS_SCHEMA = "iotbaseline.findings/1"

CheckId = NewType("CheckId", str)
"""Stable opaque id of a check, e.g. ``IOTB-CRED-001``; never reused."""

ProvisionRef = NewType("ProvisionRef", str)
"""``"<catalog>:<requirement>"``, e.g. ``"etsi-en-303-645:5.1-1"``."""


class Model(BaseModel):
    """Base: forbid unknown fields so a typo in a stage's output fails loudly."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class VerdictValue(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
    NOT_APPLICABLE = "NOT_APPLICABLE"


class OutcomeStatus(StrEnum):
    """What one check concluded on one target (checkov's three states plus error)."""

    PASS = "pass"  # the check ran, looked where it should, found nothing wrong: evidence for PASS
    FAIL = "fail"  # at least one finding
    NOT_APPLICABLE = "not_applicable"  # nothing for this check to look at (e.g. ELF checks on AVR)
    ERROR = "error"  # the check crashed; reported, never swallowed


# --------------------------------------------------------------------------------------------
# Evidence and findings
# --------------------------------------------------------------------------------------------


class Location(Model):
    """Where something was seen: a path inside the firmware, or a network endpoint."""

    path: str | None = None  # path inside the root filesystem, "/etc/shadow"
    root: str | None = None  # label of the root filesystem (A/B images have several)
    line: int | None = None  # 1-based
    offset: int | None = None  # byte offset in the file
    sha256: str | None = None  # of the whole file
    provenance: list[str] = Field(default_factory=list)  # image offset → container → fs → path
    host: str | None = None  # for live-probe findings
    port: int | None = None
    protocol: str | None = None  # tcp/udp/tls/http/mqtt…


class Evidence(Model):
    """One piece of evidence behind a finding, an outcome or a verdict."""

    kind: Literal["file", "finding", "observation", "declaration", "component", "check", "note"]
    ref: str  # path, finding id, observation id, declaration field, component ref, check id
    detail: str = ""  # short human explanation
    sha256: str | None = None
    line: int | None = None
    excerpt: str | None = None  # matched text, secrets already redacted


class Finding(Model):
    """One problem a check (or the probe) found."""

    id: str  # unique within a run, e.g. "IOTB-CRED-001#3"
    check: str  # check id
    title: str
    severity: Severity
    provisions: list[str] = Field(default_factory=list)  # "catalog:requirement"
    message: str = ""  # what exactly was found, one or two sentences
    location: Location = Field(default_factory=Location)
    evidence: list[Evidence] = Field(default_factory=list)
    remedy: str = ""
    confidence: Literal["low", "medium", "high"] = "high"
    # A secret value (cracked password, key material). Only serialised when the user passes
    # --show-secrets; human reports show ``redacted`` instead.
    secret: str | None = None
    redacted: str | None = None
    cwe: list[int] = Field(default_factory=list)
    properties: dict[str, Any] = Field(default_factory=dict)


class CheckOutcome(Model):
    """The result of running one check: the evidence for PASS as well as for FAIL."""

    check: str
    title: str
    status: OutcomeStatus
    provisions: list[str] = Field(default_factory=list)
    summary: str = ""  # why this status: what was looked at
    evidence: list[Evidence] = Field(default_factory=list)
    findings: list[str] = Field(default_factory=list)  # finding ids when status is FAIL
    error: str | None = None
    seconds: float | None = None


# --------------------------------------------------------------------------------------------
# Extraction and inventory
# --------------------------------------------------------------------------------------------


class RootFilesystem(Model):
    label: str  # "rootfs", "rootfs_b", "partition-2"…
    path: str  # directory on disk (inside the work directory)
    score: float = 0.0  # how root-like (etc/, bin/, sbin/, lib/, init…)
    provenance: list[str] = Field(default_factory=list)


class Chunk(Model):
    """A region of the input identified (or not) by the extractor."""

    start: int
    end: int
    kind: str  # "squashfs", "tplink", "unknown", "padding"…
    extracted_to: str | None = None
    depth: int = 0
    parent: str | None = None  # path of the file the chunk lives in, relative to the work dir
    note: str = ""


class ExtractionError(Model):
    stage: str  # "carve", "squashfs", "limits", "input"…
    path: str | None = None
    offset: int | None = None
    size: int | None = None
    message: str


class PartitionInfo(Model):
    """One input of a device scanned from several partition dumps: what it holds and where
    the device mounts it (see ``iotbaseline.analysis.partitions``)."""

    input: str  # file name as given
    sha256: str | None = None
    size: int | None = None
    format: str = ""  # "squashfs", "jffs2", "U-Boot environment", "kernel (xz)", "unknown"
    mount_point: str | None = None  # "/mnt/mtd/ipc/conf"; None: not mounted (kernel, boot env…)
    decided_by: str = ""  # how the mount point was decided (the line of the image, --mount…)
    entries: int = 0  # files, directories and links of its tree
    root: str | None = None  # inventory root label holding its files
    provenance: list[str] = Field(default_factory=list)
    boot_env: dict[str, str] = Field(default_factory=dict)  # U-Boot environment: boot facts


class PlatformInfo(Model):
    """What runs on the device: Linux, an RTOS (which, which version) or bare metal."""

    kind: Literal["linux", "vxworks", "ecos", "threadx", "freertos", "nucleus", "zephyr",
                  "ucos", "rtems", "bare-metal", "unknown"]
    name: str  # "VxWorks 5.5.1", "Linux", "bare-metal AVR (Intel HEX)"
    version: str | None = None
    linux_userspace: bool = False  # Linux user space (accounts, init scripts, ELF programs)
    evidence: list[str] = Field(default_factory=list)  # "file @0x6864: banner text"


class ExtractionResult(Model):
    schema_: str = Field(default=EXTRACTION_SCHEMA, alias="schema")
    input: str
    input_sha256: str | None = None
    input_size: int | None = None
    input_kind: str = ""  # "image", "directory", "archive", "ihex", "srec"
    work_dir: str
    roots: list[RootFilesystem] = Field(default_factory=list)
    flat_images: list[str] = Field(default_factory=list)  # binaries with no filesystem (MCU)
    chunks: list[Chunk] = Field(default_factory=list)
    errors: list[ExtractionError] = Field(default_factory=list)
    limits_hit: list[str] = Field(default_factory=list)
    seconds: float | None = None
    partitions: list[PartitionInfo] = Field(default_factory=list)  # several inputs, one device
    platform: PlatformInfo | None = None


class ElfInfo(Model):
    machine: str  # "MIPS", "ARM", "x86-64", "AVR"…
    endianness: Literal["little", "big"]
    bits: int
    elf_type: Literal["exec", "dyn", "rel", "core", "other"]
    interpreter: str | None = None
    is_shared_library: bool = False
    is_kernel_module: bool = False
    nx: bool | None = None
    pie: bool | None = None
    canary: bool | None = None
    relro: Literal["none", "partial", "full"] = "none"
    fortify: bool | None = None
    fortified: list[str] = Field(default_factory=list)
    fortifiable: list[str] = Field(default_factory=list)
    rpath: list[str] = Field(default_factory=list)
    runpath: list[str] = Field(default_factory=list)
    stripped: bool = False
    debug_info: bool = False
    imports: list[str] = Field(default_factory=list)
    exports: list[str] = Field(default_factory=list)
    needed: list[str] = Field(default_factory=list)
    soname: str | None = None
    comment: list[str] = Field(default_factory=list)  # .comment section (compiler/build facts)
    bind_now: bool = False  # DT_BIND_NOW / DF_BIND_NOW / DF_1_NOW (full RELRO needs it + GNU_RELRO)
    vermagic: str | None = None  # kernel modules: "vermagic" from .modinfo (kernel they fit)
    error: str | None = None  # parse problem on a malformed ELF


FileKind = Literal[
    "elf",
    "kernel_module",
    "script",
    "config",
    "key",
    "certificate",
    "archive",
    "kernel_image",
    "text",
    "data",
    "directory",
    "symlink",
    "special",
]


class FileEntry(Model):
    path: str  # absolute inside the root: "/bin/busybox"
    root: str = "rootfs"  # RootFilesystem.label
    kind: FileKind
    size: int = 0
    mode: int = 0  # st_mode permission bits as recorded in the image (octal 0o4755…)
    setuid: bool = False
    setgid: bool = False
    world_writable: bool = False
    link_target: str | None = None  # symlink target, exactly as stored
    sha256: str | None = None
    interpreter: str | None = None  # for scripts: "/bin/sh"
    elf: ElfInfo | None = None
    provenance: list[str] = Field(default_factory=list)


class Inventory(Model):
    schema_: str = Field(default=INVENTORY_SCHEMA, alias="schema")
    roots: list[RootFilesystem] = Field(default_factory=list)
    files: list[FileEntry] = Field(default_factory=list)
    errors: list[ExtractionError] = Field(default_factory=list)
    seconds: float | None = None


# --------------------------------------------------------------------------------------------
# Components and vulnerabilities
# --------------------------------------------------------------------------------------------


class CvssScore(Model):
    version: str  # "2.0", "3.0", "3.1", "4.0"
    score: float
    vector: str = ""
    severity: str = ""
    source: str = ""


class Vulnerability(Model):
    id: str  # CVE-2012-0920
    source: str = "nvd"
    published: str | None = None
    last_modified: str | None = None
    description: str = ""
    cvss: list[CvssScore] = Field(default_factory=list)
    cwes: list[str] = Field(default_factory=list)
    kev: bool = False
    status: Literal["affected", "not_affected_kernel_config", "not_affected_vex"] = "affected"
    status_reason: str = ""
    match: str = ""  # the CPE criterion and version range that matched, human-readable
    references: list[str] = Field(default_factory=list)

    @property
    def best_score(self) -> float | None:
        preferred = sorted(self.cvss, key=lambda c: c.version, reverse=True)
        return preferred[0].score if preferred else None


class ComponentEvidence(Model):
    path: str
    root: str | None = None
    method: str  # "opkg-status", "signature:busybox", "os-release", "kernel-banner"…
    match: str = ""  # the matched string or database field
    sha256: str | None = None


class Component(Model):
    ref: str  # stable within a run: "pkg:generic/busybox@1.19.4" or purl
    name: str
    version: str | None = None
    vendor: str | None = None
    cpe: str | None = None  # CPE 2.3 formatted string
    purl: str | None = None
    kind: Literal["application", "library", "operating-system", "firmware", "build-tool"] = (
        "application"
    )
    confidence: Literal["low", "medium", "high"] = "medium"
    evidence: list[ComponentEvidence] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    vulnerabilities: list[Vulnerability] = Field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Live probe
# --------------------------------------------------------------------------------------------


class Observation(Model):
    """A fact the live probe saw on the device (not itself a problem)."""

    id: str  # "tcp/23/open", "tls/443/protocols"…
    kind: str  # "port", "banner", "tls", "http", "mqtt", "ssh", "credentials", "lockout"…
    host: str
    port: int | None = None
    protocol: str | None = None
    summary: str
    data: dict[str, Any] = Field(default_factory=dict)
    provisions: list[str] = Field(default_factory=list)


class ProbeResult(Model):
    schema_: str = Field(default=PROBE_SCHEMA, alias="schema")
    target: str
    address: str
    started: str
    seconds: float | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    observations: list[Observation] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    outcomes: list[CheckOutcome] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)


class FindingsFile(Model):
    """What ``--findings FILE`` takes: outcomes and findings of a firmware check run."""

    schema_: str = Field(default=FINDINGS_SCHEMA, alias="schema")
    findings: list[Finding] = Field(default_factory=list)
    outcomes: list[CheckOutcome] = Field(default_factory=list)
    components: list[Component] = Field(default_factory=list)
    inferred: dict[str, Any] = Field(default_factory=dict)  # facts inferred from the image


# --------------------------------------------------------------------------------------------
# Verdicts and the assessment
# --------------------------------------------------------------------------------------------


class Verdict(Model):
    verdict: VerdictValue
    reason: str
    evidence: list[Evidence] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)  # what would decide an INCONCLUSIVE
    questions: list[str] = Field(default_factory=list)  # declarations to ask the manufacturer
    mapped: list[str] = Field(default_factory=list)  # "catalog:requirement" in other catalogs


class ReadinessStatus(StrEnum):
    """The answer to "is this product ready for regulation X?" (``assess.readiness``)."""

    READY = "READY"  # every requirement PASS or NOT_APPLICABLE
    NOT_READY = "NOT READY"  # at least one requirement FAIL
    NEEDS_EVIDENCE = "NEEDS EVIDENCE"  # nothing FAIL, something INCONCLUSIVE


class BlockingRequirement(Model):
    """A requirement that keeps a regulation from READY, with what shows it."""

    ref: str  # "uk-psti:S1.1"
    title: str = ""
    verdict: VerdictValue
    reason: str
    evidence: list[Evidence] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)


class Readiness(Model):
    """Readiness for one regulation (several catalogs may form it: EN 18031-1/-2/-3 → RED)."""

    regulation: str  # "uk-psti", "eu-red", "eu-cra"
    name: str
    applies_from: str = ""
    catalogs: list[str] = Field(default_factory=list)
    status: ReadinessStatus
    summary: str  # one line: why this status
    counts: dict[str, int] = Field(default_factory=dict)  # verdict value → requirements
    blocking: list[BlockingRequirement] = Field(default_factory=list)


class AnalysisError(Model):
    stage: str
    message: str  # one line (see iotbaseline.errors); tracebacks only in the --debug log
    path: str | None = None
    offset: int | None = None  # byte offset inside ``path`` when the failure has one


class ToolInfo(Model):
    name: str = "iotbaseline"
    version: str


class Target(Model):
    name: str
    kind: str = ""  # "image", "directory", "archive", "profile-only", "device"
    path: str | None = None
    sha256: str | None = None
    size: int | None = None


class RunInfo(Model):
    """How the assessment was made, so it can be reproduced and compared."""

    started: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    catalogs: dict[str, str] = Field(default_factory=dict)  # id → version
    vulnerability_db: dict[str, Any] | None = None  # sources, newest record date, path
    stage_seconds: dict[str, float] = Field(default_factory=dict)


class Assessment(Model):
    schema_: str = Field(default=ASSESSMENT_SCHEMA, alias="schema")
    tool: ToolInfo
    target: Target
    profile: dict[str, Any] | None = None
    run: RunInfo = Field(default_factory=RunInfo)
    extraction: ExtractionResult | None = None
    findings: list[Finding] = Field(default_factory=list)
    outcomes: list[CheckOutcome] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)
    components: list[Component] = Field(default_factory=list)
    verdicts: dict[str, dict[str, Verdict]] = Field(default_factory=dict)
    inferred: dict[str, Any] = Field(default_factory=dict)
    errors: list[AnalysisError] = Field(default_factory=list)
    readiness: list[Readiness] = Field(default_factory=list)  # per regulation view assessed

    def to_json(self, show_secrets: bool = False) -> str:
        """Serialise with ``schema`` as the key; secrets dropped unless asked for."""
        data = self.model_dump(mode="json", by_alias=True)
        if not show_secrets:
            for finding in data["findings"]:
                finding.pop("secret", None)
        import json

        return json.dumps(data, indent=2, ensure_ascii=False)
