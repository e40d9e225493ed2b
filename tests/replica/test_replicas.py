"""Public reads from a real streaming replica: routing, read-your-writes, lag, and the primary or
a replica going down (the clusters are built in conftest.py)."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask

from app.extensions import db as flask_db
from app.reads import statements
from tests.replica.conftest import CAN_BUILD, SKIP_REASON, Replication, free_port

pytestmark = [pytest.mark.replica, pytest.mark.skipif(not CAN_BUILD, reason=SKIP_REASON)]

FORM = {"service_code": "POTHOLE", "lat": "42.04", "long": "-87.7", "attribute[SIZE]": "L",
        "description": "replica test"}
PUBLIC_GETS = [
    "/open311/v2/services.json",
    "/open311/v2/requests.json",
    "/open311/v2/requests.xml",
    "/api/v1/public/requests",
    "/api/v1/public/stats?group_by=service",
    "/api/v1/public/feeds/requests.atom",
    "/api/v1/public/requests.csv",
    "/ogc/collections/requests/items?limit=5",
    "/api/v1/public/nearby?service_code=POTHOLE&lat=42.04&long=-87.7",
    "/tiles/requests/14/4202/6085.mvt",
]


@contextmanager
def servers_used(application: Flask) -> Iterator[list[str]]:
    """Which server ("primary", "replica") ran each statement sent meanwhile, in order: those
    sent through SQLAlchemy, and the reads built once that psycopg sends past its events."""
    used: list[str] = []
    engines = {"replica": [r.engine for r in application.extensions["replicas"].replicas]}
    with application.app_context():
        engines["primary"] = [flask_db.engine]
    # By address: the reads run in autocommit go through a copy of their engine.
    names = {engine.url: name for name, group in engines.items() for engine in group}
    watched = [engine for group in engines.values() for engine in group]

    def record(conn, _cursor, statement, *_args) -> None:
        if "pg_is_in_recovery" not in statement:  # the health check, not a read
            used.append(names[conn.engine.url])

    def driver_row(engine, *rest, read=statements._driver_row):
        used.append(names[engine.url])
        return read(engine, *rest)

    for engine in watched:
        sa.event.listen(engine, "before_cursor_execute", record)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(statements, "_driver_row", driver_row)
            yield used
    finally:
        for engine in watched:
            sa.event.remove(engine, "before_cursor_execute", record)


def forget_health(application: Flask) -> None:
    """Drop the cached replica checks, so that the next request checks again."""
    for replica in application.extensions["replicas"].replicas:
        replica.checked_at, replica.down_until = float("-inf"), 0.0


def file_request(client, replication: Replication) -> str:
    """POST an Open311 request; its id."""
    response = client.post("/open311/v2/requests.json",
                           data=FORM | {"api_key": replication.api_key})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()[0]["service_request_id"]


def listed(client, service_request_id: str, **headers) -> bool:
    """Whether the Open311 list shows this request."""
    response = client.get(f"/open311/v2/requests.json?service_request_id={service_request_id}",
                          headers=headers)
    assert response.status_code == 200
    return [r["service_request_id"] for r in response.get_json()] == [service_request_id]


@contextmanager
def replay_paused(replication: Replication) -> Iterator[None]:
    """The replica receives WAL but does not apply it meanwhile."""
    replication.replica.sql("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        replication.replica.sql("SELECT pg_wal_replay_resume()")


@pytest.fixture(scope="module")
def app(replication):
    """The app with the replica, a bound far above this module's pauses."""
    return replication.app(DATABASE_REPLICA_MAX_LAG=3600)


def test_public_reads_run_on_the_replica_only(replication, app):
    client = app.test_client()
    with servers_used(app) as used:
        statuses = {url: client.get(url).status_code for url in PUBLIC_GETS}
    assert [url for url, status in statuses.items() if status != 200] == []
    assert used and set(used) == {"replica"}


def test_writes_and_staff_reads_run_on_the_primary_only(replication, app):
    client = app.test_client()
    staff = {"Authorization": f"Bearer {replication.staff_token}"}
    with servers_used(app) as used:
        file_request(client, replication)
        assert client.get("/api/v1/staff/requests", headers=staff).status_code == 200
    assert used and set(used) == {"primary"}


