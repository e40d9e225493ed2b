"""A throwaway primary and a streaming replica of it, built with PostgreSQL's own tools.

`pg_createcluster` makes both clusters (unique names and free ports, so that several checkouts
can test at once); the replica's data directory comes from `pg_basebackup -R` run as the
postgres OS user; both are dropped at the end, also when a test fails. The shared server on
5432 is never touched. Needs root (pg_basebackup runs through runuser) and postgresql-common.
"""

# Fixed postgresql-common commands on PATH with generated names and ports, never client input:
# ruff: noqa: S603, S607
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.extensions import db as flask_db
from app.operations.access import create_api_key
from app.operations.catalog import load_catalog
from app.operations.staff import create_staff
from tests.conftest import FIXTURES

VERSION = "15"
DATABASE = "open311_replica"
PREFIX = "o311r"

# pg_basebackup runs as the postgres user through runuser, and the clusters belong to it.
CAN_BUILD = bool(hasattr(os, "geteuid") and os.geteuid() == 0
                 and shutil.which("pg_createcluster") and shutil.which("runuser"))
SKIP_REASON = "needs root and postgresql-common to build a throwaway primary and replica"


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return done.stdout


@dataclass
class Cluster:
    """One throwaway PostgreSQL cluster."""

    name: str
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        """Its database in libpq form (the app turns it into SQLAlchemy's)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def data(self) -> Path:
        """Its data directory (Debian layout: the configuration lives in /etc)."""
        return Path("/var/lib/postgresql") / VERSION / self.name

    def create(self) -> None:
        """pg_createcluster, trust on loopback (as the suite's own server)."""
        _run("pg_createcluster", VERSION, self.name, "--port", str(self.port), "--",
             "--auth=trust", "--no-sync")
        conf = Path("/etc/postgresql") / VERSION / self.name / "conf.d" / "open311.conf"
        # wal_level replica and wal senders are PostgreSQL 15's defaults; said here because
        # the test depends on them. Small buffers: two clusters on a shared test machine.
        conf.write_text("wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                        "shared_buffers = 32MB\n")

    def ctl(self, *args: str) -> None:
        """pg_ctlcluster start / stop -m fast."""
        _run("pg_ctlcluster", "--skip-systemctl-redirect", VERSION, self.name, *args)

    def drop(self) -> None:
        """Stop and remove the cluster, whatever state it is in."""
        subprocess.run(["pg_dropcluster", "--stop", VERSION, self.name], capture_output=True,
                       timeout=120, check=False)

    def sql(self, statement: str, database: str = DATABASE, **params):
        """One statement in autocommit on this cluster; the first column of the first row."""
        engine = sa.create_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}",
            isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                result = connection.execute(sa.text(statement), params)
                return result.scalar() if result.returns_rows else None
        finally:
            engine.dispose()


@dataclass
class Replication:
    """The running pair and what the tests need to drive it."""

    primary: Cluster
    replica: Cluster
    api_key: str
    staff_token: str
    media: Path
    apps: list[Flask] = field(default_factory=list)

    def app(self, **overrides) -> Flask:
        """An app on the primary with the replica as DATABASE_REPLICA_URL (overridable)."""
        config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": self.primary.url,
                  "DATABASE_REPLICA_URL": self.replica.url, "RATELIMIT_ENABLED": False,
                  "MEDIA_DIR": str(self.media), "PUBLIC_BASE_URL": "http://localhost",
                  "DATABASE_REPLICA_CHECK_SECONDS": 0.1, "DATABASE_CONNECT_TIMEOUT": 2}
        application = create_app(config | overrides)
        self.apps.append(application)
        return application

    def caught_up(self, timeout: float = 30) -> None:
        """Wait until the replica has replayed everything the primary has written."""
        target = self.primary.sql("SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + timeout
        while not self.replica.sql("SELECT pg_last_wal_replay_lsn() >= CAST(:target AS pg_lsn)",
                                   target=target):
            if time.monotonic() > deadline:
                raise TimeoutError("the replica did not catch up")
            time.sleep(0.05)


def _drop_clusters_of_dead_runs() -> None:
    """Clusters a killed run left behind (their names carry the pid of the run's process)."""
    for line in _run("pg_lsclusters", "--no-header").splitlines():
        name = line.split()[1]
        found = re.fullmatch(rf"{PREFIX}(\d+)_\d+[ps]", name)
        if found is None:
            continue
        try:
            os.kill(int(found.group(1)), 0)
        except ProcessLookupError:
            Cluster(name, port=0).drop()
        except PermissionError:
            pass  # alive, another user's


@pytest.fixture(scope="module")
def replication(tmp_path_factory) -> Iterator[Replication]:
    """A primary with PostGIS, migrated, holding the test city; its streaming replica."""
    _drop_clusters_of_dead_runs()
    stem = f"{PREFIX}{os.getpid()}_{int(time.time() * 1000) % 100000}"
    primary, replica = Cluster(f"{stem}p"), Cluster(f"{stem}s")
    try:
        primary.create()
        primary.ctl("start")
        primary.sql(f"CREATE DATABASE {DATABASE}", database="postgres")
        replica.create()
        # The replica's data directory is replaced by a base backup of the primary; -R writes
        # standby.signal and primary_conninfo. pg_basebackup refuses root, and the directory
        # must belong to the postgres user that runs the cluster.
        for entry in replica.data.iterdir():  # emptied, kept: it belongs to postgres
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        _run("runuser", "-u", "postgres", "--", "pg_basebackup", "-h", "127.0.0.1", "-p",
             str(primary.port), "-U", "postgres", "-D", str(replica.data), "-R",
             "-X", "stream", "-c", "fast")
        replica.ctl("start")
        pair = Replication(primary, replica, "", "", tmp_path_factory.mktemp("media"))
        setup = pair.app()
        from flask_migrate import upgrade

        with setup.app_context():
            upgrade()  # creates the postgis extension, on the primary; the replica replays it
            load_catalog(flask_db.session, FIXTURES / "catalog.yaml")
            pair.api_key, _ = create_api_key(flask_db.session, "replica test")
            pair.staff_token, _ = create_staff(flask_db.session, "agent@springfield.example.gov",
                                               "agent", None)
            flask_db.session.commit()
            flask_db.session.remove()
        pair.caught_up()
        yield pair
        for application in pair.apps:
            with application.app_context():
                flask_db.engine.dispose()
            replicas = application.extensions.get("replicas")
            for one in replicas.replicas if replicas else ():
                one.engine.dispose()
    finally:
        replica.drop()
        primary.drop()
