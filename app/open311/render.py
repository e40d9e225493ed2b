"""GeoReport v2 documents, built from the stored public form (app.reads.projection)."""

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from flask import Response
from sqlalchemy import (
    Select,
    Subquery,
    Text,
    case,
    cast,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from app import formats
from app.models import Department, Jurisdiction, Service, ServiceRequest
from app.reads.projection import (
    CITY_ZONE,
    DATETIME_FIELDS,
    FIELDS,
    local_datetime_parts,
    local_datetime_text,
    public_sql,
)
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


# GeoReport v2 GET requests: the spec's fields, in its order. A page's document is built inside
# PostgreSQL as one text (document_query): rendering 1000 rows one by one in Python took 4 times
# the query's own time (issue 6), and fetching 1000 texts to join them cost more than their
# SQL; this is the one list of the fields, so JSON and XML, lists and single requests, with or
# without extensions, all say the same thing.
OPEN311_FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code",
                  "description", "agency_responsible", "service_notice", "requested_datetime",
                  "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
                  "lat", "long", "media_url")
NUMBER_FIELDS = ("lat", "long")
# Texts the server writes itself (an id's digits, ISO dates) need no JSON escaping.
WRITTEN_FIELDS = ("service_request_id", *(f for f in OPEN311_FIELDS if f in DATETIME_FIELDS))
# The subquery the documents are rendered over: one page, each field's public SQL once a row.
PAGE = "page"


# Built once per process: SQLAlchemy expressions are immutable, and constructing them took a
# millisecond a request.
@cache
def page_columns(zone: Any = CITY_ZONE) -> tuple[Any, ...]:
    """The page's columns: every field's public SQL, labelled by its name; a date as its two
    parts (projection.local_datetime_parts) in `zone`: the city's, given when the statement
    runs (city_zone), unless another zone expression is given."""
    columns = []
    for name in OPEN311_FIELDS:
        if name in DATETIME_FIELDS:
            local, offset = local_datetime_parts(FIELDS[name].sql, zone)
            columns += [local.label(f"{name}_local"), offset.label(f"{name}_offset")]
        else:
            columns.append(public_sql(name).label(name))
    return tuple(columns)


def float_text(value: Any) -> Any:
    """SQL: a float8 as Python's repr writes it (shortest round trip, "42.0" not "42"), so a
    JSON client still reads a float."""
    # float8 text is already the shortest round trip, as Python's repr; only an integral
    # value lacks the fraction (coordinates, within 180 degrees, never take the exponent form
    # where the two differ).
    text = cast(value, Text)
    return case((value == func.trunc(value), text + sql_string(".0")), else_=text)


def _field_values(page: Any) -> list[tuple[str, Any]]:
    """(name, SQL text of the field) over the page's columns, in the spec's order."""
    values = []
    for name in OPEN311_FIELDS:
        if name in DATETIME_FIELDS:
            values.append((name, local_datetime_text(page.c[f"{name}_local"],
                                                     page.c[f"{name}_offset"])))
        elif name in NUMBER_FIELDS:
            values.append((name, float_text(page.c[name])))
        else:
            values.append((name, page.c[name]))
    return values


def _json_entry(page: Any) -> Any:
    """SQL: one request as a JSON object, byte for byte what json_build_object writes (`"name"
    : value, ...`): the keys are constants, so only the values are escaped (to_json)."""
    entry: Any = None
    for number, (name, value) in enumerate(_field_values(page)):
        if name in NUMBER_FIELDS:
            json_value = value
        elif name in WRITTEN_FIELDS:
            json_value = sql_string('"') + value + sql_string('"')
        else:
            json_value = cast(func.to_json(value), Text)
        key = sql_string(("{" if number == 0 else ", ") + json.dumps(name) + " : ")
        pair = key + func.coalesce(json_value, sql_string("null"))
        entry = pair if entry is None else entry + pair
    return entry + sql_string("}")


def _xml_entry(page: Any) -> Any:
    """SQL: one request as a `<request>` element; every field is present, empty when null, as
    app.formats writes it (the public texts hold no character XML forbids)."""
    fields = [(name, func.coalesce(value, sql_string(""))) for name, value in _field_values(page)]
    return sql_string("<request>") + cast(XmlForest(fields), Text) + sql_string("</request>")


