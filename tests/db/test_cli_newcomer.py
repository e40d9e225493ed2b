"""The `open311` command as a newcomer meets it: failures explained in one or two lines that
name the cause and the fix (never a traceback unless --debug), progress on long commands, and
`make run`'s closing words."""

# The checkout's own console script and make, with fixed arguments.
# ruff: noqa: S603, S607
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.demo_city import DemoCity, demo_city  # noqa: F401  (the fixture)

CHECKOUT = Path(__file__).resolve().parents[2]
OPEN311 = str(Path(sys.executable).parent / "open311")


def run(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": database_url, **env}
    environment.pop("FLASK_DEBUG", None)
    return subprocess.run([OPEN311, *args], capture_output=True, text=True, timeout=300,
                          env=environment, check=False, cwd="/")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def empty_database(database_url):
    """A database that exists but was never migrated."""
    server, _ = database_url.rsplit("/", 1)
    name = f"open311_unmigrated_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def assert_explained(result: subprocess.CompletedProcess) -> list[str]:
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and 1 <= len(lines) <= 2, result.stderr
    return lines


def test_unreachable_database_names_its_host_and_the_drivers_reason():
    port = free_port()
    result = run("keys", "create", "x",
                 database_url=f"postgresql://postgres@127.0.0.1:{port}/open311")
    cause, fix = assert_explained(result)
    assert f"open311 on 127.0.0.1:{port}" in cause and "Connection refused" in cause
    assert "DATABASE_URL" in fix


def test_missing_database_says_how_to_create_it(database_url):
    server, _ = database_url.rsplit("/", 1)
    result = run("keys", "create", "x", database_url=f"{server}/open311_never_made")
    cause, fix = assert_explained(result)
    assert 'database "open311_never_made" does not exist' in cause
    assert "make db DB_NAME=open311_never_made" in fix


def test_unmigrated_database_says_run_db_upgrade(empty_database):
    result = run("demo", "load", database_url=empty_database)
    lines = [line for line in result.stderr.splitlines() if not line.startswith("demo load [")]
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(lines) == 2 and "not migrated" in lines[0]
    assert lines[1].strip() == "fix: run `open311 db upgrade`"


def test_debug_shows_the_traceback(empty_database):
    result = run("--debug", "keys", "create", "x", database_url=empty_database)
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_a_url_that_is_not_postgresql_is_named(database_url):
    result = run("keys", "create", "x", database_url="mysql://x@127.0.0.1/open311")
    cause, fix = assert_explained(result)
    assert "not a PostgreSQL URL" in cause and "postgresql://" in fix


def test_db_upgrade_runs_from_any_directory_and_a_postgres_url_is_accepted(empty_database):
    libpq_url = empty_database.replace("postgresql+psycopg://", "postgres://")
    result = run("db", "upgrade", database_url=libpq_url)
    assert result.returncode == 0, result.stderr
    assert run("keys", "create", "x", database_url=libpq_url).stdout.strip()


def test_missing_file_names_the_file(demo_city: DemoCity):  # noqa: F811
    result = run("districts", "load", "/nowhere/wards.geojson", "--code-field", "ward",
                 "--name-field", "name", database_url=demo_city.database_url)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "/nowhere/wards.geojson" in result.stderr


def test_demo_load_shows_its_progress(demo_city: DemoCity):  # noqa: F811
    result = run("demo", "load", database_url=demo_city.database_url)
    assert result.returncode == 0, result.stderr
    steps = [line for line in result.stderr.splitlines() if line.startswith("demo load [")]
    assert steps[0].endswith("catalog, wards and addresses") and steps[-1].endswith("done")
    assert "already has" in result.stdout


def test_welcome_says_where_it_serves_the_database_and_what_next(demo_city: DemoCity):  # noqa: F811
    result = run("welcome", "--url", "http://127.0.0.1:5000",
                 database_url=demo_city.database_url)
    database = demo_city.database_url.rsplit("/", 1)[1]
    assert "City of Lakeshore" in result.stdout
    assert "on http://127.0.0.1:5000/" in result.stdout
    assert f"database: {database} on 127.0.0.1:5432" in result.stdout
    # Not the default database: the next commands name it.
    assert f'DB_NAME={database} .venv/bin/open311 keys create "my app"' in result.stdout
    assert "http://127.0.0.1:5000/api/docs" in result.stdout


def test_make_db_creates_and_migrates_the_database_it_names(database_url):
    name = f"open311_makedb_{uuid.uuid4().hex[:8]}"
    server = database_url.rsplit("/", 1)[0]
    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DB_NAME")}
    try:
        made = subprocess.run(["make", "--no-print-directory", "db", f"DB_NAME={name}"],
                              cwd=CHECKOUT, env=environment, capture_output=True, text=True,
                              timeout=600, check=False)
        assert made.returncode == 0, made.stderr[-2000:]
        assert f"created the database {name} on 127.0.0.1:5432" in made.stdout
        migrated = sa.create_engine(f"{server}/{name}")
        with migrated.connect() as connection:
            assert connection.scalar(sa.text("SELECT count(*) FROM alembic_version")) == 1
        migrated.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
