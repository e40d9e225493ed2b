"""Error bodies of the JSON APIs (the Open311 list is in schemas.open311)."""

from marshmallow import Schema, fields


class ApiErrorSchema(Schema):
    """What every /api/v1 error looks like."""

    code = fields.Integer(metadata={"description": "The HTTP status"})
    status = fields.String(metadata={"description": "The HTTP reason phrase"})
    message = fields.String(metadata={"description": "The problems, in one sentence"})
    errors = fields.List(fields.String(), metadata={"description": "One entry per problem"})
