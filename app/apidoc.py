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
