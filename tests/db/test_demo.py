from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.models import Jurisdiction, Reporter, Service, ServiceRequest
from app.operations.demo import load_demo
from app.operations.submit import compute_deadline
from app.workflow import CLOSED_STATES, OPEN_STATES
from tests.open311_client import body

NOW = datetime(2026, 6, 15, 17, 0, tzinfo=UTC)
SMALL = 400


def _demo_requests(db_session, summary):
    return db_session.scalars(
        sa.select(ServiceRequest).where(ServiceRequest.jurisdiction_id == summary.jurisdiction_id)
        .order_by(ServiceRequest.requested_at)
    ).all()


def _fingerprint(db_session, summary) -> list[tuple]:
    return db_session.execute(
        sa.select(Service.service_code, ServiceRequest.requested_at, ServiceRequest.status,
                  ServiceRequest.state_code, ServiceRequest.description,
                  ServiceRequest.duplicate_of_id.is_(None),
                  sa.text("ST_AsText(service_requests.location)"))
        .join(Service, Service.id == ServiceRequest.service_id)
        .where(ServiceRequest.jurisdiction_id == summary.jurisdiction_id)
        .order_by(ServiceRequest.requested_at)
    ).all()


def test_demo_generates_the_requested_number_of_requests(db_session):
    summary = load_demo(db_session, count=SMALL, seed=1, now=NOW)
    assert len(_demo_requests(db_session, summary)) == SMALL


def test_demo_open_requests_have_an_open_state_and_no_closure(db_session):
    summary = load_demo(db_session, count=SMALL, seed=1, now=NOW)
    opened = [r for r in _demo_requests(db_session, summary) if r.status == "open"]
    assert opened
    assert all(r.detailed_status in OPEN_STATES and r.closed_at is None
               and r.state_code is None for r in opened)


def test_demo_closed_requests_have_a_state_code_and_close_after_filing(db_session):
    summary = load_demo(db_session, count=SMALL, seed=1, now=NOW)
    closed = [r for r in _demo_requests(db_session, summary) if r.status == "closed"]
    assert closed
    assert all(r.detailed_status in CLOSED_STATES and r.state_code
               and r.requested_at < r.closed_at <= NOW for r in closed)


def test_demo_is_mostly_on_time_with_some_late(db_session):
    summary = load_demo(db_session, count=SMALL, seed=1, now=NOW)
    judged = [r for r in _demo_requests(db_session, summary)
              if r.closed_at is not None and r.deadline is not None]
    late = sum(r.closed_at > r.deadline for r in judged)
    assert 0 < late < len(judged) / 3


def test_demo_deadlines_are_the_apps_sla_deadlines(db_session):
    summary = load_demo(db_session, count=SMALL, seed=2, now=NOW)
    jurisdiction = db_session.get(Jurisdiction, summary.jurisdiction_id)
    requests = _demo_requests(db_session, summary)
    expected = [compute_deadline(jurisdiction, r.service, r.requested_at) for r in requests]
    assert [r.deadline for r in requests] == expected


def test_demo_requests_are_inside_the_boundary_and_in_a_district(db_session):
    summary = load_demo(db_session, count=SMALL, seed=3, now=NOW)
    outside = db_session.scalar(sa.text("""
        SELECT count(*) FROM service_requests AS r
        JOIN jurisdictions AS j ON j.id = r.jurisdiction_id
        WHERE r.jurisdiction_id = :j
          AND (r.district_id IS NULL OR NOT ST_Covers(j.boundary, r.location::geometry))
    """), {"j": summary.jurisdiction_id})
    assert outside == 0


def test_demo_requests_span_the_past_year(db_session):
    summary = load_demo(db_session, count=SMALL, seed=3, now=NOW)
    requests = _demo_requests(db_session, summary)
    span = requests[-1].requested_at - requests[0].requested_at
    assert span.days > 300 and requests[-1].requested_at <= NOW


def test_demo_duplicates_point_to_an_earlier_open_request_of_the_same_service_nearby(db_session):
    summary = load_demo(db_session, count=SMALL, seed=4, now=NOW)
    links = db_session.execute(sa.text("""
        SELECT child.service_id = parent.service_id,
               parent.requested_at < child.requested_at,
               parent.closed_at IS NULL OR parent.closed_at > child.requested_at,
               ST_Distance(child.location, parent.location) <= service.duplicate_radius_m
        FROM service_requests AS child
        JOIN service_requests AS parent ON parent.id = child.duplicate_of_id
        JOIN services AS service ON service.id = child.service_id
        WHERE child.jurisdiction_id = :j
    """), {"j": summary.jurisdiction_id}).all()
    assert links
    assert all(all(link) for link in links)


def test_demo_closed_duplicates_close_with_their_parent(db_session):
    summary = load_demo(db_session, count=SMALL, seed=4, now=NOW)
    mismatched = db_session.scalar(sa.text("""
        SELECT count(*) FROM service_requests AS child
        JOIN service_requests AS parent ON parent.id = child.duplicate_of_id
        WHERE child.jurisdiction_id = :j
          AND (child.status, child.state_code, child.closed_at)
              IS DISTINCT FROM (parent.status, parent.state_code, parent.closed_at)
    """), {"j": summary.jurisdiction_id})
    assert mismatched == 0


