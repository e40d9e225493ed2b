"""Touches to the generated OpenAPI document that flask-smorest cannot express per view."""

from collections.abc import Iterator
from typing import Any


def operations_under(spec: Any, prefix: str) -> Iterator[dict]:
    """Every operation object of the paths under `prefix`."""
    for path, operations in spec._paths.items():
        if path.startswith(prefix):
            for operation in operations.values():
                if isinstance(operation, dict):  # skip path-level parameter lists
                    yield operation


def document_xml_responses(spec: Any, prefix: str) -> None:
    """GeoReport v2 paths answer text/xml as well as JSON, by their {fmt} extension; the
    document says so, so that clients and fuzzers expect both."""
    for operation in operations_under(spec, prefix):
        for response in operation.get("responses", {}).values():
            content = response.get("content") if isinstance(response, dict) else None
            if content and "application/json" in content:
                content["text/xml"] = {"schema": {
                    "type": "string", "description": "The same document in GeoReport v2 XML"}}


def document_bearer_auth(spec: Any, prefix: str) -> None:
    """Staff paths need `Authorization: Bearer <token>` (from `staff create`)."""
    spec.components.security_scheme(
        "staffToken", {"type": "http", "scheme": "bearer",
                       "description": "A staff token printed by `staff create`"})
    for operation in operations_under(spec, prefix):
        operation["security"] = [{"staffToken": []}]


def document_csv_response(spec: Any, path: str, method: str = "get") -> None:
    """An operation that also answers CSV (`format=csv`) says so beside its JSON."""
    response = spec._paths[path][method]["responses"]["200"]
    response.setdefault("content", {})["text/csv"] = {"schema": {
        "type": "string", "description": "The same rows as CSV, with a header row"}}


OPEN311_ERRORS = {
    "application/json": {"schema": {"type": "array",
                                     "items": {"$ref": "#/components/schemas/Open311Error"}}},
    "text/xml": {"schema": {
        "type": "string", "description": "<errors><error><code/><description/></error></errors>"}},
}
OGC_EXCEPTION = {"type": "object", "required": ["code", "description"],
                 "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}


def document_surface_errors(spec: Any, open311_prefix: str, ogc_prefix: str) -> None:
    """Errors are rendered in each surface's own format (app/errors.py): the generic error
    responses of Open311 and OGC operations say so instead of showing the JSON API's shape."""
    spec.components.schema("OgcException", OGC_EXCEPTION)
    surfaces = (
        (open311_prefix, OPEN311_ERRORS),
        (ogc_prefix, {"application/json": {
            "schema": {"$ref": "#/components/schemas/OgcException"}}}),
    )
    for prefix, content in surfaces:
        for operation in operations_under(spec, prefix):
            responses = operation.setdefault("responses", {})
            if not any(str(status).startswith("2") for status in responses):
                # Documents built by hand (OGC landing page, conformance): a JSON object.
                responses["200"] = {"description": "OK", "content": {
                    "application/json": {"schema": {"type": "object"}}}}
            for status, response in responses.items():
                if "$ref" in response and (status == "default" or str(status)[0] in "45"):
                    description = response["$ref"].rsplit("/", 1)[-1].replace("_", " ").title()
                    responses[status] = {"description": description, "content": content}