def test_a_replica_behind_answers_from_what_it_has_replayed(replication, app):
    writer = app.test_client()
    with replay_paused(replication):
        filed = file_request(writer, replication)
        assert replication.primary.sql(
            "SELECT count(*) FROM service_requests WHERE id = :id", id=int(filed)) == 1
        # Another client reads the replica, which has not applied the INSERT yet.
        assert not listed(app.test_client(), filed)


def test_the_client_that_wrote_reads_its_write_from_the_primary(replication, app):
    writer = app.test_client()
    with replay_paused(replication):
        filed = file_request(writer, replication)
        with servers_used(app) as used:
            assert listed(writer, filed)  # the cookie the POST set
        assert set(used) == {"primary"}


def test_an_app_echoing_the_header_reads_its_write(replication, app):
    writer = app.test_client(use_cookies=False)
    with replay_paused(replication):
        response = writer.post("/open311/v2/requests.json",
                               data=FORM | {"api_key": replication.api_key})
        filed = response.get_json()[0]["service_request_id"]
        token = response.headers["X-Read-Your-Writes"]
        # Readable by a browser app on another origin.
        assert "X-Read-Your-Writes" in response.headers["Access-Control-Expose-Headers"]
        assert not listed(writer, filed)
        assert listed(writer, filed, **{"X-Read-Your-Writes": token})


def test_a_forged_read_your_writes_token_is_ignored(replication, app):
    client = app.test_client(use_cookies=False)
    with servers_used(app) as used:
        client.get("/open311/v2/requests.json",
                   headers={"X-Read-Your-Writes": "99999999999.forged.signature"})
    assert set(used) == {"replica"}


def test_the_writer_reads_the_replica_again_once_it_has_replayed_the_write(replication, app):
    writer = app.test_client()
    with replay_paused(replication):
        filed = file_request(writer, replication)
    replication.caught_up()
    forget_health(app)  # the cached check predates the resume
    with servers_used(app) as used:
        assert listed(writer, filed)
    assert set(used) == {"replica"}


def test_a_request_just_filed_is_found_by_id_without_any_token(replication, app):
    # An Open311 app without cookies asks for the request it has just filed: the replica's 404
    # is asked again of the primary.
    client = app.test_client(use_cookies=False)
    with replay_paused(replication):
        filed = file_request(client, replication)
        for url in (f"/open311/v2/requests/{filed}.json", f"/api/v1/public/requests/{filed}"):
            assert client.get(url).status_code == 200, url
    assert client.get("/open311/v2/requests/987654321.json").status_code == 404


def test_a_replica_lagging_beyond_the_bound_is_skipped(replication):
    strict = replication.app(DATABASE_REPLICA_MAX_LAG=0.5)
    client = strict.test_client(use_cookies=False)
    with replay_paused(replication):
        filed = file_request(client, replication)
        # Lag is the age of the last replayed commit while WAL waits: let it pass the bound.
        replication.replica.sql("SELECT pg_sleep(0.6)")
        with servers_used(strict) as used:
            assert listed(client, filed)
        assert set(used) == {"primary"}


def test_a_replica_cut_off_from_a_running_primary_is_skipped(replication):
    # Without its WAL receiver the replica has nothing waiting and looks caught up; what this
    # process wrote on the primary more than the bound ago, and the replica lacks, gives it away.
    strict = replication.app(DATABASE_REPLICA_MAX_LAG=0.5)
    client = strict.test_client(use_cookies=False)
    conninfo = replication.replica.sql("SHOW primary_conninfo")
    replication.replica.sql("ALTER SYSTEM SET primary_conninfo = ''")
    replication.replica.sql("SELECT pg_reload_conf()")
    try:
        filed = file_request(client, replication)
        replication.replica.sql("SELECT pg_sleep(0.6)")
        with servers_used(strict) as used:
            assert listed(client, filed)
        assert set(used) == {"primary"}
    finally:
        # ALTER SYSTEM takes no parameters; the value is the server's own, quoted as SQL.
        quoted = "'" + conninfo.replace("'", "''") + "'"
        replication.replica.sql(f"ALTER SYSTEM SET primary_conninfo = {quoted}")
        replication.replica.sql("SELECT pg_reload_conf()")
    replication.caught_up()


