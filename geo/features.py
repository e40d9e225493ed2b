"""GeoJSON built inside PostGIS: one statement returns the whole FeatureCollection as text.

Building the features with json_build_object / ST_AsGeoJSON / json_agg instead of serialising
rows one by one in Python measured about 450 against 40 requests/s on the same query (issue 5):
the rows never become Python objects and the response body is PostgreSQL's own text.
"""

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
    true,
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
        pairs.extend([sql_string(name), value])
    return func.json_build_object(
        sql_string("type"), sql_string("Feature"),
        sql_string("id"), feature_id,
        sql_string("geometry"),
        cast(func.ST_AsGeoJSON(geometry, literal_column(str(COORDINATE_DECIMALS))), JSON),
        sql_string("properties"), func.json_build_object(*pairs),
    )


def feature_collection(matching: Select, feature: ColumnElement[Any], sort_key: Any) -> Select:
    """SQL: a page of `matching` (a select whose FROM and WHERE give the rows; its columns are
    ignored) as one FeatureCollection text, in one statement. Its parameters: `limit` and
    `offset`; `count_cap`, how far the rows are counted: numberMatched is given when there
    are fewer (OGC API - Features Part 1, 7.15.8: optional, and exact when present: counting
    every request of a city to show a hundred would cost more than the page); `time_stamp`;
    `links`, the page's links as JSON text, and `links_with_next`, the same with the next
    page's, sent when more rows match than this page reaches."""
    limit, offset = bindparam("limit", type_=Integer), bindparam("offset", type_=Integer)
    cap = bindparam("count_cap", type_=Integer)
    capped: Select = matching.with_only_columns(literal_column("1")).order_by(None).limit(cap)
    counted = select(func.count().label("matched")).select_from(capped.subquery("capped"))
    counted_rows = counted.subquery("counted")
    page = (
        matching.with_only_columns(feature.label("feature"), sort_key.label("sort_key"))
        .order_by(sort_key)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    # One pass over the page: the aggregate gives both the features and how many they are.
    paged = select(
        func.coalesce(func.json_agg(aggregate_order_by(page.c.feature, page.c.sort_key)),
                      literal_column("'[]'::json")).label("features"),
        func.count().label("returned"),
    ).select_from(page).subquery("paged")
    matched = counted_rows.c.matched
    links = case((matched > offset + limit, cast(bindparam("links_with_next", type_=Text), JSON)),
                 else_=cast(bindparam("links", type_=Text), JSON))

    def document(with_number_matched: bool) -> Any:
        pairs: list[Any] = [
            sql_string("type"), sql_string("FeatureCollection"),
            sql_string("timeStamp"), bindparam("time_stamp", type_=Text),
        ]
        if with_number_matched:
            pairs.extend([sql_string("numberMatched"), matched])
        pairs.extend([
            sql_string("numberReturned"), paged.c.returned,
            sql_string("features"), paged.c.features,
            sql_string("links"), links,
        ])
        return func.json_build_object(*pairs)

    return select(cast(case((matched < cap, document(True)), else_=document(False)), Text)) \
        .select_from(counted_rows).join(paged, true())


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
