"""Every request's Open311 JSON entry is stored in its row (`open311_entry`, migration 2100) by
triggers that render it as app.open311.render does: after any write, each stored entry is what
a fresh rendering gives, and the database's rendering function is the code's."""

import re
from datetime import UTC, datetime

import sqlalchemy as sa

from app.models import Department, ServiceRequest
from app.open311 import render
from app.reads.projection import city_zone


def fresh_entries(session, timezone: str) -> dict[int, str]:
    """Every request's entry rendered now by entry_sql, by id."""
    page = render.page_of(sa.select(ServiceRequest.id).select_from(ServiceRequest)
                          .join(render.Service, render.Service.id == ServiceRequest.service_id)
                          .outerjoin(Department, Department.id == ServiceRequest.department_id))
    rows = session.execute(sa.select(page.c.id, render.entry_sql("json")).select_from(page),
                           city_zone(timezone))
    return dict(rows.all())


def stored_entries(session) -> dict[int, str]:
    return dict(session.execute(sa.text("SELECT id, open311_entry FROM service_requests")).all())


def assert_stored_as_rendered(session, timezone: str) -> None:
    session.flush()
    fresh = fresh_entries(session, timezone)
    assert fresh, "no request to compare"
    assert stored_entries(session) == fresh


def test_the_database_renders_entries_with_the_code_s_sql(db_session):
    installed = db_session.scalar(sa.text(
        "SELECT prosrc FROM pg_proc WHERE proname = :name"), {"name": render.ENTRY_FUNCTION})
    code = re.search(r"\$\$(.*)\$\$", render.entry_function(), re.S).group(1)
    assert installed == code, (
        "app.open311.render renders entries differently from the database's "
        f"{render.ENTRY_FUNCTION}(): add a migration that installs render.entry_function()")


def test_filed_and_updated_requests_store_their_rendering(db_session, make_request, jurisdiction):
    exact = make_request("POTHOLE", media_urls=["https://img.example/1.jpg"],
                         description='say "hi" bo@example.org')
    hidden = make_request("NOISE", address="77 Oak St", zipcode="60203")
    make_request("GRAFFITI", deadline=None)
    assert_stored_as_rendered(db_session, jurisdiction.timezone)

    exact.status, exact.status_notes = "closed", "fixed, call (312) 555-0100"
    exact.updated_at = datetime.now(UTC)
    hidden.description = "changed"
    assert_stored_as_rendered(db_session, jurisdiction.timezone)
    assert "555-0100" not in stored_entries(db_session)[exact.id]


def test_renaming_a_service_or_department_or_moving_the_city_renders_theirs_again(
        db_session, make_request, services, jurisdiction):
    pothole = make_request("POTHOLE")
    make_request("GRAFFITI")
    db_session.flush()
    services["POTHOLE"].service_name = "Road hole"
    assert_stored_as_rendered(db_session, jurisdiction.timezone)
    assert '"service_name" : "Road hole"' in stored_entries(db_session)[pothole.id]

    pothole.department.name = "Streets and Sidewalks"
    assert_stored_as_rendered(db_session, jurisdiction.timezone)

    jurisdiction.timezone = "Asia/Kolkata"
    assert_stored_as_rendered(db_session, "Asia/Kolkata")
    assert "+05:30" in stored_entries(db_session)[pothole.id]
