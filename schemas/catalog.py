"""The catalog file (DESIGN.md "Catalog file", a contract), validated field by field."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from app.sla import LONG_SLA_DAYS, SLA_CALENDARS
from app.workflow import CLOSED_STATES
from schemas.fields import EmailAddress

SERVICE_TYPES = ("realtime", "batch", "blackbox")
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_DATATYPES = ("singlevaluelist", "multivaluelist")
PUBLIC_LOCATIONS = ("exact", "block", "hidden")
STAFF_ROLES = ("agent", "department", "admin", "mayor_office")
CODE = validate.Regexp(r"^[A-Za-z0-9_.\-]{1,100}$", error="must be 1-100 letters, digits, _ . -")


class StrictSchema(Schema):
    """A typo in a key is an error, not a silently ignored setting."""

    class Meta:
        unknown = RAISE


class HolidaysSchema(StrictSchema):
    country = fields.String(load_default=None)
    subdivision = fields.String(load_default=None)
    extra = fields.List(fields.Date(), load_default=list)

    @validates_schema
    def _known_calendar(self, data, **_):
        country = data.get("country")
        if not country:
            if data.get("subdivision"):
                raise ValidationError("needs a country", "subdivision")
            return
        try:
            holidays_lib.country_holidays(country, subdiv=data.get("subdivision"))
        except NotImplementedError:
            raise ValidationError(f"unknown country {country!r}", "country") from None
        except Exception as error:  # the holidays package raises several types here
            raise ValidationError(str(error), "subdivision") from None


class JurisdictionSchema(StrictSchema):
    id = fields.String(required=True, validate=validate.Regexp(r"^[^\s/]{1,200}$"))
    name = fields.String(required=True, validate=validate.Length(min=1))
    timezone = fields.String(required=True)
    boundary = fields.String(load_default=None)
    holidays = fields.Nested(HolidaysSchema, load_default=dict)

    @validates("timezone")
    def _known_zone(self, value, **_):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"unknown timezone {value!r}") from None


class DepartmentSchema(StrictSchema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1))
    email = EmailAddress(load_default=None)


class SlaSchema(StrictSchema):
    days = fields.Integer(required=True, validate=validate.Range(min=1, max=3650))
    calendar = fields.String(load_default="calendar", validate=validate.OneOf(SLA_CALENDARS))
    explanation = fields.String(load_default=None)

    @validates_schema
    def _long_sla_explained(self, data, **_):
        # GeoReport v2 "service_notice": a long expected time is explained to the resident.
        if data["days"] > LONG_SLA_DAYS and not data.get("explanation"):
            raise ValidationError(
                f"an SLA over {LONG_SLA_DAYS} days needs an explanation", "explanation"
            )


class DuplicatesSchema(StrictSchema):
    radius_m = fields.Integer(required=True, validate=validate.Range(min=1, max=5000))
    window_days = fields.Integer(required=True, validate=validate.Range(min=1, max=3650))


class ValueSchema(StrictSchema):
    key = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(required=True)


class AttributeSchema(StrictSchema):
    code = fields.String(required=True, validate=CODE)
    description = fields.String(required=True)
    datatype = fields.String(required=True, validate=validate.OneOf(DATATYPES))
    required = fields.Boolean(load_default=False)
    variable = fields.Boolean(load_default=True)
    order = fields.Integer(required=True, validate=validate.Range(min=1))
    datatype_description = fields.String(load_default=None)
    values = fields.List(fields.Nested(ValueSchema), load_default=list)

    @validates_schema
    def _values_for_lists(self, data, **_):
        if data["datatype"] in LIST_DATATYPES and not data["values"]:
            raise ValidationError(f"a {data['datatype']} needs values", "values")
        if data["datatype"] not in LIST_DATATYPES and data["values"]:
            raise ValidationError(f"a {data['datatype']} takes no values", "values")
        keys = [v["key"] for v in data["values"]]
        if len(keys) != len(set(keys)):
            raise ValidationError("value keys must be unique", "values")


class AttributeTranslationSchema(StrictSchema):
    """A question's wording in one other language; `values` maps value keys to names."""

    description = fields.String(validate=validate.Length(min=1))
    datatype_description = fields.String()
    values = fields.Dict(keys=fields.String(),
                         values=fields.String(validate=validate.Length(min=1)))


