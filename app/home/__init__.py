"""The landing page at / (HTML for browsers, a JSON index otherwise), the interactive API
documentation at /api/docs (Swagger UI, its assets from the swagger-ui-bundle package, never a
CDN) and the documentation site at /docs/ when it has been built (`make docs`)."""

from pathlib import Path

import swagger_ui_bundle
from flask import Blueprint, abort, current_app, render_template, request, send_from_directory
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app import formats
from app.extensions import db
from app.web_addresses import public_base_url

blp = Blueprint("home", __name__, template_folder="templates", static_folder="static",
                static_url_path="/api/docs/static")

SWAGGER_UI_ASSETS = Path(swagger_ui_bundle.swagger_ui_path)
# Only what the page loads: the bundle's other files (its own index.html) are not served.
SWAGGER_UI_FILES = frozenset({"swagger-ui.css", "swagger-ui-bundle.js",
                              "swagger-ui-standalone-preset.js", "favicon-32x32.png"})
# Swagger UI styles its widgets with style attributes; its scripts and ours come from here.
API_DOCS_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                   "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
PAGE_POLICY = "default-src 'none'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
# MkDocs Material writes small inline scripts (its palette and search settings).
DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
               "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")


def surfaces() -> list[dict[str, str]]:
    """What this server offers, each with its link relation, URL, media type and title."""
    root = public_base_url()
    return [
        {"rel": "documentation", "href": f"{root}/docs/", "type": "text/html",
         "title": "Documentation: getting started, configuration, every surface"},
        {"rel": "open311-discovery", "href": f"{root}/open311/v2/discovery.json",
         "type": "application/json", "title": "Open311 GeoReport v2 service discovery"},
        {"rel": "open311-services", "href": f"{root}/open311/v2/services.json",
         "type": "application/json", "title": "Open311 service list"},
        {"rel": "public-api", "href": f"{root}/api/v1/public/requests",
         "type": "application/json", "title": "Public API: query, export, statistics"},
        {"rel": "ogc-api-features", "href": f"{root}/ogc", "type": "application/json",
         "title": "Map layer: OGC API - Features (QGIS, ArcGIS, GDAL)"},
        {"rel": "tilejson", "href": f"{root}/tiles/requests.json", "type": "application/json",
         "title": "Map layer: vector tiles (TileJSON for MapLibre, QGIS)"},
        {"rel": "service-desc", "href": f"{root}/openapi.json",
         "type": "application/vnd.oai.openapi+json;version=3.0",
         "title": "The OpenAPI 3 document of every surface"},
        {"rel": "service-doc", "href": f"{root}/api/docs", "type": "text/html",
         "title": "Interactive API documentation (Swagger UI)"},
        {"rel": "report", "href": f"{root}/report", "type": "text/html",
         "title": "Report a problem"},
        {"rel": "map", "href": f"{root}/map", "type": "text/html", "title": "Map of requests"},
        {"rel": "dashboard", "href": f"{root}/dashboard", "type": "text/html",
         "title": "Dashboard: on-time performance"},
    ]


def _cities() -> list[str]:
    from app.models import Jurisdiction

    try:
        return list(db.session.scalars(select(Jurisdiction.name).order_by(Jurisdiction.id)))
    except SQLAlchemyError:  # the index still answers while the database is away
        db.session.rollback()
        return []


@blp.get("/")
def landing_page():
    """HTML for browsers (Accept: text/html), the JSON index of the surfaces otherwise."""
    wants = request.accept_mimetypes.best_match(["application/json", "text/html"])
    links, cities = surfaces(), _cities()
    if wants == "text/html":  # */* alone, as curl sends, gets the JSON index
        response = current_app.make_response(
            render_template("home/landing.html", links=links, cities=cities))
        response.headers["Content-Security-Policy"] = PAGE_POLICY
    else:
        response = formats.json_response({
            "title": "Open311 server", "jurisdictions": cities, "links": links})
    response.vary.add("Accept")
    return response


@blp.get("/api/docs")
def api_docs():
    """Swagger UI over /openapi.json."""
    response = current_app.make_response(render_template("home/api_docs.html"))
    response.headers["Content-Security-Policy"] = API_DOCS_POLICY
    return response


@blp.get("/api/docs/assets/<name>")
def api_docs_asset(name: str):
    """Swagger UI's own files, from the installed swagger-ui-bundle package."""
    if name not in SWAGGER_UI_FILES:
        abort(404)
    return send_from_directory(SWAGGER_UI_ASSETS, name, max_age=86400)


@blp.get("/docs/")
@blp.get("/docs/<path:path>")
def documentation(path: str = "index.html"):
    """The MkDocs site built by `make docs` (DOCS_DIR), when it has been built."""
    directory = Path(current_app.config["DOCS_DIR"])
    if path.endswith("/") or not Path(path).suffix:
        path = f"{path.rstrip('/')}/index.html".lstrip("/")
    if not (directory / "index.html").is_file():
        abort(404, description="The documentation site is not built here: run `make docs`, "
                               "or read docs/ in the repository.")
    response = send_from_directory(directory, path, max_age=300)
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response
