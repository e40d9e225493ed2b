"""JSON and XML rendering of Open311 documents.

GeoReport v2's JSON is the "Spark" mapping of its XML (JSON_and_XML_Conversion.md): a list in
JSON is a root element with one child per item in XML; nested lists get a wrapper element whose
children take the singular name below.
"""

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

from flask import Response

JSON_MIMETYPE = "application/json"
XML_MIMETYPE = "text/xml"
FORMATS = ("json", "xml")

# Wrapper element -> child element, for lists nested inside an item.
XML_ITEM_NAMES = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
    "photos": "photo",
    "media_urls": "media_url",
    "keywords": "keyword",
    "groups": "group",
    "tasks": "task",
}

# XML 1.0 forbids most control characters; a description with one must still give a
# well-formed document, so they are dropped from XML output (JSON escapes them itself).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# The same characters in UTF-8 text that came from PostgreSQL (which stores no surrogates):
# control characters are single bytes that never occur inside a multi-byte sequence.
_XML_ILLEGAL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_XML_NONCHARACTERS = ("\ufffe".encode(), "\uffff".encode())
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'


def strip_xml_illegal(body: bytes) -> bytes:
    """UTF-8 text without the characters XML 1.0 forbids: the last step of every XML
    renderer (Open311 XML, the Atom feed), whatever the stored text holds. bytes.translate is
    C speed: a regular expression over a 1000-request document took longer than the query."""
    body = body.translate(None, _XML_ILLEGAL_BYTES)
    for noncharacter in _XML_NONCHARACTERS:
        if noncharacter in body:
            body = body.replace(noncharacter, b"")
    return body


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return _XML_ILLEGAL.sub("", str(value))


def _append(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _append(element, str(key), inner)
    elif isinstance(value, list | tuple):
        child = XML_ITEM_NAMES.get(name, "item")
        for inner in value:
            _append(element, child, inner)
    else:
        text = _text(value)
        if text:
            element.text = text


def to_xml(document: Any, root: str, item: str | None = None) -> bytes:
    """Serialise a document: a list becomes `<root><item>…</item>…</root>`, a dict `<root>…`."""
    element = ET.Element(root)
    if isinstance(document, list):
        for entry in document:
            _append(element, item or "item", entry)
    else:
        for key, value in document.items():
            _append(element, str(key), value)
    body = ET.tostring(element, encoding="unicode", short_empty_elements=False)
    return XML_DECLARATION + body.encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Iterable):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(document: Any) -> bytes:
    """UTF-8 JSON without ASCII escaping (the spec's clients read UTF-8)."""
    return json.dumps(document, ensure_ascii=False, default=_json_default).encode("utf-8")


def json_response(document: Any, status: int = 200, mimetype: str = JSON_MIMETYPE) -> Response:
    """A JSON response with an explicit charset."""
    return Response(to_json(document), status=status, content_type=f"{mimetype}; charset=utf-8")


def json_text_response(body: str, mimetype: str = JSON_MIMETYPE) -> Response:
    """A JSON document built by PostgreSQL, sent as the text it came as."""
    return Response(body, content_type=f"{mimetype}; charset=utf-8")


def render(
    document: Any, fmt: str, root: str, item: str | None = None, status: int = 200
) -> Response:
    """Render an Open311 document in the requested format."""
    if fmt == "json":
        return json_response(document, status=status)
    return Response(
        to_xml(document, root, item), status=status, content_type=f"{XML_MIMETYPE}; charset=utf-8"
    )
