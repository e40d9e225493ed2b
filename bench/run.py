"""`make bench`: what users do, measured under gunicorn with wrk, case by case.

Every case sends random requests drawn over the whole city (inside its boundary) from a fixed
seed: map clients pan everywhere, apps post from everywhere. wrk (the Debian package) runs the
Lua of bench/wrk/cases.lua, BENCH_CONNECTIONS connections for BENCH_SECONDS a case, and counts
every status: a case answering errors fast shows its errors.

Beside the project, in the same run:
- tipg (PyPI, its own virtualenv bench/.tipg) serving a view of the same table with the same
  joins, for the OGC items and the tiles;
- the floor (bench/floor.py): a bare Flask + psycopg app under the same gunicorn settings,
  one SQL statement building the JSON in PostGIS, for the OGC items, the nearby check and the
  Open311 list (there the project's own statement, bench/list_statement.py);
- PostgreSQL alone (psycopg, one client) for the Open311 list (the goal's yardstick) and the
  staff queue (EXPLAIN ANALYZE); and the same list query under wrk's load (pgbench, as many
  clients as wrk's connections), what the query itself costs when they share the cores.

The database is created, migrated and loaded (`demo load --city CITY --requests N`) unless it
already holds that city with that many requests. Results are printed and kept per database in
bench/results.json; bench/results.md is written from all of them (1M and 5M side by side).

    make bench                                    # 1,000,000 requests, database open311_bench
    make bench-5m                                 # 5,000,000 requests, open311_bench_5m
    BENCH_CASES=ogc_items,tiles BENCH_SECONDS=5 make bench
    BENCH_PROFILE=tiles make bench                # py-spy of chosen cases (default: unmet goals)
    .venv/bin/python bench/run.py --report        # results.md again from results.json
"""

import http.client
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from common import LOAD_RATE_LIMITS, ROOT, flask_command
from common import sqlalchemy_url as to_sqlalchemy_url

