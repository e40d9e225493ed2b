"""Two identical retries at the same moment, on two connections, with committed data: one
request is filed and both get its answer. Runs outside the rolled-back test transaction, so it
cleans up after itself."""

import pytest
import sqlalchemy as sa

from app.extensions import db as flask_db
from app.models import ServiceRequest
from tests.concurrency import run_together


@pytest.mark.parametrize("headers, extra", [
    ({"Idempotency-Key": "retry-7"}, {}),
    ({}, {"device_id": "phone-7"}),
], ids=["header", "device_and_body"])
def test_two_identical_retries_at_once_file_one_request(app, committed_city,
                                                        headers, extra):
    form = {"api_key": committed_city, "service_code": "POTHOLE", "lat": "42.04",
            "long": "-87.7", "attribute[SIZE]": "L", **extra}
    answers: list[tuple[int, bytes]] = []

    def file_report() -> None:
        response = app.test_client().post("/open311/v2/requests.json", data=form,
                                          headers=headers)
        answers.append((response.status_code, response.data))

    with app.app_context():
        # Both POSTs get past their idempotency lookup and wait to insert: without the
        # advisory lock, both would find no key and both would file.
        run_together(file_report)
        stored = flask_db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest))
        flask_db.session.remove()
    assert (stored, len(answers), answers[0] == answers[1]) == (1, 2, True)
