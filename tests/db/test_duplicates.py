from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.models import RequestUpdate
from app.operations.duplicates import cascade_closure, parent_search
from app.operations.submit import Actor, SubmitForm, submit_request
from tests.factories import moved

LAT, LONG = 42.04, -87.70
ACTOR = Actor(label="api_key:test app")


def parent_found(db_session, service, lat, long, when):
    """The id of the parent parent_search finds for a report at (lat, long), or None."""
    statements = parent_search(db_session, service, lat, long, when)
    if not statements:
        return None
    _lock, (sql, parameters) = statements
    row = db_session.connection().exec_driver_sql(sql, parameters).first()
    return row[0] if row is not None else None


def file_pothole(db_session, jurisdiction, lat=LAT, long=LONG, code="POTHOLE"):
    form = SubmitForm(service_code=code, lat=str(lat), long=str(long),
                      attributes={"SIZE": ["L"]} if code == "POTHOLE" else {})
    return submit_request(db_session, jurisdiction, form, ACTOR)


def now():
    return datetime.now(UTC)


def test_the_parent_is_the_nearest_open_request_of_the_service(db_session, services,
                                                                make_request):
    make_request("POTHOLE", lat=moved(LAT, LONG, north_m=30)[0], long=LONG)
    near = make_request("POTHOLE", lat=moved(LAT, LONG, north_m=10)[0], long=LONG)
    make_request("POTHOLE", lat=moved(LAT, LONG, north_m=20)[0], long=LONG)
    assert parent_found(db_session, services["POTHOLE"], LAT, LONG, now()) == near.id


def test_the_parent_of_a_report_near_a_duplicate_is_its_root(db_session, services,
                                                             make_request):
    root = make_request("POTHOLE", lat=moved(LAT, LONG, north_m=35)[0], long=LONG)
    make_request("POTHOLE", lat=moved(LAT, LONG, north_m=5)[0], long=LONG,
                 duplicate_of_id=root.id)
    assert parent_found(db_session, services["POTHOLE"], LAT, LONG, now()) == root.id


def test_a_service_without_a_window_finds_a_parent_of_any_age(db_session, services,
                                                              make_request):
    services["POTHOLE"].duplicate_window_days = None
    old = make_request("POTHOLE", lat=LAT, long=LONG, requested_at=now() - timedelta(days=400))
    assert parent_found(db_session, services["POTHOLE"], LAT, LONG, now()) == old.id


def test_nearby_leaves_out_requests_beyond_the_radius(db_session, services, make_request):
    make_request("POTHOLE", lat=moved(LAT, LONG, north_m=45)[0], long=LONG)  # radius is 40 m
    assert parent_found(db_session, services["POTHOLE"], LAT, LONG, now()) is None


def test_nearby_leaves_out_other_services(db_session, services, make_request):
    make_request("GRAFFITI", lat=LAT, long=LONG)
    assert parent_found(db_session, services["POTHOLE"], LAT, LONG, now()) is None


def test_nearby_leaves_out_requests_filed_before_the_window(db_session, services,
                                                            make_request):
    make_request("POTHOLE", lat=LAT, long=LONG, requested_at=now() - timedelta(days=31))
    assert parent_found(db_session, services["POTHOLE"], LAT, LONG, now()) is None


def test_nearby_leaves_out_closed_requests(db_session, services, make_request):
    make_request("POTHOLE", lat=LAT, long=LONG, status="closed", detailed_status="resolved")
    assert parent_found(db_session, services["POTHOLE"], LAT, LONG, now()) is None


def test_nearby_is_empty_for_a_service_without_a_duplicates_rule(db_session, services,
                                                                 make_request):
    make_request("TREE", lat=LAT, long=LONG)
    assert parent_found(db_session, services["TREE"], LAT, LONG, now()) is None


def test_report_near_an_open_one_is_linked_to_it(db_session, jurisdiction, make_request):
    parent = make_request("POTHOLE", lat=LAT, long=LONG)
    lat, long = moved(LAT, LONG, east_m=15)
    assert file_pothole(db_session, jurisdiction, lat, long).duplicate_of_id == parent.id


def test_linked_report_is_stored_open_with_a_notice_naming_the_parent(db_session,
                                                                     jurisdiction,
                                                                     make_request):
    parent = make_request("POTHOLE", lat=LAT, long=LONG)
    linked = file_pothole(db_session, jurisdiction)
    assert linked.id is not None and linked.status == "open"
    assert f"request {parent.id}" in linked.service_notice