def test_demo_history_starts_with_submitted_and_ends_with_the_closure(db_session):
    summary = load_demo(db_session, count=SMALL, seed=5, now=NOW)
    requests = [r for r in _demo_requests(db_session, summary) if r.status == "closed"]
    assert all(r.updates[0].kind == "submitted" and r.updates[-1].to_status == r.detailed_status
               and r.updates[-1].state_code == r.state_code for r in requests)


def test_demo_vote_counts_match_the_votes(db_session):
    summary = load_demo(db_session, count=SMALL, seed=5, now=NOW)
    mismatched = db_session.scalar(sa.text("""
        SELECT count(*) FROM service_requests AS r
        WHERE r.jurisdiction_id = :j
          AND r.vote_count <> (SELECT count(*) FROM votes WHERE service_request_id = r.id)
    """), {"j": summary.jurisdiction_id})
    total = db_session.scalar(sa.text("SELECT count(*) FROM votes"))
    assert mismatched == 0 and total > 0


def test_demo_surveys_rate_resolved_requests_from_one_to_five(db_session):
    summary = load_demo(db_session, count=SMALL, seed=5, now=NOW)
    ratings = db_session.execute(sa.text("""
        SELECT s.rating, r.detailed_status FROM surveys AS s
        JOIN service_requests AS r ON r.id = s.service_request_id WHERE r.jurisdiction_id = :j
    """), {"j": summary.jurisdiction_id}).all()
    assert ratings
    assert all(1 <= rating <= 3 and status == "resolved" for rating, status in ratings)


def test_demo_reporters_are_clearly_fake(db_session):
    load_demo(db_session, count=SMALL, seed=6, now=NOW)
    emails = db_session.scalars(sa.select(Reporter.email)).all()
    assert emails
    assert all(email.endswith("@example.org") for email in emails)


def test_same_seed_generates_the_same_requests(db_session):
    summary = load_demo(db_session, count=SMALL, seed=7, now=NOW)
    first = _fingerprint(db_session, summary)
    load_demo(db_session, count=SMALL, seed=7, force=True, now=NOW)
    assert _fingerprint(db_session, summary) == first


def test_another_seed_generates_other_requests(db_session):
    summary = load_demo(db_session, count=SMALL, seed=7, now=NOW)
    first = _fingerprint(db_session, summary)
    load_demo(db_session, count=SMALL, seed=8, force=True, now=NOW)
    assert _fingerprint(db_session, summary) != first


def test_loading_the_demo_again_keeps_existing_requests(db_session):
    summary = load_demo(db_session, count=SMALL, seed=1, now=NOW)
    again = load_demo(db_session, count=50, seed=9, now=NOW)
    assert again.generated is False
    assert len(_demo_requests(db_session, summary)) == SMALL


def test_force_replaces_the_demo_requests(db_session):
    summary = load_demo(db_session, count=SMALL, seed=1, now=NOW)
    load_demo(db_session, count=50, seed=9, force=True, now=NOW)
    assert len(_demo_requests(db_session, summary)) == 50


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_get_requests_serves_the_demo_city(client, db_session, fmt):
    load_demo(db_session, count=SMALL, seed=10)
    response = client.get(f"/open311/v2/requests.{fmt}")
    assert response.status_code == 200
    listed = body(response, fmt)
    stored = db_session.scalar(sa.text(
        "SELECT count(*) FROM service_requests WHERE requested_at >= now() - interval '90 days'"
    ))
    assert len(listed) == min(stored, 1000) and stored > 0


def test_the_large_city_has_chicagos_extent_wards_and_its_requests_inside(db_session):
    summary = load_demo(db_session, count=2000, seed=12, now=NOW, city="large")
    area_km2, wards = db_session.execute(sa.text("""
        SELECT ST_Area(boundary::geography) / 1e6,
               (SELECT count(*) FROM districts WHERE jurisdiction_id = :j)
        FROM jurisdictions WHERE id = :j
    """), {"j": summary.jurisdiction_id}).one()
    assert 550 < area_km2 < 700 and wards >= 40
    outside = db_session.scalar(sa.text("""
        SELECT count(*) FROM service_requests AS r
        JOIN jurisdictions AS j ON j.id = r.jurisdiction_id
        WHERE r.jurisdiction_id = :j
          AND (r.district_id IS NULL OR NOT ST_Covers(j.boundary, r.location::geometry))
    """), {"j": summary.jurisdiction_id})
    assert summary.requests == 2000 and outside == 0


def test_the_large_city_spreads_requests_over_every_ward_with_hot_spots(db_session):
    summary = load_demo(db_session, count=2000, seed=13, now=NOW, city="large")
    wards_without, in_the_loop = db_session.execute(sa.text("""
        SELECT (SELECT count(*) FROM districts AS d WHERE d.jurisdiction_id = :j
                -- The grid leaves a sliver at a corner of the boundary: wards of a real size.
                AND ST_Area(d.geom::geography) > 3e6
                AND NOT EXISTS (SELECT 1 FROM service_requests AS r WHERE r.district_id = d.id)),
               (SELECT avg((ST_DWithin(location, ST_MakePoint(-87.6298, 41.88)::geography,
                                       3000))::int)
                FROM service_requests WHERE jurisdiction_id = :j)
    """), {"j": summary.jurisdiction_id}).one()
    # The 3 km around the Loop are 4% of the city; a hot spot draws far more than its area.
    assert wards_without == 0 and in_the_loop > 0.1
