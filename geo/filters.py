"""Spatial predicates over geography columns, written so that PostgreSQL uses the GiST index."""

import math
from itertools import pairwise
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import ColumnElement, Float, and_, cast, func, or_

from geo.points import WGS84

# geography with its SRID: a bare `geography` cast is rendered with SRID -1, which PostgreSQL
# answers with a NOTICE sent to the client on every statement that parses it.
WGS84_GEOGRAPHY = Geography(srid=WGS84)


def point_geography(lat: Any, long: Any) -> ColumnElement[Any]:
    """ST_MakePoint(long, lat) as geography (x is longitude!)."""
    return cast(func.ST_SetSRID(func.ST_MakePoint(long, lat), WGS84), WGS84_GEOGRAPHY)


def within_radius(column: Any, lat: Any, long: Any, radius_m: Any) -> ColumnElement[bool]:
    """ST_DWithin on geography: metres, index-assisted."""
    return func.ST_DWithin(column, point_geography(lat, long), radius_m)


def nearest_first(column: Any, lat: Any, long: Any) -> ColumnElement[Any]:
    """KNN ordering (<->) that the GiST index serves."""
    return column.op("<->")(point_geography(lat, long))


# Narrower than the 180 degrees a geography edge may span, with room to spare.
GEOGRAPHY_PIECE_DEGREES = 90.0


def envelope(min_long: float, min_lat: float, max_long: float, max_lat: float):
    """A WGS84 box as geometry."""
    return func.ST_MakeEnvelope(min_long, min_lat, max_long, max_lat, WGS84)


def _cuts(low: float, high: float) -> list[tuple[float, float]]:
    pieces = max(1, math.ceil((high - low) / GEOGRAPHY_PIECE_DEGREES))
    step = (high - low) / pieces
    edges = [low + step * i for i in range(pieces)] + [high]
    return list(pairwise(edges))


def overlaps_geography_box(column: Any, min_long: float, min_lat: float, max_long: float,
                           max_lat: float) -> ColumnElement[bool]:
    """Geography && box, served by the geography GiST index, for a box of any size.

    A geography edge of 180 degrees or more (a box as wide as half the globe, or a meridian
    from pole to pole) has no defined path (PostGIS: "Antipodal edge"), so a large box is cut
    into pieces of at most GEOGRAPHY_PIECE_DEGREES on each axis, OR-ed."""
    return or_(*(
        column.op("&&")(cast(envelope(west, south, east, north), WGS84_GEOGRAPHY))
        for west, east in _cuts(min_long, max_long)
        for south, north in _cuts(min_lat, max_lat)
    ))


# Metres per degree of latitude at its smallest (the equator): a box of radius / this many
# degrees always holds the circle.
_METRES_PER_DEGREE_MIN = 110_574.0


def geometry_within_radius(column: Any, lat: Any, long: Any, radius_m: Any) -> ColumnElement[bool]:
    """A geometry(4326) column within radius_m metres (on the spheroid) of the point: a box
    test the column's GiST index serves, then the exact distance in metres. lat, long and
    radius_m are numbers or SQL (bind parameters of a statement built once, a column), so the
    box is computed in SQL too."""
    centre = func.ST_SetSRID(func.ST_MakePoint(long, lat), WGS84)
    degrees_lat = radius_m / _METRES_PER_DEGREE_MIN
    cos_lat = func.greatest(
        func.cos(func.radians(func.least(func.abs(lat) + degrees_lat, 89.9))), 1e-6,
        type_=Float)
    return and_(
        column.op("&&")(func.ST_Expand(centre, degrees_lat / cos_lat, degrees_lat)),
        func.ST_DWithin(cast(column, WGS84_GEOGRAPHY), point_geography(lat, long), radius_m),
    )


def geometry_distance_m(column: Any, lat: Any, long: Any) -> ColumnElement[float]:
    """Metres on the spheroid from a geometry(4326) column to the point."""
    return func.ST_Distance(cast(column, WGS84_GEOGRAPHY), point_geography(lat, long))


def geometry_in_bbox(column: Any, min_long: float, min_lat: float, max_long: float,
                     max_lat: float) -> ColumnElement[bool]:
    """Exactly inside the lon/lat box, edges included (the one bbox semantics), on the
    column's GiST index."""
    return func.ST_Intersects(column, envelope(min_long, min_lat, max_long, max_lat))
