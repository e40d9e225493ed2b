"""The pages' routes. Thin: read through app.web.reads (or file through the Open311 operation),
render a template."""

from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from app.exceptions import BadRequest, Open311Error
from app.extensions import db
from app.media import media_url, uploaded_photos
from app.open311.views import attribute_answers
from app.operations.photos import photo_name, store_photo
from app.operations.submit import Actor, SubmitForm, submit_request
from app.web import blp, charts, i18n, reads
from app.web_addresses import public_base_url
from geo.tiles import GRID_MAX_ZOOM
from schemas.public import SubscriptionFormSchema

# Filed from these pages: what the request's `channel` records.
WEB_CHANNEL = "web"
# The dashboard's window: this month and the five before it.
DASHBOARD_MONTHS = 6
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")


def _content_security_policy() -> str:
    # MapLibre builds its worker from a blob: URL and draws tiles into blob:/data: images;
    # a configured base map's host is the only other place a page may reach.
    basemap_host = ""
    basemap = current_app.config.get("BASEMAP_STYLE_URL", "")
    if basemap:
        parts = urlsplit(basemap)
        basemap_host = f" {parts.scheme}://{parts.netloc}"
    return ("default-src 'self'; script-src 'self'; style-src 'self'; "
            f"img-src 'self' data: blob:{basemap_host}; worker-src blob:; child-src blob:; "
            f"connect-src 'self'{basemap_host}; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")