SERVER = os.environ.get("BENCH_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "1000000"))
CITY = os.environ.get("BENCH_CITY", "large")
DATABASE = os.environ.get(
    "BENCH_DATABASE", "open311_bench" if REQUESTS == 1_000_000 else
    f"open311_bench_{REQUESTS // 1_000_000}m" if REQUESTS % 1_000_000 == 0 else
    f"open311_bench_{REQUESTS}")
SEED = int(os.environ.get("BENCH_SEED", "311"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", str(min(2, CONNECTIONS))))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
PORT = int(os.environ.get("BENCH_PORT", "8311"))
TIPG_PORT = int(os.environ.get("BENCH_TIPG_PORT", "8312"))
FLOOR_PORT = int(os.environ.get("BENCH_FLOOR_PORT", "8313"))
EXPORT_PORT = int(os.environ.get("BENCH_EXPORT_PORT", "8314"))
# py-spy on the project's workers, in a pass of its own after a case's measured runs (sampling
# takes CPU the figures must not lose): by default every case whose goal the run did not meet,
# so that results.md shows where its time goes; or the cases named (comma-separated); 0: none.
PROFILE = os.environ.get("BENCH_PROFILE", "unmet")
SQL_RUNS = int(os.environ.get("BENCH_SQL_RUNS", "30"))
# Before each measured run, the same case for this long with another seed: a worker's first
# requests of a kind (imports, caches, a cold index) are not what is measured. Two seconds
# left the nearby check's first pass over the index of open points in the measured run (p99
# 80-150 ms, 11 ms in a second run on the same server).
WARMUP_SECONDS = int(os.environ.get("BENCH_WARMUP_SECONDS", "5"))

JURISDICTIONS = {"large": "metro.example.gov", "small": "lakeshore.example.gov"}
RESULTS = ROOT / "bench" / "results.md"
RESULTS_JSON = ROOT / "bench" / "results.json"
NOTES = ROOT / "bench" / "notes.md"  # hand-written; results.md includes it
OUT = ROOT / "bench" / "out"
LUA = ROOT / "bench" / "wrk" / "cases.lua"
TIPG_ENV = ROOT / "bench" / ".tipg"
TIPG_REQUIREMENT = "tipg>=1.6,<1.7"
TIPG_VIEW = "bench_public_requests"
TIPG_COLLECTION = f"public.{TIPG_VIEW}"
BBOX_HALF_M = 35  # random ~70 m bboxes
STAFF_PAGES = 10  # the staff queue case reads a random one of the first pages
# What tipg serves: the public columns of requests with the project's joins (service,
# jurisdiction, department, district), hidden locations left out. It reads the published
# point, as ours do, through the same GiST index (public_point, WGS84: tipg transforms tile
# envelopes to it).
TIPG_VIEW_SQL = f"""
CREATE OR REPLACE VIEW {TIPG_VIEW} AS
SELECT sr.id, sr.jurisdiction_id, s.service_code, s.service_name, d.name AS agency_responsible,
       sr.status, sr.status_notes, sr.description, di.code AS district, sr.vote_count,
       sr.requested_at, sr.updated_at, sr.deadline, sr.closed_at, sr.public_point AS geom
FROM service_requests sr JOIN services s ON s.id = sr.service_id
JOIN jurisdictions j ON j.id = sr.jurisdiction_id
LEFT JOIN departments d ON d.id = sr.department_id
LEFT JOIN districts di ON di.id = sr.district_id
WHERE s.public_location <> 'hidden'
"""  # noqa: S608 (module constants only)
# Open311 GET requests.json with no parameter: the last 90 days, newest first, 1000 rows.
LIST_SQL = """
SELECT r.id, r.status, r.status_notes, s.service_name, s.service_code, s.public_location,
       r.description, d.name, r.service_notice, r.requested_at, r.updated_at, r.deadline,
       r.address, r.address_id, r.zipcode, ST_Y(r.location::geometry), ST_X(r.location::geometry),
       r.media_urls
FROM service_requests r JOIN services s ON s.id = r.service_id
LEFT JOIN departments d ON d.id = r.department_id
WHERE r.jurisdiction_id = %(jurisdiction_id)s
  AND r.requested_at >= now() - interval '90 days' AND r.requested_at <= now()
ORDER BY r.requested_at DESC, r.id DESC LIMIT 1000
"""
# The staff queue as app/staff/views.py asks it (status=open, first page of 50).
QUEUE_SQL = """
SELECT r.*, s.service_code, s.service_name, d.code, di.code,
       ST_Y(r.location::geometry), ST_X(r.location::geometry)
FROM service_requests r JOIN services s ON s.id = r.service_id
LEFT JOIN departments d ON d.id = r.department_id
LEFT JOIN districts di ON di.id = r.district_id
WHERE r.jurisdiction_id = %(jurisdiction_id)s AND r.status = 'open'
ORDER BY r.escalated_at IS NULL, r.deadline ASC NULLS LAST, r.id LIMIT 50
"""
QUEUE_COUNT_SQL = """
SELECT count(*) FROM service_requests r
WHERE r.jurisdiction_id = %(jurisdiction_id)s AND r.status = 'open'
"""
# The POST case's requests are removed afterwards, so that every run sees the same data.
REMOVE_POSTED_SQL = """
WITH posted AS (SELECT r.id FROM service_requests r JOIN api_keys k ON k.id = r.api_key_id
                WHERE k.name = 'bench')
, outbox AS (DELETE FROM outbox WHERE service_request_id IN (SELECT id FROM posted))
, keys AS (DELETE FROM idempotency_keys WHERE service_request_id IN (SELECT id FROM posted))
, votes AS (DELETE FROM votes WHERE service_request_id IN (SELECT id FROM posted))
, surveys AS (DELETE FROM surveys WHERE service_request_id IN (SELECT id FROM posted))
, subscriptions AS (DELETE FROM subscriptions
                    WHERE service_request_id IN (SELECT id FROM posted))
, updates AS (DELETE FROM request_updates WHERE service_request_id IN (SELECT id FROM posted))
, reporters AS (DELETE FROM reporters WHERE service_request_id IN (SELECT id FROM posted))
DELETE FROM service_requests WHERE id IN (SELECT id FROM posted)
"""
# ... and their dead rows cleared at once: they sit at the newest end of the requested_at index,
# which the Open311 list walks backwards, and until autovacuum came by, the next run's list
# stepped over them (137 index pages to find its first row instead of 6; the list's PostgreSQL
# CPU a page grew from 1.2 to 2.2 ms over four runs in a row).
VACUUM_POSTED_SQL = ("VACUUM service_requests, request_tile_points, request_updates, outbox, "
                     "idempotency_keys, reporters")


def remove_dead_rows() -> None:
    """VACUUM_POSTED_SQL (VACUUM runs outside a transaction)."""
    with psycopg.connect(psql_url(DATABASE), autocommit=True) as connection:
        connection.execute(VACUUM_POSTED_SQL)


@dataclass
class Target:
    """One server's side of a case: where to send, and the wrk configuration of its requests."""

    peer: str  # "project", "tipg" or "floor"
    port: int
    kind: str  # a maker of bench/wrk/cases.lua
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    extra: dict[str, int | float] = field(default_factory=dict)


@dataclass
class Case:
    """One line of the results: the same user action against each peer."""

    key: str
    title: str
    goal: str
    targets: list[Target]
    # PostgreSQL alone: "list" (the Open311 list) or "queue" (the staff queue).
    sql: str | None = None


@dataclass
class Context:
    """What the cases need from the prepared database."""

    jurisdiction_id: str
    api_key: str
    staff_token: str
    city: dict  # west, south, east, north and the boundary ring


def cases(context: Context) -> list[Case]:
    """The cases of issue 12, in the order they run (writes last, then the export)."""
    tiles = {"MIN_ZOOM": 12, "MAX_ZOOM": 16}
    bbox = {"BBOX_HALF_M": BBOX_HALF_M}
    form = ("service_code=POTHOLE&lat=%.6f&long=%.6f&attribute%%5BSIZE%%5D=M"
            "&description=Benchmark+pothole&api_key="
            # A % in the key would be read by Lua's string.format.
            + quote(context.api_key, safe="").replace("%", "%%"))
    return [
        Case("ogc_items", "OGC items, random ~70 m bboxes, limit 100", ">= 3x tipg req/s", [
            Target("project", PORT, "bbox", "/ogc/collections/requests/items?bbox=%s&limit=100",
                   extra=bbox),
            Target("tipg", TIPG_PORT, "bbox",
                   f"/collections/{TIPG_COLLECTION}/items?bbox=%s&limit=100", extra=bbox),
            Target("floor", FLOOR_PORT, "bbox", "/items?bbox=%s&limit=100", extra=bbox),
        ]),
        Case("nearby", "nearby check, random points", "p50 <= 1.5x floor; p95 < 10 ms", [
            Target("project", PORT, "point",
                   "/api/v1/public/nearby?service_code=POTHOLE&lat=%.6f&long=%.6f"),
            Target("floor", FLOOR_PORT, "point", "/nearby?service_code=POTHOLE&lat=%.6f&long=%.6f"),
        ]),
        Case("tiles", "vector tiles, random z12-z16", "p95 < 50 ms, every point", [
            Target("project", PORT, "tile", "/tiles/requests/%d/%d/%d.mvt", extra=tiles),
            Target("tipg", TIPG_PORT, "tile",
                   f"/collections/{TIPG_COLLECTION}/tiles/WebMercatorQuad/%d/%d/%d", extra=tiles),
        ]),
        Case("open311_list", "Open311 GET requests.json (default: 90 days, 1000 rows)",
             "p50 <= 2x PostgreSQL alone", [
                 Target("project", PORT, "fixed", "/open311/v2/requests.json"),
                 Target("floor", FLOOR_PORT, "fixed", "/open311_list"),
             ], sql="list"),
        Case("staff_queue", "staff queue: a page of 50 of the open requests",
             "< 20 ms in PostgreSQL", [
                 Target("project", PORT, "page",
                        "/api/v1/staff/requests?status=open&per_page=50&page=%d",
                        headers={"Authorization": f"Bearer {context.staff_token}"},
                        extra={"MAX_PAGE": STAFF_PAGES}),
             ], sql="queue"),
        Case("post", "Open311 POST with the duplicate check, random points, one key",
             ">= 300 req/s", [
                 Target("project", PORT, "post", "/open311/v2/requests.json", method="POST",
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                        body=form),
                 Target("floor", FLOOR_PORT, "post", "/requests.json", method="POST",
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                        body=form),
             ]),
        Case("export", "CSV export of every request, fresh worker", "peak RSS < 150 MB", []),
    ]


# --- the database -----------------------------------------------------------------------------

def psql_url(database: str) -> str:
    """A libpq URL for one database of the bench server."""
    return f"{SERVER}/{database}"


def step(message: str) -> None:
    """Progress on stderr, timed."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def flask(*arguments: str) -> str:
    """Run an app command against the bench database; its output."""
    return flask_command({"DATABASE_URL": to_sqlalchemy_url(psql_url(DATABASE))}, *arguments)


def loaded_state() -> tuple[set[str], int]:
    """The jurisdictions the bench database holds and how many requests."""
    with psycopg.connect(psql_url(DATABASE)) as connection:
        exists = connection.execute("SELECT to_regclass('service_requests')").fetchone()[0]
        if not exists:
            return set(), 0
        jurisdictions = {row[0] for row in connection.execute("SELECT id FROM jurisdictions")}
        if connection.execute("SELECT to_regclass('api_keys')").fetchone()[0]:
            # What an interrupted run posted is not part of the dataset.
            connection.execute(REMOVE_POSTED_SQL)
            connection.commit()
            remove_dead_rows()
        count = connection.execute("SELECT count(*) FROM service_requests").fetchone()[0]
    return jurisdictions, count


def prepare_database() -> float | None:
    """Create, migrate and load the bench database; the seconds `demo load` took, when that
    was measured (on this database: see recorded_load_seconds).

    A database that already holds this city with this many requests is reused as it is; one
    holding another city is dropped (the bench's own database: one city per database).
    """
    with psycopg.connect(psql_url("postgres"), autocommit=True) as admin:
        present = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                (DATABASE,)).fetchone()
        if present:
            jurisdictions, _ = loaded_state()
            if jurisdictions - {JURISDICTIONS[CITY]}:
                step(f"{DATABASE} holds another city ({', '.join(sorted(jurisdictions))}): "
                     "dropping it")
                admin.execute(f'DROP DATABASE "{DATABASE}" WITH (FORCE)')
                present = None
        if not present:
            step(f"creating database {DATABASE}")
            admin.execute(f'CREATE DATABASE "{DATABASE}"')
    # tipg's view reads columns a migration may change; start_tipg makes it again.
    with psycopg.connect(psql_url(DATABASE), autocommit=True) as connection:
        connection.execute(f"DROP VIEW IF EXISTS {TIPG_VIEW}")
    step("migrating")
    flask("db", "upgrade")
    _, count = loaded_state()
    if count == REQUESTS:
        step(f"{DATABASE} already holds {count} requests of the {CITY} city: reused")
        return recorded_load_seconds()
    step(f"demo load --city {CITY} --requests {REQUESTS} --force (had {count})")
    started = time.perf_counter()
    step(flask("demo", "load", "--city", CITY, "--requests", str(REQUESTS), "--force"))
    elapsed = time.perf_counter() - started
    # A city's database has been vacuumed long since: index-only scans (counts of the staff
    # queue, say) read the visibility map, not the heap. Not part of the load time.
    step("VACUUM (ANALYZE) after the load")
    with psycopg.connect(psql_url(DATABASE), autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
        # Kept with the data it describes: a later run reusing this database reports how long
        # this machine took to load it, not what another machine's database took.
        connection.execute(f"COMMENT ON DATABASE \"{DATABASE}\" IS "
                           f"'{json.dumps({'load_seconds': round(elapsed, 1)})}'")
    return elapsed


def recorded_load_seconds() -> float | None:
    """The seconds the bench database's `demo load` took, as prepare_database recorded them."""
    with psycopg.connect(psql_url(DATABASE)) as connection:
        comment = connection.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (DATABASE,)).fetchone()[0]
    try:
        return json.loads(comment)["load_seconds"]
    except (TypeError, ValueError, KeyError):
        return None


def city_shape() -> dict:
    """The city's bounding box and boundary ring, for the Lua generator."""
    with psycopg.connect(psql_url(DATABASE)) as connection:
        west, south, east, north, ring = connection.execute("""
            SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g),
                   ST_AsGeoJSON(ST_ExteriorRing(ST_GeometryN(g, 1)))
            FROM (SELECT boundary::geometry AS g FROM jurisdictions WHERE id = %s) AS city
        """, (JURISDICTIONS[CITY],)).fetchone()
    return {"west": west, "south": south, "east": east, "north": north,
            "ring": json.loads(ring)["coordinates"]}


def dataset() -> dict:
    """What the database holds."""
    with psycopg.connect(psql_url(DATABASE)) as connection:
        return dict(zip(
            ("requests", "open", "addresses", "districts", "area_km2", "updates"),
            connection.execute("""
                SELECT (SELECT count(*) FROM service_requests),
                       (SELECT count(*) FROM service_requests WHERE status = 'open'),
                       (SELECT count(*) FROM addresses), (SELECT count(*) FROM districts),
                       (SELECT round(sum(ST_Area(boundary::geography)) / 1e6)::int
                        FROM jurisdictions),
                       (SELECT count(*) FROM request_updates)
            """).fetchone(), strict=True))


# --- the servers ------------------------------------------------------------------------------

def get(port: int, path: str, headers: dict | None = None) -> int:
    """The status of one GET."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def wait_until_answering(port: int, path: str, process: subprocess.Popen, what: str) -> None:
    """Poll `path` until it answers 200; stop the process and exit if it never does."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}; see bench/out/")
        try:
            if get(port, path) == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"{what} did not answer within 180 s")


def gunicorn(app: str, port: int, workers: int, *, log: str, environment: dict,
             probe: str, options: tuple[str, ...] = ()) -> subprocess.Popen:
    """gunicorn with the project's settings (gunicorn.conf.py, read from ROOT)."""
    OUT.mkdir(exist_ok=True)
    server = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", *options, app],
        cwd=ROOT, env={**os.environ, **environment}, stdout=(OUT / log).open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_until_answering(port, probe, server, f"gunicorn {app}")
    return server


def project_environment() -> dict:
    # Rate limits on, counted in Redis as production has them (docs/operations.md), with
    # ceilings no run reaches: the bench sends everything from one address and one key.
    return {"DATABASE_URL": to_sqlalchemy_url(psql_url(DATABASE)), **LOAD_RATE_LIMITS,
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "RATELIMIT_KEY_PREFIX": "open311-bench"}


def start_project(port: int = PORT, workers: int = WORKERS) -> subprocess.Popen:
    return gunicorn("app:create_app()", port, workers, log=f"gunicorn-{port}.log",
                    environment=project_environment(), probe="/open311/v2/services.json")


def write_list_statement() -> Path:
    """bench/out/open311_list-statement.json: the project's own list statement, for the floor
    (bench/list_statement.py)."""
    OUT.mkdir(exist_ok=True)
    output = OUT / "open311_list-statement.json"
    done = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, str(ROOT / "bench" / "list_statement.py")], cwd=ROOT,
        env={**os.environ, **project_environment()}, check=True, capture_output=True, text=True)
    output.write_text(done.stdout)
    return output


