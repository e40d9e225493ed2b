"""schemathesis fuzzes every operation of openapi.yaml through the WSGI app, against the real
test database holding the test city, an api key and a staff token: no 5xx, and every response
conforms to the document (status code, content type, headers, body schema).

Bounded and repeatable: FUZZ_EXAMPLES examples per operation (environment variable, default
below), derandomized (a fixed seed per operation), no example database.
"""

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.staff_client import bearer

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.yaml"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_path(OPENAPI)

# Every case fuzzed, counted for the note in docs/reliability.md (printed at the end of the run).
CASES: list[str] = []


@pytest.fixture
def credentials(db_session, jurisdiction, api_key, make_request):
    """A stored request (so ids can hit), the api key and an admin's bearer token."""
    make_request("POTHOLE")
    return api_key, bearer(db_session, "admin")


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, app, credentials):
    key, headers = credentials
    if isinstance(case.body, dict) and case.path.startswith("/open311/"):
        case.body["api_key"] = key  # past the 403, into validation and the operation
    CASES.append(case.operation.label)
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)
