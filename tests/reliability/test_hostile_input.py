"""Hostile strings in every parameter and form field of every operation: never a 5xx, errors
in the surface's own format, XML output always well-formed.

The server never parses XML from clients (every body is a form or JSON), so entity tricks
(billion laughs, external entities) are only text: they are stored as text and rendered
escaped, which the last tests show.
"""

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from tests.open311_client import body
from tests.staff_client import bearer

OPENAPI = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi.yaml").read_text())
BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                  "<lolz>&lol2;</lolz>")
EXTERNAL_ENTITY = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM '
                   '"file:///etc/passwd">]><x>&xxe;</x>')
HOSTILE = [
    "' OR '1'='1",
    "1; DROP TABLE service_requests; --",
    '"\\%_*?[]{}()',
    "<b>&amp;</b><![CDATA[ ]]>",
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    "x" * 20_000,
    "NaN",
    "-Infinity",
    "1e309",
    "99999999999999999999999999",
    "-1",
    "\u202eevil\u0007\u001b[31m",
    "😀" * 50,
]
INSIDE = {"lat": "42.045", "long": "-87.70"}
# Counted for docs/reliability.md (printed at the end of the run).
TRIED: list[int] = []


def _operations():
    for path, item in OPENAPI["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post"):
                yield pytest.param(path, method, operation,
                                   id=f"{method.upper()} {path}")


def _parameters(item_parameters, operation) -> list[dict]:
    return [*item_parameters, *operation.get("parameters", [])]


