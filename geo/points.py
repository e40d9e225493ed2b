"""Parsing and validating the points residents and apps send."""

import math
from typing import Any

from geoalchemy2.elements import WKTElement
from geoalchemy2.shape import to_shape
from shapely.geometry import Point

WGS84 = 4326


class InvalidPoint(ValueError):
    """A coordinate that is not a number or not on Earth."""


def parse_coordinate(raw: str | float, name: str, limit: float) -> float:
    """A finite number within ±limit; NaN and infinities are refused."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InvalidPoint(f"{name} must be a number, got {str(raw)[:40]!r}") from None
    if not math.isfinite(value):
        raise InvalidPoint(f"{name} must be a finite number")
    if not -limit <= value <= limit:
        raise InvalidPoint(f"{name} must be between -{limit:g} and {limit:g}")
    return value


def parse_lat_long(lat: str | float, long: str | float) -> Point:
    """A shapely point from Open311's lat/long (x is longitude)."""
    return Point(parse_coordinate(long, "long", 180), parse_coordinate(lat, "lat", 90))


def to_geography(point: Point) -> WKTElement:
    """A WGS84 point for a geography column."""
    return WKTElement(f"POINT({point.x!r} {point.y!r})", srid=WGS84)


def lat_long_of(location: Any) -> tuple[float, float]:
    """(lat, long) of a point element, as built here or read from a geography column."""
    point = to_shape(location)
    return point.y, point.x


EARTH_RADIUS_M = 6_371_008.8


def distance_between_m(lat1: float, long1: float, lat2: float, long2: float) -> float:
    """Great-circle distance in metres (haversine; within 0.5% of the spheroid's)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(long2 - long1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))
