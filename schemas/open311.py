"""GeoReport v2 query arguments, POST forms and response documents (for openapi.yaml)."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from schemas.fields import BoundingBox, CommaList, EmailAddress, W3CDateTime

OPEN311_STATUSES = ("open", "closed")
MAX_RADIUS_M = 10_000
MAX_PAGE_SIZE = 1000
MAX_PAGE = 1_000_000


class Open311ArgsSchema(Schema):
    """GeoReport v2: unknown parameters are ignored, not refused."""

    class Meta:
        unknown = EXCLUDE

    jurisdiction_id = fields.String(
        metadata={"description": "Optional while one jurisdiction is served, required with "
                                 "several"}
    )


class ServicesArgsSchema(Open311ArgsSchema):
    """GET services."""


class RequestsArgsSchema(Open311ArgsSchema):
    """GET requests: the core filters of GeoReport v2."""

    service_request_id = CommaList(
        fields.String(), metadata={"description": "Comma list of ids; overrides the others"}
    )
    service_code = CommaList(fields.String(), metadata={"description": "Comma list or repeated"})
    status = CommaList(
        fields.String(validate=validate.OneOf(OPEN311_STATUSES)),
        metadata={"description": "open, closed; comma list or repeated"},
    )
    start_date = W3CDateTime(
        metadata={"description": "requested_datetime >= start_date (W3C; default: 90 days "
                                 "before end_date)"}
    )
    end_date = W3CDateTime(
        metadata={"description": "requested_datetime <= end_date (W3C; default: now)"}
    )
    # Extensions (Open311 wiki, GeoReport_v2/Extensions.md): docs/pins.md
    lat = fields.Float(validate=validate.Range(-90, 90),
                       metadata={"description": "With long and radius: requests nearby"})
    long = fields.Float(validate=validate.Range(-180, 180))
    radius = fields.Float(
        validate=validate.Range(0, MAX_RADIUS_M, min_inclusive=False),
        metadata={"description": f"Metres, at most {MAX_RADIUS_M}; nearest first"},
    )
    bbox = BoundingBox(metadata={"description": "minlong,minlat,maxlong,maxlat (, or ;)"})
    updated_after = W3CDateTime(metadata={"description": "updated_datetime > updated_after"})
    updated_before = W3CDateTime(
        metadata={"description": "updated_datetime < updated_before"}
    )
    district = CommaList(fields.String(), metadata={"description": "District codes"})
    # Bounded so that page * page_size stays a valid SQL OFFSET.
    page = fields.Integer(validate=validate.Range(0, MAX_PAGE),
                          metadata={"description": "1-based; 0 is read as 1"})
    page_size = fields.Integer(validate=validate.Range(1, MAX_PAGE_SIZE),
                               metadata={"description": f"At most {MAX_PAGE_SIZE}"})
    extensions = fields.Boolean(
        metadata={"description": "true adds attributes, notes and extended_attributes"}
    )

    @validates_schema
    def _circle_is_whole(self, data, **kwargs):
        given = [name for name in ("lat", "long", "radius") if name in data]
        if given and len(given) < 3:
            raise ValidationError("lat, long and radius must be given together")


class RequestArgsSchema(Open311ArgsSchema):
    """GET requests/{id}."""

    extensions = fields.Boolean(
        metadata={"description": "true adds attributes, notes and extended_attributes"}
    )


class SubmitFormSchema(Open311ArgsSchema):
    """POST requests (form-encoded or multipart). `attribute[CODE]` answers, repeated as
    `attribute[CODE][]` for a multivaluelist, are read besides these fields."""

    api_key = fields.String(metadata={"description": "The app's api key (required)"})
    service_code = fields.String()
    lat = fields.String(metadata={"description": "WGS84 latitude"})
    long = fields.String(metadata={"description": "WGS84 longitude"})
    address_string = fields.String()
    address_id = fields.String()
    zipcode = fields.String()
    email = EmailAddress()
    device_id = fields.String()
    account_id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    phone = fields.String()
    description = fields.String(metadata={"description": "At most 4000 characters"})
    media_url = fields.List(fields.String(), metadata={"description": "May repeat"})


class ServiceSchema(Schema):
    """One entry of GET services."""

    service_code = fields.String()
    service_name = fields.String()
    description = fields.String()
    metadata = fields.Boolean()
    type = fields.String(validate=validate.OneOf(("realtime", "batch", "blackbox")))
    keywords = fields.String(metadata={"description": "Comma-separated"})
    group = fields.String()


class AttributeValueSchema(Schema):
    key = fields.String()
    name = fields.String()


class AttributeSchema(Schema):
    variable = fields.Boolean()
    code = fields.String()
    datatype = fields.String()
    required = fields.Boolean()
    datatype_description = fields.String(allow_none=True)
    order = fields.Integer()
    description = fields.String()
    values = fields.List(fields.Nested(AttributeValueSchema))


class ServiceDefinitionSchema(Schema):
    """GET services/{service_code}."""

    service_code = fields.String()
    attributes = fields.List(fields.Nested(AttributeSchema))


class ServiceRequestSchema(Schema):
    """One request as GeoReport v2 lists it."""

    service_request_id = fields.String()
    status = fields.String()
    status_notes = fields.String(allow_none=True)
    service_name = fields.String()
    service_code = fields.String()
    description = fields.String(allow_none=True)
    agency_responsible = fields.String(allow_none=True)
    service_notice = fields.String(allow_none=True)
    requested_datetime = fields.String()
    updated_datetime = fields.String(allow_none=True)
    expected_datetime = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    address_id = fields.String(allow_none=True)
    zipcode = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    long = fields.Float(allow_none=True)
    media_url = fields.String(allow_none=True)
    # Only with extensions=true (GeoReport v2 Extensions; shapes in docs and app/open311).
    attributes = fields.List(fields.Dict())
    notes = fields.List(fields.Dict())
    extended_attributes = fields.Dict()


class SubmitResponseSchema(Schema):
    """POST requests: service_request_id (realtime) or token (batch), never both."""

    service_request_id = fields.String()
    token = fields.String()
    service_notice = fields.String(allow_none=True)


class TokenResponseSchema(Schema):
    """GET tokens/{token}."""

    service_request_id = fields.String()
    token = fields.String()


class EndpointSchema(Schema):
    specification = fields.String()
    url = fields.String()
    changeset = fields.String()
    type = fields.String()
    formats = fields.List(fields.String())


class DiscoverySchema(Schema):
    """GET discovery (Service_Discovery.md)."""

    changeset = fields.String()
    contact = fields.String()
    key_service = fields.String()
    endpoints = fields.List(fields.Nested(EndpointSchema))


class Open311ErrorSchema(Schema):
    """One entry of the error list; code equals the HTTP status."""

    code = fields.Integer()
    description = fields.String()
