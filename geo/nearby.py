"""Requests near another request: geography column against geography value, in metres."""

from typing import Any

from sqlalchemy import ColumnElement, func


def within_metres_of(column: Any, location: Any, radius_m: float) -> ColumnElement[bool]:
    """ST_DWithin on geography (metres), served by the GiST index on `column`."""
    return func.ST_DWithin(column, location, radius_m)
