"""Staff API bodies, query arguments and responses (documented in openapi.yaml)."""

from marshmallow import EXCLUDE, Schema, fields, validate

from app.workflow import ALL_STATES, ESCALATION_REASONS, STAFF_CHANNELS
from schemas.fields import Coordinate, EmailAddress, Identifier, W3CDateTime

# Years the service can hold: year 0 and month 9999-12 (whose end is year 10000) do not exist.
MONTH = r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"


class StaffArgsSchema(Schema):
    """Arguments every staff call may take."""

    class Meta:
        unknown = EXCLUDE

    jurisdiction_id = fields.String(metadata={"description": "Needed when several are served"})


class StaffRequestsArgsSchema(StaffArgsSchema):
    """GET /requests: the work queue's filters."""

    status = fields.String(
        validate=validate.OneOf(("open", "closed", *ALL_STATES)),
        metadata={"description": "open, closed, or a detailed state such as on_hold"},
    )
    service_code = fields.String()
    department = fields.String(metadata={"description": "Department code"})
    district = fields.String(metadata={"description": "District code"})
    overdue = fields.Boolean(metadata={"description": "Only open requests past (or within) "
                                                     "their deadline"})
    escalated = fields.Boolean()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class ReporterSchema(Schema):
    """Contact details: staff only, never public."""

    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    device_id = fields.String(allow_none=True)
    account_id = fields.String(allow_none=True)


class RequestUpdateSchema(Schema):
    """One history row."""

    update_id = fields.String()
    datetime = fields.String()
    actor = fields.String()
    kind = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    state_code = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    public = fields.Boolean()
    data = fields.Dict()


class StaffRequestSchema(Schema):
    """A request as staff see it in the queue."""

    service_request_id = fields.String()
    status = fields.String()
    detailed_status = fields.String()
    state_code = fields.String(allow_none=True)
    status_notes = fields.String(allow_none=True)
    service_code = fields.String()
    service_name = fields.String()
    department = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    long = fields.Float(allow_none=True)
    channel = fields.String()
    requested_datetime = fields.String()
    updated_datetime = fields.String()
    expected_datetime = fields.String(allow_none=True)
    closed_datetime = fields.String(allow_none=True)
    paused_since = fields.String(allow_none=True)
    overdue = fields.Boolean()
    escalated_datetime = fields.String(allow_none=True)
    escalation_reason = fields.String(allow_none=True)
    duplicate_of = fields.String(allow_none=True)


class StaffRequestDetailSchema(StaffRequestSchema):
    """Everything about one request, with its full history and the reporter's contact."""

    attributes = fields.Dict()
    media_urls = fields.List(fields.String())
    reporter = fields.Nested(ReporterSchema, allow_none=True)
    updates = fields.List(fields.Nested(RequestUpdateSchema))


class StaffRequestPageSchema(Schema):
    """One page of the work queue: escalated first, then by deadline."""

    requests = fields.List(fields.Nested(StaffRequestSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer(metadata={
        "description": "Requests matching the filters, counted up to 1,000: beyond, 1,000 "
                       "and `total_exact` false (a full count of a large queue would cost more "
                       "than the page)."})
    total_exact = fields.Boolean(metadata={"description": "Whether `total` is the exact "
                                           "count (false past 1,000)."})
    has_more = fields.Boolean(metadata={"description": "Whether a next page exists."})


class StaffSubmitFormSchema(StaffArgsSchema):
    """POST /requests: filed by an agent on behalf of a caller; Open311's validation."""

    service_code = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(STAFF_CHANNELS))
    lat = Coordinate(90, metadata={"description": "WGS84 latitude, a JSON number (a numeric "
                                                 "string is accepted too)", "example": 42.05})
    long = Coordinate(180, metadata={"description": "WGS84 longitude, a JSON number (a numeric "
                                                    "string is accepted too)", "example": -87.7})
    address_string = fields.String()
    address_id = fields.String()
    zipcode = fields.String()
    description = fields.String()
    media_urls = fields.List(fields.String(), load_default=list)
    attributes = fields.Dict(
        keys=fields.String(),
        metadata={"description": "attribute code -> value, or list of values (multivaluelist)"},
    )
    first_name = fields.String()
    last_name = fields.String()
    email = EmailAddress()
    phone = fields.String()


class TransitionFormSchema(Schema):
    """POST /requests/{id}/transitions."""

    to = fields.String(required=True, validate=validate.OneOf(ALL_STATES))
    state_code = fields.String(metadata={"description": "Required for resolved and cancelled"})
    description = fields.String(
        validate=validate.Length(max=4000),
        metadata={"description": "Required for resolved (shown as Open311 status_notes), "
                                 "on_hold, waiting_for_reporter and reopening"},
    )


class NoteFormSchema(Schema):
    """POST /requests/{id}/notes."""

    text = fields.String(required=True)
    public = fields.Boolean(load_default=False,
                            metadata={"description": "Shown to Open311 clients when true"})


class ReassignFormSchema(Schema):
    """POST /requests/{id}/reassign: one of department or service_code."""

    department = fields.String()
    service_code = fields.String()


class LocationReleaseFormSchema(Schema):
    """POST /requests/{id}/location-release."""

    note = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                         metadata={"description": "Why the precision may loosen (kept in the "
                                                  "request's history)"})


class EscalationFormSchema(Schema):
    """POST /requests/{id}/escalations."""

    reason = fields.String(required=True, validate=validate.OneOf(ESCALATION_REASONS))
    note = fields.String(validate=validate.Length(max=4000))


class MergeFormSchema(Schema):
    """POST /requests/{id}/merge."""

    into = Identifier(required=True, metadata={
        "description": "The parent request's id: a string or a JSON integer"})


class ClosureFormSchema(StaffArgsSchema):
    """POST /closures: administrative batch closure."""

    service_code = fields.String(required=True)
    requested_before = W3CDateTime(required=True)
    state_code = fields.String(required=True)
    description = fields.String(validate=validate.Length(max=4000))


class ClosureResultSchema(Schema):
    """Which requests a batch closed."""

    closed = fields.Integer()
    service_request_ids = fields.List(fields.String())


class PerformanceArgsSchema(StaffArgsSchema):
    """GET /reports/performance."""

    month = fields.String(required=True, validate=validate.Regexp(MONTH, error="use YYYY-MM"))
    department = fields.String()
    format = fields.String(validate=validate.OneOf(("json", "csv")))


class PerformanceRowSchema(Schema):
    """One service (or a department's total) for the month."""

    department = fields.String(allow_none=True)
    service_code = fields.String(allow_none=True)
    opened = fields.Integer()
    closed = fields.Integer()
    closed_on_time = fields.Integer()
    on_time_pct = fields.Float(allow_none=True)
    survey_responses = fields.Integer()
    satisfaction_avg = fields.Float(allow_none=True)
    needs_review = fields.Boolean()


class PerformanceReportSchema(Schema):
    """The month's performance per service and per department."""

    month = fields.String()
    timezone = fields.String()
    satisfaction_scale = fields.List(fields.Integer(), metadata={
        "description": "[lowest, highest] survey rating: 1 unsatisfied, 2 neutral, 3 satisfied"})
    services = fields.List(fields.Nested(PerformanceRowSchema))
    departments = fields.List(fields.Nested(PerformanceRowSchema))
