"""Parsing and validating the points residents and apps send."""

import math

from geoalchemy2.elements import WKTElement
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
