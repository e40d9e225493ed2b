"""Inputs that once answered 500: each now answers 400 (or a correct 200) in the surface's
format."""

import base64
import json

import pytest

WORLD = "-180,-90,180,90"


@pytest.mark.parametrize("path", [
    f"/open311/v2/requests.json?bbox={WORLD}",
    f"/open311/v2/requests.xml?bbox={WORLD}",
    f"/api/v1/public/requests?bbox={WORLD}",
    f"/api/v1/public/requests.csv?bbox={WORLD}",
    f"/ogc/collections/requests/items?bbox={WORLD}",
    "/ogc/collections/requests/items?bbox=-179,-89,179,89",
])
def test_a_bbox_spanning_the_whole_world_finds_the_requests(client, make_request, path):
    make_request(lat=42.045, long=-87.70)
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_data()


@pytest.mark.parametrize("path", [
    "/open311/v2/requests.json?start_date=9999-12-31T23:59:59Z",
    "/open311/v2/requests.json?end_date=0001-01-01T00:00:00Z",
    "/open311/v2/requests.json?updated_after=9999-12-31T23:59:59",
    "/api/v1/public/requests?requested_after=9999-12-31T23:59:59Z",
    "/api/v1/public/requests?updated_before=0001-01-01",
    "/api/v1/public/stats?requested_after=9999-12-31T23:59:59Z",
    "/ogc/collections/requests/items?datetime=9999-12-31T23:59:59Z",
])
def test_a_date_outside_the_supported_range_is_400(client, jurisdiction, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "between" in response.get_data(as_text=True)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("path", [
    "/api/v1/staff/requests/1/transitions",
    "/api/v1/public/requests/1/votes",
    "/api/v1/public/requests/1/subscriptions",
    "/api/v1/staff/requests",
])
def test_a_deeply_nested_json_body_is_400(client, jurisdiction, path):
    response = client.post(path, data=nested(100_000), content_type="application/json")
    assert response.status_code == 400
    assert "nest" in response.get_data(as_text=True)


def test_a_cursor_holding_deeply_nested_json_is_400(client, jurisdiction):
    cursor = base64.urlsafe_b64encode(nested(100_000).encode()).decode()
    response = client.get(f"/api/v1/public/requests?cursor={cursor}")
    assert response.status_code == 400


def test_a_json_body_within_the_depth_limit_is_parsed(client, jurisdiction):
    body = json.dumps({"email": "someone@example.org"})
    response = client.post("/api/v1/public/requests/987654/subscriptions", data=body,
                           content_type="application/json")
    assert response.status_code == 404
