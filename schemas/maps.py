"""Query arguments of the map layers (OGC API - Features, vector tiles)."""

import math
from datetime import datetime

from marshmallow import Schema, ValidationError, fields, validate, validates

from app.datetimes import DateOutOfRange, parse_w3c
from schemas.fields import CommaList

DEFAULT_LIMIT = 100
MAX_LIMIT = 10000
OPEN_END = ".."


class Interval(fields.Field):
    """OGC API `datetime`: an instant, or `start/end` where either end may be `..` or empty
    (RFC 3339; without an offset, UTC). Loads as (start | None, end | None)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value).strip()
        parts = text.split("/")
        if len(parts) > 2:
            raise ValidationError("datetime is one instant or one start/end interval")
        bounds = [self._bound(part) for part in parts]
        if len(bounds) == 1:
            if bounds[0] is None:
                raise ValidationError("datetime needs at least one bound")
            return bounds[0], bounds[0]
        start, end = bounds
        if start is None and end is None:
            raise ValidationError("datetime '../..' has no bound; leave it out instead")
        if start and end and end < start:
            raise ValidationError("datetime interval ends before it starts")
        return start, end

    @staticmethod
    def _bound(part: str) -> datetime | None:
        if part in ("", OPEN_END):
            return None
        try:
            return parse_w3c(part)
        except DateOutOfRange as error:
            raise ValidationError(f"{part[:40]!r}: {error}") from None
        except ValueError:
            raise ValidationError(
                f"{part[:40]!r} is not an RFC 3339 datetime, e.g. 2026-01-31T14:00:00Z"
            ) from None


class ItemsArgsSchema(Schema):
    """OGC API - Features Part 1 items parameters."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": "Features per page", "default": DEFAULT_LIMIT},
    )
    offset = fields.Integer(
        load_default=0, validate=validate.Range(min=0),
        metadata={"description": "Features to skip (the next link sets it)"},
    )
    bbox = CommaList(
        fields.Float(allow_nan=False),
        metadata={"description": "min long, min lat, max long, max lat (WGS84)"},
    )
    datetime = Interval(
        metadata={"description": "Instant or interval, open ends as '..': "
                                 "2026-01-01T00:00:00Z/.."}
    )
    f = fields.String(validate=validate.OneOf(["json"]),
                      metadata={"description": "Output format: json (GeoJSON)"})

    @validates("bbox")
    def _valid_bbox(self, value: list[float], **_kwargs) -> None:
        if len(value) != 4:
            raise ValidationError("bbox is four numbers: min long, min lat, max long, max lat")
        min_long, min_lat, max_long, max_lat = value
        if not all(math.isfinite(v) for v in value):
            raise ValidationError("bbox values must be finite numbers")
        if not (-180 <= min_long <= 180 and -180 <= max_long <= 180
                and -90 <= min_lat <= max_lat <= 90):
            raise ValidationError("bbox must lie within -180..180, -90..90 with min lat <= max lat")
        if min_long > max_long:
            raise ValidationError("bbox crossing the antimeridian is not supported")


class RequestItemsArgsSchema(ItemsArgsSchema):
    """Items of the requests collection: property filters and CQL2 (Part 3)."""

    service_code = CommaList(fields.String(),
                             metadata={"description": "Service type codes, comma list"})
    status = fields.String(validate=validate.OneOf(["open", "closed"]),
                           metadata={"description": "open or closed"})
    filter = fields.String(
        metadata={"description": "CQL2 text over the queryables, e.g. "
                                 "status = 'open' AND service_code IN ('POTHOLE')"}
    )
    filter_lang = fields.String(
        data_key="filter-lang", validate=validate.OneOf(["cql2-text"]),
        metadata={"description": "cql2-text (the only language offered)"},
    )


class FormatArgsSchema(Schema):
    """The `f` parameter alone."""

    f = fields.String(validate=validate.OneOf(["json"]),
                      metadata={"description": "Output format: json"})
