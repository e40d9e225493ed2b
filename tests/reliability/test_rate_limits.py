"""Rate limits: per address and per api key on POSTs, per address on exports, per-key quotas;
429 in each surface's format with Retry-After, and RateLimit headers on limited responses."""

import os
import uuid

import pytest
import redis

from app.operations.access import create_api_key
from tests.open311_client import body, error_codes
from tests.staff_client import bearer

INSIDE = {"lat": "42.045", "long": "-87.70"}
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def pothole(key: str) -> dict[str, str]:
    return {"api_key": key, "service_code": "POTHOLE", "attribute[SIZE]": "L", **INSIDE}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_post_over_the_address_limit_is_429_in_open311_format(
        limited_app, db_session, jurisdiction, api_key, fmt):
    client = limited_app(RATELIMIT_POST_PER_ADDRESS="2/minute").test_client()
    for _ in range(2):
        assert client.post(f"/open311/v2/requests.{fmt}", data=pothole(api_key)).status_code == 200
    response = client.post(f"/open311/v2/requests.{fmt}", data=pothole(api_key))
    assert response.status_code == 429
    assert error_codes(response, fmt) == [429]


def test_429_carries_retry_after(limited_app, db_session, jurisdiction, api_key):
    client = limited_app(RATELIMIT_POST_PER_ADDRESS="1/minute").test_client()
    client.post("/open311/v2/requests.json", data=pothole(api_key))
    response = client.post("/open311/v2/requests.json", data=pothole(api_key))
    assert 0 <= int(response.headers["Retry-After"]) <= 60


def test_limited_responses_carry_ratelimit_headers(limited_app, db_session, jurisdiction,
                                                    api_key):
    client = limited_app(RATELIMIT_POST_PER_ADDRESS="5/minute").test_client()
    response = client.post("/open311/v2/requests.json", data=pothole(api_key))
    assert (response.headers["X-RateLimit-Limit"], response.headers["X-RateLimit-Remaining"]) \
        == ("5", "4")
    assert int(response.headers["X-RateLimit-Reset"]) > 0


def test_gets_are_not_limited_by_the_post_limit(limited_app, db_session, jurisdiction):
    client = limited_app(RATELIMIT_POST_PER_ADDRESS="1/minute").test_client()
    statuses = {client.get("/open311/v2/services.json").status_code for _ in range(3)}
    assert statuses == {200}


def test_gets_of_a_post_limited_endpoint_are_neither_counted_nor_labelled(
        limited_app, db_session, jurisdiction, api_key):
    client = limited_app(RATELIMIT_POST_PER_ADDRESS="1/minute").test_client()
    lists = [client.get("/open311/v2/requests.json") for _ in range(3)]
    assert [r.status_code for r in lists] == [200] * 3
    assert not any("X-RateLimit-Limit" in r.headers for r in lists)
    assert client.post("/open311/v2/requests.json", data=pothole(api_key)).status_code == 200


def test_headers_show_the_limit_closest_to_refusing(limited_app, db_session, jurisdiction,
                                                    api_key):
    client = limited_app(RATELIMIT_POST_PER_ADDRESS="5/minute",
                         RATELIMIT_POST_PER_KEY="2/minute").test_client()
    response = client.post("/open311/v2/requests.json", data=pothole(api_key))
    assert (response.headers["X-RateLimit-Limit"], response.headers["X-RateLimit-Remaining"]) \
        == ("2", "1")
    assert "Retry-After" not in response.headers  # only a refusal says when to retry


