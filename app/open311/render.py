"""GeoReport v2 documents, built from the stored public form (app.reads.projection)."""

from collections.abc import Sequence
from functools import cache
from typing import Any

from flask import Response
from sqlalchemy import Text, cast, func
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from app import formats
from app.models import Service
from app.reads.projection import public_sql
from geo.features import sql_string

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"


def service_entry(service: Service) -> dict[str, Any]:
    """GET services: one service."""
    return {
        "service_code": service.service_code,
        "service_name": service.service_name,
        "description": service.description,
        "metadata": bool(service.attributes),
        "type": service.type,
        "keywords": ",".join(service.keywords or []),
        "group": service.group,
    }


def service_definition(service: Service) -> dict[str, Any]:
    """GET services/{code}: the attributes, in their order."""
    attributes = []
    for attribute in service.attributes:
        entry: dict[str, Any] = {
            "variable": attribute.variable,
            "code": attribute.code,
            "datatype": attribute.datatype,
            "required": attribute.required,
            "datatype_description": attribute.datatype_description,
            "order": attribute.order,
            "description": attribute.description,
        }
        if attribute.datatype in ("singlevaluelist", "multivaluelist"):
            entry["values"] = [{"key": v["key"], "name": v["name"]} for v in attribute.values]
        attributes.append(entry)
    return {"service_code": service.service_code, "attributes": attributes}


# GeoReport v2 GET requests: the spec's fields, in its order. The documents are built inside
# PostgreSQL (see request_json_sql): rendering 1000 rows one by one in Python took 4 times the
# query's own time (issue 6); this is the one list of the fields, so JSON and XML, lists and
# single requests, with or without extensions, all say the same thing.
NUMBER_FIELDS = ("lat", "long")


# GeoReport v2's order of the fields of a request.
OPEN311_FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code",
                  "description", "agency_responsible", "service_notice", "requested_datetime",
                  "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
                  "lat", "long", "media_url")


def request_fields() -> list[tuple[str, Any]]:
    """GET requests: (name, SQL text of the public projection) per field, in the spec's order;
    dates to the second in the city's zone (projection.city_zone), numbers as Python writes
    floats."""
    return [(name, float_text(public_sql(name)) if name in NUMBER_FIELDS else public_sql(name))
            for name in OPEN311_FIELDS]


def float_text(value: ColumnElement[float]) -> ColumnElement[str]:
    """SQL: a float8 as Python's repr writes it (shortest round trip, "42.0" not "42"), so a
    JSON client still reads a float."""
    # float8 text is already the shortest round trip, as Python's repr; only an integral
    # value lacks the fraction. One regular expression costs less than evaluating the
    # coordinate expression again.
    return func.regexp_replace(cast(value, Text), sql_string("^(-?[0-9]+)$"), sql_string(r"\1.0"))


# Built once per process: constructing ~400 expression objects cost several milliseconds a
# request; SQLAlchemy expressions are immutable, so sharing them is safe.
@cache
def request_json_sql() -> ColumnElement[str]:
    """SQL: one request as JSON text (the object of a GET requests list); run with city_zone."""
    pairs: list[Any] = []
    for name, value in request_fields():
        pairs.extend([sql_string(name), cast(value, JSON) if name in NUMBER_FIELDS else value])
    return cast(func.json_build_object(*pairs), Text)


@cache
def request_xml_sql() -> ColumnElement[str]:
    """SQL: one request as a `<request>` element; every field is present, empty when null, as
    app.formats writes it (the public texts hold no character XML forbids); run with
    city_zone."""
    fields = [(name, func.coalesce(value, sql_string("")))
              for name, value in request_fields()]
    return sql_string("<request>") + cast(XmlForest(fields), Text) + sql_string("</request>")


class XmlForest(ColumnElement[Any]):
    """PostgreSQL's xmlforest(value AS name, ...): `<name>escaped value</name>` for each pair,
    concatenated in C (SQLAlchemy has no construct for its `AS name` arguments)."""

    # Part of the statement cache key, so the list statement is compiled once per process.
    _traverse_internals = [("names", InternalTraversal.dp_string_list),
                           ("values", InternalTraversal.dp_clauseelement_list)]
    inherit_cache = True

    def __init__(self, fields: Sequence[tuple[str, Any]]) -> None:
        self.names = tuple(name for name, _ in fields)
        self.values = tuple(value for _, value in fields)


@compiles(XmlForest)
def _compile_xmlforest(element: XmlForest, compiler: Any, **kw: Any) -> str:
    arguments = ", ".join(f"{compiler.process(value, **kw)} AS {name}"
                          for name, value in zip(element.names, element.values, strict=True))
    return f"xmlforest({arguments})"


def json_list(entries: list[str]) -> Response:
    """A GET requests JSON document from request_json_sql texts."""
    return Response(("[" + ", ".join(entries) + "]").encode("utf-8"),
                    content_type=f"{formats.JSON_MIMETYPE}; charset=utf-8")


def xml_list(entries: list[str]) -> Response:
    """A GET requests XML document from request_xml_sql texts."""
    body = formats.strip_xml_illegal(("".join(entries)).encode("utf-8"))
    return Response(formats.XML_DECLARATION + b"<service_requests>" + body
                    + b"</service_requests>",
                    content_type=f"{formats.XML_MIMETYPE}; charset=utf-8")
