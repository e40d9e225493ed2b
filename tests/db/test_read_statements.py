"""A public page is one statement sent outside any transaction (app/reads/statements.py):
no BEGIN and ROLLBACK around it, and psycopg keeps what it prepared across requests."""

import psycopg
import pytest
from sqlalchemy import bindparam, func, select

from app.extensions import db as flask_db
from app.models import Service
from app.reads.statements import BuiltOnce, read_value

PAGES = [
    "/api/v1/public/nearby?service_code=POTHOLE&lat=42.04&long=-87.7",
    "/ogc/collections/requests/items?bbox=-87.71,42.03,-87.69,42.05&limit=100",
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
    assert [autocommit for autocommit, _ in sent] == [True] * RUNS
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
