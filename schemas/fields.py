"""Fields for query strings as Open311 clients write them."""

import math

from marshmallow import ValidationError, fields, validate

from app.datetimes import DateOutOfRange, parse_w3c_keep_naive
from app.emails import InvalidEmail, valid_address


class CommaList(fields.List):
    """`a,b` or `x=a&x=b` (both in use by Open311 clients) as one list."""

    def _deserialize(self, value, attr, data, **kwargs):
        raw = value if isinstance(value, list) else [value]
        items = [part.strip() for item in raw for part in str(item).split(",") if part.strip()]
        return super()._deserialize(items, attr, data, **kwargs)


class W3CDateTime(fields.Field):
    """W3C datetimes as clients send them; without an offset the value stays naive so that
    the view can read it in the jurisdiction's timezone."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_w3c_keep_naive(str(value))
        except DateOutOfRange as error:
            raise ValidationError(f"{str(value)[:40]!r}: {error}") from None
        except ValueError:
            raise ValidationError(
                f"{str(value)[:40]!r} is not a W3C datetime, e.g. 2026-01-31T14:00:00Z"
            ) from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.isoformat()


class BoundingBox(fields.Field):
    """`minlong,minlat,maxlong,maxlat` (OGC axis order), separated by `,` or `;`, as a tuple
    of four floats on Earth with min <= max."""

    def _deserialize(self, value, attr, data, **kwargs):
        parts = str(value).replace(";", ",").split(",")
        try:
            numbers = [float(part) for part in parts]
        except ValueError:
            numbers = []
        if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
            raise ValidationError("bbox must be four numbers: minlong,minlat,maxlong,maxlat")
        min_long, min_lat, max_long, max_lat = numbers
        if not (-180 <= min_long <= max_long <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise ValidationError("bbox must be minlong,minlat,maxlong,maxlat with longitudes "
                                  "in [-180, 180], latitudes in [-90, 90] and min <= max")
        return min_long, min_lat, max_long, max_lat


class Coordinate(fields.Float):
    """A latitude or longitude in a JSON body: a JSON number, as JSON clients send it, or a
    numeric string (accepted for clients that copy Open311's form values); never NaN or
    infinite. Loads as a float; the OpenAPI document shows a number."""

    def __init__(self, limit: float, **kwargs) -> None:
        super().__init__(allow_nan=False, validate=validate.Range(-limit, limit), **kwargs)


class Identifier(fields.String):
    """A request id in a JSON body: a string (ids are strings in every output) or a JSON
    integer, as clients that read the NDJSON export send it. Loads as a string."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs)


class EmailAddress(fields.String):
    """One email address, checked by app.emails (syntax only, no DNS); a list is refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return valid_address(text)
        except InvalidEmail as error:
            raise ValidationError(str(error)) from None