# Rendered to SQL text once per process: SQLAlchemy would otherwise walk these expressions
# (hundreds of nodes) for a statement cache key on every request. They read only the page's
# columns, so the text does not depend on the request.
@cache
def entry_sql(fmt: str) -> ColumnElement[str]:
    """SQL: one request of the page as a JSON object or a `<request>` element."""
    page = table(PAGE, *(column(c.name) for c in page_columns()))
    entry = _json_entry(page) if fmt == "json" else _xml_entry(page)
    text = str(entry.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    return literal_column(text, Text)


def page_of(query: Select) -> Subquery:
    """`query` (a page: ordered, limited) with the columns the entries are rendered from."""
    return query.add_columns(*page_columns()).subquery(PAGE)


def document_query(query: Select, fmt: str) -> Select:
    """SQL: (how many requests, their entries as one text, NULL for none) of a page's statement
    over service_requests, one row; document_response wraps the entries. Run
    with city_zone."""
    # The entries are aggregated in the page's order: an aggregate reads a subquery's rows in
    # the order it returns them (PostgREST builds every response this way).
    if fmt == "json":
        page = query.add_columns(ServiceRequest.open311_entry).subquery(PAGE)
        return select(func.count(), func.string_agg(page.c.open311_entry, sql_string(", ")))\
            .select_from(page)
    entries = func.string_agg(entry_sql(fmt), sql_string(""))
    return select(func.count(), entries).select_from(page_of(query))


# --- the stored JSON entries --------------------------------------------------------------------
# Every request's JSON entry is rendered by entry_sql when the request is written (or the name
# of its service or department, or its city's zone) and stored in its row (`open311_entry`,
# kept by migration 2100's triggers). Rendering the 1000 entries of a page took PostgreSQL 6 to
# 7 ms of CPU, reading the page's rows 0.8 (make bench, issue 12); a page now aggregates the
# stored texts of the rows it reads anyway. They are what entry_sql renders, byte for byte: a
# test renders every stored request again and compares.
ENTRY_FUNCTION = "open311_entry_of"


def entry_function() -> str:
    """SQL: CREATE OR REPLACE the function that renders a service_requests row's JSON entry
    (the row as the trigger has it, before it is stored), in its own city's zone. Migrations
    install it; a test compares the database's with this."""
    rows = (select(*page_columns(Jurisdiction.timezone))
            .select_from(ServiceRequest)
            .join(Service, Service.id == ServiceRequest.service_id)
            .outerjoin(Department, Department.id == ServiceRequest.department_id)
            .join(Jurisdiction, Jurisdiction.id == ServiceRequest.jurisdiction_id))
    compiled = rows.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    rows_sql = "\n".join(line.rstrip() for line in str(compiled).splitlines())
    # The columns read the row given, under the table's name.
    table_from = "FROM service_requests JOIN"
    if rows_sql.count(table_from) != 1:
        raise ValueError(f"the rendering's FROM has changed: {rows_sql}")
    rows_sql = rows_sql.replace(table_from, "FROM (SELECT (request).*) AS service_requests JOIN")
    return (f"CREATE OR REPLACE FUNCTION {ENTRY_FUNCTION}(request service_requests) "
            "RETURNS text LANGUAGE plpgsql STABLE AS $$\nBEGIN\n"
            f"RETURN (SELECT {entry_sql('json')}\nFROM ({rows_sql}) AS {PAGE});\nEND $$")


def entries_query(query: Select) -> Select:
    """SQL: the columns of `query` and each row's stored JSON object as `entry` (extensions=true
    finishes these in Python)."""
    return query.add_columns(ServiceRequest.open311_entry.label("entry"))


class XmlForest(ColumnElement[Any]):
    """PostgreSQL's xmlforest(value AS name, ...): `<name>escaped value</name>` for each pair,
    concatenated in C (SQLAlchemy has no construct for its `AS name` arguments)."""

    # What SQLAlchemy compares and caches the element by.
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


def document_response(entries: str | None, fmt: str) -> Response:
    """The GET requests document of document_query's entries (wrapped here: in SQL, each
    wrapping copied the whole text again)."""
    body = (entries or "").encode("utf-8")
    if fmt == "json":
        return Response(b"[" + body + b"]", content_type=f"{formats.JSON_MIMETYPE}; charset=utf-8")
    return Response(formats.XML_DECLARATION + b"<service_requests>"
                    + formats.strip_xml_illegal(body) + b"</service_requests>",
                    content_type=f"{formats.XML_MIMETYPE}; charset=utf-8")
