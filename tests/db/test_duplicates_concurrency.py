"""Two identical reports filed at the same moment, on two connections, with committed data:
the one filed second must link to the first. Runs outside the rolled-back test transaction,
so it cleans up after itself."""

import threading
import time

import pytest
import sqlalchemy as sa

from app.db import Base
from app.extensions import db as flask_db
from app.models import ServiceRequest
from app.operations.access import create_api_key
from app.operations.catalog import load_catalog
from tests.conftest import FIXTURES

WAIT_SECONDS = 10


@pytest.fixture
def committed_city(app):
    """The test city and an api key, committed; every table emptied afterwards."""
    with app.app_context():
        load_catalog(flask_db.session, FIXTURES / "catalog.yaml")
        key, _ = create_api_key(flask_db.session, "concurrency test")
        flask_db.session.commit()
        flask_db.session.remove()
    try:
        yield key
    finally:
        with app.app_context():
            tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
            with flask_db.engine.begin() as connection:
                connection.execute(sa.text(f"TRUNCATE {tables} CASCADE"))
            flask_db.engine.dispose()


def _waiting_backends(connection) -> int:
    return connection.execute(sa.text(
        "SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE NOT l.granted AND a.datname = current_database()"
    )).scalar_one()


def test_identical_reports_filed_at_once_link_instead_of_both_becoming_parents(
        app, committed_city):
    form = {"api_key": committed_city, "service_code": "POTHOLE", "lat": "42.04",
            "long": "-87.7", "attribute[SIZE]": "L"}
    statuses: list[int] = []

    def file_report() -> None:
        statuses.append(app.test_client().post("/open311/v2/requests.json", data=form)
                        .status_code)

    with app.app_context():
        blocker = flask_db.engine.connect()
        # Both reports do their lookup, then wait to insert while this lock is held: without
        # the advisory lock both lookups would find nothing, deterministically.
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
        rows = flask_db.session.execute(
            sa.select(ServiceRequest.id, ServiceRequest.duplicate_of_id)
            .order_by(ServiceRequest.id)
        ).all()
        flask_db.session.remove()
    assert statuses == [200, 200]
    (first, first_parent), (_, second_parent) = rows
    assert (first_parent, second_parent) == (None, first)
