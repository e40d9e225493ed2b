"""A public page is one statement sent outside any transaction (app/reads/statements.py):
no BEGIN and ROLLBACK around it, and psycopg keeps what it prepared across requests."""

import psycopg
import pytest
from sqlalchemy import bindparam, func, select

from app.extensions import db as flask_db
from app.maps.ogc import bbox_plan
from app.models import Service
from app.reads.statements import BuiltOnce, read_value

PAGES = [
    "/api/v1/public/nearby?service_code=POTHOLE&lat=42.04&long=-87.7",
    # A small bbox: its page is planned once per connection (app/maps/ogc.py).
    "/ogc/collections/requests/items?bbox=-87.705,42.035,-87.695,42.045&limit=100",
    "/open311/v2/requests.json",
    "/open311/v2/requests.xml",
]

RUNS = 30
PREPARED = "SELECT count(*) FROM pg_prepared_statements"


@pytest.mark.parametrize("url", PAGES)
def test_a_page_is_read_in_autocommit_and_prepared_on_its_connection(app, committed_city,
                                                                      monkeypatch, url):
    client = app.test_client()
    sent = []

    def record(cursor, query, *rest, execute=psycopg.Cursor.execute, **named):
        # Seen in psycopg itself: statements built once are sent past SQLAlchemy's events.
        done = execute(cursor, query, *rest, **named)
        if query != PREPARED:
            prepared = execute(cursor.connection.cursor(), PREPARED).fetchone()[0]
            sent.append((cursor.connection.autocommit, prepared))
        return done

    client.get(url)  # fills the process caches (the city)
    monkeypatch.setattr(psycopg.Cursor, "execute", record)
    # psycopg prepares a statement on its prepare_threshold-th (5th) run on a connection,
    # and the pool hands its (at most 5 idle) connections out in turn.
    for _ in range(RUNS):
        assert client.get(url).status_code == 200
    monkeypatch.undo()
    assert len(sent) >= RUNS
    assert all(autocommit for autocommit, _ in sent)
    assert sent[-1][1] >= 1


def test_a_statement_built_once_reads_what_sqlalchemy_would(app, committed_city):
    codes = select(func.string_agg(Service.service_code, ",")).where(
        Service.service_code.like(bindparam("pattern")), Service.active.is_(True))
    with app.app_context():
        session = flask_db.session
        # Outside a transaction: the driver's SQL on an autocommit connection.
        driver_read = read_value(session, BuiltOnce(codes), {"pattern": "POT%"})
        assert not session().in_transaction()
        with session.begin():
            plain_read = read_value(session, codes, {"pattern": "POT%"})
    assert driver_read == plain_read == "POTHOLE"


def test_a_statement_built_once_refuses_what_needs_sqlalchemy_at_each_run(app):
    with app.app_context():
        dialect = flask_db.engine.dialect
    expanding = BuiltOnce(select(Service.id).where(Service.service_code.in_(["POTHOLE"])))
    with pytest.raises(ValueError, match="processing of its parameters"):
        expanding.driver_sql(dialect)


PLAN_CACHE_MODE = BuiltOnce(select(func.current_setting("plan_cache_mode")))


def test_a_plan_choice_holds_for_its_statement_alone(app, committed_city, monkeypatch):
    planned_each_time = BuiltOnce(select(func.count()).select_from(
        select(func.unnest(func.array_agg(Service.id))).where(
            Service.service_code == bindparam("code")).subquery()))
    prepared_after_it = []

    def record(cursor, query, *rest, execute=psycopg.Cursor.execute, **named):
        done = execute(cursor, query, *rest, **named)
        if "unnest" in str(query) and "pg_prepared_statements" not in str(query):
            prepared_after_it.append(execute(
                cursor.connection.cursor(), "SELECT count(*) FROM pg_prepared_statements"
                " WHERE statement LIKE '%%unnest%%'", prepare=False).fetchone()[0])
        return done

    monkeypatch.setattr(psycopg.Cursor, "execute", record)
    with app.app_context():
        session = flask_db.session
        # The pool hands its connections out in turn: enough runs to go round them all.
        for _ in range(RUNS):
            assert read_value(session, PLAN_CACHE_MODE, {}, "generic") == "force_generic_plan"
            assert read_value(session, PLAN_CACHE_MODE, {}) == "auto"
            assert read_value(session, planned_each_time, {"code": "POTHOLE"}, "custom") == 1
        assert not session().in_transaction()
    # "custom" is planned for its values each time: never prepared, on any connection.
    assert prepared_after_it == [0] * RUNS


def test_a_small_bbox_gets_one_plan_and_a_city_wide_one_its_own():
    assert bbox_plan(-87.701, 42.039, -87.699, 42.041) == "generic"
    assert bbox_plan(-87.94, 41.64, -87.52, 42.02) == "custom"