def start_floor() -> subprocess.Popen:
    return gunicorn("floor:app", FLOOR_PORT, WORKERS, log="floor.log",
                    environment={"FLOOR_DATABASE_URL": psql_url(DATABASE),
                                 "FLOOR_LIST_STATEMENT": str(write_list_statement())},
                    probe="/nearby?service_code=X&lat=0&long=0",
                    options=("--pythonpath", "bench"))


def ensure_tipg() -> Path:
    """bench/.tipg: a virtualenv holding tipg and uvicorn (created on the first run)."""
    python = TIPG_ENV / "bin" / "python"
    if not (TIPG_ENV / "bin" / "uvicorn").exists():
        step(f"installing {TIPG_REQUIREMENT} into {TIPG_ENV.relative_to(ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_ENV)], check=True)  # noqa: S603
        subprocess.run([str(python), "-m", "pip", "install", "-q", TIPG_REQUIREMENT,  # noqa: S603
                        "uvicorn"], check=True)
    return python


# tipg's own database role, whose statements PostgreSQL plans once per connection. tipg's
# driver (asyncpg) prepares them, and left to plan_cache_mode = auto PostgreSQL either settled
# on the generic plan or planned every bbox anew, run by run: tipg made 330 to 384 req/s in
# three runs and 176 in the fourth (bench/notes.md). Pinned to its faster mode, as our pages'
# plans are (app/reads/statements.py).
TIPG_ROLE = "bench_tipg"


def as_role(url: str, role: str) -> str:
    """`url` with `role` as its user (no password: the bench server trusts local clients)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.netloc.rpartition('@')[2]}"))


def start_tipg() -> tuple[subprocess.Popen, str]:
    """tipg under uvicorn with as many workers as gunicorn, serving the requests view."""
    python = ensure_tipg()
    with psycopg.connect(psql_url(DATABASE), autocommit=True) as connection:
        connection.execute(f"DROP VIEW IF EXISTS {TIPG_VIEW}")
        connection.execute(TIPG_VIEW_SQL)
        if connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s",
                              (TIPG_ROLE,)).fetchone() is None:
            connection.execute(f"CREATE ROLE {TIPG_ROLE} LOGIN SUPERUSER")
        connection.execute(f"ALTER ROLE {TIPG_ROLE} SET plan_cache_mode = force_generic_plan")
    version = subprocess.run(  # noqa: S603
        [str(python), "-c", "import tipg; print(tipg.__version__)"],
        check=True, capture_output=True, text=True).stdout.strip()
    environment = {
        **os.environ, "DATABASE_URL": as_role(psql_url(DATABASE), TIPG_ROLE),
        "TIPG_DB_TABLES": f'["{TIPG_COLLECTION}"]',
        "TIPG_DB_FUNCTIONS": "[]",  # only the view: no PostGIS functions as collections
        # Extents over millions of rows at start-up are not what is measured.
        "TIPG_DB_SPATIAL_EXTENT": "false", "TIPG_DB_DATETIME_EXTENT": "false",
    }
    OUT.mkdir(exist_ok=True)
    server = subprocess.Popen(  # noqa: S603 (the bench virtualenv, fixed arguments)
        [str(python), "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1", "--port",
         str(TIPG_PORT), "--workers", str(WORKERS), "--log-level", "warning", "--no-access-log"],
        cwd=OUT, env=environment, stdout=(OUT / "tipg.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_until_answering(TIPG_PORT, f"/collections/{TIPG_COLLECTION}", server, "tipg")
    return server, version


def worker_pids(server: subprocess.Popen) -> list[int]:
    """The gunicorn workers: the children of its master process."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used, from /proc (utime + stime)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def postgres_cpu() -> dict[int, float]:
    """CPU seconds of every PostgreSQL process (the backends of every peer's pool, the
    checkpointer, autovacuum), by pid."""
    pids = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    used = {}
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "postgres":
                used[pid] = cpu_seconds([pid])
        except OSError:  # ended between the listing and the read
            continue
    return used


def postgres_cpu_since(before: dict[int, float]) -> float:
    """CPU seconds PostgreSQL's processes used since `before` (a process started since counts
    from zero; one that ended since is lost, which a pooled server's backends do not)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in postgres_cpu().items())


def children_cpu() -> float:
    """CPU seconds of this process's waited-for children (wrk, once it has ended)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rss_mb(pid: int) -> float:
    """Resident memory of one process, from /proc (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# --- measuring --------------------------------------------------------------------------------

def lua_value(value: object) -> str:
    """A Python value as a Lua literal (numbers, strings, lists, dicts of strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid Lua string
    if isinstance(value, list | tuple):
        return "{" + ", ".join(lua_value(item) for item in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{json.dumps(str(k))}] = {lua_value(v)}"
                               for k, v in value.items()) + "}"
    if value is None:
        return "nil"
    raise TypeError(f"no Lua literal for {value!r}")


def lua_script(case: Case, target: Target, city: dict, seed: int = SEED,
               purpose: str = "") -> Path:
    """bench/out/<case>-<peer>[-<purpose>].lua: the configuration, then bench/wrk/cases.lua.
    The measured run's script has no purpose; a warm-up or a profile pass draws other
    requests (another seed) from its own file."""
    settings = {"SEED": seed, "CITY": city, "KIND": target.kind, "METHOD": target.method,
                "PATH": target.path, "HEADERS": target.headers, "BODY": target.body,
                **target.extra}
    header = "".join(f"{name} = {lua_value(value)}\n" for name, value in settings.items())
    script = OUT / f"{case.key}-{target.peer}{f'-{purpose}' if purpose else ''}.lua"
    script.write_text(f"-- Written by bench/run.py for case {case.key} on {target.peer}.\n"
                      + header + LUA.read_text())
    return script


def wrk_command(script: Path, port: int, seconds: int = SECONDS) -> list[str]:
    return ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s",
            "--timeout", "30s", "-s", str(script.relative_to(ROOT)), f"http://127.0.0.1:{port}"]


