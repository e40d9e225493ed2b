"""Two identical retries at the same moment, on two connections, with committed data: one
request is filed and both get its answer. Runs outside the rolled-back test transaction, so it
cleans up after itself."""

import threading
import time

import pytest
import sqlalchemy as sa

from app.extensions import db as flask_db
from app.models import ServiceRequest
from tests.db.test_duplicates_concurrency import _waiting_backends, committed_city  # noqa: F401

WAIT_SECONDS = 10


@pytest.mark.parametrize("headers, extra", [
    ({"Idempotency-Key": "retry-7"}, {}),
    ({}, {"device_id": "phone-7"}),
], ids=["header", "device_and_body"])
def test_two_identical_retries_at_once_file_one_request(app, committed_city,  # noqa: F811
                                                        headers, extra):
    form = {"api_key": committed_city, "service_code": "POTHOLE", "lat": "42.04",
            "long": "-87.7", "attribute[SIZE]": "L", **extra}
    answers: list[tuple[int, bytes]] = []

    def file_report() -> None:
        response = app.test_client().post("/open311/v2/requests.json", data=form,
                                          headers=headers)
        answers.append((response.status_code, response.data))

    with app.app_context():
        blocker = flask_db.engine.connect()
        # Both POSTs get past their api key lookup and wait here: without the advisory lock,
        # both would find no key and both would file.
        blocker.execute(sa.text("LOCK TABLE service_requests IN SHARE MODE"))
        threads = [threading.Thread(target=file_report) for _ in range(2)]
        for thread in threads:
            thread.start()
        watcher = flask_db.engine.connect()
        deadline = time.monotonic() + WAIT_SECONDS
        while _waiting_backends(watcher) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        watcher.close()
        blocker.rollback()
        blocker.close()
        for thread in threads:
            thread.join(WAIT_SECONDS)
        stored = flask_db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest))
        flask_db.session.remove()
    assert (stored, len(answers), answers[0] == answers[1]) == (1, 2, True)
