"""The spatial filters must be served by the GiST indexes on location, not by scans."""

import json
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from psycopg.sql import Literal
from sqlalchemy.dialects import postgresql

from app.open311.params import Paging, list_query
from app.operations.definitions import filing_catalog_lock
from app.operations.duplicates import parent_search
from app.operations.public_form import refresh_public_forms
from app.reads.filters import Circle, RequestFilters

GIST_INDEXES = {"ix_service_requests_location", "ix_service_requests_open_location"}
PUBLIC_GIST_INDEXES = {"ix_service_requests_public_point"}
ROWS = 5000


@pytest.fixture
def many_requests(db_session, services):
    """ROWS requests spread over the city and two years, then fresh planner statistics."""
    db_session.execute(sa.text("""
        INSERT INTO service_requests (jurisdiction_id, service_id, status, detailed_status,
            media_urls, attributes, channel, vote_count, requested_at, updated_at, location)
        SELECT s.jurisdiction_id, s.id, CASE WHEN g % 4 = 0 THEN 'closed' ELSE 'open' END,
            'submitted', '{}', '{}', 'api', 0, now() - (g % 730) * interval '1 day',
            now() - (g % 730) * interval '1 day',
            ST_SetSRID(ST_MakePoint(-87.74 + (g * 7919 % 1000) * 0.00008,
                                    42.01 + (g * 104729 % 1000) * 0.00007), 4326)::geography
        FROM generate_series(1, :rows) AS g, services AS s WHERE s.id = :service_id
    """), {"rows": ROWS, "service_id": services["POTHOLE"].id})
    refresh_public_forms(db_session)
    db_session.execute(sa.text("ANALYZE service_requests"))


def index_names(db_session, statement) -> set[str]:
    compiled = statement.compile(dialect=postgresql.psycopg.dialect(),
                                 compile_kwargs={"render_postcompile": True})
    (plan,) = db_session.connection().exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar_one()
    return plan_index_names(plan)


def plan_index_names(plan) -> set[str]:
    found: set[str] = set()

    def walk(node):
        if "Index Name" in node:
            found.add(node["Index Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(json.loads(plan)["Plan"] if isinstance(plan, str) else plan["Plan"])
    return found


def test_radius_query_uses_the_public_point_gist_index(db_session, jurisdiction,
                                                       many_requests):
    filters = RequestFilters(circle=Circle(42.04, -87.70, 200))
    assert index_names(db_session, list_query(jurisdiction, filters, Paging())) \
        & PUBLIC_GIST_INDEXES


def test_bbox_query_uses_the_public_point_gist_index(db_session, jurisdiction, many_requests):
    filters = RequestFilters(bbox=(-87.70, 42.04, -87.698, 42.042))
    assert index_names(db_session, list_query(jurisdiction, filters, Paging())) \
        & PUBLIC_GIST_INDEXES


def test_parent_search_uses_the_location_gist_index(db_session, services, many_requests):
    _lock, (sql, parameters) = parent_search(db_session, services["POTHOLE"], 42.04, -87.70,
                                             datetime.now(UTC))
    (plan,) = db_session.connection().exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) {sql}", parameters).scalar_one()
    assert plan_index_names(plan) & GIST_INDEXES


def test_parent_search_planned_once_per_connection_reads_the_open_location_index(
        db_session, jurisdiction, services, many_requests):
    """A filing plans its statements once per connection (its first statement sets
    plan_cache_mode): that one plan, made for any service and point, must still walk the
    index of open requests' locations, not every open request of the service."""
    connection = db_session.connection()
    connection.exec_driver_sql(*filing_catalog_lock(jurisdiction.id))
    assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar_one() \
        == "force_generic_plan"
    _lock, (sql, parameters) = parent_search(db_session, services["POTHOLE"], 42.04, -87.70,
                                             datetime.now(UTC))
    names = list(parameters)
    connection.exec_driver_sql("PREPARE parent_search AS " + re.sub(
        r"%\((\w+)\)s", lambda match: f"${names.index(match.group(1)) + 1}", sql))
    driver = connection.connection.driver_connection
    values = ", ".join(Literal(parameters[name]).as_string(driver) for name in names)
    (plan,) = connection.exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) EXECUTE parent_search({values})").scalar_one()
    connection.exec_driver_sql("DEALLOCATE parent_search")
    assert plan_index_names(plan) == {"ix_service_requests_open_location",
                                      "pk_service_requests"}


def test_nearby_check_reads_the_index_of_open_published_points(db_session, jurisdiction,
                                                               many_requests):
    from app.reads.requests import NEARBY_STATEMENT

    sql, fixed = NEARBY_STATEMENT.driver_sql(postgresql.psycopg.dialect())
    (plan,) = db_session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", {
        **fixed, "lat": 42.04, "long": -87.70, "service_code": "POTHOLE",
        "jurisdiction_id": jurisdiction.id, "city_zone": jurisdiction.timezone}).scalar_one()
    assert "ix_service_requests_open_public_point" in plan_index_names(plan)
