"""OGC API - Features at /ogc: landing page, conformance, collections, items, queryables.

What QGIS reads (its OAPIF provider): the landing page's `service-desc` link typed
application/vnd.oai.openapi+json;version=3.0 and its `data` link; the literal
/ogc/collections/{id}/items paths in the OpenAPI document with `limit` (default and maximum) and
the property filters; `next` links typed application/geo+json; the Part 3 conformance classes,
so that it pushes its filters to the server as CQL2 text.
"""

import json
from datetime import UTC, datetime
from typing import Any

from flask import Response
from flask.views import MethodView
from sqlalchemy import Float, Select, bindparam, func, select

from app import formats
from app.exceptions import BadRequest, NotFound
from app.extensions import db
from app.maps import layers, ogc_blp
from app.maps.cql import parse_filter
from app.models import District, Jurisdiction, Service, ServiceRequest
from app.reads.filters import RequestFilters, TimeRange, conditions, require_known
from app.reads.statements import BuiltOnce, PlanChoice, read_value
from app.web_addresses import page_link, public_base_url
from geo.features import extent_of, feature_collection, intersects_bbox
from schemas.maps import FormatArgsSchema, ItemsArgsSchema, RequestItemsArgsSchema

GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_JSON = "application/schema+json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
]

COLLECTIONS = {
    "requests": {
        "title": "Service requests",
        "description": "Every public 311 service request (redacted: no personal data; "
                       "locations per the service's public_location, hidden ones without "
                       "geometry)",
    },
    "districts": {
        "title": "Districts",
        "description": "Council districts and wards that requests are assigned to",
    },
}


def base_url() -> str:
    """The public root of this server, for absolute links."""
    return public_base_url()


def link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    """An OGC API link object."""
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def ogc_json(document: Any) -> Response:
    """A JSON document of this surface."""
    return formats.json_response(document)


@ogc_blp.route("/")
class LandingPage(MethodView):
    """The OGC API landing page."""

    @ogc_blp.arguments(FormatArgsSchema, location="query")
    def get(self, _args: dict):
        """Links to the API definition, the conformance classes and the collections."""
        root = base_url()
        return ogc_json({
            "title": "Service requests as map layers",
            "description": "OGC API - Features over this city's public 311 requests",
            "links": [
                link(f"{root}/ogc", "self", JSON, "This document"),
                link(f"{root}/openapi.json", "service-desc", OPENAPI_JSON,
                     "The API definition (OpenAPI 3.0)"),
                link(f"{root}/ogc/conformance", "conformance", JSON, "Conformance classes"),
                link(f"{root}/ogc/collections", "data", JSON, "The collections"),
            ],
        })


@ogc_blp.route("/conformance")
class Conformance(MethodView):
    """The conformance declaration."""

    @ogc_blp.arguments(FormatArgsSchema, location="query")
    def get(self, _args: dict):
        """The OGC conformance classes this server implements."""
        return ogc_json({"conformsTo": CONFORMANCE})


def _temporal_extent() -> list[str | None]:
    # The oldest request of each jurisdiction through the (jurisdiction, requested_at) index,
    # not a scan of every request; the end is open since requests keep coming.
    oldest = (
        select(ServiceRequest.requested_at)
        .where(ServiceRequest.jurisdiction_id == Jurisdiction.id)
        .order_by(ServiceRequest.requested_at)
        .limit(1)
        .correlate(Jurisdiction)
        .scalar_subquery()
    )
    first = db.session.scalar(select(func.min(oldest)).select_from(Jurisdiction))
    return [rfc3339_utc(first) if first else None, None]


