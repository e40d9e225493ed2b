"""One redaction rule for every public output (Open311 GETs, public API, exports, feeds, OGC,
tiles).

- Reporter fields never leave: they live in `reporters`, which no public query selects.
- Emails and phone numbers inside free text are masked.
- A service's `public_location` decides the coordinates: `exact`, `block` (snapped to a
  ~100 m grid, so a report is placed on its block, not at a house) or `hidden` (none).
Python helpers serve row-by-row renderers; the SQL expressions serve queries that build their
output inside PostgreSQL (GeoJSON aggregates, vector tiles).
"""

import math
import re
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import Float, Numeric, Text, and_, case, cast, func
from sqlalchemy.sql.elements import ColumnElement

from geo.features import sql_string

EXACT, BLOCK, HIDDEN = "exact", "block", "hidden"
# ~100 m: 0.001 degree of latitude is 111 m; longitude steps shrink with latitude, which is
# acceptable for a privacy grid (cells are never larger than this).
BLOCK_GRID_DEGREES = 0.001

EMAIL_MASK = "[email removed]"
PHONE_MASK = "[phone removed]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# 7+ digits with the usual separators, optionally international: (312) 555-0100,
# +44 20 7946 0958, 312.555.0100. Dates and short numbers (house numbers) do not match.
_PHONE = re.compile(
    r"(?<![\w/])(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{2,4}\)[\s.\-]?)?"
    r"\d{2,4}(?:[\s.\-]\d{2,4}){1,4}(?![\w/])"
)
_DIGITS = re.compile(r"\d")


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = len(_DIGITS.findall(text))
    # 7 to 15 digits (E.164 maximum) with separators is a phone number; dates
    # (2026-11-22: 8 digits) are protected by requiring no two-dash ISO shape.
    if 7 <= digits <= 15 and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return PHONE_MASK
    return text


def mask_text(text: str | None) -> str | None:
    """Mask emails and phone numbers inside free text shown to the public."""
    if not text:
        return text
    return _PHONE.sub(_mask_phone, _EMAIL.sub(EMAIL_MASK, text))


def snap(value: float, grid: float = BLOCK_GRID_DEGREES) -> float:
    """The centre of the grid cell holding `value`."""
    return round((math.floor(value / grid) + 0.5) * grid, 6)


def public_lat_long(lat: float | None, long: float | None,
                    policy: str) -> tuple[float | None, float | None]:
    """The coordinates the public may see under a service's public_location."""
    if lat is None or long is None or policy == HIDDEN:
        return None, None
    if policy == BLOCK:
        return snap(lat), snap(long)
    return lat, long


_HOUSE_NUMBER = re.compile(r"^\s*(\d+)[A-Za-z]?(?:[-/]\d+[A-Za-z]?)?\s+(.+)$")


def public_address(address: str | None, address_id: str | None,
                   policy: str) -> tuple[str | None, str | None]:
    """(address, address_id) the public may see: a house number would undo `block`, so it
    becomes its hundred block ("1234 Main St" -> "1200 block of Main St")."""
    if policy == HIDDEN or not address:
        return None, None
    if policy == BLOCK:
        match = _HOUSE_NUMBER.match(address)
        if match:
            return f"{int(match.group(1)) // 100 * 100} block of {match.group(2)}", None
        return address, None
    return address, address_id


def public_geometry_sql(location: Any, policy: Any) -> ColumnElement[Any]:
    """SQL: the request's point as geometry(4326) after the policy (NULL when hidden)."""
    geometry = cast(location, Geometry(srid=4326))
    snapped = func.ST_SetSRID(
        func.ST_MakePoint(
            (func.floor(func.ST_X(geometry) / BLOCK_GRID_DEGREES) + 0.5) * BLOCK_GRID_DEGREES,
            (func.floor(func.ST_Y(geometry) / BLOCK_GRID_DEGREES) + 0.5) * BLOCK_GRID_DEGREES,
        ),
        4326,
    )
    return case(
        (policy == sql_string(HIDDEN), None),
        (policy == sql_string(BLOCK), snapped),
        else_=geometry,
    )