class ServiceTranslationSchema(StrictSchema):
    """A service's wording in one other language; what is left out stays as written."""

    service_name = fields.String(validate=validate.Length(min=1))
    description = fields.String()
    group = fields.String()
    attributes = fields.Dict(keys=fields.String(), values=fields.Nested(AttributeTranslationSchema))


class ServiceSchema(StrictSchema):
    service_code = fields.String(required=True, validate=CODE)
    service_name = fields.String(required=True, validate=validate.Length(min=1))
    description = fields.String(load_default="")
    group = fields.String(load_default="")
    keywords = fields.List(fields.String(), load_default=list)
    type = fields.String(load_default="realtime", validate=validate.OneOf(SERVICE_TYPES))
    department = fields.String(load_default=None)
    sla = fields.Nested(SlaSchema, load_default=None)
    duplicates = fields.Nested(DuplicatesSchema, load_default=None)
    expire_after_days = fields.Integer(load_default=None, validate=validate.Range(min=1))
    public_location = fields.String(
        load_default="exact", validate=validate.OneOf(PUBLIC_LOCATIONS)
    )
    restricted_to = fields.List(
        fields.String(validate=validate.OneOf(STAFF_ROLES)), load_default=list
    )
    attributes = fields.List(fields.Nested(AttributeSchema), load_default=list)
    translations = fields.Dict(
        keys=fields.String(validate=validate.Regexp(
            r"^[a-z]{2,3}(_[A-Z]{2})?$", error="a language code such as es or pt_BR")),
        values=fields.Nested(ServiceTranslationSchema), load_default=dict)

    @validates_schema
    def _attributes_unique(self, data, **_):
        codes = [a["code"] for a in data["attributes"]]
        if len(codes) != len(set(codes)):
            raise ValidationError("attribute codes must be unique", "attributes")
        orders = [a["order"] for a in data["attributes"]]
        if len(orders) != len(set(orders)):
            raise ValidationError("attribute orders must be unique", "attributes")

    @validates_schema
    def _translations_match(self, data, **_):
        defined = {a["code"]: {v["key"] for v in a["values"]} for a in data["attributes"]}
        for language, translation in data["translations"].items():
            for code, wording in translation.get("attributes", {}).items():
                if code not in defined:
                    raise ValidationError(f"{language}: attribute {code!r} is not defined",
                                          "translations")
                unknown = set(wording.get("values", {})) - defined[code]
                if unknown:
                    raise ValidationError(f"{language}: attribute {code!r} has no value "
                                          f"{', '.join(sorted(unknown))}", "translations")


class StateCodeSchema(StrictSchema):
    code = fields.String(required=True, validate=CODE)
    closes_as = fields.String(required=True, validate=validate.OneOf(CLOSED_STATES))
    label = fields.String(required=True, validate=validate.Length(min=1))


class CatalogSchema(StrictSchema):
    """A whole catalog file; cross-references are checked after the parts."""

    jurisdiction = fields.Nested(JurisdictionSchema, required=True)
    departments = fields.List(fields.Nested(DepartmentSchema), load_default=list)
    services = fields.List(fields.Nested(ServiceSchema), required=True)
    state_codes = fields.List(fields.Nested(StateCodeSchema), load_default=list)

    @validates_schema
    def _references(self, data, **_):
        department_codes = [d["code"] for d in data.get("departments", [])]
        if len(department_codes) != len(set(department_codes)):
            raise ValidationError("department codes must be unique", "departments")
        errors: dict = {}
        seen: set[str] = set()
        for index, service in enumerate(data.get("services", [])):
            problems = []
            if service["service_code"] in seen:
                problems.append(f"service_code {service['service_code']!r} is repeated")
            seen.add(service["service_code"])
            if service["department"] and service["department"] not in department_codes:
                problems.append(f"department {service['department']!r} is not in departments")
            if problems:
                errors.setdefault("services", {})[index] = problems
        if errors:
            raise ValidationError(errors)


def flatten_errors(messages, prefix: str = "") -> list[str]:
    """marshmallow's nested error dict as `services[2].sla.days: problem` lines."""
    lines: list[str] = []
    if isinstance(messages, dict):
        for key, inner in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            lines.extend(flatten_errors(inner, path))
    elif isinstance(messages, list):
        for inner in messages:
            lines.extend(flatten_errors(inner, prefix))
    else:
        lines.append(f"{prefix}: {messages}" if prefix else str(messages))
    return lines