def profiled(row: dict) -> bool:
    """Whether BENCH_PROFILE asks for a profile of this measured case."""
    if PROFILE == "0" or _peer(row, "project") is None:
        return False
    if PROFILE == "unmet":
        return verdict(row).startswith("not met")
    return row["case"] in PROFILE.split(",")


def profile(case: Case, target: Target, city: dict, server: subprocess.Popen) -> dict | None:
    """py-spy on the project's workers while wrk sends the case's requests again for
    BENCH_SECONDS: one flame graph (SVG) from the first worker, one speedscope profile from
    the second, and what that one shows."""
    py_spy = ensure_py_spy()
    wait_for_quiet_database()
    recorders = []
    for number, (pid, output_format, suffix) in enumerate(zip(
            worker_pids(server), ("flamegraph", "speedscope"), ("svg", "speedscope.json"),
            strict=False), start=1):
        output = OUT / f"profile-{case.key}-{DATABASE}-worker{number}.{suffix}"
        step(f"  py-spy record --pid {pid} -> {output.relative_to(ROOT)}")
        recorders.append(subprocess.Popen(  # noqa: S603 (the venv's py-spy, fixed arguments)
            # Only the samples of a thread holding the GIL: Python at work. A thread waiting
            # (for PostgreSQL, for its next request in gunicorn's pool) holds no GIL, and
            # py-spy would count such waits as work.
            [py_spy, "record", "--pid", str(pid), "--duration", str(SECONDS), "--rate", "200",
             "--nonblocking", "--gil", "--format", output_format, "--output", str(output)],
            stdout=(OUT / "py-spy.log").open("a"), stderr=subprocess.STDOUT))
    script = lua_script(case, target, city, seed=SEED + 2, purpose="profile")
    subprocess.run(wrk_command(script, target.port), cwd=ROOT,  # noqa: S603
                   capture_output=True, check=False)
    for recorder in recorders:
        recorder.wait(timeout=60)
    return profile_summary(case)


def ensure_py_spy() -> str:
    """py-spy from the project's `bench` extra, installed on first use."""
    py_spy = Path(sys.executable).parent / "py-spy"
    if not py_spy.exists():
        step("installing the bench extra (py-spy)")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e",  # noqa: S603
                        f"{ROOT}[bench]"], check=True)
    return str(py_spy)


# Where a sample's innermost frame is, by the code it belongs to: a library's frames count for
# the library even when the project called it (psycopg's are the round trips to PostgreSQL).
PROJECT_PART = "the project (app/, geo/, schemas/)"
PARTS = (
    (PROJECT_PART, ("app/", "geo/", "schemas/")),
    ("psycopg: sending statements, waiting for PostgreSQL, reading rows", ("psycopg/",)),
    ("SQLAlchemy and GeoAlchemy2", ("sqlalchemy/", "geoalchemy2/")),
    ("Flask, werkzeug, Flask-SQLAlchemy", ("flask/", "werkzeug/", "flask_sqlalchemy/")),
    ("flask-smorest, webargs, marshmallow", ("flask_smorest/", "webargs/", "marshmallow/")),
    ("rate limits: limits, redis-py", ("limits/", "redis/")),
    ("gunicorn (HTTP, sockets, threads)", ("gunicorn/",)),
    ("shapely", ("shapely/",)),
)


def short_path(path: str) -> str:
    """A frame's file inside site-packages or the project."""
    return path.rsplit("site-packages/", maxsplit=1)[-1].replace(f"{ROOT}/", "")


def part_of(path: str) -> str:
    """The PARTS name of a frame's file, else "Python's standard library" or "other"."""
    for name, prefixes in PARTS:
        if short_path(path).startswith(prefixes):
            return name
    return "Python's standard library" if "/lib/python3" in path else "other"


def profile_summary(case: Case) -> dict | None:
    """What the speedscope profile of a case shows: its samples by part of the code, the
    frames where they are (self time) and the project's own functions by total time."""
    path = next(iter(OUT.glob(f"profile-{case.key}-{DATABASE}-worker*.speedscope.json")), None)
    if path is None:
        return None
    document = json.loads(path.read_text())
    frames = document["shared"]["frames"]
    own: dict[int, float] = {}
    total: dict[int, float] = {}
    parts: dict[str, float] = {}
    weight_sum = 0.0
    for profile in document["profiles"]:
        for stack, weight in zip(profile["samples"], profile["weights"], strict=True):
            weight_sum += weight
            if stack:
                own[stack[-1]] = own.get(stack[-1], 0) + weight
                part = part_of(frames[stack[-1]].get("file", ""))
                parts[part] = parts.get(part, 0) + weight
            for frame in set(stack):
                total[frame] = total.get(frame, 0) + weight

    def label(index: int) -> str:
        frame = frames[index]
        return f"{frame['name']} ({short_path(frame.get('file', ''))}:{frame.get('line', '')})"

    def share(weight: float) -> float:
        return round(100 * weight / weight_sum, 1)

    def top(counts: dict[int, float], keep: Callable[[int], bool]) -> list:
        ranked = sorted(counts.items(), key=lambda item: -item[1])
        return [[share(weight), label(index)] for index, weight in ranked if keep(index)][:12]

    return {"case": case.key, "seconds": round(weight_sum, 1), "files": sorted(
                p.name for p in OUT.glob(f"profile-{case.key}-{DATABASE}-worker*")),
            "parts": [[share(weight), name]
                      for name, weight in sorted(parts.items(), key=lambda item: -item[1])],
            "self": top(own, lambda _: True),
            "project": top(total,
                           lambda i: part_of(frames[i].get("file", "")) == PROJECT_PART)}


