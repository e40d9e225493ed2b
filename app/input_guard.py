"""Input no column can hold is refused before any view runs.

PostgreSQL text cannot contain NUL (0x00): a NUL in a path, parameter, form field or JSON string
would otherwise reach the database as a DataError (a 500). Invalid UTF-8 needs no guard here:
werkzeug decodes URLs and form bodies with replacement characters.
"""

from typing import Any

from flask import Flask, request

from app.exceptions import BadRequest

NUL = "\x00"


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
    parts = [request.path, *request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        parts += [*request.form.keys(), *request.form.values()]
    if request.is_json:
        parts.append(request.get_json(silent=True))
    if any(_has_nul(part) for part in parts):
        raise BadRequest("the request contains a NUL character, which is not allowed")


def register_input_guard(app: Flask) -> None:
    """Run the guard before every view."""
    app.before_request(refuse_nul_bytes)
