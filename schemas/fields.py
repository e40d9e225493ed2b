"""Fields for query strings as Open311 clients write them."""

from marshmallow import ValidationError, fields

from app.datetimes import parse_w3c_keep_naive


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
        except ValueError:
            raise ValidationError(
                f"{str(value)[:40]!r} is not a W3C datetime, e.g. 2026-01-31T14:00:00Z"
            ) from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.isoformat()