def wait_for_quiet_database(longest: float = 60) -> None:
    """Wait until no other statement runs in the bench database: when wrk stops, a peer may
    still be working through what it was sent (tipg's z12 tiles take seconds each), and the
    next case would be measured beside it. (The "PostgreSQL alone" list ran at 7.6 ms after
    the nearby case and at 15 to 17 ms after tipg's tiles.)"""
    deadline = time.monotonic() + longest
    with psycopg.connect(psql_url(DATABASE), autocommit=True) as connection:
        while time.monotonic() < deadline:
            busy = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND pid <> pg_backend_pid()").fetchone()[0]
            if not busy:
                return
            time.sleep(0.2)
    step(f"  the database was still busy after {longest:.0f} s; measuring anyway")


def run_wrk(case: Case, target: Target, city: dict, server: subprocess.Popen | None) -> dict:
    """One wrk run; its figures."""
    wait_for_quiet_database()
    if WARMUP_SECONDS:
        warmup = lua_script(case, target, city, seed=SEED + 1, purpose="warmup")
        subprocess.run(wrk_command(warmup, target.port, WARMUP_SECONDS), cwd=ROOT,  # noqa: S603
                       capture_output=True, check=False)
    script = lua_script(case, target, city)
    command = wrk_command(script, target.port)
    load_average = os.getloadavg()[0]
    # Where the two cores went, per request: the server's workers, PostgreSQL and wrk itself.
    # A machine shared with other work disturbs these far less than req/s.
    workers = worker_pids(server) if server is not None else []
    cpu_before, postgres_before, wrk_before = cpu_seconds(workers), postgres_cpu(), children_cpu()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,  # noqa: S603
                          check=False)
    cpu_used = cpu_seconds(workers) - cpu_before
    postgres_used, wrk_used = postgres_cpu_since(postgres_before), children_cpu() - wrk_before
    line = next((line for line in done.stdout.splitlines() if line.startswith("BENCH_RESULT ")),
                None)
    if line is None:
        raise SystemExit(f"wrk gave no result for {case.key} on {target.peer}:\n"
                         f"{done.stdout}\n{done.stderr}")
    figures = json.loads(line.removeprefix("BENCH_RESULT "))
    socket_errors = sum(figures["socket_errors"].values())
    seconds = max(figures["duration_us"], 1) / 1e6
    return {
        "peer": target.peer, "command": " ".join(command), "load_average": load_average,
        "requests": figures["requests"], "req_s": figures["requests"] / seconds,
        "p50_ms": figures["p50_us"] / 1000, "p95_ms": figures["p95_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000, "max_ms": figures["max_us"] / 1000,
        "bytes_per_response": figures["bytes"] / max(1, figures["requests"]),
        "cpu_ms_per_request": 1000 * cpu_used / max(1, figures["requests"]),
        "postgres_cpu_ms_per_request": 1000 * postgres_used / max(1, figures["requests"]),
        "wrk_cpu_ms_per_request": 1000 * wrk_used / max(1, figures["requests"]),
        "non_2xx": figures["non_2xx"], "socket_errors": socket_errors,
    }


def sql_timings(sql: str, jurisdiction_id: str, explain: bool) -> dict:
    """PostgreSQL alone, one connection, SQL_RUNS runs: p50/p95 ms (client side, rows fetched)
    or, with explain, the Execution Time of EXPLAIN ANALYZE; and the plan of the last run."""
    timings, rows, plan = [], 0, ""
    with psycopg.connect(psql_url(DATABASE)) as connection:
        for _ in range(SQL_RUNS):
            if explain:
                lines = [row[0] for row in connection.execute(
                    "EXPLAIN (ANALYZE, BUFFERS) " + sql, {"jurisdiction_id": jurisdiction_id})]
                timings.append(float(re.search(r"Execution Time: ([\d.]+)", lines[-1])[1]))
                plan = "\n".join(lines)
            else:
                started = time.perf_counter()
                rows = len(connection.execute(sql, {"jurisdiction_id": jurisdiction_id})
                           .fetchall())
                timings.append((time.perf_counter() - started) * 1000)
    return {**p50_p95(timings), "rows": rows, "plan": plan}


def p50_p95(milliseconds: list[float]) -> dict:
    """The median and the 95th percentile (nearest rank) of some timings."""
    ordered = sorted(milliseconds)
    return {"p50_ms": statistics.median(ordered),
            "p95_ms": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]}


def pgbench() -> str:
    """PostgreSQL's own load generator, installed with the server."""
    found = shutil.which("pgbench") or next(
        (str(path) for path in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"),
                                      reverse=True)), None)
    if found is None:
        raise SystemExit("pgbench is not installed (it comes with the PostgreSQL server)")
    return found


def sql_under_load(sql: str, jurisdiction_id: str) -> dict:
    """PostgreSQL alone under the bench's load: pgbench with CONNECTIONS clients for SECONDS,
    each running `sql` prepared, as wrk's connections run the server's requests. What the
    query costs when as many clients as wrk's share the machine's cores."""
    OUT.mkdir(exist_ok=True)
    script = OUT / "list.pgbench.sql"
    # pgbench binds :jurisdiction_id from -D (it leaves the query's `::` casts alone).
    script.write_text(sql.replace("%(jurisdiction_id)s", ":jurisdiction_id").strip() + ";\n")
    prefix = OUT / "list-pgbench-log"
    for old in OUT.glob(f"{prefix.name}.*"):
        old.unlink()
    done = subprocess.run(  # noqa: S603 (pgbench, fixed arguments)
        [pgbench(), "-n", "-M", "prepared", "-c", str(CONNECTIONS), "-j", str(THREADS),
         "-T", str(SECONDS), "-D", f"jurisdiction_id={jurisdiction_id}", "-f", str(script),
         "-l", "--log-prefix", str(prefix), psql_url(DATABASE)],
        cwd=OUT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"pgbench failed: {done.stderr.strip()}")
    # One line a transaction: client, number, latency in microseconds, ...
    latencies = [int(line.split()[2]) / 1000 for log in OUT.glob(f"{prefix.name}.*")
                 for line in log.read_text().splitlines()]
    return {**p50_p95(latencies), "tps": len(latencies) / SECONDS, "clients": CONNECTIONS}


def measure_sql(case: Case, context: Context) -> dict:
    if case.sql == "list":
        return {"list": sql_timings(LIST_SQL, context.jurisdiction_id, explain=False),
                "list_under_load": sql_under_load(LIST_SQL, context.jurisdiction_id)}
    page = sql_timings(QUEUE_SQL, context.jurisdiction_id, explain=True)
    count = sql_timings(QUEUE_COUNT_SQL, context.jurisdiction_id, explain=True)
    with psycopg.connect(psql_url(DATABASE)) as connection:
        open_requests = connection.execute(QUEUE_COUNT_SQL, {
            "jurisdiction_id": context.jurisdiction_id}).fetchone()[0]
    return {"queue_page": page, "queue_count": count, "open_requests": open_requests}


def measure_export() -> dict:
    """The whole CSV export from a fresh single-worker gunicorn: its worker's VmRSS sampled
    every 20 ms while a client reads the response to the end (and throws it away)."""
    server = start_project(EXPORT_PORT, workers=1)
    try:
        pid = worker_pids(server)[0]
        before = rss_mb(pid)
        peak = [before]
        finished = threading.Event()

        def sample() -> None:
            while not finished.wait(0.02):
                peak[0] = max(peak[0], rss_mb(pid))

        sampler = threading.Thread(target=sample)
        load_average = os.getloadavg()[0]
        sampler.start()
        started = time.perf_counter()
        size = lines = 0
        status, error = 0, None
        try:
            connection = http.client.HTTPConnection("127.0.0.1", EXPORT_PORT, timeout=600)
            connection.request("GET", "/api/v1/public/requests.csv")
            response = connection.getresponse()
            status = response.status
            while block := response.read(1 << 16):
                size += len(block)
                lines += block.count(b"\n")
        except (OSError, http.client.HTTPException) as failure:
            # A download cut short (a worker killed by gunicorn's timeout, say) is a failure
            # of the case, reported as such, not of the run.
            error = f"{type(failure).__name__} after {size} bytes"
        finally:
            finished.set()
            sampler.join()
        seconds = time.perf_counter() - started
    finally:
        stop(server)
    return {"peer": "project", "status": status, "seconds": seconds, "bytes": size,
            "rows": max(0, lines - 1), "rows_s": max(0, lines - 1) / seconds,
            "rss_before_mb": before, "rss_peak_mb": peak[0], "load_average": load_average,
            "error": error, "non_2xx": int(error is not None or not 200 <= status < 300)}