def _body_fields(operation) -> tuple[str | None, list[str]]:
    content = operation.get("requestBody", {}).get("content", {})
    for media_type, entry in content.items():
        schema = entry["schema"]
        if "$ref" in schema:
            schema = OPENAPI["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return media_type, list(schema.get("properties", {}))
    return None, []


def _check(response, path: str) -> list[str]:
    """What is wrong with one answer, if anything."""
    problems = []
    if response.status_code >= 500:
        problems.append(f"{response.status_code}: {response.data[:200]!r}")
    if response.mimetype in ("text/xml", "application/xml", "application/atom+xml"):
        try:
            ET.fromstring(response.data)
        except ET.ParseError as error:
            problems.append(f"malformed XML: {error}")
    if response.status_code >= 400:
        wants_xml = path.startswith("/open311/") and not response.request.path.endswith(".json")
        expected = "text/xml" if wants_xml else "application/json"
        if response.mimetype != expected:
            problems.append(f"{response.status_code} as {response.mimetype}, not {expected}")
    return problems


@pytest.fixture
def city(db_session, jurisdiction, api_key, make_request):
    """A stored request (so ids can hit), the api key and an admin's headers."""
    return make_request("POTHOLE"), api_key, bearer(db_session, "admin")


@pytest.mark.parametrize(("path", "method", "operation"), list(_operations()))
def test_every_parameter_survives_hostile_strings(client, city, path, method, operation):
    stored, api_key, headers = city
    parameters = _parameters(OPENAPI["paths"][path].get("parameters", []), operation)
    media_type, fields = _body_fields(operation)
    defaults = {"fmt": "json", "service_request_id": str(stored.id), "service_code": "POTHOLE",
                "export_format": "csv", "collection_id": "requests", "feature_id": str(stored.id),
                "z": "0", "x": "0", "y": "0", "token": "nope"}
    fmts = ["json", "xml"] if "{fmt}" in path else ["json"]
    problems: list[str] = []

    def send(path_values: dict, query: dict, form: dict | None):
        url = path
        for name, value in path_values.items():
            url = url.replace("{" + name + "}", quote(value, safe=""))
        if method == "get":
            response = client.get(url, query_string=query, headers=headers)
        elif media_type == "application/json":
            response = client.post(url, json=form or {}, headers=headers)
        else:
            response = client.post(url, data=form or {}, headers=headers)
        TRIED.append(1)
        problems.extend(f"{method.upper()} {url[:80]} {q}: {p}"
                        for q in [list(query)] for p in _check(response, path))

    for fmt in fmts:
        path_defaults = {p["name"]: defaults.get(p["name"], "1") for p in parameters
                         if p["in"] == "path"} | ({"fmt": fmt} if "{fmt}" in path else {})
        base_form = ({"api_key": api_key, "service_code": "POTHOLE", "attribute[SIZE]": "L",
                      **INSIDE} if path.startswith("/open311/") and method == "post" else {})
        for value in HOSTILE:
            for parameter in parameters:
                if parameter["in"] == "path" and parameter["name"] != "fmt":
                    send(path_defaults | {parameter["name"]: value}, {}, base_form)
                elif parameter["in"] == "query":
                    send(path_defaults, {parameter["name"]: value}, base_form)
            for field in [*fields, "attribute[SIZE]"] if fields else []:
                if field == "api_key":
                    continue
                send(path_defaults, {}, base_form | {field: value})
    assert problems == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_invalid_utf8_in_a_query_string_is_a_clear_answer(client, jurisdiction, fmt):
    response = client.get(f"/open311/v2/requests.{fmt}?service_code=%ff%fe%80")
    assert response.status_code in (200, 400)
    assert _check(response, "/open311/v2/requests.{fmt}") == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_invalid_utf8_in_a_form_body_is_a_clear_answer(client, jurisdiction, api_key, fmt):
    raw = (f"api_key={api_key}&service_code=POTHOLE&attribute%5BSIZE%5D=L&lat=42.045"
           "&long=-87.70&description=%ff%fe%80bad").encode()
    response = client.post(f"/open311/v2/requests.{fmt}", data=raw,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 400)
    assert _check(response, "/open311/v2/requests.{fmt}") == []


@pytest.mark.parametrize("coordinate", ["NaN", "nan", "inf", "-Infinity", "1e309"])
@pytest.mark.parametrize("field", ["lat", "long"])
def test_non_finite_coordinates_are_400(client, jurisdiction, api_key, field, coordinate):
    form = {"api_key": api_key, "service_code": "POTHOLE", "attribute[SIZE]": "L", **INSIDE}
    response = client.post("/open311/v2/requests.json", data=form | {field: coordinate})
    assert (response.status_code, body(response, "json")[0]["code"]) == (400, 400)


def test_nul_byte_in_a_parameter_is_400_not_500(client, jurisdiction):
    response = client.get("/open311/v2/services.json", query_string={"jurisdiction_id": "a\x00b"})
    assert (response.status_code, body(response, "json")[0]["code"]) == (400, 400)


def test_nul_byte_in_a_json_body_is_400_in_json_api_format(client, db_session, jurisdiction):
    response = client.post("/api/v1/staff/requests", json={"description": "a\x00"},
                           headers=bearer(db_session, "agent"))
    assert (response.status_code, response.get_json()["code"]) == (400, 400)


def test_xml_entities_in_a_description_are_stored_as_text(client, db_session, jurisdiction,
                                                          api_key):
    from app.models import ServiceRequest

    form = {"api_key": api_key, "service_code": "POTHOLE", "attribute[SIZE]": "L",
            "description": BILLION_LAUGHS, **INSIDE}
    (entry,) = body(client.post("/open311/v2/requests.json", data=form), "json")
    stored = db_session.get(ServiceRequest, int(entry["service_request_id"]))
    assert stored.description == BILLION_LAUGHS


def test_xml_entities_in_a_description_are_rendered_escaped(client, jurisdiction, api_key):
    form = {"api_key": api_key, "service_code": "POTHOLE", "attribute[SIZE]": "L",
            "description": EXTERNAL_ENTITY, **INSIDE}
    (entry,) = body(client.post("/open311/v2/requests.json", data=form), "json")
    response = client.get(f"/open311/v2/requests/{entry['service_request_id']}.xml")
    # Parsed as data, the description comes back verbatim: nothing was expanded or fetched.
    assert ET.fromstring(response.data).find("request/description").text == EXTERNAL_ENTITY


@pytest.mark.parametrize(("url", "as_json"), [
    ("/open311/v2/requests.xml", False),
    ("/api/v1/staff/requests", True),
    ("/api/v1/public/requests/1/votes", True),
    ("/ogc/collections/requests/items", False),
    ("/tiles/requests.json", False),
], ids=["open311", "staff", "public", "ogc", "tiles"])
def test_body_over_the_size_limit_is_413_on_every_surface(app, client, jurisdiction, url,
                                                          as_json):
    padding = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    if as_json:
        response = client.post(url, data=json.dumps({"description": padding}),
                               content_type="application/json")
    else:
        response = client.post(url, data={"description": padding})
    assert response.status_code == 413
    assert _check(response, url) == []
