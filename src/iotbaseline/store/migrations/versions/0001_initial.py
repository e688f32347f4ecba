"""The first store schema: products, firmware versions, images, assessments and their findings,
verdicts, components and CVEs.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _child(name: str, *columns: sa.Column[object]) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("assessment_id", sa.Integer(),
                  sa.ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False),
        *columns,
    )
    op.create_index(f"ix_{name}_assessment_id", name, ["assessment_id"])


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("vendor", sa.String(200), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.UniqueConstraint("vendor", "model", name="uq_products_vendor_model"),
    )
    op.create_table(
        "firmware_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("products.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.UniqueConstraint("product_id", "version", name="uq_versions_product_version"),
    )
    op.create_index("ix_firmware_versions_product_id", "firmware_versions", ["product_id"])
    op.create_table(
        "images",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(500), nullable=False),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("image_id", sa.Integer(), sa.ForeignKey("images.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version_id", sa.Integer(),
                  sa.ForeignKey("firmware_versions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("tool_version", sa.String(50), nullable=False),
        sa.Column("catalogs", sa.String(500), nullable=False),
        sa.Column("options_key", sa.String(64), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("identity_source", sa.String(100), nullable=False),
        sa.Column("started", sa.String(40), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("stage_seconds", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("image_id", "tool_version", "catalogs", "options_key", name="uq_assessments_key"),
    )
    op.create_index("ix_assessments_image_id", "assessments", ["image_id"])
    op.create_index("ix_assessments_version_id", "assessments", ["version_id"])
    _child(
        "findings",
        sa.Column("finding_id", sa.String(100), nullable=False),
        sa.Column("check_id", sa.String(50), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("confidence", sa.String(10), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("provisions", sa.Text(), nullable=False),
    )
    op.create_index("ix_findings_check", "findings", ["check_id", "severity"])
    _child(
        "verdicts",
        sa.Column("catalog", sa.String(50), nullable=False),
        sa.Column("requirement", sa.String(50), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
    )
    op.create_index("ix_verdicts_requirement", "verdicts", ["catalog", "requirement", "verdict"])
    _child(
        "components",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("purl", sa.Text(), nullable=True),
        sa.Column("cpe", sa.Text(), nullable=True),
    )
    op.create_index("ix_components_name", "components", ["name"])
    _child(
        "cves",
        sa.Column("cve_id", sa.String(40), nullable=False),
        sa.Column("component", sa.String(200), nullable=False),
        sa.Column("component_version", sa.String(200), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("kev", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
    )
    op.create_index("ix_cves_cve", "cves", ["cve_id"])


def downgrade() -> None:
    for name in ("cves", "components", "verdicts", "findings", "assessments", "images",
                 "firmware_versions", "products"):
        op.drop_table(name)