def measure(case: Case, context: Context, running: dict[str, subprocess.Popen | None]) -> dict:
    """One case on every peer that runs."""
    row: dict = {"case": case.key, "title": case.title, "goal": case.goal, "peers": []}
    if case.key == "export":
        row["export"] = measure_export()
        return row
    if case.sql:
        wait_for_quiet_database()
        row["sql"] = measure_sql(case, context)
    for target in case.targets:
        if running.get(target.peer) is None:
            continue
        step(f"  {case.key} on {target.peer}")
        row["peers"].append(run_wrk(case, target, context.city, running[target.peer]))
    server = running.get("project")
    if server is not None and profiled(row):
        step(f"  profiling {case.key} on the project")
        project = next(target for target in case.targets if target.peer == "project")
        row["profile"] = profile(case, project, context.city, server)
    return row


# --- reporting --------------------------------------------------------------------------------

def speed_probe() -> float:
    """Seconds of CPU a fixed pure-Python loop takes now. This machine's cores are shared with
    other machines' work: one such loop took 1.8 times as long as twenty minutes before. Taken
    at the start and the end of a run, it says how fast the machine was while it ran."""
    started = time.process_time()
    total = 0
    for number in range(10_000_000):
        total += number
    return round(time.process_time() - started, 2)


def machine() -> dict:
    """What the figures were measured on."""
    with psycopg.connect(psql_url(DATABASE)) as connection:
        version = connection.execute("SHOW server_version").fetchone()[0]
        postgis = connection.execute("SELECT postgis_lib_version()").fetchone()[0]
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                     .splitlines() if line.startswith("MemTotal"))
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True,  # noqa: S607
                          check=False)
    wrk_version = (done.stdout + done.stderr).splitlines()[:1]
    return {"cores": os.cpu_count(), "memory": f"{memory_kb / 1024 / 1024:.1f} GiB",
            "cpu": next((line.split(":", 1)[1].strip() for line in
                         Path("/proc/cpuinfo").read_text().splitlines()
                         if line.startswith("model name")), platform.processor()),
            "postgresql": version, "postgis": postgis, "python": platform.python_version(),
            "wrk": (wrk_version or ["wrk"])[0].strip()}


def _peer(row: dict, name: str) -> dict | None:
    return next((peer for peer in row["peers"] if peer["peer"] == name), None)


def failure(row: dict) -> str | None:
    """Why a case cannot meet its goal whatever its speed: it failed, broke off or erred."""
    if "failed" in row:
        return f"not measured: {row['failed']}"
    if "export" in row:
        export = row["export"]
        if export.get("error"):
            return f"not met: the download broke off ({export['error']})"
        return f"not met: answered {export['status']}" if export["non_2xx"] else None
    project = _peer(row, "project")
    problem = None
    if project is None:
        problem = "not run"
    elif not project["requests"]:
        problem = "not met: no answer within the run"
    elif project["non_2xx"] or project["socket_errors"]:
        problem = f"not met: {project['non_2xx'] + project['socket_errors']} errors"
    return problem


def verdict(row: dict) -> str:
    """The case's goal, met or not, from its figures."""
    problem = failure(row)
    if problem:
        return problem
    if "export" in row:
        return "met" if row["export"]["rss_peak_mb"] < 150 else "not met"
    project = _peer(row, "project")
    assert project is not None  # failure() says "not run" otherwise
    errors = sum(peer["non_2xx"] + peer.get("socket_errors", 0) for peer in row["peers"])
    met = {
        "ogc_items": lambda: (tipg := _peer(row, "tipg")) is not None
        and project["req_s"] >= 3 * tipg["req_s"],
        "nearby": lambda: (floor := _peer(row, "floor")) is not None
        and project["p50_ms"] <= 1.5 * floor["p50_ms"] and project["p95_ms"] < 10,
        "tiles": lambda: project["p95_ms"] < 50,
        "open311_list": lambda: project["p50_ms"] <= 2 * row["sql"]["list"]["p50_ms"],
        "staff_queue": lambda: row["sql"]["queue_page"]["p50_ms"] < 20,
        "post": lambda: project["req_s"] >= 300,
    }[row["case"]]()
    return ("met" if met else "not met") + (f" ({errors} peer errors)" if errors else "")


def cpu_note(peer: dict) -> str:
    """The CPU a request took of the workers and, where measured (runs since 2026-12-02 18:00
    UTC), of PostgreSQL and of wrk."""
    note = f"workers' CPU {peer['cpu_ms_per_request']:.2f} ms/request"
    if "postgres_cpu_ms_per_request" in peer:
        note += (f", PostgreSQL's {peer['postgres_cpu_ms_per_request']:.2f}, "
                 f"wrk's {peer['wrk_cpu_ms_per_request']:.2f}")
    return note


def ratio(a: float, b: float) -> str:
    """a/b as "1.23x", or a dash when b is nothing to divide by."""
    return f"{a / b:.2f}x" if b else "–"


def _figures(peer: dict) -> str:
    return (f"{peer['req_s']:.0f} req/s, p50 {peer['p50_ms']:.1f}, p95 {peer['p95_ms']:.1f}, "
            f"p99 {peer['p99_ms']:.1f} ms")


