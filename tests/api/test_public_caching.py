"""ETag/304, Cache-Control and CORS on the public GETs (public API and Open311)."""

import pytest

PUBLIC_GETS = ["/api/v1/public/requests", "/api/v1/public/stats?group_by=service",
               "/api/v1/public/feeds/requests.atom", "/open311/v2/services.json",
               "/open311/v2/requests.xml"]


@pytest.mark.parametrize("url", PUBLIC_GETS)
def test_public_get_carries_a_weak_etag_and_short_public_caching(client, make_request, url):
    make_request()
    response = client.get(url)
    assert response.headers["ETag"].startswith('W/"')
    assert response.headers["Cache-Control"] == "public, max-age=60"


@pytest.mark.parametrize("url", PUBLIC_GETS)
def test_public_get_is_304_for_a_matching_etag(client, make_request, url):
    make_request()
    etag = client.get(url).headers["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert (response.status_code, response.data) == (304, b"")


def test_changed_data_gets_a_new_body(client, make_request):
    make_request()
    etag = client.get("/api/v1/public/requests").headers["ETag"]
    make_request()
    response = client.get("/api/v1/public/requests", headers={"If-None-Match": etag})
    assert response.status_code == 200


def test_export_honours_if_modified_since(client, make_request):
    make_request()
    last_modified = client.get("/api/v1/public/requests.csv").headers["Last-Modified"]
    response = client.get("/api/v1/public/requests.csv",
                          headers={"If-Modified-Since": last_modified})
    assert response.status_code == 304


@pytest.mark.parametrize("url", PUBLIC_GETS)
def test_any_origin_may_read_public_gets(client, jurisdiction, url):
    assert client.get(url).headers["Access-Control-Allow-Origin"] == "*"


def test_errors_are_readable_cross_origin_but_not_cached(client, jurisdiction):
    response = client.get("/api/v1/public/requests?limit=0")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Cache-Control" not in response.headers


def test_preflight_allows_a_json_post(client, make_request):
    response = client.options(
        f"/api/v1/public/requests/{make_request().id}/subscriptions",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "Content-Type"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


def test_posts_are_not_cached(client, make_request):
    response = client.post(f"/api/v1/public/requests/{make_request().id}/subscriptions",
                           json={"email": "a@example.org"})
    assert "ETag" not in response.headers and "Cache-Control" not in response.headers
