"""SPDX 2.3 JSON via spdx-tools (which also validates the document before writing it).

The firmware is the described package; each runtime component is a package the firmware
CONTAINS, with its CPE (SECURITY/cpe23Type) and purl (PACKAGE-MANAGER/purl) as external refs
and its evidence summarised in the package comment. Build tools are related with
BUILD_TOOL_OF instead. SPDX 2.3 has no vulnerability section: known CVEs are attached as
SECURITY/advisory references to the NVD/OSV page, with the match reason as the comment.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime

from spdx_tools.spdx.model.actor import Actor, ActorType
from spdx_tools.spdx.model.checksum import Checksum, ChecksumAlgorithm
from spdx_tools.spdx.model.document import CreationInfo, Document
from spdx_tools.spdx.model.package import (
    ExternalPackageRef,
    ExternalPackageRefCategory,
    Package,
    PackagePurpose,
)
from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

from iotbaseline import __version__
from iotbaseline.model import Component, Target
from iotbaseline.sbom import SbomError

FIRMWARE_ID = "SPDXRef-firmware"
_PURPOSE = {
    "application": PackagePurpose.APPLICATION,
    "library": PackagePurpose.LIBRARY,
    "operating-system": PackagePurpose.OPERATING_SYSTEM,
    "firmware": PackagePurpose.FIRMWARE,
    "build-tool": PackagePurpose.APPLICATION,
}
_ID_CHARS = re.compile(r"[^A-Za-z0-9.-]+")


def render_spdx(components: list[Component], target: Target, *, firmware_name: str | None = None,
                created: datetime | None = None) -> str:
    """The SPDX 2.3 JSON document; raises SbomError if spdx-tools finds it invalid."""
    document = build_document(components, target, firmware_name=firmware_name, created=created)
    problems = validate_full_spdx_document(document)
    if problems:
        raise SbomError("SPDX document invalid: " + "; ".join(p.validation_message for p in problems[:5]))
    stream = io.StringIO()
    write_document_to_stream(document, stream, validate=False)
    return stream.getvalue()


def build_document(components: list[Component], target: Target, *, firmware_name: str | None = None,
                   created: datetime | None = None) -> Document:
    name = firmware_name or target.name
    seed = "|".join([name, target.sha256 or "", *sorted(c.ref for c in components)])
    namespace = f"https://iotbaseline.invalid/spdx/{_slug(name)}-{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"
    info = CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id="SPDXRef-DOCUMENT",
        name=f"SBOM of {name}",
        document_namespace=namespace,
        creators=[Actor(ActorType.TOOL, f"iotbaseline-{__version__}")],
        created=(created or datetime.now(UTC)).replace(microsecond=0, tzinfo=None),
    )
    firmware = Package(
        spdx_id=FIRMWARE_ID,
        name=name,
        download_location=SpdxNoAssertion(),
        files_analyzed=False,
        checksums=[Checksum(ChecksumAlgorithm.SHA256, target.sha256)] if target.sha256 else None,
        primary_package_purpose=PackagePurpose.FIRMWARE,
        license_concluded=SpdxNoAssertion(),
        license_declared=SpdxNoAssertion(),
        copyright_text=SpdxNoAssertion(),
        comment=f"target kind: {target.kind}" if target.kind else None,
    )
    packages = [firmware]
    relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, FIRMWARE_ID)]
    used_ids = {FIRMWARE_ID}
    for comp in components:
        spdx_id = _unique_id(comp, used_ids)
        packages.append(_package(comp, spdx_id))
        if comp.kind == "build-tool":
            relationships.append(Relationship(spdx_id, RelationshipType.BUILD_TOOL_OF, FIRMWARE_ID,
                                              comment="named in ELF .comment sections"))
        else:
            relationships.append(Relationship(FIRMWARE_ID, RelationshipType.CONTAINS, spdx_id))
    return Document(creation_info=info, packages=packages, relationships=relationships)


def _package(comp: Component, spdx_id: str) -> Package:
    refs: list[ExternalPackageRef] = []
    if comp.cpe:
        refs.append(ExternalPackageRef(ExternalPackageRefCategory.SECURITY, "cpe23Type", comp.cpe))
    if comp.purl:
        refs.append(ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", comp.purl))
    for v in comp.vulnerabilities:
        url = (f"https://nvd.nist.gov/vuln/detail/{v.id}" if v.id.startswith("CVE-")
               else f"https://osv.dev/vulnerability/{v.id}")
        status = "" if v.status == "affected" else f" [{v.status}: {v.status_reason}]"
        score = f" CVSS {v.best_score}" if v.best_score is not None else ""
        refs.append(ExternalPackageRef(ExternalPackageRefCategory.SECURITY, "advisory", url,
                                       comment=f"{v.id}{score}{status} {v.match}".strip()[:1000]))
    evidence = "; ".join(f"{e.method} {e.path}" + (f" ({e.match})" if e.match else "")
                         for e in comp.evidence[:10])
    comment = f"kind: {comp.kind}; confidence: {comp.confidence}; evidence: {evidence}"
    if comp.notes:
        comment += "; notes: " + "; ".join(comp.notes)
    return Package(
        spdx_id=spdx_id,
        name=comp.name,
        download_location=SpdxNoAssertion(),
        version=comp.version,
        files_analyzed=False,
        supplier=SpdxNoAssertion(),
        license_concluded=SpdxNoAssertion(),
        license_declared=SpdxNoAssertion(),
        copyright_text=SpdxNoAssertion(),
        external_references=refs,
        primary_package_purpose=_PURPOSE.get(comp.kind, PackagePurpose.OTHER),
        comment=comment[:4000],
    )


def _slug(value: str) -> str:
    return _ID_CHARS.sub("-", value).strip("-") or "x"


def _unique_id(comp: Component, used: set[str]) -> str:
    base = f"SPDXRef-{_slug(comp.name)}-{_slug(comp.version or 'unknown')}"
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}-{n}"
    used.add(candidate)
    return candidate
