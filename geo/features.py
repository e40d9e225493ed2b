"""GeoJSON built inside PostGIS: one statement returns the whole FeatureCollection as text.

Building the features with json_build_object / ST_AsGeoJSON / json_agg instead of serialising
rows one by one in Python measured about 450 against 40 requests/s on the same query (issue 5):
the rows never become Python objects and the response body is PostgreSQL's own text.
"""

import json
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import JSON, aggregate_order_by

from geo.filters import envelope, overlaps_geography_box
from geo.points import WGS84

# GeoJSON coordinates to 7 decimals: about 1 cm, finer than any phone's GPS.
COORDINATE_DECIMALS = 7


def sql_string(value: str) -> ColumnElement[str]:
    """A string constant written into the statement, not a bind parameter: a 1000-row document
    statement has dozens of them, and every parameter costs psycopg time on every call."""
    return literal_column("'" + value.replace("'", "''") + "'", Text)


def intersects_bbox(geometry: Any, indexed_location: Any, bbox: tuple[float, float, float, float],
                    index_margin: float) -> ColumnElement[bool]:
    """The public geometry intersects the box. `indexed_location` (a geography column) is
    first tested against the box grown by `index_margin` degrees, so the GiST index narrows the
    rows while the exact test runs on the geometry the public sees (a snapped point may lie up
    to half a grid cell from the stored one)."""
    min_long, min_lat, max_long, max_lat = bbox
    box = envelope(min_long, min_lat, max_long, max_lat)
    return and_(
        overlaps_geography_box(indexed_location, min_long - index_margin,
                               max(min_lat - index_margin, -90), max_long + index_margin,
                               min(max_lat + index_margin, 90)),
        func.ST_Intersects(geometry, box),
    )


def as_feature(feature_id: Any, geometry: Any, properties: dict[str, Any]) -> ColumnElement[Any]:
    """SQL: one GeoJSON Feature object with the id at the top level (OGC API Features)."""
    pairs: list[Any] = []
    for name, value in properties.items():
        pairs.extend([literal(name), value])
    return func.json_build_object(
        literal("type"), literal("Feature"),
        literal("id"), feature_id,
        literal("geometry"),
        cast(func.ST_AsGeoJSON(geometry, COORDINATE_DECIMALS), JSON),
        literal("properties"), func.json_build_object(*pairs),
    )


def count_matched(session: Any, matching: Select, cap: int) -> int:
    """How many rows `matching` has, counted no further than `cap`: a bbox over a city of a
    million requests must not count them all to show a hundred."""
    capped = matching.with_only_columns(literal(1)).order_by(None).limit(cap).subquery()
    return session.scalar(select(func.count()).select_from(capped))


def feature_collection(matching: Select, feature: ColumnElement[Any], sort_key: Any, *,
                       limit: int, offset: int, links: list[dict], time_stamp: str,
                       number_matched: int | None) -> Select:
    """SQL: a page of `matching` (a select whose FROM and WHERE give the rows; its columns are
    ignored) as one FeatureCollection text with numberReturned, timeStamp and links, and
    numberMatched when it is given (OGC API Features: it is optional, and exact when present)."""
    page = (
        matching.with_only_columns(feature.label("feature"), sort_key.label("sort_key"))
        .order_by(sort_key)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    # One pass over the page: the aggregate gives both the features and how many they are
    # (a second subquery over the page would run the page's query twice).
    features = func.coalesce(
        func.json_agg(aggregate_order_by(page.c.feature, page.c.sort_key)),
        literal_column("'[]'::json"),
    )
    pairs: list[Any] = [
        literal("type"), literal("FeatureCollection"),
        literal("timeStamp"), literal(time_stamp),
    ]
    if number_matched is not None:
        pairs.extend([literal("numberMatched"), literal(number_matched)])
    pairs.extend([
        literal("numberReturned"), func.count(),
        literal("features"), features,
        literal("links"), cast(literal(json.dumps(links)), JSON),
    ])
    return select(cast(func.json_build_object(*pairs), Text)).select_from(page)


def wgs84(geometry: Any) -> ColumnElement[Any]:
    """A geometry column or expression read as geometry(4326)."""
    return cast(geometry, Geometry(srid=WGS84))


def extent_of(session: Any, geometry: Any) -> list[float] | None:
    """[min long, min lat, max long, max lat] of a geometry column, or None when empty."""
    box = session.execute(
        select(func.ST_XMin(func.ST_Extent(geometry)), func.ST_YMin(func.ST_Extent(geometry)),
               func.ST_XMax(func.ST_Extent(geometry)), func.ST_YMax(func.ST_Extent(geometry)))
    ).one()
    return None if box[0] is None else [float(v) for v in box]