def rfc3339_utc(moment: datetime) -> str:
    """Seconds precision in UTC with a Z, as OGC documents write times."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def collection_document(collection_id: str) -> dict[str, Any]:
    """One collection's metadata with extents and links."""
    root = base_url()
    here = f"{root}/ogc/collections/{collection_id}"
    if collection_id == "requests":
        bbox = extent_of(db.session, Jurisdiction.boundary)
        extent: dict[str, Any] = {"temporal": {"interval": [_temporal_extent()],
                                               "trs": GREGORIAN}}
    else:
        bbox = extent_of(db.session, District.geom)
        extent = {}
    extent["spatial"] = {"bbox": [bbox or [-180.0, -90.0, 180.0, 90.0]], "crs": CRS84}
    links = [
        link(here, "self", JSON, "This collection"),
        link(f"{here}/items", "items", GEOJSON, "The features"),
    ]
    if collection_id == "requests":
        links.append(link(f"{here}/queryables",
                          "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                          SCHEMA_JSON, "Properties a filter may use"))
    return {
        "id": collection_id,
        **COLLECTIONS[collection_id],
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": extent,
        "links": links,
    }


@ogc_blp.route("/collections")
class Collections(MethodView):
    """The feature collections."""

    @ogc_blp.arguments(FormatArgsSchema, location="query")
    def get(self, _args: dict):
        """requests and districts, with their extents."""
        root = base_url()
        return ogc_json({
            "links": [link(f"{root}/ogc/collections", "self", JSON, "This document")],
            "collections": [collection_document(c) for c in COLLECTIONS],
        })


@ogc_blp.route("/collections/<collection_id>")
class CollectionById(MethodView):
    """One feature collection."""

    @ogc_blp.arguments(FormatArgsSchema, location="query")
    def get(self, _args: dict, collection_id: str):
        """A collection's metadata."""
        if collection_id not in COLLECTIONS:
            raise NotFound(f"collection {collection_id!r} does not exist; "
                           f"collections: {', '.join(COLLECTIONS)}")
        return ogc_json(collection_document(collection_id))


# numberMatched is counted up to this many features and left out above (see
# geo.features.feature_collection).
NUMBER_MATCHED_CAP = 10_000


def _links(collection_id: str, limit: int, offset: int) -> tuple[str, str]:
    """The page's links as JSON text: without and with the next page's."""
    # The query encoded once for every link (encoding it for each link cost a twentieth of a
    # page's Python: cProfile, issue 12).
    at = page_link(f"/ogc/collections/{collection_id}/items", "offset")
    links = [
        link(at(offset), "self", GEOJSON, "This page"),
        link(f"{base_url()}/ogc/collections/{collection_id}", "collection", JSON,
             "The collection"),
    ]
    if offset > 0:
        links.append(link(at(max(offset - limit, 0)), "prev", GEOJSON, "Previous page"))
    with_next = [*links, link(at(offset + limit), "next", GEOJSON, "Next page")]
    return json.dumps(links), json.dumps(with_next)


def _items(collection_id: str, statement: Select | BuiltOnce, args: dict,
           parameters: dict[str, Any] | None = None, plan: PlanChoice = "cached") -> Response:
    """A page of items: `statement` from geo.features.feature_collection, run with the page's
    parameters and `parameters` (what the statement binds of the filters), planned as `plan`
    says (app/reads/statements.py)."""
    limit, offset = args["limit"], args["offset"]
    links, links_with_next = _links(collection_id, limit, offset)
    document = read_value(db.session, statement, {
        **(parameters or {}), "limit": limit, "offset": offset,
        # Counting one past the page tells whether a next page exists, whatever the cap.
        "count_cap": max(NUMBER_MATCHED_CAP, offset + limit + 1),
        "time_stamp": rfc3339_utc(datetime.now(UTC)),
        "links": links, "links_with_next": links_with_next,
    }, plan)
    return formats.json_text_response(document, mimetype=GEOJSON)


def _request_items(filters: RequestFilters) -> Select:
    return feature_collection(layers.requests_from().where(*conditions(None, filters)),
                              layers.REQUEST_FEATURE, ServiceRequest.id)


_BBOX = (bindparam("west", type_=Float), bindparam("south", type_=Float),
         bindparam("east", type_=Float), bindparam("north", type_=Float))
# What map clients ask most (a bbox, or nothing), built once: see app/reads/statements.py.
_ITEMS_IN_BBOX = BuiltOnce(_request_items(RequestFilters(bbox=_BBOX)))
_ALL_ITEMS = BuiltOnce(_request_items(RequestFilters()))
# Up to this area a bbox's page is read with one plan for every bbox (a walk of the published
# points' index, then the matches sorted by id): about a square kilometre, a few thousand
# points where a city is densest. A larger bbox gets a plan of its own: sorting every point of
# a city-wide bbox took 5 s where its own plan (read in id order, or in parallel) takes 0.2.
SMALL_BBOX_SQUARE_DEGREES = 0.0001


def bbox_plan(west: float, south: float, east: float, north: float) -> PlanChoice:
    """How to plan the page of a bbox (see SMALL_BBOX_SQUARE_DEGREES)."""
    small = (east - west) * (north - south) <= SMALL_BBOX_SQUARE_DEGREES
    return "generic" if small else "custom"


def request_filters(args: dict) -> RequestFilters:
    """The items parameters of the requests collection as the one filter set (over every
    jurisdiction); `datetime` bounds requested_datetime, both ends included."""
    if args.get("service_code"):
        require_known("service_code", args["service_code"], list(db.session.scalars(
            select(Service.service_code).distinct())))
    ranges = []
    if "datetime" in args:
        start, end = args["datetime"]
        ranges.append(TimeRange("requested_at", start, end, before_inclusive=True))
    return RequestFilters(
        service_codes=args.get("service_code", []),
        statuses=[args["status"]] if "status" in args else [],
        bbox=tuple(args["bbox"]) if "bbox" in args else None,
        ranges=ranges,
        extra=[parse_filter(args["filter"], layers.REQUEST_QUERYABLES)]
        if "filter" in args else [],
    )


@ogc_blp.route("/collections/requests/items")
class RequestItems(MethodView):
    """Service requests as GeoJSON features."""

    @ogc_blp.arguments(RequestItemsArgsSchema, location="query")
    @ogc_blp.response(200, description="A GeoJSON FeatureCollection", content_type=GEOJSON)
    def get(self, args: dict):
        """Requests, oldest id first, filtered by bbox, datetime (requested), service_code,
        status and a CQL2 text `filter`."""
        filters = request_filters(args)
        if filters == RequestFilters(bbox=filters.bbox):
            if filters.bbox is None:
                return _items("requests", _ALL_ITEMS, args)
            bbox = dict(zip(("west", "south", "east", "north"), filters.bbox, strict=True))
            return _items("requests", _ITEMS_IN_BBOX, args, bbox, bbox_plan(*filters.bbox))
        return _items("requests", _request_items(filters), args)


@ogc_blp.route("/collections/districts/items")
class DistrictItems(MethodView):
    """Districts as GeoJSON features."""

    @ogc_blp.arguments(ItemsArgsSchema, location="query")
    @ogc_blp.response(200, description="A GeoJSON FeatureCollection", content_type=GEOJSON)
    def get(self, args: dict):
        """Districts, filtered by bbox."""
        if "datetime" in args:
            raise BadRequest("districts have no time: datetime does not apply")
        matching = layers.districts_from()
        if "bbox" in args:
            matching = matching.where(intersects_bbox(District.geom, District.geom,
                                                      tuple(args["bbox"]), 0))
        return _items("districts", feature_collection(matching, layers.DISTRICT_FEATURE,
                                                      District.id), args)


@ogc_blp.route("/collections/requests/items/<feature_id>")
class RequestItem(MethodView):
    """One service request as a GeoJSON feature."""

    @ogc_blp.arguments(FormatArgsSchema, location="query")
    @ogc_blp.response(200, description="A GeoJSON Feature", content_type=GEOJSON)
    def get(self, _args: dict, feature_id: str):
        """The request whose id is `feature_id`."""
        if not feature_id.isdigit() or len(feature_id) > 18:
            raise NotFound(f"feature {feature_id[:40]!r} does not exist")
        feature = db.session.scalar(
            layers.requests_from()
            .with_only_columns(layers.REQUEST_FEATURE)
            .where(ServiceRequest.id == int(feature_id))
        )
        if feature is None:
            raise NotFound(f"feature {feature_id!r} does not exist")
        root = base_url()
        feature["links"] = [
            link(f"{root}/ogc/collections/requests/items/{feature_id}", "self", GEOJSON,
                 "This feature"),
            link(f"{root}/ogc/collections/requests", "collection", JSON, "The collection"),
        ]
        return formats.json_text_response(json.dumps(feature, ensure_ascii=False),
                                          mimetype=GEOJSON)


@ogc_blp.route("/collections/requests/queryables")
class RequestQueryables(MethodView):
    """What a filter on requests may name."""

    @ogc_blp.arguments(FormatArgsSchema, location="query")
    @ogc_blp.response(200, description="A JSON Schema", content_type=SCHEMA_JSON)
    def get(self, _args: dict):
        """The queryables as a JSON Schema (OGC API - Features Part 3)."""
        root = base_url()
        properties = {}
        for name, queryable in layers.REQUEST_QUERYABLES.items():
            entry: dict[str, Any] = {"title": name, "description": queryable.description,
                                     **layers.JSON_SCHEMA_TYPES[queryable.kind]}
            if queryable.enum:
                entry["enum"] = list(queryable.enum)
            properties[name] = entry
        document = {
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": f"{root}/ogc/collections/requests/queryables",
            "type": "object",
            "title": COLLECTIONS["requests"]["title"],
            "properties": properties,
            "additionalProperties": False,
        }
        return formats.json_response(document, mimetype=SCHEMA_JSON)
