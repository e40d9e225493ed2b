"""Input no column can hold, or no parser should take, is refused before any view runs.

JSON nested deeper than MAX_JSON_DEPTH is refused before it is parsed: Python's decoder
recurses once per level and a body of a few thousand `[` would end in a RecursionError (a 500).

PostgreSQL text cannot contain NUL (0x00): a NUL in a path, parameter, form field or JSON string
would otherwise reach the database as a DataError (a 500). Invalid UTF-8 needs no guard here:
werkzeug decodes URLs and form bodies with replacement characters.
"""

import re
from typing import Any

from flask import Flask, current_app, request
from werkzeug.routing import IntegerConverter

from app.exceptions import BadRequest

NUL = "\x00"
# NUL, and the lone UTF-16 surrogates a JSON string can spell (`"\ud800"`): neither can be
# encoded for PostgreSQL.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
BIGINT_MAX = 2**63 - 1


class BigintConverter(IntegerConverter):
    """`<int:...>` that matches only what a bigint column can hold: a larger id is a 404, not
    a database error."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", BIGINT_MAX)
        super().__init__(url_map, *args, **kwargs)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul_bytes() -> None:
    """400 (in the surface's format) when any part of the request carries a NUL character."""
    args = request.args
    # One search over the path and the query's texts (the pattern matches single characters).
    found = _UNSTORABLE.search("".join([request.path, *args.keys(), *args.values()]))
    parts: list[Any] = []
    # Without a Content-Type there is no form or JSON to read (most GETs): no header parsed.
    if found is None and request.environ.get("CONTENT_TYPE"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            parts += [*request.form.keys(), *request.form.values()]
        if request.is_json:
            parts.append(request.get_json(silent=True))
    if found is not None or any(_has_nul(part) for part in parts):
        raise BadRequest("the request contains a NUL character or a lone surrogate (\\ud800-"
                         "\\udfff), which is not allowed")


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_OBJECTS_AS_ARRAYS = bytes.maketrans(b"{}", b"[]")


def nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels in a JSON text, found without
    parsing it (brackets inside strings do not count).

    Fast path, at C speed: each pass of removing every empty pair `[]` takes one level off
    every branch, so a well-formed text of at most `limit` levels is gone after `limit` passes.
    Anything left (too deep, or malformed) is walked bracket by bracket, stopping at the first
    level too deep."""
    # bytes.translate, not a regular expression: C speed over a 10 MB body.
    brackets = _JSON_STRING.sub(b"", body).translate(_OBJECTS_AS_ARRAYS, _NOT_BRACKETS)
    if b"[" * (limit + 1) in brackets:  # the plain attack, found by one C search
        return True
    left = brackets
    for _ in range(limit):
        if not left:
            return False
        left = left.replace(b"[]", b"")
    if not left:
        return False
    depth = 0
    for bracket in brackets:
        depth += 1 if bracket == ord("[") else -1
        if depth > limit:
            return True
        if depth < 0:
            return False  # malformed: the parser refuses it before nesting anything
    return False


def refuse_deep_json() -> None:
    """400 when a JSON body nests deeper than MAX_JSON_DEPTH (before anything parses it)."""
    if not request.is_json:
        return
    limit = current_app.config["MAX_JSON_DEPTH"]
    if nests_deeper_than(request.get_data(cache=True), limit):
        raise BadRequest(f"the JSON body is nested more than {limit} levels deep")


def register_input_guard(app: Flask) -> None:
    """Run the guards before every view (the converter is set in create_app, before routes);
    the depth guard first, since the NUL guard parses the JSON."""
    app.before_request(refuse_deep_json)
    app.before_request(refuse_nul_bytes)
