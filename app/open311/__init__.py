"""GeoReport v2 under /open311/v2/, every endpoint in .json and .xml."""

from app.blueprint import Blueprint

blp = Blueprint(
    "open311", __name__, url_prefix="/open311/v2",
    description="Open311 GeoReport v2. Every path ends in .json or .xml; errors are a list of "
                "{code, description} in the same format.",
)

from app.http_cache import public_response_headers  # noqa: E402
from app.open311 import views  # noqa: E402,F401  (routes register on blp)

# Public GETs: CORS, ETag/304 and Cache-Control (app/http_cache.py).
blp.after_request(public_response_headers)


def document_xml_responses(spec) -> None:
    """Every GeoReport v2 path answers text/xml as well as JSON, by its {fmt} extension; the
    OpenAPI document says so, so that clients and fuzzers expect both."""
    for path, operations in spec._paths.items():
        if not path.startswith(blp.url_prefix):
            continue
        for operation in operations.values():
            if not isinstance(operation, dict):  # path-level parameters
                continue
            for response in operation.get("responses", {}).values():
                content = response.get("content") if isinstance(response, dict) else None
                if content and "application/json" in content:
                    content["text/xml"] = {"schema": {"type": "string",
                                                      "description": "The same document in "
                                                                     "GeoReport v2 XML"}}
