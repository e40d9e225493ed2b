"""PostgreSQL stops and starts again while requests are in flight: the service answers 503 with
Retry-After while it is down (never a 500), recovers by itself (idle pooled connections are
pinged, lost ones invalidate the pool), and every POST that got a 2xx is stored.

The shared server is never touched: the test makes its own throwaway cluster (Debian's
postgresql-common tools, as root), and drops it at the end.
"""

# Fixed postgresql-common commands on PATH with constant arguments, never client input:
# ruff: noqa: S603, S607
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db as flask_db
from app.models import ServiceRequest
from app.operations.access import create_api_key
from app.operations.catalog import load_catalog
from tests.conftest import FIXTURES


def _free_port() -> int:
    """A port no one listens on now, so that parallel runs and other servers never collide."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Named and ported per run: two checkouts testing at once must not drop each other's cluster.
VERSION, CLUSTER = "15", f"open311fault_{os.getpid()}_{uuid.uuid4().hex[:6]}"
PORT = int(os.environ.get("FAULT_PORT") or _free_port())
URL = f"postgresql+psycopg://postgres@127.0.0.1:{PORT}/open311_fault"
CLIENTS = 4
# Figures for docs/reliability.md (printed at the end of the run).
FIGURES: dict[str, int] = {}
BEFORE, DOWN, AFTER = 1.5, 3.0, 3.0  # seconds of traffic around the outage

pytestmark = pytest.mark.skipif(
    not (hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("pg_createcluster")),
    reason="needs root and postgresql-common (pg_createcluster) to make a throwaway cluster",
)


def _ctl(*args: str) -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", VERSION, CLUSTER, *args],
                   check=True, capture_output=True, timeout=60)


def _drop() -> None:
    subprocess.run(["pg_dropcluster", "--stop", VERSION, CLUSTER], capture_output=True,
                   timeout=60, check=False)


@pytest.fixture(scope="module")
def fault_app(tmp_path_factory):
    """An app on its own cluster, with the test city and an api key committed."""
    subprocess.run(["pg_createcluster", VERSION, CLUSTER, "--port", str(PORT), "--",
                    "--auth=trust"], check=True, capture_output=True, timeout=120)
    try:
        _ctl("start")
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PORT), "-U", "postgres", "-qc",
                        "CREATE DATABASE open311_fault"], check=True, capture_output=True,
                       timeout=60)
        application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": URL,
                                  "RATELIMIT_ENABLED": False,
                                  "MEDIA_DIR": str(tmp_path_factory.mktemp("media"))})
        from flask_migrate import upgrade

        with application.app_context():
            upgrade()
            load_catalog(flask_db.session, FIXTURES / "catalog.yaml")
            key, _ = create_api_key(flask_db.session, "fault test")
            flask_db.session.commit()
            flask_db.session.remove()
        yield application, key
        with application.app_context():
            flask_db.engine.dispose()
    finally:
        _drop()


@pytest.fixture(scope="module")
def outage(fault_app):
    """Clients POST and GET in threads while the cluster stops for DOWN seconds and starts."""
    application, key = fault_app
    form = {"api_key": key, "service_code": "POTHOLE", "lat": "42.04", "long": "-87.7",
            "attribute[SIZE]": "L"}
    answers: list[tuple[str, float, int, dict, str | None]] = []
    stop_at = time.monotonic() + BEFORE + DOWN + AFTER + 5
    down: dict[str, float] = {}

    def client_loop(number: int) -> None:
        client = application.test_client()
        sent = 0
        while time.monotonic() < stop_at:
            sent += 1
            if sent % 3:
                response = client.post("/open311/v2/requests.json",
                                       data=form | {"description": f"client {number} #{sent}"})
                created = None
                if response.status_code == 200:
                    created = response.get_json()[0]["service_request_id"]
                answers.append(("POST", time.monotonic(), response.status_code,
                                dict(response.headers), created))
            else:
                response = client.get("/open311/v2/requests.json")
                answers.append(("GET", time.monotonic(), response.status_code,
                                dict(response.headers), None))
            time.sleep(0.02)

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(BEFORE)
    _ctl("stop", "-m", "fast")  # in-flight transactions are cut, as in a crash or failover
    down["from"] = time.monotonic()
    time.sleep(DOWN)
    down["to"] = time.monotonic()  # before start: the server answers before start returns
    _ctl("start")
    down["started"] = time.monotonic()
    for thread in threads:
        thread.join(BEFORE + DOWN + AFTER + 30)
    with application.app_context():
        stored = {str(i) for i in flask_db.session.scalars(sa.select(ServiceRequest.id))}
        flask_db.session.remove()
    acknowledged = {a[4] for a in answers if a[4] is not None}
    FIGURES.update(requests=len(answers), answered_503=sum(a[2] == 503 for a in answers),
                   posts_acknowledged=len(acknowledged), lost=len(acknowledged - stored))
    return answers, stored, down


def test_no_request_gets_a_500_while_the_database_restarts(outage):
    answers, _, _ = outage
    assert Counter(a[2] for a in answers if a[2] >= 500 and a[2] != 503) == Counter()


def test_requests_while_the_database_is_down_get_503_with_retry_after(outage):
    answers, _, down = outage
    during = [a for a in answers if down["from"] + 0.5 < a[1] < down["to"]]
    assert during and {(a[2], "Retry-After" in a[3]) for a in during} == {(503, True)}


def test_service_recovers_by_itself_after_the_restart(outage):
    answers, _, down = outage
    after = [a for a in answers if a[1] > down["started"] + 1.0]
    assert after and {a[2] for a in after} == {200}


def test_every_post_that_got_a_2xx_is_stored(outage):
    answers, stored, _ = outage
    acknowledged = {a[4] for a in answers if a[0] == "POST" and a[4] is not None}
    assert acknowledged and acknowledged - stored == set()