def table(rows: list[dict]) -> str:
    """One run as a Markdown table: a line per case and peer."""
    lines = ["| case | server | req/s | p50 ms | p95 ms | p99 ms | non-2xx | load avg | notes |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        if "failed" in row:
            lines.append(f"| {row['title']} | – | – | – | – | – | – | – | failed: "
                         f"{row['failed']} |")
            continue
        if "export" in row:
            export = row["export"]
            lines.append(
                f"| {row['title']} | project, 1 fresh worker | {export['rows_s']:.0f} rows/s | "
                f"– | – | – | {export['non_2xx']} | {export['load_average']:.1f} | "
                f"{export['rows']} rows, {export['bytes'] / 1e6:.0f} MB in "
                f"{export['seconds']:.1f} s; worker VmRSS {export['rss_before_mb']:.0f} MB "
                f"before, peak {export['rss_peak_mb']:.0f} MB"
                + (f"; BROKE OFF: {export['error']}" if export.get("error") else "") + " |")
            continue
        project = _peer(row, "project")
        for peer in row["peers"]:
            notes = []
            if peer["peer"] != "project" and project is not None:
                notes.append(f"project/{peer['peer']}: {ratio(project['req_s'], peer['req_s'])} "
                             f"req/s, p50 {ratio(project['p50_ms'], peer['p50_ms'])}")
            if peer.get("statuses"):  # runs before 2026-12-02 18:00 UTC counted each status
                notes.append("statuses " + ", ".join(f"{k}: {v}" for k, v in
                                                     peer["statuses"].items()))
            if peer["socket_errors"]:
                notes.append(f"{peer['socket_errors']} socket errors")
            notes.append(f"{peer['bytes_per_response'] / 1000:.1f} kB/response")
            if "cpu_ms_per_request" in peer:
                notes.append(cpu_note(peer))
            lines.append(
                f"| {row['title']} | {peer['peer']} | {peer['req_s']:.0f} | "
                f"{peer['p50_ms']:.1f} | {peer['p95_ms']:.1f} | {peer['p99_ms']:.1f} | "
                f"{peer['non_2xx'] + peer['socket_errors']} | {peer['load_average']:.1f} | "
                f"{'; '.join(notes)} |")
        if "sql" in row:
            sql = row["sql"]
            if "list" in sql:
                lines.append(f"| {row['title']} | PostgreSQL alone | – | "
                             f"{sql['list']['p50_ms']:.1f} | {sql['list']['p95_ms']:.1f} | – | – "
                             f"| – | {sql['list']['rows']} rows, psycopg, {SQL_RUNS} runs; "
                             f"project p50 {ratio(project['p50_ms'], sql['list']['p50_ms'])} |"
                             if project else "")
                loaded = sql.get("list_under_load")
                if loaded and project:
                    lines.append(
                        f"| {row['title']} | PostgreSQL alone, {loaded['clients']} clients | "
                        f"{loaded['tps']:.0f} | {loaded['p50_ms']:.1f} | "
                        f"{loaded['p95_ms']:.1f} | – | – | – | the same query, pgbench "
                        f"-M prepared, {loaded['clients']} clients as wrk's; its p50 "
                        f"{ratio(loaded['p50_ms'], sql['list']['p50_ms'])} the one-client "
                        f"p50; project p50 {ratio(project['p50_ms'], loaded['p50_ms'])} |")
            else:
                page, count = sql["queue_page"], sql["queue_count"]
                lines.append(f"| {row['title']} | PostgreSQL alone | – | {page['p50_ms']:.1f} | "
                             f"{page['p95_ms']:.1f} | – | – | – | EXPLAIN ANALYZE of the page "
                             f"among {sql['open_requests']} open requests; the endpoint's "
                             f"count(*) of them: p50 {count['p50_ms']:.1f} ms |")
    return "\n".join(lines)


def goals(rows: list[dict]) -> str:
    """The goals of issue 12, each with the figures that decide it."""
    lines = ["| case | goal | figures | verdict |", "|---|---|---|---|"]
    for row in rows:
        if "failed" in row:
            figures = "–"
        elif "export" in row:
            figures = f"peak VmRSS {row['export']['rss_peak_mb']:.0f} MB"
        else:
            figures = "; ".join(f"{peer['peer']} {_figures(peer)}" for peer in row["peers"])
            if row.get("sql", {}).get("list"):
                figures += f"; PostgreSQL p50 {row['sql']['list']['p50_ms']:.1f} ms"
            if row.get("sql", {}).get("queue_page"):
                figures += f"; PostgreSQL p50 {row['sql']['queue_page']['p50_ms']:.1f} ms"
        lines.append(f"| {row['title']} | {row['goal']} | {figures} | {verdict(row)} |")
    return "\n".join(lines)


def growth(small: dict, large: dict) -> str:
    """Each case's figures on two datasets side by side."""
    lines = [f"| case | server | {small['label']} req/s | {large['label']} req/s | "
             f"{small['label']} p50 ms | {large['label']} p50 ms | p50 growth | "
             f"{small['label']} p95 ms | {large['label']} p95 ms |",
             "|---|---|---|---|---|---|---|---|---|"]
    by_case = {row["case"]: row for row in large["cases"]}
    for row in small["cases"]:
        other = by_case.get(row["case"])
        if other is None:
            continue
        if "failed" in row or "failed" in other:
            continue
        if "export" in row:
            a, b = row["export"], other["export"]
            lines.append(f"| {row['title']} | project | {a['rows_s']:.0f} rows/s | "
                         f"{b['rows_s']:.0f} rows/s | {a['seconds'] * 1000:.0f} (whole) | "
                         f"{b['seconds'] * 1000:.0f} (whole) | "
                         f"{ratio(b['seconds'], a['seconds'])} | peak RSS {a['rss_peak_mb']:.0f}"
                         f" MB | peak RSS {b['rss_peak_mb']:.0f} MB |")
            continue
        for peer in row["peers"]:
            twin = _peer(other, peer["peer"])
            if twin is None:
                continue
            lines.append(f"| {row['title']} | {peer['peer']} | {peer['req_s']:.0f} | "
                         f"{twin['req_s']:.0f} | {peer['p50_ms']:.1f} | {twin['p50_ms']:.1f} | "
                         f"{ratio(twin['p50_ms'], peer['p50_ms'])} | {peer['p95_ms']:.1f} | "
                         f"{twin['p95_ms']:.1f} |")
        for name, label in (("list", "Open311 list"), ("queue_page", "staff queue page")):
            a, b = row.get("sql", {}).get(name), other.get("sql", {}).get(name)
            if a and b:
                lines.append(f"| {row['title']} | PostgreSQL alone ({label}) | – | – | "
                             f"{a['p50_ms']:.1f} | {b['p50_ms']:.1f} | "
                             f"{ratio(b['p50_ms'], a['p50_ms'])} | {a['p95_ms']:.1f} | "
                             f"{b['p95_ms']:.1f} |")
    return "\n".join(lines)


def speed_line(run: dict) -> str:
    """The machine's speed during the run (speed_probe at its start and end), when recorded."""
    probe = run["machine"].get("speed_probe_s")
    if not probe:
        return ""
    return (f"\n- speed probe (a fixed pure-Python loop, CPU seconds; lower is faster): "
            f"{probe[0]} s at the start, {probe[1]} s at the end")


def run_section(run: dict) -> str:
    data = run["dataset"]
    loaded = (f"`demo load --city {run['city']} --requests {run['requests_asked']}` took "
              f"{run['load_seconds']:.0f} s" if run.get("load_seconds") else
              "load time not measured (the database was loaded before)")
    tipg = f"tipg {run['tipg']}" if run.get("tipg") else "tipg not run"
    times = sorted({row["when"] for row in run["cases"] if row.get("when")})
    if len(times) > 1:
        tipg += "; cases measured at " + ", ".join(
            f"{t} ({', '.join(r['case'] for r in run['cases'] if r.get('when') == t)})"
            for t in times)
    return f"""## {run['label']}: database `{run['database']}`

Run on {run['when']}; seed {run['seed']}; {run['connections']} connections, {run['threads']}
wrk threads, {run['seconds']} s a case; gunicorn -w {run['workers']}; {tipg}.

- dataset: {data['requests']:,} requests ({data['open']:,} open), {data['updates']:,} history
  rows, {data['addresses']:,} address points, {data['districts']} districts, city of
  {data['area_km2']} km² ({run['city']} city); {loaded}
- load average at the start of the run: {run['load_average']:.1f}{speed_line(run)}

{table(run['cases'])}

Goals:

{goals(run['cases'])}
"""


def write_results(runs: dict) -> None:
    """bench/results.md from every run kept in bench/results.json."""
    # A database whose load was timed but whose run did not finish has no figures yet.
    ordered = sorted((run for run in runs.values() if "cases" in run),
                     key=lambda run: run["dataset"]["requests"])
    about = ordered[-1]["machine"]
    sections = "\n".join(run_section(run) for run in ordered)
    comparison = ""
    if len(ordered) >= 2:
        first, last = ordered[0], ordered[-1]
        comparison = (f"## Growth: {first['label']} to {last['label']}\n\n"
                      f"The {first['label']} run of {first['when']} against the {last['label']} "
                      f"run of {last['when']}: runs of different days may differ in code and "
                      f"machine as well as in size (their speed probes, above).\n\n"
                      f"{growth(first, last)}\n")
    profile_note = "\n".join(profile_section(run) for run in ordered) or (
        "No profile in these runs: `BENCH_PROFILE=<case> make bench`.")
    notes = NOTES.read_text().strip() if NOTES.exists() else ""
    commands = "\n".join(sorted({peer["command"] for run in ordered for row in run["cases"]
                                 for peer in row["peers"]}))
    RESULTS.write_text(f"""# Benchmark results

Written by `make bench` (bench/run.py); raw figures in bench/results.json.

## Machine

- {about['cores']} cores ({about['cpu']}), {about['memory']} RAM
- PostgreSQL {about['postgresql']}, PostGIS {about['postgis']}, Python {about['python']},
  {about['wrk']}
- the load generator, the servers and PostgreSQL share these cores; the "load avg" column is
  the 1-minute load average when the case started: above the core count, other work was
  running and the figures are low and noisy
- the cores themselves are shared with other machines: each run's speed probe (below) shows
  how fast they were; figures of runs with different probes are not comparable, ratios
  between peers of one run are

## How it measures

- wrk with bench/wrk/cases.lua: every request drawn at random over the whole city (points
  uniform inside the boundary, ~{2 * BBOX_HALF_M} m bboxes around them, tiles z12 to z16
  holding them), each wrk thread seeded from the run's seed and its number
- non-2xx: wrk's own count of answers outside 2xx and 3xx (no Lua response hook: wrk would
  copy every body into Lua, 0.6 ms of CPU for each 580 kB list); any error marks the goal
  not met
- CPU a request, read from /proc around each wrk run: the server's workers, PostgreSQL's
  processes (every backend, the checkpointer, autovacuum) and wrk itself
- peers in the same run: tipg over the view `{TIPG_VIEW}` (the same joins), the floor
  (bench/floor.py: one SQL statement builds the JSON, bare Flask + psycopg under the same
  gunicorn settings; for the Open311 list the project's own statement), and PostgreSQL alone
  through psycopg, one client ({SQL_RUNS} runs; EXPLAIN ANALYZE for the staff queue); for the
  Open311 list also the same query under wrk's load (pgbench, as many clients as wrk's
  connections, prepared)
- the project as production runs it: rate limits on, counted in Redis, with ceilings the
  run never reaches (runs before 2026-12-07 had them off)
- export: a fresh gunicorn with one worker; its VmRSS from /proc every 20 ms while a client
  reads the whole CSV

## Commands

```
make bench                         # BENCH_REQUESTS=1000000, database open311_bench
make bench-5m                      # BENCH_REQUESTS=5000000, database open311_bench_5m
# environment: BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_THREADS, BENCH_CASES, BENCH_SEED,
# BENCH_REQUESTS, BENCH_DATABASE, BENCH_CITY (large | small), BENCH_TIPG=0, BENCH_REDIS_URL,
# BENCH_PROFILE=unmet | <case,...> | 0 (py-spy flame graphs into bench/out/)
# what run.py ran (each script: the case's settings, then bench/wrk/cases.lua):
{commands}
```

{sections}
{comparison}
## Profiles

{profile_note}

## Notes

{notes or "(bench/notes.md holds notes kept across runs; none yet.)"}
""")


def profile_section(run: dict) -> str:
    """The profiled cases of a run: their files and where their samples are."""
    parts = []
    for row in run["cases"]:
        summary = row.get("profile")
        if not summary:
            continue

        def rows(pairs: list) -> str:
            return "\n".join(f"| {share}% | {escape(name, quote=False)} |"
                             for share, name in pairs)

        by_part = gil = seconds = ""
        when = "during the measured run"
        if "seconds" in summary:  # runs since 2026-12-07 20:10 UTC
            gil = ", only the samples of a thread holding the GIL: Python at work"
            seconds = f", {summary['seconds']} s of samples"
            when = "while wrk sent the case's requests again, after its measured runs"
        if "parts" in summary:
            by_part = f"""
| share of samples | innermost frame in |
|---|---|
{rows(summary['parts'])}
"""
        files = ", ".join(summary["files"])
        parts.append(f"""### {run['label']}, case {summary['case']} ({verdict(row)})

py-spy (200 Hz, non-blocking{gil}) on both workers {when}: bench/out/{files}
(flame graph SVG of one worker, speedscope of the other; the tables are of the speedscope
one{seconds}).
{by_part}
| share of samples (self) | frame |
|---|---|
{rows(summary['self'])}

| share of samples (total) | the project's own function |
|---|---|
{rows(summary['project'])}
""")
    return "\n".join(parts)


def main(select: Callable[[Case], bool], partial: bool = False) -> None:
    """Prepare, serve, measure every selected case, report."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make tools` installs it")
    run_started = os.getloadavg()[0]
    speed_at_start = speed_probe()
    load_seconds = prepare_database()
    jurisdiction_id = JURISDICTIONS[CITY]
    context = Context(jurisdiction_id, flask("keys", "create", "bench"),
                      flask("staff", "create", "bench@example.org", "--role", "admin"),
                      city_shape())
    running: dict[str, subprocess.Popen | None] = {}
    tipg_version = None
    rows = []
    try:
        step(f"starting the project (gunicorn -w {WORKERS}) on 127.0.0.1:{PORT}")
        running["project"] = start_project()
        step(f"starting the floor (bench/floor.py) on 127.0.0.1:{FLOOR_PORT}")
        running["floor"] = start_floor()
        if os.environ.get("BENCH_TIPG", "1") != "0":
            step(f"starting tipg on 127.0.0.1:{TIPG_PORT}")
            running["tipg"], tipg_version = start_tipg()
        for case in filter(select, cases(context)):
            step(f"case {case.key}: {case.title}")
            try:
                rows.append(measure(case, context, running))
            except Exception as error:  # one broken case must not lose the others' figures
                step(f"case {case.key} failed: {error!r}")
                rows.append({"case": case.key, "title": case.title, "goal": case.goal,
                             "peers": [], "failed": repr(error)})
    finally:
        for process in running.values():
            stop(process)
        with psycopg.connect(psql_url(DATABASE)) as connection:
            connection.execute(REMOVE_POSTED_SQL)
        remove_dead_rows()
    runs = json.loads(RESULTS_JSON.read_text()).get("runs", {}) if RESULTS_JSON.exists() else {}
    previous = runs.get(DATABASE, {})
    for row in rows:
        row["when"] = time.strftime("%Y-%m-%d %H:%M %Z")
    if partial and previous.get("cases"):
        # Some cases again (BENCH_CASES): the others keep their figures of the previous run.
        fresh = {row["case"]: row for row in rows}
        for row in previous["cases"]:
            row.setdefault("when", previous["when"])
        kept = [fresh.pop(row["case"], row) for row in previous["cases"]]
        rows = kept + list(fresh.values())
        run_started = previous["load_average"]
    runs[DATABASE] = {
        "database": DATABASE, "label": f"{REQUESTS / 1e6:g}M" if REQUESTS >= 1e6 else
        str(REQUESTS), "city": CITY, "requests_asked": REQUESTS,
        "when": previous["when"] if partial and previous.get("cases") else
        time.strftime("%Y-%m-%d %H:%M %Z"), "seed": SEED, "seconds": SECONDS,
        "connections": CONNECTIONS, "threads": THREADS, "workers": WORKERS,
        "tipg": tipg_version or (previous.get("tipg") if partial else None),
        "load_average": run_started,
        "machine": {**machine(), "speed_probe_s": [speed_at_start, speed_probe()]},
        "dataset": dataset(), "load_seconds": load_seconds,
        "cases": rows,
    }
    RESULTS_JSON.write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    write_results(runs)
    print(table(rows))
    print()
    print(goals(rows))


if __name__ == "__main__":
    if sys.argv[1:] == ["--report"]:
        # results.md again from results.json (after editing bench/notes.md, say).
        write_results(json.loads(RESULTS_JSON.read_text())["runs"])
        raise SystemExit(0)
    chosen = [key for key in os.environ.get("BENCH_CASES", "").split(",") if key] + sys.argv[1:]
    main(lambda case: not chosen or case.key in chosen, partial=bool(chosen))
