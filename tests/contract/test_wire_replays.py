"""The wire requests of clients that cannot run on Python 3.11 (open311 1.1, FixMyStreet,
GeoReporter), replayed as raw HTTP against a live server."""

import http.client
import json
import xml.etree.ElementTree as ET
from urllib.parse import urlencode, urlsplit

import pytest


def raw(live_server: str, method: str, path: str, body: bytes | None = None,
        headers: dict | None = None) -> tuple[int, dict, bytes]:
    url = urlsplit(live_server)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    result = response.status, dict(response.getheaders()), response.read()
    connection.close()
    return result


def test_open311_client_sends_an_empty_jurisdiction_id(live_server, jurisdiction):
    # python-open311 1.1 always adds jurisdiction_id, empty when not configured.
    status, _, data = raw(live_server, "GET", "/open311/v2/services.xml?jurisdiction_id=")
    assert status == 200 and ET.fromstring(data).tag == "services"


@pytest.fixture
def fixmystreet_media(app):
    """The city accepts photo URLs from its FixMyStreet server (MEDIA_URL_HOSTS)."""
    app.config["MEDIA_URL_HOSTS"] = "fms.example"
    yield
    app.config["MEDIA_URL_HOSTS"] = ""


@pytest.mark.usefixtures("fixmystreet_media")
def test_fixmystreet_posts_form_encoded_with_repeated_attributes(live_server, jurisdiction,
                                                                 api_key):
    # FixMyStreet's Open311.pm: form-encoded body, attribute[...] fields, XML response.
    form = [("api_key", api_key), ("service_code", "GRAFFITI"), ("lat", "42.05"),
            ("long", "-87.70"), ("address_string", "12 Elm St"), ("email", "r@example.org"),
            ("first_name", "Rae"), ("last_name", "Porter"), ("description", "Tag on wall"),
            ("attribute[SURFACE]", "WALL"), ("attribute[SURFACE]", "BENCH"),
            ("media_url", "https://fms.example/photo/1.jpeg")]
    status, headers, data = raw(
        live_server, "POST", "/open311/v2/requests.xml", urlencode(form).encode(),
        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert status == 200
    assert headers["Content-Type"] == "text/xml; charset=utf-8"
    assert ET.fromstring(data).find("request/service_request_id").text.isdigit()


def test_geo_reporter_puts_the_api_key_in_the_query_string(live_server, jurisdiction, api_key):
    body = urlencode({"service_code": "POTHOLE", "attribute[SIZE]": "S", "lat": "42.05",
                      "long": "-87.70"}).encode()
    status, _, data = raw(live_server, "POST", f"/open311/v2/requests.json?api_key={api_key}",
                          body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and json.loads(data)[0]["service_request_id"]


def test_singular_service_path_in_xml(live_server, jurisdiction):
    status, _, data = raw(live_server, "GET", "/open311/v2/service/POTHOLE.xml")
    assert status == 200 and ET.fromstring(data).find("service_code").text == "POTHOLE"


def test_multipart_post_is_accepted(live_server, jurisdiction, api_key):
    boundary = "----open311boundary"
    parts = []
    for name, value in [("api_key", api_key), ("service_code", "POTHOLE"),
                        ("attribute[SIZE]", "L"), ("lat", "42.05"), ("long", "-87.70"),
                        ("description", "Ünïcödé pothole")]:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n")
    body = ("".join(parts) + f"--{boundary}--\r\n").encode("utf-8")
    status, _, data = raw(live_server, "POST", "/open311/v2/requests.json", body,
                          {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 200
    request_id = json.loads(data)[0]["service_request_id"]
    _, _, shown = raw(live_server, "GET", f"/open311/v2/requests/{request_id}.json")
    assert json.loads(shown)[0]["description"] == "Ünïcödé pothole"


def test_batch_token_polling_in_xml(live_server, jurisdiction, api_key):
    body = urlencode({"api_key": api_key, "service_code": "STREETLIGHT", "lat": "42.05",
                      "long": "-87.70"}).encode()
    _, _, posted = raw(live_server, "POST", "/open311/v2/requests.xml", body,
                       {"Content-Type": "application/x-www-form-urlencoded"})
    token = ET.fromstring(posted).find("request/token").text
    status, _, polled = raw(live_server, "GET", f"/open311/v2/tokens/{token}.xml")
    request_id = ET.fromstring(polled).find("request/service_request_id").text
    status, _, fetched = raw(live_server, "GET", f"/open311/v2/requests/{request_id}.xml")
    assert status == 200
    assert ET.fromstring(fetched).find("request/service_code").text == "STREETLIGHT"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_in_the_error_format(live_server, jurisdiction, method):
    status, headers, data = raw(live_server, method, "/open311/v2/requests.json")
    assert status == 405
    assert json.loads(data)[0]["code"] == 405
    assert "GET" in headers["Allow"]
