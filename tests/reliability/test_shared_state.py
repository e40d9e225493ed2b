"""State several app hosts must share: rate-limit counters in Redis, idempotency records in
PostgreSQL. Two apps stand for two hosts; neither may rely on what the other keeps in memory."""

import logging
import os
import socket
import threading
import uuid

import redis

from app import ratelimits
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


def test_a_redis_that_stops_answering_does_not_hold_requests(limited_app, db_session,
                                                             jurisdiction, api_key):
    # A server that accepts connections and never replies: without a timeout, every POST
    # would wait on it for ever.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        client = limited_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/0",
                             RATELIMIT_POST_PER_ADDRESS="1/minute").test_client()
        statuses: list[int] = []

        def post_twice() -> None:
            for _ in range(2):
                statuses.append(client.post("/open311/v2/requests.json",
                                            data=pothole(api_key)).status_code)

        posting = threading.Thread(target=post_twice, daemon=True)
        posting.start()
        posting.join(timeout=30)
    assert not posting.is_alive(), "a POST waited on the silent Redis"
    assert statuses == [200, 429]  # counted in process memory meanwhile


def test_while_redis_is_down_it_is_asked_again_after_a_while(monkeypatch, caplog):
    counters = ratelimits.Counters(NOTHING_LISTENS, "open311-test")
    (item,) = ratelimits._parsed("5/minute")
    clock = [1000.0]
    monkeypatch.setattr(ratelimits.time, "monotonic", lambda: clock[0])
    with caplog.at_level(logging.WARNING, logger="app.ratelimits"):
        counts = [counters.hit([item], "address", "x", "192.0.2.1")[0].count]
        clock[0] += ratelimits.STORAGE_RETRY_SECONDS / 2  # memory only: Redis not asked
        counts.append(counters.hit([item], "address", "x", "192.0.2.1")[0].count)
        clock[0] += ratelimits.STORAGE_RETRY_SECONDS  # asked again, still down
        counts.append(counters.hit([item], "address", "x", "192.0.2.1")[0].count)
    assert counts == [1, 2, 3]
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 2


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
