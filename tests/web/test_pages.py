"""The public pages through the test client: filing goes through the Open311 operation with
channel `web` and its rules, pages read what the public API shows, the language switch."""

import re

import pytest

from app.models import ServiceRequest

INSIDE = {"lat": "42.045", "long": "-87.70"}
JSON = {"Accept": "application/json"}


def _file(client, headers=None, **fields):
    form = {"service_code": "POTHOLE", "attribute[SIZE]": "S", **INSIDE, **fields}
    return client.post("/report", data=form, headers=headers or {})


def test_report_is_filed_with_channel_web_and_lands_on_its_page(client, db_session,
                                                                  jurisdiction):
    response = _file(client, description="Hole by the school", email="me@example.org")
    assert response.status_code == 303
    found = re.fullmatch(r"/requests/(\d+)\?filed=1", response.headers["Location"])
    assert found
    stored = db_session.get(ServiceRequest, int(found.group(1)))
    assert (stored.channel, stored.attributes) == ("web", {"SIZE": "S"})
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert b"your report was received" in page.data
    assert b"me@example.org" not in page.data


def test_required_attribute_is_enforced_by_the_server(client, jurisdiction):
    response = _file(client, **{"attribute[SIZE]": ""})
    assert response.status_code == 400
    assert b"attribute[SIZE] is required" in response.data
    assert b'value="42.045"' in response.data  # the resident's answers are kept


def test_script_gets_errors_as_json(client, jurisdiction):
    response = _file(client, headers=JSON, **{"attribute[SIZE]": "XL"})
    assert response.status_code == 400
    assert response.json["errors"] == ["attribute[SIZE]: 'XL' not among L, S"]
    filed = _file(client, headers=JSON)
    assert filed.status_code == 201
    assert filed.json["url"] == f"/requests/{filed.json['service_request_id']}?filed=1"


def test_unknown_request_page_is_a_404_page(client, jurisdiction):
    response = client.get("/requests/987654321")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_hidden_location_is_not_on_the_request_page(client, jurisdiction, make_request):
    hidden = make_request("NOISE", lat=42.0451234, long=-87.7012345, address="12 Secret St")
    page = client.get(f"/requests/{hidden.id}").get_data(as_text=True)
    assert "Not published for this kind of request." in page
    assert "42.045" not in page
    assert "Secret" not in page
    assert 'id="request-map"' not in page


def test_request_page_shows_duplicates_and_deadline(client, jurisdiction, make_request):
    parent = make_request("POTHOLE", lat=42.045, long=-87.70)
    child = make_request("POTHOLE", lat=42.045, long=-87.70, duplicate_of_id=parent.id)
    page = client.get(f"/requests/{parent.id}").get_data(as_text=True)
    assert f'href="/requests/{child.id}"' in page
    assert 'id="deadline"' in page


@pytest.mark.parametrize(("columns", "shown"), [
    ({"status": "closed", "detailed_status": "resolved", "closed_at": -2, "deadline": -1}, "met"),
    ({"status": "closed", "detailed_status": "resolved", "closed_at": -1, "deadline": -2},
     "missed"),
    ({"deadline": -1}, "past due, still open"),
    ({"deadline": 3}, "not yet due"),
    ({"status": "closed", "detailed_status": "cancelled", "closed_at": -1, "deadline": 2},
     "not judged"),
])
def test_request_page_judges_the_deadline_by_the_documents_on_time(client, jurisdiction,
                                                                     make_request, columns,
                                                                     shown):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    when = {k: now + timedelta(days=v) if k in ("closed_at", "deadline") else v
            for k, v in columns.items()}
    made = make_request("POTHOLE", lat=42.045, long=-87.70, requested_at=now - timedelta(days=5),
                        **when)
    on_time = client.get(f"/api/v1/public/requests/{made.id}").get_json()["on_time"]
    page = client.get(f"/requests/{made.id}").get_data(as_text=True)
    deadline = page[page.index('id="deadline"'):page.index("</dd>", page.index('id="deadline"'))]
    assert shown in deadline
    assert on_time is {"met": True, "missed": False, "past due, still open": False}.get(shown)


def test_dashboard_table_reads_without_javascript(client, jurisdiction, make_request):
    make_request("POTHOLE", lat=42.045, long=-87.70)
    page = client.get("/dashboard").get_data(as_text=True)
    assert '<tr data-key="POTHOLE">' in page
    assert "<script" not in page
    assert "/api/v1/public/stats?group_by=service" in page


@pytest.mark.parametrize(("header", "expected"), [("es-MX,es;q=0.9", "Informar un problema"),
                                                  ("fr, en;q=0.5", "Report a problem")])
def test_language_follows_the_browser(client, jurisdiction, header, expected):
    page = client.get("/report", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f"<h1>{expected}</h1>" in page


def test_language_switch_persists_in_a_cookie(client, jurisdiction):
    response = client.get("/language/es?next=/dashboard")
    assert (response.status_code, response.headers["Location"]) == (303, "/dashboard")
    page = client.get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es">' in page


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_language_switch_never_redirects_off_site(client, target):
    response = client.get("/language/es", query_string={"next": target})
    assert response.headers["Location"] == "/report"


def test_pages_allow_no_third_party_host(client, jurisdiction):
    policy = client.get("/report").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "http" not in policy


def test_default_basemap_is_drawn_from_the_city_outline(client, jurisdiction):
    style = client.get("/web/basemap.json").json
    assert style["sources"]["city"]["data"].endswith("/web/city.geojson")
    outline = client.get("/web/city.geojson").json
    assert [f["properties"]["kind"] for f in outline["features"]][:1] == ["boundary"]


@pytest.mark.parametrize("language, words", [("en", "shown from zoom"),
                                             ("es", "visibles desde el zoom")])
def test_map_hint_names_the_zoom_where_tiles_start_carrying_requests(client, jurisdiction,
                                                                    language, words):
    from geo.tiles import GRID_MAX_ZOOM

    page = client.get("/map", headers={"Accept-Language": language}).get_data(as_text=True)
    assert f"{words} {GRID_MAX_ZOOM + 1}." in page


def test_follow_without_javascript_is_posted(client, jurisdiction, make_request, db_session):
    from app.models import Subscription

    followed = make_request("POTHOLE", lat=42.045, long=-87.70)
    response = client.post(f"/requests/{followed.id}/follow", data={"email": "f@example.org"})
    assert response.status_code == 303
    assert "f@example.org" not in response.headers["Location"]
    assert db_session.query(Subscription).filter_by(service_request_id=followed.id).count() == 1
    refused = client.post(f"/requests/{followed.id}/follow", data={"email": "not-an-email"})
    assert refused.status_code == 400


def test_a_configured_basemap_host_is_the_one_other_host(app, client, jurisdiction):
    app.config["BASEMAP_STYLE_URL"] = "https://tiles.city.example/style.json"
    try:
        page = client.get("/map")
    finally:
        app.config["BASEMAP_STYLE_URL"] = ""
    assert 'data-style="https://tiles.city.example/style.json"' in page.get_data(as_text=True)
    policy = page.headers["Content-Security-Policy"]
    assert "connect-src 'self' https://tiles.city.example;" in policy
