"""The read queries behind the dashboard and its JSON API, returning plain dicts (JSON-ready).
Each is one indexed query (plus, for component versions, a comparison in Python with the
project's own version order, which SQL cannot express)."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection, func, select

from iotbaseline.store.records import FINAL_STATUSES, decompress
from iotbaseline.store.schema import (
    AssessmentRow,
    ComponentRow,
    CveRow,
    FirmwareVersion,
    Image,
    Product,
    VerdictRow,
)
from iotbaseline.vulns.versions import compare_versions

_WHERE = (AssessmentRow.image_id == Image.id, AssessmentRow.version_id == FirmwareVersion.id,
          FirmwareVersion.product_id == Product.id)


def _version_sort(versions: list[str]) -> list[str]:
    return sorted(versions, key=functools.cmp_to_key(compare_versions))


def list_products(conn: Connection) -> list[dict[str, Any]]:
    counts = dict(conn.execute(
        select(FirmwareVersion.product_id, func.count(AssessmentRow.id))
        .join(AssessmentRow, AssessmentRow.version_id == FirmwareVersion.id)
        .group_by(FirmwareVersion.product_id)).all())
    versions: dict[int, list[str]] = {}
    for pid, version in conn.execute(select(FirmwareVersion.product_id, FirmwareVersion.version)):
        versions.setdefault(pid, []).append(version)
    return [
        {"id": p.id, "vendor": p.vendor, "model": p.model, "category": p.category,
         "versions": _version_sort(versions.get(p.id, [])), "assessments": counts.get(p.id, 0)}
        for p in conn.execute(select(Product).order_by(Product.vendor, Product.model))
    ]


def product_detail(conn: Connection, product_id: int) -> dict[str, Any] | None:
    product = conn.execute(select(Product).where(Product.id == product_id)).first()
    if product is None:
        return None
    rows = conn.execute(
        select(FirmwareVersion.version, AssessmentRow.id, AssessmentRow.status, AssessmentRow.error,
               AssessmentRow.started, AssessmentRow.summary, AssessmentRow.tool_version,
               AssessmentRow.identity_source, Image.name, Image.sha256, Image.size)
        .join(AssessmentRow, AssessmentRow.version_id == FirmwareVersion.id)
        .join(Image, Image.id == AssessmentRow.image_id)
        .where(FirmwareVersion.product_id == product_id).order_by(AssessmentRow.id)
    ).all()
    by_version: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_version.setdefault(r.version, []).append({
            "id": r.id, "status": r.status, "error": r.error, "started": r.started,
            "summary": r.summary, "tool_version": r.tool_version, "identity_source": r.identity_source,
            "image": {"name": r.name, "sha256": r.sha256, "size": r.size}})
    return {"id": product.id, "vendor": product.vendor, "model": product.model,
            "category": product.category,
            "versions": [{"version": v, "assessments": by_version[v]} for v in _version_sort(list(by_version))]}


def assessment_meta(conn: Connection, assessment_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        select(AssessmentRow.id, AssessmentRow.status, AssessmentRow.error, AssessmentRow.started,
               AssessmentRow.seconds, AssessmentRow.summary, AssessmentRow.tool_version,
               AssessmentRow.catalogs, AssessmentRow.options, AssessmentRow.identity_source,
               Image.name, Image.sha256, Image.size, FirmwareVersion.version, Product.id.label("product_id"),
               Product.vendor, Product.model)
        .where(AssessmentRow.id == assessment_id, *_WHERE)
    ).first()
    if row is None:
        return None
    return {"id": row.id, "status": row.status, "error": row.error, "started": row.started,
            "seconds": row.seconds, "summary": row.summary, "tool_version": row.tool_version,
            "catalogs": row.catalogs, "options": row.options, "identity_source": row.identity_source,
            "image": {"name": row.name, "sha256": row.sha256, "size": row.size},
            "product": {"id": row.product_id, "vendor": row.vendor, "model": row.model},
            "version": row.version}


def assessment_document(conn: Connection, assessment_id: int) -> str | None:
    blob = conn.execute(select(AssessmentRow.document).where(AssessmentRow.id == assessment_id)).scalar()
    return decompress(blob) if blob else None


def _hit(r: Any, **extra: Any) -> dict[str, Any]:
    return {"assessment_id": r.id, "product_id": r.product_id, "vendor": r.vendor, "model": r.model,
            "version": r.version, "image": r.name, **extra}


_HIT_COLUMNS = (AssessmentRow.id, Product.id.label("product_id"), Product.vendor, Product.model,
                FirmwareVersion.version, Image.name)


def search_component(conn: Connection, name: str, below: str | None, limit: int = 1000) -> list[dict[str, Any]]:
    """Assessments shipping component ``name`` (any version, or older than ``below``). A
    component whose version is unknown cannot be said to be below: it is left out. Versions are
    compared once per distinct string, then only the hits are joined for their names."""
    pairs = conn.execute(
        select(ComponentRow.assessment_id, ComponentRow.version)
        .join(AssessmentRow, AssessmentRow.id == ComponentRow.assessment_id)
        .where(ComponentRow.name == name.lower(), AssessmentRow.status.in_(FINAL_STATUSES))
        .order_by(ComponentRow.assessment_id)
    ).all()
    if below is not None:
        older = {v for v in {v for _, v in pairs if v} if compare_versions(v, below) < 0}
        pairs = [(a, v) for a, v in pairs if v in older]
    pairs = pairs[:limit]
    versions: dict[int, list[str | None]] = {}
    for assessment_id, version in pairs:
        versions.setdefault(assessment_id, []).append(version)
    hits: list[dict[str, Any]] = []
    ids = list(versions)
    for start in range(0, len(ids), 900):
        rows = conn.execute(select(*_HIT_COLUMNS).where(AssessmentRow.id.in_(ids[start:start + 900]), *_WHERE)
                            .order_by(AssessmentRow.id)).all()
        hits.extend(_hit(r, component=name.lower(), component_version=v) for r in rows for v in versions[r.id])
    return hits


def search_cve(conn: Connection, cve: str, limit: int = 1000) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(*_HIT_COLUMNS, CveRow.component, CveRow.component_version, CveRow.score, CveRow.kev, CveRow.status)
        .join(AssessmentRow, AssessmentRow.id == CveRow.assessment_id)
        .where(CveRow.cve_id == cve.upper(), AssessmentRow.status.in_(FINAL_STATUSES), *_WHERE)
        .order_by(AssessmentRow.id).limit(limit)
    ).all()
    return [_hit(r, cve=cve.upper(), component=r.component, component_version=r.component_version,
                 score=r.score, kev=r.kev, status=r.status) for r in rows]


def search_requirement(conn: Connection, catalog: str, requirement: str, verdict: str | None,
                       limit: int = 1000) -> list[dict[str, Any]]:
    query = (select(*_HIT_COLUMNS, VerdictRow.verdict)
             .join(AssessmentRow, AssessmentRow.id == VerdictRow.assessment_id)
             .where(VerdictRow.catalog == catalog, VerdictRow.requirement == requirement,
                    AssessmentRow.status.in_(FINAL_STATUSES), *_WHERE))
    if verdict:
        query = query.where(VerdictRow.verdict == verdict.upper())
    rows = conn.execute(query.order_by(AssessmentRow.id).limit(limit)).all()
    return [_hit(r, catalog=catalog, requirement=requirement, verdict=r.verdict) for r in rows]
