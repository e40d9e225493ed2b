"""The app behind a real PgBouncer in transaction mode, with DATABASE_PGBOUNCER: psycopg's
prepared statements are switched off, as its documentation says for such a pooler
(PgBouncer tracks them itself only from 1.22, Debian 12 ships 1.18).

PgBouncer runs from the test on a free port, with its own ini in a temporary directory, in front
of the suite's database; one server connection per pool, so that every client's transactions
share it, which is what breaks prepared statements.
"""

# A fixed program on PATH with a generated configuration, never client input:
# ruff: noqa: S603
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db as flask_db
from app.replicas import engine_options

pytestmark = pytest.mark.skipif(shutil.which("pgbouncer") is None,
                                reason="needs pgbouncer (scripts/ensure-test-tools.sh)")
FORM = {"service_code": "POTHOLE", "lat": "42.04", "long": "-87.7", "attribute[SIZE]": "L",
        "description": "through pgbouncer"}
PAGES = ("/api/v1/public/nearby?service_code=POTHOLE&lat=42.04&long=-87.7",
         "/ogc/collections/requests/items?bbox=-87.71,42.03,-87.69,42.05")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def pgbouncer(database_url) -> Iterator[str]:
    """A transaction-mode PgBouncer in front of the test database; its libpq URL."""
    target = sa.make_url(database_url)
    port = _free_port()
    # Not under pytest's tmp_path: PgBouncer refuses to run as root and drops to postgres,
    # which must be able to read its ini and write its log.
    workdir = Path(tempfile.mkdtemp(prefix="open311-pgbouncer-"))
    ini = workdir / "pgbouncer.ini"
    ini.write_text(f"""[databases]
open311 = host={target.host} port={target.port} dbname={target.database} user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = 1
max_client_conn = 50
logfile = {workdir}/pgbouncer.log
pidfile = {workdir}/pgbouncer.pid
""")
    command = ["pgbouncer", str(ini)]
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        shutil.chown(ini, "postgres")
        command[1:1] = ["-u", "postgres"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (workdir / "pgbouncer.log")
                    raise RuntimeError("pgbouncer did not start: " + (
                        log.read_text() if log.exists() else "")) from None
                time.sleep(0.05)
        yield f"postgresql://postgres@127.0.0.1:{port}/open311"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _alternate(connections: list[psycopg.Connection], rounds: int) -> None:
    for number in range(rounds):
        for connection in connections:
            connection.execute("SELECT %s::int + 1", [number]).fetchone()


def test_default_prepared_statements_break_behind_transaction_pooling(pgbouncer):
    # Why the setting exists: psycopg prepares a query run more than 5 times, and the next
    # client on the shared server connection prepares its own under the same name.
    connections = [psycopg.connect(pgbouncer, autocommit=True) for _ in range(2)]
    try:
        with pytest.raises(psycopg.errors.DuplicatePreparedStatement):
            _alternate(connections, 10)
    finally:
        for connection in connections:
            connection.close()


def test_the_pgbouncer_setting_gives_psycopg_the_documented_option(pgbouncer):
    connect_args = engine_options({"DATABASE_PGBOUNCER": True})["connect_args"]
    assert connect_args["prepare_threshold"] is None
    connections = [psycopg.connect(pgbouncer, autocommit=True, **connect_args)
                   for _ in range(2)]
    try:
        _alternate(connections, 10)
    finally:
        for connection in connections:
            connection.close()


def test_reads_and_writes_through_pgbouncer(pgbouncer, committed_city, tmp_path):
    # Two apps, so two client connections, in turns over PgBouncer's one server connection.
    # POSTs first, back to back: psycopg forgets its counts at every ROLLBACK (the end of a
    # read in the session), so only statements repeated across commits reach the prepare
    # threshold; and the one-statement pages (nearby, OGC items), read outside any
    # transaction (app/reads/statements.py).
    apps = [create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": pgbouncer,
                        "DATABASE_PGBOUNCER": True, "RATELIMIT_ENABLED": False,
                        "MEDIA_DIR": str(tmp_path), "PUBLIC_BASE_URL": "http://localhost"})
            for _ in range(2)]
    clients = [application.test_client() for application in apps]
    statuses, filed = [], []
    try:
        for _ in range(8):
            for client in clients:
                posted = client.post("/open311/v2/requests.json",
                                     data=FORM | {"api_key": committed_city})
                statuses.append(posted.status_code)
                if posted.status_code == 200:
                    filed.append(posted.get_json()[0]["service_request_id"])
        for service_request_id in filed:
            for client in clients:
                statuses.append(client.get(
                    f"/open311/v2/requests/{service_request_id}.json").status_code)
                statuses.append(client.get("/api/v1/public/requests").status_code)
                for page in PAGES:
                    statuses.append(client.get(page).status_code)
    finally:
        for application in apps:
            with application.app_context():
                flask_db.engine.dispose()
    assert len(filed) == 16 and set(statuses) == {200}
