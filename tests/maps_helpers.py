"""Tile arithmetic and bulk inserts for the map-layer tests."""

import math
from datetime import UTC, datetime, timedelta

import mapbox_vector_tile
from sqlalchemy import insert

from app.models import ServiceRequest
from app.operations.public_form import refresh_public_forms

EXTENT = 4096


def tile_of(lat: float, long: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding a point (the slippy-map formula)."""
    x, y = tile_fraction(lat, long, z)
    return int(x), int(y)


def tile_fraction(lat: float, long: float, z: int) -> tuple[float, float]:
    """Tile coordinates with their fraction: where inside the tile the point falls."""
    n = 2**z
    x = (long + 180.0) / 360.0 * n
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    return x, y


def tile_units(lat: float, long: float, z: int) -> tuple[float, float]:
    """A point in MVT units of its tile, y up as mapbox-vector-tile decodes it."""
    x, y = tile_fraction(lat, long, z)
    return (x - int(x)) * EXTENT, (1 - (y - int(y))) * EXTENT


def features(body: bytes) -> list[dict]:
    """The features of the 'requests' layer of a tile."""
    layer = mapbox_vector_tile.decode(body).get("requests")
    return layer["features"] if layer else []


def insert_points(session, service, points: list[tuple[float, float]], **columns) -> None:
    """Many requests in one statement: [(lat, long), ...]."""
    now = datetime.now(UTC) - timedelta(hours=1)
    rows = [
        {
            "jurisdiction_id": service.jurisdiction_id,
            "service_id": service.id,
            "department_id": service.department_id,
            "location": f"SRID=4326;POINT({long} {lat})",
            "requested_at": now,
            "updated_at": now,
            **columns,
        }
        for lat, long in points
    ]
    session.execute(insert(ServiceRequest), rows)
    # Written in SQL, past the flush hook: their public form is computed as the demo's is.
    refresh_public_forms(session, service_id=service.id)