def test_each_address_has_its_own_counter(limited_app, db_session, jurisdiction, api_key):
    client = limited_app(RATELIMIT_POST_PER_ADDRESS="1/minute").test_client()
    for address in ("192.0.2.1", "192.0.2.2"):
        response = client.post("/open311/v2/requests.json", data=pothole(api_key),
                               environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 200


PROXY = {"REMOTE_ADDR": "10.0.0.2"}  # a reverse proxy on the city's network


def post_through_proxy(client, key: str, forwarded_for: str):
    return client.post("/open311/v2/requests.json", data=pothole(key), environ_base=PROXY,
                       headers={"X-Forwarded-For": forwarded_for})


def test_behind_a_proxy_each_client_has_its_own_counter(limited_app, db_session, jurisdiction,
                                                        api_key):
    client = limited_app(RATELIMIT_POST_PER_ADDRESS="1/minute", PROXY_COUNT=1).test_client()
    first = [post_through_proxy(client, api_key, address).status_code
             for address in ("203.0.113.1", "203.0.113.2")]
    assert first == [200, 200]  # not one bucket for every client behind the proxy
    assert post_through_proxy(client, api_key, "203.0.113.1").status_code == 429


def test_behind_a_proxy_an_address_the_client_wrote_itself_is_not_counted(
        limited_app, db_session, jurisdiction, api_key):
    # The proxy appends the address it received from; what comes before is the client's own.
    client = limited_app(RATELIMIT_POST_PER_ADDRESS="1/minute", PROXY_COUNT=1).test_client()
    statuses = [post_through_proxy(client, api_key, f"{invented}, 203.0.113.7").status_code
                for invented in ("198.51.100.1", "198.51.100.2")]
    assert statuses == [200, 429]


def test_without_a_proxy_x_forwarded_for_is_not_read(limited_app, db_session, jurisdiction,
                                                     api_key):
    client = limited_app(RATELIMIT_POST_PER_ADDRESS="1/minute").test_client()
    statuses = [post_through_proxy(client, api_key, f"203.0.113.{n}").status_code
                for n in (1, 2)]
    assert statuses == [200, 429]


def test_a_negative_proxy_count_is_refused_at_start(limited_app):
    with pytest.raises(ValueError, match="PROXY_COUNT"):
        limited_app(PROXY_COUNT=-1)


def test_api_key_limit_holds_across_addresses(limited_app, db_session, jurisdiction, api_key):
    client = limited_app(RATELIMIT_POST_PER_KEY="1/minute").test_client()
    client.post("/open311/v2/requests.json", data=pothole(api_key),
                environ_base={"REMOTE_ADDR": "192.0.2.1"})
    response = client.post("/open311/v2/requests.json", data=pothole(api_key),
                           environ_base={"REMOTE_ADDR": "192.0.2.2"})
    assert response.status_code == 429


def test_each_api_key_has_its_own_counter(limited_app, db_session, jurisdiction, api_key):
    other, _ = create_api_key(db_session, "other app")
    client = limited_app(RATELIMIT_POST_PER_KEY="1/minute").test_client()
    client.post("/open311/v2/requests.json", data=pothole(api_key))
    response = client.post("/open311/v2/requests.json", data=pothole(other))
    assert response.status_code == 200


def test_key_quota_per_hour_overrides_the_default(limited_app, db_session, jurisdiction):
    key, _ = create_api_key(db_session, "small app", quota_per_hour=1)
    client = limited_app(RATELIMIT_POST_PER_KEY="100/minute").test_client()
    first = client.post("/open311/v2/requests.json", data=pothole(key))
    second = client.post("/open311/v2/requests.json", data=pothole(key))
    assert (first.status_code, second.status_code) == (200, 429)


def test_staff_post_over_the_limit_is_429_in_json_api_format(limited_app, db_session,
                                                             jurisdiction):
    headers = bearer(db_session, "agent")
    client = limited_app(RATELIMIT_POST_PER_KEY="1/minute").test_client()
    form = {"service_code": "POTHOLE", "channel": "phone", "attributes": {"SIZE": "L"}, **INSIDE}
    assert client.post("/api/v1/staff/requests", json=form, headers=headers).status_code == 201
    response = client.post("/api/v1/staff/requests", json=form, headers=headers)
    assert response.status_code == 429
    assert response.get_json()["code"] == 429


def test_public_export_over_the_limit_is_429_in_json_api_format(limited_app, db_session,
                                                                jurisdiction):
    client = limited_app(RATELIMIT_EXPORTS_PER_ADDRESS="1/minute").test_client()
    assert client.get("/api/v1/public/requests.csv").status_code == 200
    response = client.get("/api/v1/public/requests.csv")
    assert (response.status_code, response.get_json()["status"]) == (429, "Too Many Requests")


def test_limits_can_be_switched_off(limited_app, db_session, jurisdiction, api_key):
    client = limited_app(RATELIMIT_ENABLED=False).test_client()
    response = client.post("/open311/v2/requests.json", data=pothole(api_key))
    assert "X-RateLimit-Limit" not in response.headers


def test_counters_live_in_redis_under_their_prefix_and_never_hold_the_clear_key(
        limited_app, db_session, jurisdiction, api_key):
    prefix = f"open311-test-{uuid.uuid4().hex}"
    store = redis.Redis.from_url(REDIS_URL)
    try:
        client = limited_app(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix,
                             RATELIMIT_POST_PER_KEY="1/minute").test_client()
        client.post("/open311/v2/requests.json", data=pothole(api_key))
        limited = client.post("/open311/v2/requests.json", data=pothole(api_key))
        keys = [k.decode() for k in store.scan_iter(f"*{prefix}*")]
    finally:
        for k in store.scan_iter(f"*{prefix}*"):
            store.delete(k)
        store.close()
    assert limited.status_code == 429
    assert keys and not any(api_key in k for k in keys)


def test_429_body_says_what_to_do(limited_app, db_session, jurisdiction, api_key):
    client = limited_app(RATELIMIT_POST_PER_ADDRESS="1/minute").test_client()
    client.post("/open311/v2/requests.json", data=pothole(api_key))
    (error,) = body(client.post("/open311/v2/requests.json", data=pothole(api_key)), "json")
    assert "Retry-After" in error["description"]