def test_link_is_recorded_in_both_public_histories(db_session, jurisdiction, make_request):
    parent = make_request("POTHOLE", lat=LAT, long=LONG)
    linked = file_pothole(db_session, jurisdiction)
    rows = db_session.execute(
        select(RequestUpdate.service_request_id, RequestUpdate.public)
        .where(RequestUpdate.kind == "duplicate")
    ).all()
    assert sorted(rows) == sorted([(parent.id, True), (linked.id, True)])


def test_report_is_linked_to_the_nearest_of_several(db_session, jurisdiction, make_request):
    make_request("POTHOLE", lat=moved(LAT, LONG, north_m=20)[0], long=LONG)
    nearest = make_request("POTHOLE", lat=moved(LAT, LONG, north_m=5)[0], long=LONG)
    assert file_pothole(db_session, jurisdiction).duplicate_of_id == nearest.id


def test_report_near_a_duplicate_is_linked_to_its_root(db_session, jurisdiction,
                                                       make_request):
    root = make_request("POTHOLE", lat=moved(LAT, LONG, north_m=35)[0], long=LONG)
    make_request("POTHOLE", lat=LAT, long=LONG, duplicate_of_id=root.id)
    lat, _ = moved(LAT, LONG, north_m=-20)  # 55 m from the root, 20 m from its duplicate
    assert file_pothole(db_session, jurisdiction, lat, LONG).duplicate_of_id == root.id


@pytest.mark.parametrize("case", ["other service", "beyond radius", "outside window",
                                  "closed parent"])
def test_report_is_not_linked(db_session, jurisdiction, make_request, case):
    columns = {
        "other service": {"service_code": "GRAFFITI"},
        "beyond radius": {"lat": moved(LAT, LONG, north_m=41)[0]},
        "outside window": {"requested_at": now() - timedelta(days=30, minutes=1)},
        "closed parent": {"status": "closed", "detailed_status": "resolved"},
    }[case]
    make_request(columns.pop("service_code", "POTHOLE"), **{"lat": LAT, "long": LONG, **columns})
    filed = file_pothole(db_session, jurisdiction)
    assert filed.duplicate_of_id is None
    assert "already been reported" not in (filed.service_notice or "")


def test_closing_a_parent_closes_its_open_duplicates_alike(db_session, make_request):
    parent = make_request("POTHOLE", lat=LAT, long=LONG, status="closed",
                          detailed_status="resolved", state_code="WORK_COMPLETED",
                          status_notes="Patched")
    duplicate = make_request("POTHOLE", lat=LAT, long=LONG, duplicate_of_id=parent.id)
    closed_at = now()
    cascade_closure(db_session, parent, ACTOR, closed_at)
    db_session.refresh(duplicate)
    assert (duplicate.status, duplicate.detailed_status, duplicate.state_code,
            duplicate.status_notes) == ("closed", "resolved", "WORK_COMPLETED", "Patched")
    assert duplicate.closed_at == closed_at and duplicate.updated_at == closed_at


def test_cascaded_closure_adds_a_public_note_naming_the_parent(db_session, make_request):
    parent = make_request("POTHOLE", lat=LAT, long=LONG, status="closed",
                          detailed_status="cancelled", state_code="INVALID")
    duplicate = make_request("POTHOLE", lat=LAT, long=LONG, detailed_status="acknowledged",
                             duplicate_of_id=parent.id)
    cascade_closure(db_session, parent, ACTOR, now())
    note = db_session.scalars(
        select(RequestUpdate).where(RequestUpdate.service_request_id == duplicate.id)
    ).one()
    assert note.public and str(parent.id) in note.description
    assert (note.from_status, note.to_status, note.state_code) == (
        "acknowledged", "cancelled", "INVALID")


def test_cascade_leaves_closed_duplicates_and_other_requests_alone(db_session, make_request):
    parent = make_request("POTHOLE", lat=LAT, long=LONG, status="closed",
                          detailed_status="resolved", state_code="WORK_COMPLETED")
    earlier = make_request("POTHOLE", duplicate_of_id=parent.id, status="closed",
                           detailed_status="cancelled", state_code="WITHDRAWN")
    unrelated = make_request("POTHOLE", lat=LAT, long=LONG)
    closed = cascade_closure(db_session, parent, ACTOR, now())
    assert closed == []
    db_session.refresh(earlier)
    db_session.refresh(unrelated)
    assert earlier.state_code == "WITHDRAWN" and unrelated.status == "open"