@blp.after_request
def _page_headers(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = _content_security_policy()
        # The page's words depend on the language cookie and header.
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


@blp.errorhandler(Open311Error)
def _page_error(error: Open311Error):
    if _wants_json():
        return jsonify({"errors": error.descriptions}), error.status
    return render_template("web/error.html", status=error.status,
                           messages=error.descriptions), error.status


@blp.app_context_processor
def _page_globals() -> dict[str, Any]:
    return {
        "current_language": i18n.current_language,
        "languages": i18n.LOCALES,
        "service_text": i18n.service_text,
        "status_label": i18n.status_label,
        "attribute_texts": i18n.attribute_texts,
        # Tiles carry single requests (with their dates) from this zoom on; grid cells below.
        "points_zoom": GRID_MAX_ZOOM + 1,
        "basemap_style_url": lambda: (current_app.config.get("BASEMAP_STYLE_URL")
                                      or url_for("web.basemap_style")),
    }


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _city():
    return reads.jurisdiction(request.args.get("jurisdiction_id")
                              or request.form.get("jurisdiction_id"))


@blp.get("/language/<code>")
def switch_language(code: str):
    """Remember the chosen language in a cookie and go back to the page."""
    target = request.args.get("next", "")
    # Only a path on this site: an open redirect would lend the city's name to phishing.
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = url_for("web.report")
    response = redirect(target, code=303)
    if code in i18n.LOCALES:
        response.set_cookie(i18n.COOKIE, code, max_age=i18n.COOKIE_MAX_AGE, samesite="Lax",
                            secure=request.is_secure, httponly=True)
    return response


@blp.get("/report")
def report():
    """Report a problem: the services grouped, the pin map, the form."""
    city = _city()
    return render_template("web/report.html", city=city, groups=_grouped(reads.services(city)),
                           values={}, errors=[])


def _grouped(services: list) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for service in services:
        groups.setdefault(i18n.service_text(service, "group") or _("Other"), []).append(service)
    return sorted(groups.items(), key=lambda item: item[0])


@blp.post("/report")
def file_report():
    """File the report through the Open311 operation (channel `web`); the page's script gets
    JSON, a plain form post is redirected to the new request's page."""
    city = _city()
    form = request.form
    photos = [(photo, photo_name(photo)) for photo in uploaded_photos(request.files)]
    submitted = SubmitForm(
        service_code=form.get("service_code"),
        lat=form.get("lat"),
        long=form.get("long"),
        address_string=form.get("address_string"),
        address_id=form.get("address_id"),
        description=form.get("description"),
        media_urls=[media_url(name) for _, name in photos],
        attributes=attribute_answers(form),
        reporter={k: form[k].strip() for k in CONTACT_FIELDS if form.get(k, "").strip()},
        channel=WEB_CHANNEL,
    )
    try:
        service_request = submit_request(db.session, city, submitted, Actor(label="web"))
    except Open311Error as error:
        # Nothing was written: the operation checks everything before it adds a row.
        if _wants_json():
            raise
        return render_template("web/report.html", city=city,
                               groups=_grouped(reads.services(city)), values=form,
                               errors=error.descriptions), error.status
    for photo, name in photos:
        store_photo(db.session, photo, name, service_request.id)
    service_request_id = service_request.id
    db.session.commit()
    page = url_for("web.request_page", service_request_id=service_request_id, filed=1)
    if _wants_json():
        return jsonify({"service_request_id": str(service_request_id), "url": page}), 201
    return redirect(page, code=303)


@blp.get("/requests/<int:service_request_id>")
def request_page(service_request_id: int):
    """A request's page: status, location, timeline, photos, deadline, duplicates."""
    city = _city()
    document = reads.public_request(city, service_request_id)
    names = _service_names(city)
    document["service_name"] = names.get(document["service_code"], document["service_name"])
    return render_template(
        "web/request.html", city=city, sr=document,
        deadline_state=_deadline_state(document),
        duplicates=reads.duplicates_of(city, service_request_id),
        photos=[url for url in document["media_urls"] if _is_our_photo(url)],
        links=[url for url in document["media_urls"] if not _is_our_photo(url)],
        filed=request.args.get("filed") == "1",
        followed=request.args.get("followed") == "1",
    )


def _service_names(city) -> dict[str, str]:
    """Service names in the page's language, by code."""
    return {service.service_code: i18n.service_text(service, "service_name")
            for service in reads.services(city)}


@blp.post("/requests/<int:service_request_id>/follow")
def follow_request(service_request_id: int):
    """Follow without JavaScript: the same subscription as the public API's, then back to
    the page (posted, so that the address never rides in a URL)."""
    problems = SubscriptionFormSchema().validate(request.form)
    if problems:
        raise BadRequest(*[f"{name}: {' '.join(texts)}" for name, texts in problems.items()])
    reads.follow(service_request_id, request.form["email"])
    db.session.commit()
    return redirect(url_for("web.request_page", service_request_id=service_request_id,
                            followed=1), code=303)


def _deadline_state(document: dict[str, Any]) -> str:
    """The request's standing against its deadline, read from the document's `on_time` (the
    one rule, projection.on_time_sql): judged late while open is past due, late when closed
    is missed; not judged while open is not yet due, when closed (not resolved) not judged."""
    if document["expected_datetime"] is None:
        return "none"
    is_open = document["status"] == "open"
    if document["on_time"] is True:
        return "met"
    if document["on_time"] is False:
        return "overdue" if is_open else "missed"
    return "due" if is_open else "not_judged"


def _is_our_photo(url: str) -> bool:
    # Photos stored here are shown; any other address is only linked, so that opening a
    # request's page never makes the browser call a third-party host.
    return url.startswith(f"{public_base_url()}/media/")


@blp.get("/map")
def city_map():
    """The city map: every public request from the vector tiles, with filters."""
    city = _city()
    return render_template("web/map.html", city=city, services=reads.services(city),
                           statuses=("open", "closed"))


@blp.get("/dashboard")
def dashboard():
    """On-time share, volumes, days to close and satisfaction for recent months."""
    city = _city()
    now = datetime.now(reads.zone(city))
    start = _month_start(now, DASHBOARD_MONTHS - 1)
    args = {"requested_after": start.replace(tzinfo=None)}
    query = {"requested_after": start.strftime("%Y-%m-%dT%H:%M:%S")}
    if request.args.get("jurisdiction_id"):
        query["jurisdiction_id"] = city.id
    tables = {}
    for name, group_by in (("month", ["month"]), ("service", ["service"]),
                           ("department", ["department"]),
                           ("department_month", ["department", "month"])):
        document = reads.statistics(city, args, group_by)
        tables[name] = {
            "rows": document["rows"],
            "api": url_for("public.Statistics", group_by=",".join(group_by), **query),
        }
    names = _service_names(city)
    for row in tables["service"]["rows"]:
        row["service_name"] = names.get(row["service_code"], row["service_name"])
    months = [row["month"] for row in tables["month"]["rows"]]
    return render_template(
        "web/dashboard.html", city=city, tables=tables, start=start, months=months,
        min_sample=document["min_sample"], method=document["method"],
        by_department_month=_matrix(tables["department_month"]["rows"]),
        charts={
            "volume": charts.bars([(row["month"], row["count"]) for row in
                                   tables["month"]["rows"]], _("Requests filed per month")),
            "on_time_month": charts.bars(
                [(row["month"], row["on_time_percent"]) for row in tables["month"]["rows"]],
                _("On time, % per month"), percent=True),
            "on_time_service": charts.bars(
                [(row["service_name"], row["on_time_percent"])
                 for row in tables["service"]["rows"]],
                _("On time, % by service"), percent=True, horizontal=True),
        },
        exports={fmt: url_for("public.RequestExports", export_format=fmt, **query)
                 for fmt in ("csv", "geojson", "ndjson")},
        data_dictionary=current_app.config.get("DATA_DICTIONARY_URL") or "/docs/data-dictionary/",
        filters=urlencode(query),
    )


def _month_start(now: datetime, months_back: int) -> datetime:
    year, month = now.year, now.month - months_back
    while month < 1:
        year, month = year - 1, month + 12
    return now.replace(year=year, month=month, day=1, hour=0, minute=0, second=0,
                       microsecond=0)


def _matrix(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {(row["department"] or "", row["month"]): row for row in rows}


@blp.get("/web/city.geojson")
def city_outline():
    """The boundary and districts the default base map draws."""
    response = jsonify(reads.city_outline(_city()))
    response.mimetype = "application/geo+json"
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@blp.get("/web/basemap.json")
def basemap_style():
    """A plain MapLibre style drawn from the city's own outline: no outside tile server."""
    outline = url_for("web.city_outline", _external=True)
    if request.args.get("jurisdiction_id"):
        outline += "?" + urlencode({"jurisdiction_id": request.args["jurisdiction_id"]})
    style = {
        "version": 8,
        "name": "City outline",
        "sources": {"city": {"type": "geojson", "data": outline}},
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": "#f4f1ea"}},
            {"id": "boundary-fill", "type": "fill", "source": "city",
             "filter": ["==", ["get", "kind"], "boundary"],
             "paint": {"fill-color": "#ffffff"}},
            {"id": "districts", "type": "line", "source": "city",
             "filter": ["==", ["get", "kind"], "district"],
             "paint": {"line-color": "#8a8f98", "line-width": 1, "line-dasharray": [3, 2]}},
            {"id": "boundary", "type": "line", "source": "city",
             "filter": ["==", ["get", "kind"], "boundary"],
             "paint": {"line-color": "#3b4252", "line-width": 2}},
        ],
    }
    response = jsonify(style)
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response