def public_lat_long_sql(location: Any, policy: Any) -> tuple[ColumnElement[float],
                                                               ColumnElement[float]]:
    """SQL twin of public_lat_long: (lat, long) as float8, snapped and rounded to 6 decimals
    under `block` as snap() does, NULL when hidden."""
    geometry = cast(location, Geometry(srid=4326))

    def coordinate(value: ColumnElement[float]) -> ColumnElement[float]:
        # float8 -> numeric keeps 15 digits, enough for round() to agree with Python's on a
        # grid centre (k + 0.5) * 0.001, which is never near a rounding tie at 6 decimals.
        snapped = (func.floor(value / BLOCK_GRID_DEGREES) + 0.5) * BLOCK_GRID_DEGREES
        return case(
            (policy == sql_string(HIDDEN), None),
            (policy == sql_string(BLOCK), cast(func.round(cast(snapped, Numeric), 6), Float)),
            else_=value,
        )

    return coordinate(func.ST_Y(geometry)), coordinate(func.ST_X(geometry))


# POSIX twin of _PHONE plus _mask_phone's rule: the lookahead asks for at least 7 digits
# (separators between them allowed, so it may look past the match), the negative one spares
# an ISO date standing alone, and a match never starts inside a run of number groups (Python
# resumes after a rejected run, never inside it). Where the two differ, as for a short number
# run right before a long number or runs over 15 digits, SQL masks more: the safe side.
_PHONE_SQL = (
    r"(?<![[:alnum:]_/])(?<![0-9][ .-])"
    r"(?=(?:[ .()+-]*[0-9]){7})"
    r"(?![0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9]|[ .-][0-9]))"
    r"(\+[0-9]{1,3}[ .-]?)?(\([0-9]{2,4}\)[ .-]?)?[0-9]{2,4}([ .-][0-9]{2,4}){1,4}"
    r"(?![[:alnum:]_/])"
)
_EMAIL_SQL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"


def mask_text_sql(text: Any) -> ColumnElement[str]:
    """SQL twin of mask_text, for outputs built in PostgreSQL (same patterns, POSIX syntax)."""
    # The guards are necessary conditions of a match (an email has an @, a phone number 7 or
    # more digits), tested far faster than the patterns, which cost most of an export or a
    # 1000-request Open311 list when run on every description.
    no_email = case(
        (func.strpos(text, sql_string("@")) > 0,
         func.regexp_replace(text, sql_string(_EMAIL_SQL), sql_string(EMAIL_MASK),
                             sql_string("g"))),
        else_=text,
    )
    digits = func.length(text) - func.length(
        func.translate(text, sql_string("0123456789"), sql_string("")))
    return case(
        (digits >= 7,
         func.regexp_replace(no_email, sql_string(_PHONE_SQL), sql_string(PHONE_MASK),
                             sql_string("g"))),
        else_=no_email,
    )


_HOUSE_NUMBER_SQL = r"^\s*([0-9]+)[A-Za-z]?(?:[-/][0-9]+[A-Za-z]?)?\s+(.+)$"
# Once _HOUSE_NUMBER_SQL matched, its groups are read with patterns without a trailing
# capture: `\2` of the full pattern made PostgreSQL backtrack, and cost half of a
# 1000-request Open311 list. The lookahead leaves (.+) its one character, as Python does.
_NUMBER_SQL = r"^\s*([0-9]+)"
_NUMBER_PREFIX_SQL = r"^\s*[0-9]+[A-Za-z]?(?:[-/][0-9]+[A-Za-z]?)?\s+(?=.)"


def public_address_sql(address: Any, policy: Any) -> ColumnElement[str]:
    """SQL twin of public_address's address (hundred block under `block`, NULL when hidden)."""
    house_number = func.substring(address, sql_string(_NUMBER_SQL))
    street = func.regexp_replace(address, sql_string(_NUMBER_PREFIX_SQL), sql_string(""))
    hundred_block = (
        cast(func.div(cast(house_number, Numeric), 100) * 100, Text)
        + sql_string(" block of ") + street
    )
    return case(
        (policy == sql_string(HIDDEN), None),
        (and_(policy == sql_string(BLOCK), address.op("~")(sql_string(_HOUSE_NUMBER_SQL))),
         hundred_block),
        # public_address gives no address for an empty one.
        else_=func.nullif(address, sql_string("")),
    )


def public_address_id_sql(address: Any, address_id: Any, policy: Any) -> ColumnElement[str]:
    """SQL twin of public_address's address_id: only for an exact location with an address."""
    return case(
        (and_(policy == sql_string(EXACT),
              func.coalesce(address, sql_string("")) != sql_string("")), address_id),
        else_=None,
    )


def public_zipcode(zipcode: str | None, policy: str) -> str | None:
    """A zipcode narrows a hidden location down: none under `hidden`."""
    return None if policy == HIDDEN else zipcode


def public_zipcode_sql(zipcode: Any, policy: Any) -> ColumnElement[str]:
    """SQL twin of public_zipcode."""
    return case((policy == sql_string(HIDDEN), None), else_=zipcode)
