"""Tests run against a real PostGIS database built by `alembic upgrade head`; each test runs
inside a transaction that is rolled back, and the routes' commits only release savepoints."""

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import scoped_session, sessionmaker

from app import create_app
from app.extensions import db as flask_db

FIXTURES = Path(__file__).parent / "fixtures"
SERVER_URL = os.environ.get("TEST_DATABASE_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")


def _test_database_name() -> str:
    # One database per checkout, so that several work trees can test at once.
    checkout = re.sub(r"[^a-z0-9]+", "_", Path(__file__).resolve().parents[1].name.lower())
    return os.environ.get("TEST_DATABASE_NAME", f"open311_test_{checkout}")[:63]


@pytest.fixture(scope="session")
def database_url() -> str:
    """A fresh database, migrated to head."""
    name = _test_database_name()
    admin = sa.create_engine(f"{SERVER_URL}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = f"{SERVER_URL}/{name}"
    from flask_migrate import upgrade

    migrating = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with migrating.app_context():
        upgrade()
        flask_db.engine.dispose()
    return url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    """The application, configured for tests."""
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MEDIA_DIR": str(tmp_path_factory.mktemp("media")),
            "PUBLIC_BASE_URL": "http://localhost",
            # The suite files hundreds of requests from one address; tests/reliability builds
            # its own apps with small limits.
            "RATELIMIT_ENABLED": False,
        }
    )
    yield application
    with application.app_context():
        flask_db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Each test's rows are rolled back or truncated behind the process caches' back (a
    server learns of such changes only through their TTL): every test starts with none."""
    from app.process_cache import clear_every_cache

    clear_every_cache()
    yield
    clear_every_cache()


@pytest.fixture
def db_session(app):
    """The app's session, bound to a connection whose outer transaction is rolled back."""
    with app.app_context():
        connection = flask_db.engine.connect()
        outer = connection.begin()
        original = flask_db.session
        # A plain Session bound to our connection: Flask-SQLAlchemy's own session class picks
        # its engine per call and would step out of the test's transaction.
        flask_db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        try:
            yield flask_db.session
        finally:
            flask_db.session.remove()
            flask_db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app, db_session):
    """A test client whose requests share the test's transaction."""
    return app.test_client()


@pytest.fixture
def jurisdiction(db_session):
    """The test city, loaded from tests/fixtures/catalog.yaml inside the test's transaction."""
    from app.operations.catalog import load_catalog

    loaded, _ = load_catalog(db_session, FIXTURES / "catalog.yaml")
    return loaded


@pytest.fixture
def services(db_session, jurisdiction):
    """The test city's services by code."""
    from app.models import Service

    return {
        s.service_code: s
        for s in db_session.scalars(
            sa.select(Service).where(Service.jurisdiction_id == jurisdiction.id)
        )
    }


@pytest.fixture
def api_key(db_session):
    """A clear Open311 api key for an app."""
    from app.operations.access import create_api_key

    key, _ = create_api_key(db_session, "test app")
    return key


@pytest.fixture
def make_request(db_session, services):
    """Create a stored request: make_request("POTHOLE", lat=..., long=..., **columns)."""
    from tests.factories import ServiceRequestFactory

    def make(service_code: str = "POTHOLE", **kwargs):
        ServiceRequestFactory._meta.sqlalchemy_session = db_session
        return ServiceRequestFactory(service=services[service_code], **kwargs)

    return make


@pytest.fixture
def live_server(app, db_session):
    """The app on a real loopback socket, for HTTP clients; it shares the test's transaction,
    so requests are served one at a time."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def committed_city(app):
    """The test city and an api key, committed (for real concurrency); every table emptied
    afterwards."""
    from app.db import Base
    from app.operations.access import create_api_key
    from app.operations.catalog import load_catalog

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
