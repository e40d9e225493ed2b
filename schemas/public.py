"""Public API (/api/v1/public): query arguments and response documents (for openapi.yaml)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.fields import CommaList, EmailAddress, W3CDateTime

# app.public.queries holds the same lists; schemas stay importable without the app.
STATUSES = ("open", "closed", "submitted", "acknowledged", "in_progress", "on_hold",
            "waiting_for_reporter", "resolved", "cancelled")
SORTS = ("requested_datetime", "-requested_datetime", "updated_datetime", "-updated_datetime")
GROUPS = ("service", "department", "district", "month", "status")


MAX_CURSOR_LENGTH = 200


class BBox(fields.Field):
    """minLong,minLat,maxLong,maxLat in WGS84 (`,` or `;` between numbers)."""

    def _deserialize(self, value, attr, data, **kwargs):
        parts = str(value).replace(";", ",").split(",")
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            raise ValidationError("bbox must be four numbers: minLong,minLat,maxLong,maxLat") \
                from None
        if len(numbers) != 4:
            raise ValidationError("bbox must be four numbers: minLong,minLat,maxLong,maxLat")
        min_long, min_lat, max_long, max_lat = numbers
        if not (-180 <= min_long <= max_long <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise ValidationError("bbox must have min <= max, longitudes within ±180 and "
                                  "latitudes within ±90")
        return min_long, min_lat, max_long, max_lat


def _range_field(column: str, bound: str) -> W3CDateTime:
    word = ">=" if bound == "after" else "<"
    return W3CDateTime(metadata={"description": f"{column} {word} this (W3C datetime or date; "
                                                "without offset: the city's local time)"})


class JurisdictionArgsSchema(Schema):
    """Which city, when the server hosts several."""

    jurisdiction_id = fields.String(metadata={"description": "Required when the server hosts "
                                                             "several jurisdictions"})


class PublicFiltersArgsSchema(JurisdictionArgsSchema):
    """The filters shared by the list, the exports, the feed and the statistics."""

    service_code = CommaList(fields.String(), metadata={"description": "Comma list or repeated"})
    status = CommaList(fields.String(validate=validate.OneOf(STATUSES)),
                       metadata={"description": "open, closed or a detailed status; comma list"})
    department = CommaList(fields.String(), metadata={"description": "Department codes"})
    district = CommaList(fields.String(), metadata={"description": "District codes"})
    bbox = BBox(metadata={"description": "minLong,minLat,maxLong,maxLat (WGS84)"})
    lat = fields.Float(validate=validate.Range(-90, 90))
    long = fields.Float(validate=validate.Range(-180, 180))
    radius = fields.Float(validate=validate.Range(min=0, max=50_000, min_inclusive=False),
                          metadata={"description": "Metres around lat/long (needs both)"})
    requested_after = _range_field("requested_datetime", "after")
    requested_before = _range_field("requested_datetime", "before")
    updated_after = _range_field("updated_datetime", "after")
    updated_before = _range_field("updated_datetime", "before")
    closed_after = _range_field("closed_datetime", "after")
    closed_before = _range_field("closed_datetime", "before")
    q = fields.String(validate=validate.Length(max=200),
                      metadata={"description": "Full-text search in descriptions (web search "
                                               "syntax: words, \"phrases\", -exclusions, or)"})

    @validates_schema
    def _radius_needs_a_point(self, data, **kwargs):
        given = [name for name in ("lat", "long", "radius") if name in data]
        if given and len(given) != 3:
            raise ValidationError("lat, long and radius go together: give all three")


class RequestsArgsSchema(PublicFiltersArgsSchema):
    """GET /requests: filters, sort and cursor paging."""

    sort = fields.String(load_default="-requested_datetime", validate=validate.OneOf(SORTS),
                         metadata={"description": "A sort key; a leading - means descending"})
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000),
                           metadata={"description": "Rows per page, at most 1000"})
    # A cursor of ours is under 120 characters; the bound keeps a forged one from holding
    # JSON nested deeply enough to exhaust the decoder.
    cursor = fields.String(validate=validate.Length(max=MAX_CURSOR_LENGTH),
                           metadata={"description": "Opaque; copy it from the `next` link"})


class FeedArgsSchema(PublicFiltersArgsSchema):
    """GET /feeds/requests.atom."""

    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class StatsArgsSchema(PublicFiltersArgsSchema):
    """GET /stats."""

    group_by = CommaList(fields.String(validate=validate.OneOf(GROUPS)), required=True,
                         validate=validate.Length(min=1, max=len(GROUPS)),
                         metadata={"description": "One or more of " + ", ".join(GROUPS)})


class TimelineEntrySchema(Schema):
    """A public history row (internal notes and the actor never appear)."""

    datetime = fields.String()
    kind = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    state_code = fields.String(allow_none=True)
    description = fields.String(allow_none=True)


class PublicRequestSchema(Schema):
    """One request as the public API shows it (redacted)."""

    service_request_id = fields.String()
    service_code = fields.String()
    service_name = fields.String()
    department = fields.String(allow_none=True)
    agency_responsible = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    status = fields.String()
    detailed_status = fields.String()
    state_code = fields.String(allow_none=True)
    status_notes = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    zipcode = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    long = fields.Float(allow_none=True)
    requested_datetime = fields.String()
    updated_datetime = fields.String()
    closed_datetime = fields.String(allow_none=True)
    expected_datetime = fields.String(allow_none=True)
    vote_count = fields.Integer()
    media_urls = fields.List(fields.String())
    duplicate_of = fields.String(allow_none=True)
    on_time = fields.Boolean(allow_none=True, metadata={
        "description": "Resolved at or before expected_datetime; false when late or open past "
        "it; null when not judged (the one rule, docs/data-dictionary.md)"})


class PublicRequestDetailSchema(PublicRequestSchema):
    """One request with its public timeline."""

    timeline = fields.List(fields.Nested(TimelineEntrySchema))


class RequestPageSchema(Schema):
    """A page of requests; follow `next` until it is null."""

    requests = fields.List(fields.Nested(PublicRequestSchema))
    limit = fields.Integer()
    next = fields.String(allow_none=True)


class StatsRowSchema(Schema):
    """One group's figures; the group's own keys come first."""

    class Meta:
        # The group keys depend on group_by.
        unknown = "include"

    service_code = fields.String()
    service_name = fields.String()
    department = fields.String(allow_none=True)
    department_name = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    month = fields.String()
    status = fields.String()
    count = fields.Integer()
    open = fields.Integer()
    resolved = fields.Integer()
    median_days_to_close = fields.Float(allow_none=True)
    sample_size = fields.Integer()
    on_time_percent = fields.Float(allow_none=True)
    satisfaction = fields.Float(allow_none=True)
    satisfaction_responses = fields.Integer()
    low_sample = fields.Boolean()


class StatsSchema(Schema):
    """GET /stats."""

    group_by = fields.List(fields.String())
    min_sample = fields.Integer()
    method = fields.String()
    rows = fields.List(fields.Nested(StatsRowSchema))


class SubscriptionFormSchema(Schema):
    """POST /requests/{id}/subscriptions (JSON or form)."""

    email = EmailAddress(required=True)


class MessageSchema(Schema):
    """A short answer to an action."""

    message = fields.String()
