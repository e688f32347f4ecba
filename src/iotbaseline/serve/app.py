"""The dashboard and its JSON API over a results store (FastAPI, server-rendered Jinja pages and
SVG charts, nothing loaded from outside the server; OpenAPI at /openapi.json, no CDN docs pages).

Results are confidential to their maker: when a token is set every page and API call needs it
(``Authorization: Bearer``, the ``iotbaseline_token`` cookie, or ``?token=`` once, which sets the
cookie)."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from iotbaseline.store import Store
from iotbaseline.store import queries as q

COOKIE = "iotbaseline_token"
DOWNLOADS = {"json": ("assessment.json", "application/json"),
             "sarif": ("results.sarif", "application/sarif+json"),
             "cyclonedx": ("sbom.cdx.json", "application/vnd.cyclonedx+json"),
             "ics-md": ("ics.md", "text/markdown"), "ics-csv": ("ics.csv", "text/csv")}


@functools.cache
def _templates() -> Environment:
    return Environment(loader=PackageLoader("iotbaseline.serve", "templates"),
                       autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)


def _page(name: str, **context: Any) -> HTMLResponse:
    return HTMLResponse(_templates().get_template(name).render(**context))


def _token_ok(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    candidates = [given[7:] if given.lower().startswith("bearer ") else "",
                  request.cookies.get(COOKIE, ""), request.query_params.get("token", "")]
    return any(c and hmac.compare_digest(c.encode(), token.encode()) for c in candidates)


def _load_assessment(store: Store, assessment_id: int) -> Any:
    from iotbaseline.model import Assessment

    with store.engine.connect() as conn:
        document = q.assessment_document(conn, assessment_id)
    if document is None:
        raise HTTPException(404, f"assessment {assessment_id} has no stored report")
    return Assessment.model_validate_json(document)


def _latest_points(product: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(version, summary of its newest finished assessment), oldest version first."""
    points = []
    for version in product["versions"]:
        finished = [a for a in version["assessments"] if a["status"] != "error"]
        if finished:
            points.append((version["version"], finished[-1]["summary"]))
    return points


def _search(store: Store, component: str | None, below: str | None, cve: str | None,
            catalog: str | None, requirement: str | None, verdict: str | None, limit: int) -> dict[str, Any]:
    with store.engine.connect() as conn:
        if component:
            return {"query": {"component": component, "below": below},
                    "results": q.search_component(conn, component, below, limit)}
        if cve:
            return {"query": {"cve": cve}, "results": q.search_cve(conn, cve, limit)}
        if catalog and requirement:
            return {"query": {"catalog": catalog, "requirement": requirement, "verdict": verdict},
                    "results": q.search_requirement(conn, catalog, requirement, verdict, limit)}
    raise HTTPException(400, "give component (and below), cve, or catalog and requirement (and verdict)")


