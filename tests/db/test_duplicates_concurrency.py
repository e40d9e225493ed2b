"""Two identical reports filed at the same moment, on two connections, with committed data:
the one filed second must link to the first. Runs outside the rolled-back test transaction,
so it cleans up after itself."""

import math

import sqlalchemy as sa

from app.extensions import db as flask_db
from app.models import Service, ServiceRequest
from app.operations.duplicates import duplicate_cell_size, duplicate_lock_keys
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


def _across_a_cell_edge(radius_m: float, metres: float) -> tuple[float, float]:
    """Two latitudes `metres` apart on either side of an edge of the lock grid near 42.04."""
    cell = duplicate_cell_size(radius_m)
    edge = (math.floor(42.04 / cell) + 1) * cell
    half = metres / 2 / 111_000
    return edge - half, edge + half


def test_reports_a_few_metres_apart_across_a_lock_cell_edge_still_link(app, committed_city):
    # POTHOLE's duplicate radius is 40 m: 6 m apart, on two cells of the lock grid.
    south, north = _across_a_cell_edge(40, 6)
    forms = [{"api_key": committed_city, "service_code": "POTHOLE", "lat": repr(lat),
              "long": "-87.7", "attribute[SIZE]": "L"} for lat in (south, north)]
    statuses: list[int] = []

    def file_report() -> None:
        form = forms.pop()
        statuses.append(app.test_client().post("/open311/v2/requests.json", data=form)
                        .status_code)

    with app.app_context():
        run_together(file_report)
        rows = flask_db.session.execute(
            sa.select(ServiceRequest.id, ServiceRequest.duplicate_of_id)
            .order_by(ServiceRequest.id)
        ).all()
        flask_db.session.remove()
    assert statuses == [200, 200]
    (first, first_parent), (_, second_parent) = rows
    assert (first_parent, second_parent) == (None, first)


def test_lock_keys_are_shared_within_the_radius_and_not_far_away():
    service = Service(id=7, duplicate_radius_m=40)
    south, north = _across_a_cell_edge(40, 39)
    assert set(duplicate_lock_keys(service, south, -87.7)) & set(
        duplicate_lock_keys(service, north, -87.7))
    # Due east across a column edge, where a degree of longitude is shorter.
    assert set(duplicate_lock_keys(service, 42.04, -87.7)) & set(
        duplicate_lock_keys(service, 42.04, -87.7 + 39 / 82_700))
    # 300 m apart, or another service at the same point: no common key, no waiting.
    assert not set(duplicate_lock_keys(service, 42.04, -87.7)) & set(
        duplicate_lock_keys(service, 42.04 + 300 / 111_000, -87.7))
    assert not set(duplicate_lock_keys(service, 42.04, -87.7)) & set(
        duplicate_lock_keys(Service(id=8, duplicate_radius_m=40), 42.04, -87.7))
