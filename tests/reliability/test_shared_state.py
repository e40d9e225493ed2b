"""State several app hosts must share: rate-limit counters in Redis, idempotency records in
PostgreSQL. Two apps stand for two hosts; neither may rely on what the other keeps in memory."""

import os
import uuid

import redis

from tests.reliability.test_rate_limits import pothole

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NOTHING_LISTENS = "redis://127.0.0.1:1/0"


def test_two_hosts_share_one_rate_limit_counter_in_redis(limited_app, db_session, jurisdiction,
                                                         api_key):
    prefix = f"open311-shared-{uuid.uuid4().hex}"
    hosts = [limited_app(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix,
                         RATELIMIT_POST_PER_KEY="1/minute").test_client() for _ in range(2)]
    try:
        first = hosts[0].post("/open311/v2/requests.json", data=pothole(api_key))
        second = hosts[1].post("/open311/v2/requests.json", data=pothole(api_key))
    finally:
        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)
        store.close()
    assert (first.status_code, second.status_code) == (200, 429)


def test_redis_down_does_not_fail_requests_and_limits_still_hold(limited_app, db_session,
                                                                jurisdiction, api_key):
    client = limited_app(RATELIMIT_STORAGE_URI=NOTHING_LISTENS,
                         RATELIMIT_POST_PER_ADDRESS="2/minute").test_client()
    statuses = [client.post("/open311/v2/requests.json", data=pothole(api_key)).status_code
                for _ in range(3)]
    # Counted in process memory while Redis is unreachable.
    assert statuses == [200, 200, 429]


def test_redis_down_does_not_fail_exports(limited_app, db_session, jurisdiction):
    client = limited_app(RATELIMIT_STORAGE_URI=NOTHING_LISTENS).test_client()
    response = client.get("/api/v1/public/requests.csv")
    assert response.status_code == 200 and response.data.startswith(b"service_request_id")
    response.close()


def test_a_retry_reaching_another_host_is_answered_from_postgresql(limited_app, db_session,
                                                                   jurisdiction, api_key):
    hosts = [limited_app().test_client() for _ in range(2)]
    headers = {"Idempotency-Key": f"retry-{uuid.uuid4().hex}"}
    first = hosts[0].post("/open311/v2/requests.json", data=pothole(api_key), headers=headers)
    retry = hosts[1].post("/open311/v2/requests.json", data=pothole(api_key), headers=headers)
    assert first.status_code == retry.status_code == 200
    assert first.get_json() == retry.get_json()
