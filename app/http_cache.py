"""HTTP caching and CORS for the public surfaces (Open311, /api/v1/public, /ogc and /tiles).

Registered as after_request hooks on those blueprints: every answer may be read by a browser
on any origin (the data is public), and successful GETs carry a validator (a weak ETag of the
body, or one a streamed view set itself) and a short public Cache-Control, so that a client
asking again with If-None-Match / If-Modified-Since gets a 304 without the body.
"""

from collections.abc import Callable
from datetime import datetime

from flask import Response, current_app, request
from werkzeug.wrappers import Response as BaseResponse

from app.http_headers import header_names

ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
# X-Read-Your-Writes: the token a write answers with and a later GET echoes (app/replicas.py).
ALLOWED_HEADERS = ("Content-Type, If-None-Match, If-Modified-Since, Idempotency-Key, "
                   "X-Read-Your-Writes")
EXPOSED_HEADERS = "ETag, Last-Modified, Link, X-Read-Your-Writes"
# What make_conditional answers (304, 412, 206), as WSGI names them.
CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH",
                       "HTTP_IF_UNMODIFIED_SINCE", "HTTP_RANGE")


def is_fresh(etag: str, last_modified: datetime | None) -> bool:
    """Whether the client's cached copy (If-None-Match / If-Modified-Since) is still good."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    return since is not None and last_modified is not None and \
        last_modified.replace(microsecond=0) <= since


def not_modified(etag: str, last_modified: datetime | None) -> Response:
    """A 304 carrying the validators; the after_request hook adds the caching headers."""
    response = Response(status=304)
    response.set_etag(etag, weak=True)
    if last_modified is not None:
        response.last_modified = last_modified
    return response


def public_headers(allowed_methods: str) -> Callable[[Response], BaseResponse]:
    """The after_request hook of a public surface whose routes take `allowed_methods`."""

    def after_request(response: Response) -> BaseResponse:
        """CORS on every answer; validators, 304s and Cache-Control on GETs."""
        # Header names read once, and new headers added rather than set: each set() or `in`
        # scans the whole header list, a tenth of the nearby check's time in the profile.
        present = header_names(response)
        headers = response.headers
        if "access-control-allow-origin" in present:
            headers["Access-Control-Allow-Origin"] = "*"
        else:
            headers.add("Access-Control-Allow-Origin", "*")
        if request.method == "OPTIONS":
            # CORS preflight: Flask answered the OPTIONS itself; say what the browser may send.
            response.headers["Access-Control-Allow-Methods"] = allowed_methods
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = "86400"
            return response
        headers.add("Access-Control-Expose-Headers", EXPOSED_HEADERS)
        if request.method not in ("GET", "HEAD") or response.status_code not in (200, 304):
            return response
        if "cache-control" not in present:
            headers.add("Cache-Control",
                        f"public, max-age={current_app.config['PUBLIC_CACHE_MAX_AGE']}")
        if response.status_code == 304 or response.is_streamed:
            return response
        if "etag" not in present:
            response.add_etag(weak=True)
        if not any(name in request.environ for name in CONDITIONAL_HEADERS):
            return response  # nothing to compare: make_conditional would only add a Date
        return response.make_conditional(request)

    return after_request


# Open311 and the public API take POSTs (reports, votes, subscriptions) from browsers too.
public_response_headers = public_headers("GET, HEAD, POST, OPTIONS")
# The map layers are read-only: GIS clients and web maps on any origin read them.
map_response_headers = public_headers("GET, HEAD, OPTIONS")
