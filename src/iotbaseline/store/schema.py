"""The tables of the results store (SQLAlchemy 2 declarative models).

One row per product, firmware version, image and assessment; the assessment keeps the whole
``assessment.json`` (zstd-compressed) so any report can be rendered again, and its findings, verdicts,
components and CVEs are also spread into indexed tables for the fleet queries (which products ship
component X, which images have CVE-Y, which fail a requirement). The migrations in
``store/migrations`` create exactly these tables; a test compares the two.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("vendor", "model", name="uq_products_vendor_model"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor: Mapped[str] = mapped_column(String(200), default="")  # "" when unknown
    model: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(50), default="other")


class FirmwareVersion(Base):
    __tablename__ = "firmware_versions"
    __table_args__ = (UniqueConstraint("product_id", "version", name="uq_versions_product_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(200))


class Image(Base):
    __tablename__ = "images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    name: Mapped[str] = mapped_column(String(500))


class AssessmentRow(Base):
    """One scan of one image. The key (image, tool version, catalogs, options) is unique: the
    same image is not scanned again with the same settings unless asked (``--rescan``)."""

    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("image_id", "tool_version", "catalogs", "options_key", name="uq_assessments_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("firmware_versions.id", ondelete="CASCADE"), index=True)
    tool_version: Mapped[str] = mapped_column(String(50))
    catalogs: Mapped[str] = mapped_column(String(500))  # sorted ids joined by ","; "" = all
    options_key: Mapped[str] = mapped_column(String(64))  # sha256 of the options that change results
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16))  # done | partial | error
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    identity_source: Mapped[str] = mapped_column(String(100), default="")  # where product/version came from
    started: Mapped[str | None] = mapped_column(String(40), nullable=True)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    stage_seconds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # counts for lists and trends
    document: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # zstd(assessment.json)
    created_at: Mapped[_dt.datetime] = mapped_column(DateTime(timezone=True))


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_check", "check_id", "severity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    finding_id: Mapped[str] = mapped_column(String(100))
    check_id: Mapped[str] = mapped_column(String(50))
    severity: Mapped[str] = mapped_column(String(10))
    confidence: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(500))
    path: Mapped[str | None] = mapped_column(Text, nullable=True)
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    provisions: Mapped[str] = mapped_column(Text, default="")  # space-separated "catalog:requirement"


class VerdictRow(Base):
    __tablename__ = "verdicts"
    __table_args__ = (Index("ix_verdicts_requirement", "catalog", "requirement", "verdict"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    catalog: Mapped[str] = mapped_column(String(50))
    requirement: Mapped[str] = mapped_column(String(50))
    verdict: Mapped[str] = mapped_column(String(16))


class ComponentRow(Base):
    __tablename__ = "components"
    __table_args__ = (Index("ix_components_name", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # lower case, for search
    version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    kind: Mapped[str] = mapped_column(String(30))
    purl: Mapped[str | None] = mapped_column(Text, nullable=True)
    cpe: Mapped[str | None] = mapped_column(Text, nullable=True)


class CveRow(Base):
    """A CVE matched to a component of an assessment (component name and version kept here so
    the CVE query needs no join through components)."""

    __tablename__ = "cves"
    __table_args__ = (Index("ix_cves_cve", "cve_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    cve_id: Mapped[str] = mapped_column(String(40))
    component: Mapped[str] = mapped_column(String(200))
    component_version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    kev: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(40))


CHILD_TABLES = (FindingRow, VerdictRow, ComponentRow, CveRow)
