"""Reading Open311 responses the same way in both formats, so every test runs for each."""

import json

import xmltodict

# Elements that are lists in the JSON mapping, so xmltodict returns lists for one child too.
LIST_ELEMENTS = ("service", "request", "error", "attribute", "value", "endpoint", "format",
                 "request_update", "note", "photo")


def body(response, fmt: str):
    """The document as Python data: JSON as is; XML with its root unwrapped."""
    if fmt == "json":
        assert response.content_type == "application/json; charset=utf-8"
        return json.loads(response.data)
    assert response.content_type == "text/xml; charset=utf-8"
    assert response.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    document = xmltodict.parse(response.data, force_list=LIST_ELEMENTS)
    (root, inner), = document.items()
    if root in ("services", "service_requests", "errors", "service_request_updates"):
        if not inner:
            return []
        (_, items), = inner.items()
        return items
    return inner


def scalar(value, fmt: str):
    """XML has text only: compare JSON numbers and booleans as text there."""
    if fmt == "json" or value is None:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def error_codes(response, fmt: str) -> list[int]:
    """The codes of an Open311 error list."""
    return [int(e["code"]) for e in body(response, fmt)]
