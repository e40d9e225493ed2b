"""Public pin tools: nearby open cases, "me too" votes, address autocomplete."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from schemas.fields import EmailAddress

MAX_VOTER_LENGTH = 320
MAX_ADDRESS_RESULTS = 50


class PublicArgsSchema(Schema):
    """Unknown parameters are ignored; jurisdiction_id as in Open311."""

    class Meta:
        unknown = EXCLUDE

    jurisdiction_id = fields.String()


class NearbyArgsSchema(PublicArgsSchema):
    """GET nearby: the pin a resident dropped and the service they are about to file."""

    service_code = fields.String(required=True)
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    long = fields.Float(required=True, validate=validate.Range(-180, 180))


class NearbyRequestSchema(Schema):
    """An open case near the pin, after the public redaction rules."""

    service_request_id = fields.String()
    service_code = fields.String()
    status = fields.String()
    requested_datetime = fields.String()
    description = fields.String(allow_none=True)
    votes = fields.Integer()
    duplicate_of = fields.String(allow_none=True)
    distance_m = fields.Float(allow_none=True, metadata={
        "description": "To the public location (the ~100 m grid cell for `block` services); "
                       "null when the service hides locations"})
    lat = fields.Float(allow_none=True)
    long = fields.Float(allow_none=True)


class VoteFormSchema(PublicArgsSchema):
    """POST votes (JSON or form): who says "me too", kept only as a keyed hash."""

    device_id = fields.String(validate=validate.Length(1, MAX_VOTER_LENGTH))
    email = EmailAddress(validate=validate.Length(1, MAX_VOTER_LENGTH))

    @validates_schema
    def _voter_is_named(self, data, **kwargs):
        if not data.get("device_id") and not data.get("email"):
            raise ValidationError("device_id or email is required")


class VoteResultSchema(Schema):
    """The count after the vote; never who voted."""

    service_request_id = fields.String()
    votes = fields.Integer()
    counted = fields.Boolean(metadata={"description": "false when this voter had voted"})


class AddressArgsSchema(PublicArgsSchema):
    """GET addresses: autocomplete."""

    q = fields.String(required=True, validate=validate.Length(2, 200))
    limit = fields.Integer(load_default=10, validate=validate.Range(1, MAX_ADDRESS_RESULTS))


class AddressSchema(Schema):
    """A city address point."""

    address_id = fields.String()
    address = fields.String()
    zipcode = fields.String(allow_none=True)
    lat = fields.Float()
    long = fields.Float()
