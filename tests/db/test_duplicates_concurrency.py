"""Two identical reports filed at the same moment, on two connections, with committed data:
the one filed second must link to the first. Runs outside the rolled-back test transaction,
so it cleans up after itself."""

import sqlalchemy as sa

from app.extensions import db as flask_db
from app.models import ServiceRequest
from tests.concurrency import run_together


def test_identical_reports_filed_at_once_link_instead_of_both_becoming_parents(
        app, committed_city):
    form = {"api_key": committed_city, "service_code": "POTHOLE", "lat": "42.04",
            "long": "-87.7", "attribute[SIZE]": "L"}
    statuses: list[int] = []

    def file_report() -> None:
        statuses.append(app.test_client().post("/open311/v2/requests.json", data=form)
                        .status_code)

    with app.app_context():
        # Both reports do their lookup, then wait to insert: without the advisory lock both
        # lookups would find nothing, deterministically.
        run_together(file_report)
        rows = flask_db.session.execute(
            sa.select(ServiceRequest.id, ServiceRequest.duplicate_of_id)
            .order_by(ServiceRequest.id)
        ).all()
        flask_db.session.remove()
    assert statuses == [200, 200]
    (first, first_parent), (_, second_parent) = rows
    assert (first_parent, second_parent) == (None, first)