def create_app(store: Store, token: str | None = None) -> FastAPI:
    app = FastAPI(title="iotbaseline fleet", version="1", docs_url=None, redoc_url=None,
                  description="Assessments of many firmware images: products, versions, verdicts, "
                              "components and CVEs. See docs/fleet.md.")

    @app.middleware("http")
    async def require_token(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if token is None:
            return await call_next(request)
        if not _token_ok(request, token):
            return PlainTextResponse("a valid token is required (Authorization: Bearer TOKEN)", status_code=401,
                                     headers={"WWW-Authenticate": "Bearer"})
        if request.query_params.get("token"):  # remember it and drop it from the address bar
            target = request.url.remove_query_params("token")
            redirect = RedirectResponse(str(target.path) + (f"?{target.query}" if target.query else ""), 303)
            redirect.set_cookie(COOKIE, token, httponly=True, samesite="strict")
            return redirect
        return await call_next(request)

    # ---- JSON API ------------------------------------------------------------------------

    @app.get("/api/products", tags=["api"], summary="Every product with its versions")
    def api_products() -> list[dict[str, Any]]:
        with store.engine.connect() as conn:
            return q.list_products(conn)

    @app.get("/api/products/{product_id}", tags=["api"], summary="A product: versions and assessments")
    def api_product(product_id: int) -> dict[str, Any]:
        with store.engine.connect() as conn:
            found = q.product_detail(conn, product_id)
        if found is None:
            raise HTTPException(404, f"no product {product_id}")
        return found

    @app.get("/api/assessments/{assessment_id}", tags=["api"],
             summary="An assessment: where it came from, its counts, and the full assessment.json")
    def api_assessment(assessment_id: int) -> Response:
        with store.engine.connect() as conn:
            meta = q.assessment_meta(conn, assessment_id)
            document = q.assessment_document(conn, assessment_id) if meta else None
        if meta is None:
            raise HTTPException(404, f"no assessment {assessment_id}")
        import json

        meta_json = json.dumps(meta)
        body = meta_json[:-1] + ', "assessment": ' + (document or "null") + "}"  # no re-parse of the document
        return Response(body, media_type="application/json")

    @app.get("/api/search", tags=["api"],
             summary="Fleet queries: component below a version, images with a CVE, verdicts of a requirement")
    def api_search(component: str | None = None, below: str | None = None, cve: str | None = None,
                   catalog: str | None = None, requirement: str | None = None, verdict: str | None = None,
                   limit: int = Query(1000, ge=1, le=10000)) -> dict[str, Any]:
        return _search(store, component, below, cve, catalog, requirement, verdict, limit)

    # ---- pages ---------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> HTMLResponse:
        with store.engine.connect() as conn:
            products = q.list_products(conn)
        return _page("index.html.j2", products=products)

    @app.get("/products/{product_id}", response_class=HTMLResponse, include_in_schema=False)
    def product_page(product_id: int) -> HTMLResponse:
        product = api_product(product_id)
        from iotbaseline.serve.charts import trend_charts

        points = _latest_points(product)
        charts = trend_charts(points) if points else {}
        return _page("product.html.j2", product=product, charts=charts, points=points)

    @app.get("/diff", response_class=HTMLResponse, include_in_schema=False)
    def diff_page(old: int, new: int) -> HTMLResponse:
        from iotbaseline.report.diff import diff_assessments
        from iotbaseline.report.diff_render import render_diff_html

        return HTMLResponse(render_diff_html(diff_assessments(_load_assessment(store, old),
                                                              _load_assessment(store, new))))

    @app.get("/assessments/{assessment_id}", response_class=HTMLResponse, include_in_schema=False)
    def report_page(assessment_id: int) -> HTMLResponse:
        from iotbaseline.report.formats import ReportFormat, render

        return HTMLResponse(render(_load_assessment(store, assessment_id), ReportFormat.HTML).decode())

    @app.get("/assessments/{assessment_id}/download/{fmt}", include_in_schema=False)
    def download(assessment_id: int, fmt: str) -> Response:
        if fmt not in DOWNLOADS:
            raise HTTPException(404, f"no download format {fmt!r}; one of {', '.join(DOWNLOADS)}")
        from iotbaseline.report.formats import ReportFormat, render

        filename, media = DOWNLOADS[fmt]
        body = render(_load_assessment(store, assessment_id), ReportFormat(fmt))
        return Response(body, media_type=media,
                        headers={"Content-Disposition": f'attachment; filename="{assessment_id}-{filename}"'})

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(component: str | None = None, below: str | None = None, cve: str | None = None,
                    catalog: str | None = None, requirement: str | None = None,
                    verdict: str | None = None) -> HTMLResponse:
        try:
            found = _search(store, component or None, below or None, cve or None, catalog or None,
                            requirement or None, verdict or None, 1000)
        except HTTPException as exc:
            return _page("search.html.j2", found=None, problem=exc.detail)
        return _page("search.html.j2", found=found, problem=None)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return PlainTextResponse(str(exc.detail), status_code=exc.status_code)

    return app