def test_an_idle_primary_does_not_make_a_replica_look_lagging(replication):
    # Nothing written for longer than the bound: pg_last_xact_replay_timestamp() is old, but
    # the replica has replayed all it received, so it still serves.
    strict = replication.app(DATABASE_REPLICA_MAX_LAG=0.5)
    replication.caught_up()
    replication.replica.sql("SELECT pg_sleep(0.6)")
    with servers_used(strict) as used:
        assert strict.test_client().get("/open311/v2/requests.json").status_code == 200
    assert set(used) == {"replica"}


def test_reads_spread_over_several_replicas_and_skip_one_that_is_down(replication):
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
    spread = replication.app(DATABASE_REPLICA_URL=",".join(
        [replication.replica.url, dead, replication.replica.url]))
    replicas = spread.extensions["replicas"].replicas
    engines_used: list[int] = []
    for index, replica in enumerate(replicas):
        sa.event.listen(replica.engine, "before_cursor_execute",
                        lambda *_args, index=index: engines_used.append(index))
    client = spread.test_client()
    statuses = [client.get("/open311/v2/requests.json").status_code for _ in range(6)]
    assert set(statuses) == {200}
    # Health checks and reads both count: both live replicas served, the dead one never did.
    assert set(engines_used) == {0, 2}


def test_a_write_sent_to_a_standby_gets_503_with_retry_after(replication):
    # DATABASE_URL naming a server in recovery, as while a failover moves the primary.
    misrouted = replication.app(SQLALCHEMY_DATABASE_URI=replication.replica.url,
                                DATABASE_REPLICA_URL="")
    response = misrouted.test_client().post("/open311/v2/requests.json",
                                            data=FORM | {"api_key": replication.api_key})
    assert (response.status_code, "Retry-After" in response.headers) == (503, True)
    assert response.get_json()[0]["code"] == 503


@pytest.mark.fault
def test_a_replica_stopping_between_checks_costs_no_request(replication):
    # Its last check said healthy (and is trusted for an hour): the GETs that find it gone are
    # run again on the primary, and the replica is skipped afterwards.
    trusting = replication.app(DATABASE_REPLICA_CHECK_SECONDS=3600)
    client = trusting.test_client()
    assert client.get("/open311/v2/requests.json").status_code == 200
    replication.replica.ctl("stop", "-m", "fast")
    try:
        with servers_used(trusting) as used:
            statuses = {url: client.get(url).status_code for url in PUBLIC_GETS}
        assert [url for url, status in statuses.items() if status != 200] == []
        assert used[-1] == "primary"
    finally:
        replication.replica.ctl("start")
    replication.caught_up()


@pytest.mark.fault
def test_with_the_primary_stopped_reads_answer_and_writes_get_503(replication, app):
    client, writer = app.test_client(), app.test_client()
    acknowledged = [file_request(client, replication) for _ in range(3)]
    replication.caught_up()
    with replay_paused(replication):
        # The writer's token names a position the replica has not replayed: the primary
        # would serve it, but is about to stop.
        acknowledged.append(file_request(writer, replication))
        replication.primary.ctl("stop", "-m", "fast")
        try:
            writer_read = writer.get("/open311/v2/requests.json")
            reads = {url: client.get(url).status_code for url in [
                *PUBLIC_GETS, f"/open311/v2/requests/{acknowledged[0]}.json",
                f"/api/v1/public/requests/{acknowledged[1]}"]}
            json_post = client.post("/open311/v2/requests.json",
                                    data=FORM | {"api_key": replication.api_key})
            xml_post = client.post("/open311/v2/requests.xml",
                                   data=FORM | {"api_key": replication.api_key})
            staff_read = client.get(
                "/api/v1/staff/requests",
                headers={"Authorization": f"Bearer {replication.staff_token}"})
        finally:
            replication.primary.ctl("start")
    assert set(reads.values()) == {200}, reads
    assert writer_read.status_code == 200  # from the replica: the best copy there is
    for response in (json_post, xml_post, staff_read):
        assert (response.status_code, "Retry-After" in response.headers) == (503, True)
    assert json_post.get_json()[0]["code"] == 503
    assert b"<errors><error><code>503</code>" in xml_post.data
    assert staff_read.get_json()["code"] == 503
    # Every write acknowledged before the stop is there after the restart, and writes work.
    stored = replication.primary.sql("SELECT count(*) FROM service_requests WHERE id = ANY(:ids)",
                                     ids=[int(i) for i in acknowledged])
    assert stored == len(acknowledged)
    assert client.post("/open311/v2/requests.json",
                       data=FORM | {"api_key": replication.api_key}).status_code == 200
