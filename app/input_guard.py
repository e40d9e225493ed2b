"""Input no column can hold is refused before any view runs.

PostgreSQL text cannot contain NUL (0x00): a NUL in a path, parameter, form field or JSON string
would otherwise reach the database as a DataError (a 500). Invalid UTF-8 needs no guard here:
werkzeug decodes URLs and form bodies with replacement characters.
"""

from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from app.exceptions import BadRequest

NUL = "\x00"
BIGINT_MAX = 2**63 - 1


class BigintConverter(IntegerConverter):
    """`<int:...>` that matches only what a bigint column can hold: a larger id is a 404, not
    a database error."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", BIGINT_MAX)
        super().__init__(url_map, *args, **kwargs)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul_bytes() -> None:
    """400 (in the surface's format) when any part of the request carries a NUL character."""
    parts: list[Any] = [request.path, *request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        parts += [*request.form.keys(), *request.form.values()]
    if request.is_json:
        parts.append(request.get_json(silent=True))
    if any(_has_nul(part) for part in parts):
        raise BadRequest("the request contains a NUL character, which is not allowed")


def register_input_guard(app: Flask) -> None:
    """Run the guard before every view (the converter is set in create_app, before routes)."""
    app.before_request(refuse_nul_bytes)
