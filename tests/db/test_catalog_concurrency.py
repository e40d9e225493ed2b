"""A catalog load and a report filed at the same moment, on two connections, with committed
data: the report must end up under the definition the load commits (its public_location),
never stored under the old one after the load's refresh of public forms has run."""

import threading
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.extensions import db as flask_db
from app.models import ServiceRequest
from app.operations.catalog import apply_catalog, parse_catalog
from tests.concurrency import WAIT_SECONDS, _waiting_backends

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_a_report_filed_during_a_catalog_load_gets_the_loaded_public_location(
        app, committed_city, tmp_path):
    stricter = tmp_path / "catalog.yaml"
    text = (FIXTURES / "catalog.yaml").read_text()
    pothole = text.index("service_code: POTHOLE")
    at = text.index("public_location: exact", pothole)
    stricter.write_text(text[:at] + "public_location: hidden" + text[at + 22:])
    # The catalog names its boundary file beside it.
    (tmp_path / "boundary.geojson").write_text((FIXTURES / "boundary.geojson").read_text())
    statuses: list[int] = []
    form = {"api_key": committed_city, "service_code": "POTHOLE", "lat": "42.04",
            "long": "-87.7", "attribute[SIZE]": "L"}

    def file_report() -> None:
        statuses.append(app.test_client().post("/open311/v2/requests.json", data=form)
                        .status_code)

    with app.app_context():
        app.test_client().get("/open311/v2/services.json")  # the definitions are remembered
        loading = Session(flask_db.engine)
        apply_catalog(loading, *parse_catalog(stricter))  # holds the catalog lock, uncommitted
        filing = threading.Thread(target=file_report)
        filing.start()
        watcher = flask_db.engine.connect()
        deadline = time.monotonic() + WAIT_SECONDS
        while _waiting_backends(watcher) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        waited = _waiting_backends(watcher)
        watcher.close()
        assert statuses == []  # the filing waits for the load
        loading.commit()
        loading.close()
        filing.join(WAIT_SECONDS)
        stored = flask_db.session.execute(
            sa.select(ServiceRequest.public_location, ServiceRequest.public_point)).all()
        flask_db.session.remove()
    assert waited == 1
    assert statuses == [200]
    assert stored == [("hidden", None)]


def test_a_filing_that_waits_too_long_for_a_catalog_load_gets_503(app, committed_city,
                                                                  monkeypatch):
    from app.operations import definitions

    monkeypatch.setattr(definitions, "FILING_LOCK_WAIT", "200ms")
    form = {"api_key": committed_city, "service_code": "POTHOLE", "lat": "42.04",
            "long": "-87.7", "attribute[SIZE]": "L"}
    with app.app_context():
        jurisdiction_id = flask_db.session.scalar(sa.text("SELECT id FROM jurisdictions"))
        flask_db.session.remove()
        loading = Session(flask_db.engine)
        definitions.lock_catalog(loading, jurisdiction_id)  # a long load, still running
        try:
            response = app.test_client().post("/open311/v2/requests.json", data=form)
        finally:
            loading.rollback()
            loading.close()
        flask_db.session.remove()  # the request ran in this app context: its failed session
        stored = flask_db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest))
        flask_db.session.remove()
        again = app.test_client().post("/open311/v2/requests.json", data=form)
    assert (response.status_code, response.headers.get("Retry-After")) == (503, "5")
    assert stored == 0
    assert again.status_code == 200
