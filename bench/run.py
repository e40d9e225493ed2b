"""`make bench`: the server under gunicorn against 1,000,000 demo requests, case by case.

For each case: throughput and p50/p95/p99 latency from a threaded keep-alive client on
loopback (bounded by BENCH_SECONDS and BENCH_MAX_REQUESTS), and beside it the same query's time
in PostgreSQL alone (psycopg, median of several runs, rows fetched): the physical limit.
A case whose endpoint this build does not serve yet (404, or its probe says so) is skipped.
The peer, tipg (PyPI, installed in its own virtualenv bench/.tipg), serves a view of the same
table on another loopback port in the same run, for the OGC items and tile cases.
Results are printed and written to bench/results.md.
"""

import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from common import LAT, LONG, ROOT, downtown_tile, flask_command
from common import sqlalchemy_url as to_sqlalchemy_url
from sqlalchemy.dialects import postgresql

RESULTS = ROOT / "bench" / "results.md"
SERVER = os.environ.get("BENCH_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("BENCH_DATABASE", "open311_bench")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "1000000"))
PORT = int(os.environ.get("BENCH_PORT", "8311"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
MAX_REQUESTS = int(os.environ.get("BENCH_MAX_REQUESTS", "3000"))
TIPG_PORT = int(os.environ.get("BENCH_TIPG_PORT", "8312"))
TIPG_ENV = ROOT / "bench" / ".tipg"
TIPG_REQUIREMENT = "tipg>=1.0"
TIPG_VIEW = "bench_public_requests"
TIPG_COLLECTION = f"public.{TIPG_VIEW}"
OUT = ROOT / "bench" / "out"
RAW_RUNS = 15
# Downtown of the demo city: the densest hot spot (app/operations/demo.py HOT_SPOTS).
# About a hundred public requests, west of downtown (downtown itself holds thousands in a
# block: the demo data clusters at address points).
BBOX_100 = "-87.7300,42.0200,-87.7294,42.0210"

LIST_SQL = """
SELECT r.id, r.status, r.status_notes, s.service_name, s.service_code, s.public_location,
       r.description, d.name, r.service_notice, r.requested_at, r.updated_at, r.deadline,
       r.address, r.address_id, r.zipcode, ST_Y(r.location::geometry), ST_X(r.location::geometry),
       r.media_urls
FROM service_requests r JOIN services s ON s.id = r.service_id
LEFT JOIN departments d ON d.id = r.department_id
WHERE r.jurisdiction_id = %(jurisdiction_id)s {where}
ORDER BY {order} LIMIT 1000
"""
WINDOW = "AND r.requested_at >= now() - interval '90 days' AND r.requested_at <= now()"
RADIUS = ("AND ST_DWithin(r.location, ST_SetSRID(ST_MakePoint(%(long)s, %(lat)s), 4326)"
          "::geography, 500)")
NEAREST = "r.location <-> ST_SetSRID(ST_MakePoint(%(long)s, %(lat)s), 4326)::geography"
NEARBY_SQL = """
SELECT r.id, ST_Distance(r.location, ST_SetSRID(ST_MakePoint(%(long)s, %(lat)s), 4326)::geography)
FROM service_requests r JOIN services s ON s.id = r.service_id
WHERE s.jurisdiction_id = %(jurisdiction_id)s AND s.service_code = 'POTHOLE' AND r.status = 'open'
  AND r.requested_at >= now() - interval '30 days'
  AND ST_DWithin(r.location, ST_SetSRID(ST_MakePoint(%(long)s, %(lat)s), 4326)::geography, 40)
ORDER BY r.location <-> ST_SetSRID(ST_MakePoint(%(long)s, %(lat)s), 4326)::geography
"""
# What a POST costs PostgreSQL at least: the nearby check, the row and its first history row.
POST_INSERT_SQL = """
WITH inserted AS (
    INSERT INTO service_requests (jurisdiction_id, service_id, status, detailed_status,
        location, media_urls, attributes, channel, requested_at, updated_at, vote_count)
    SELECT CAST(%(jurisdiction_id)s AS varchar), id, 'open', 'submitted',
           ST_SetSRID(ST_MakePoint(%(long)s, %(lat)s), 4326)::geography, '{}', '{"SIZE": "M"}',
           'api', now(), now(), 0
    FROM services WHERE jurisdiction_id = %(jurisdiction_id)s AND service_code = 'POTHOLE'
    RETURNING id, jurisdiction_id)
INSERT INTO request_updates (jurisdiction_id, service_request_id, created_at, actor, kind,
                             to_status, public, data)
SELECT jurisdiction_id, id, now(), 'bench', 'submitted', 'submitted', true, '{}' FROM inserted
"""
POST_SQL = NEARBY_SQL + ";\n" + POST_INSERT_SQL
BBOX_SQL = f"""
SELECT r.id, ST_AsGeoJSON(r.location) FROM service_requests r
WHERE r.jurisdiction_id = %(jurisdiction_id)s
  AND r.location && ST_MakeEnvelope({BBOX_100}, 4326)::geography
LIMIT 100
"""  # noqa: S608 (a module constant)
TILE_SQL = """
WITH bounds AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS box)
SELECT ST_AsMVT(t, 'requests') FROM (
    SELECT r.id, ST_AsMVTGeom(r.location_3857, bounds.box) AS geom
    FROM service_requests r, bounds
    WHERE r.jurisdiction_id = %(jurisdiction_id)s AND r.location_3857 && bounds.box
) AS t
"""
# The export case's raw SQL is the export statement itself (compiled by export_copy_sql).
COPY_SQL = "COPY ({query}) TO STDOUT WITH CSV HEADER"
# What tipg serves: the public columns of requests, hidden locations left out. It reads the
# indexed location_3857 so that its bbox and tile filters use a GiST index, as ours do; block
# locations are not snapped there (a little less work than ours does).
TIPG_VIEW_SQL = f"""
CREATE OR REPLACE VIEW {TIPG_VIEW} AS
SELECT sr.id, s.service_code, sr.status, to_char(sr.requested_at, 'YYYY-MM-DD') AS requested,
       sr.requested_at, sr.vote_count, sr.location_3857 AS geom
FROM service_requests sr JOIN services s ON s.id = sr.service_id
WHERE s.public_location <> 'hidden'
"""  # noqa: S608 (module constants only)


@dataclass
class Case:
    """One line of the table: what to call, and the query PostgreSQL alone would run."""

    name: str
    method: str
    path: str
    sql: str
    target: str
    form: dict = field(default_factory=dict)
    sql_parameters: dict = field(default_factory=dict)
    # (path, status): the build serves this case when that call answers that status.
    served_when: tuple[str, int] | None = None
    rows_per_second: bool = False
    # The same call on tipg, when the peer serves this case.
    tipg_path: str | None = None


def tile_of(z: int) -> dict:
    """The XYZ tile holding downtown at zoom z."""
    x, y = downtown_tile(z)
    return {"z": z, "x": x, "y": y}


def tipg_tile(tile: dict) -> str:
    """tipg's URL of an XYZ tile of the requests view."""
    return "/collections/{c}/tiles/WebMercatorQuad/{z}/{x}/{y}".format(c=TIPG_COLLECTION, **tile)


def cases() -> list[Case]:
    """The cases of issue 6."""
    t10, t12, t15 = tile_of(10), tile_of(12), tile_of(15)
    return [
        Case("1. GET requests.json (90 days, 1000)", "GET", "/open311/v2/requests.json",
             LIST_SQL.format(where=WINDOW, order="r.requested_at DESC, r.id DESC"),
             "p50 <= 2x SQL"),
        Case("1. GET requests.xml (90 days, 1000)", "GET", "/open311/v2/requests.xml",
             LIST_SQL.format(where=WINDOW, order="r.requested_at DESC, r.id DESC"),
             "p50 <= 2x SQL"),
        Case("2. GET requests.json radius 500 m", "GET",
             f"/open311/v2/requests.json?lat={LAT}&long={LONG}&radius=500",
             LIST_SQL.format(where=WINDOW + " " + RADIUS, order=NEAREST), "p50 <= 2x SQL",
             sql_parameters={"lat": LAT, "long": LONG},
             served_when=(f"/open311/v2/requests.json?lat={LAT}&long={LONG}&radius=1e9", 400)),
        Case("3. nearby duplicates check", "GET",
             f"/api/v1/public/nearby?service_code=POTHOLE&lat={LAT}&long={LONG}", NEARBY_SQL,
             "p95 < 10 ms", sql_parameters={"lat": LAT, "long": LONG}),
        Case("4. POST requests.json", "POST", "/open311/v2/requests.json", POST_SQL,
             ">= 300 req/s",
             form={"service_code": "POTHOLE", "lat": LAT, "long": LONG,
                   "attribute[SIZE]": "M", "description": "Benchmark pothole"},
             sql_parameters={"lat": LAT, "long": LONG}),
        Case("5. OGC items bbox (~100)", "GET",
             f"/ogc/collections/requests/items?bbox={BBOX_100}&limit=100", BBOX_SQL,
             ">= 3x tipg",
             tipg_path=f"/collections/{TIPG_COLLECTION}/items?bbox={BBOX_100}&limit=100"),
        *(Case(f"6. MVT tile z{tile['z']}", "GET",
               "/tiles/requests/{z}/{x}/{y}.mvt".format(**tile), TILE_SQL,
               "p95 < 50 ms, every point", sql_parameters=tile, tipg_path=tipg_tile(tile))
          for tile in (t10, t12, t15)),
        Case("7. CSV export (all)", "GET", "/api/v1/public/requests.csv", COPY_SQL,
             ">= 0.5x COPY rows/s, RSS < 150 MB", rows_per_second=True),
    ]


def psql_url(database: str) -> str:
    """A libpq URL for one database of the bench server."""
    return f"{SERVER}/{database}"


def sqlalchemy_url(database: str) -> str:
    """The same, in the form DATABASE_URL takes."""
    return to_sqlalchemy_url(psql_url(database))


def step(message: str) -> None:
    """Progress on stderr, timed."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def flask(*arguments: str) -> str:
    """Run an app command against the bench database; its output."""
    return flask_command({"DATABASE_URL": sqlalchemy_url(DATABASE)}, *arguments)


def prepare_database() -> tuple[str, float | None]:
    """Create, migrate and fill the bench database; the seconds demo load took, if it ran."""
    with psycopg.connect(psql_url("postgres"), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                             (DATABASE,)).fetchone():
            step(f"creating database {DATABASE}")
            admin.execute(f'CREATE DATABASE "{DATABASE}"')
    step("migrating")
    flask("db", "upgrade")
    step(f"demo load --requests {REQUESTS} (skipped when already loaded)")
    started = time.perf_counter()
    summary = flask("demo", "load", "--requests", str(REQUESTS))
    elapsed = time.perf_counter() - started
    step(summary)
    jurisdiction_id = summary.split(":", 1)[0]
    return jurisdiction_id, (elapsed if "demo requests generated" in summary else None)


def wait_until_answering(port: int, path: str, process: subprocess.Popen, what: str) -> None:
    """Poll `path` until it answers 200; stop the process and exit if it never does."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}; see bench/out/")
        try:
            if call("GET", path, port=port)[0] == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"{what} did not answer within 120 s")


def start_server() -> subprocess.Popen:
    """gunicorn as in production, on a loopback port; waits until it answers."""
    # Rate limits off: the bench measures the server's capacity from one client address, which
    # the per-address POST limit would cut to 60 a minute (the limiter has its own tests).
    environment = {**os.environ, "DATABASE_URL": sqlalchemy_url(DATABASE),
                   "RATELIMIT_ENABLED": "false"}
    OUT.mkdir(exist_ok=True)
    # gunicorn.conf.py logs every request; the log goes to a file, not the table's terminal.
    server = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{PORT}",
         "--log-level", "warning", "app:create_app()"],
        cwd=ROOT, env=environment, stdout=(OUT / "gunicorn.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_until_answering(PORT, "/open311/v2/services.json", server, "gunicorn")
    return server


def ensure_tipg() -> Path:
    """bench/.tipg: a virtualenv holding tipg and uvicorn (created on the first run)."""
    python = TIPG_ENV / "bin" / "python"
    if not (TIPG_ENV / "bin" / "uvicorn").exists():
        step(f"installing {TIPG_REQUIREMENT} into {TIPG_ENV.relative_to(ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_ENV)], check=True)  # noqa: S603
        subprocess.run([str(python), "-m", "pip", "install", "-q", TIPG_REQUIREMENT,  # noqa: S603
                        "uvicorn"], check=True)
    return python


def start_tipg() -> tuple[subprocess.Popen, str]:
    """tipg under uvicorn with as many workers as gunicorn, serving the requests view."""
    python = ensure_tipg()
    with psycopg.connect(psql_url(DATABASE), autocommit=True) as connection:
        connection.execute(TIPG_VIEW_SQL)
    version = subprocess.run(  # noqa: S603
        [str(python), "-c", "import tipg; print(tipg.__version__)"],
        check=True, capture_output=True, text=True).stdout.strip()
    environment = {
        **os.environ, "DATABASE_URL": psql_url(DATABASE),
        "TIPG_DB_TABLES": f'["{TIPG_COLLECTION}"]',
        "TIPG_DB_FUNCTIONS": "[]",  # only the view: no PostGIS functions as collections
        # Extents over a million rows at start-up are not what is measured.
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


def call(method: str, path: str, form: dict | None = None,
         connection: http.client.HTTPConnection | None = None, *,
         port: int = PORT, keep: bool = False) -> tuple[int, int | bytes, float]:
    """One HTTP call: (status, body bytes or the body when `keep`, seconds)."""
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    body = urlencode(form) if form else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    size, kept = 0, []
    while chunk := response.read(1 << 16):
        size += len(chunk)
        if keep:
            kept.append(chunk)
    return response.status, b"".join(kept) if keep else size, time.perf_counter() - started


def load(method: str, path: str, form: dict, port: int = PORT,
         ) -> tuple[list[float], float, int]:
    """CONCURRENCY threads call the path until SECONDS or MAX_REQUESTS; latencies, wall, errors."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + SECONDS

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        while time.monotonic() < stop_at:
            with lock:
                if len(latencies) + errors[0] >= MAX_REQUESTS:
                    return
            try:
                status, _, seconds = call(method, path, form or None, connection)
            except (OSError, http.client.HTTPException):
                connection.close()
                status, seconds = 0, 0.0
            with lock:
                if status < 400 and status:
                    latencies.append(seconds)
                else:
                    errors[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started, errors[0]


def export_copy_sql(jurisdiction_id: str) -> tuple[str, str]:
    """The CSV export's own statement, compiled, inside COPY; and the jurisdiction's zone."""
    from app import create_app
    from app.extensions import db
    from app.lookups import resolve_jurisdiction
    from app.reads.filters import RequestFilters
    from app.reads.requests import export_query

    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(DATABASE)})
    with app.app_context():
        jurisdiction = resolve_jurisdiction(db.session, jurisdiction_id)
        statement = export_query(jurisdiction, RequestFilters(), "csv")
        query = str(statement.compile(dialect=postgresql.dialect(),
                                      compile_kwargs={"literal_binds": True}))
        return COPY_SQL.format(query=query), jurisdiction.timezone


def copy_seconds(sql: str, timezone: str, parallel: bool) -> tuple[float, int]:
    """Seconds and rows of COPY ... TO STDOUT read to the end (best of 2)."""
    timings, rows = [], 0
    with psycopg.connect(psql_url(DATABASE)) as connection:
        connection.execute(f"SET TimeZone = '{timezone}'")
        if not parallel:
            connection.execute("SET max_parallel_workers_per_gather = 0")
        for _ in range(2):
            started = time.perf_counter()
            lines = 0
            with connection.cursor().copy(sql) as copy:
                for block in copy:
                    lines += bytes(block).count(b"\n")
            rows = lines - 1  # the header line
            timings.append(time.perf_counter() - started)
    return min(timings), rows


def raw_sql_seconds(case: Case, jurisdiction_id: str) -> tuple[float, int]:
    """Median seconds of the case's SQL in PostgreSQL alone, and the rows it returned."""
    parameters = {"jurisdiction_id": jurisdiction_id, **case.sql_parameters}
    timings, rows = [], 0
    with psycopg.connect(psql_url(DATABASE)) as connection:
        for _ in range(RAW_RUNS):
            started = time.perf_counter()
            for statement in case.sql.split(";\n"):
                cursor = connection.execute(statement, parameters)
                rows = len(cursor.fetchall()) if cursor.description else cursor.rowcount
            timings.append(time.perf_counter() - started)
            connection.rollback()  # the POST case's insert is measured, not kept
    return statistics.median(timings), rows


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def served(case: Case, api_key: str) -> str | None:
    """None when this build serves the case, else why it is skipped."""
    path, expected = case.served_when or (case.path, None)
    form = {**case.form, "api_key": api_key} if case.method == "POST" and not case.served_when \
        else None
    status, _, _ = call("POST" if form else "GET", path, form)
    if status == 404:
        return "not served yet (404)"
    if expected is not None:
        return None if status == expected else \
            f"not served yet (probe answered {status}, not {expected})"
    if status >= 400:
        return f"answers {status}"
    return None


def worker_pids(server: subprocess.Popen) -> list[int]:
    """The gunicorn workers: the children of its master process."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def rss_mb(pid: int) -> float:
    """Resident memory of one process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure_export(case: Case, jurisdiction_id: str, server: subprocess.Popen) -> dict:
    """The full CSV export once: rows/s against COPY of the same statement (with and without
    parallel workers), and the peak RSS of the gunicorn workers sampled every 20 ms."""
    sql, timezone = export_copy_sql(jurisdiction_id)
    parallel_seconds, rows = copy_seconds(sql, timezone, parallel=True)
    serial_seconds, _ = copy_seconds(sql, timezone, parallel=False)
    pids = worker_pids(server)
    before = max(rss_mb(pid) for pid in pids)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], *(rss_mb(pid) for pid in pids))

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        status, size, seconds = call("GET", case.path)
    finally:
        done.set()
        sampler.join()
    return {"case": case.name, "target": case.target, "p50": seconds, "p95": seconds,
            "p99": seconds, "throughput": rows / seconds, "sql": parallel_seconds,
            "sql_serial": serial_seconds, "rows": rows, "bytes": size, "count": 1,
            "errors": int(status >= 400), "rss_before_mb": before, "rss_peak_mb": peak[0],
            "copy_rows_per_second": rows / parallel_seconds,
            "copy_serial_rows_per_second": rows / serial_seconds}


def tile_points(body: bytes) -> tuple[int, int]:
    """(features, requests) in an MVT: a grid cell counts its `count` requests."""
    import mapbox_vector_tile

    layers = mapbox_vector_tile.decode(body)
    features = [f for layer in layers.values() for f in layer["features"]]
    return len(features), sum(int(f["properties"].get("count", 1)) for f in features)


def measure_tipg(case: Case) -> dict:
    """The same call against tipg: throughput, latencies and, for tiles, what the tile holds."""
    status, body, _ = call("GET", case.tipg_path, port=TIPG_PORT, keep=True)
    if status != 200:
        return {"status": status}
    latencies, wall, errors = load("GET", case.tipg_path, {}, port=TIPG_PORT)
    result = {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
              "throughput": len(latencies) / wall, "count": len(latencies), "errors": errors}
    if "/tiles/" in case.tipg_path:
        result["features"], result["requests"] = tile_points(body)
    return result


def measure(case: Case, jurisdiction_id: str, api_key: str, server: subprocess.Popen,
            tipg: bool) -> dict:
    """One row of the results table."""
    reason = served(case, api_key)
    if reason:
        return {"case": case.name, "skipped": reason, "target": case.target}
    if case.rows_per_second:
        return measure_export(case, jurisdiction_id, server)
    form = {**case.form, "api_key": api_key} if case.method == "POST" else {}
    sql_seconds, sql_rows = raw_sql_seconds(case, jurisdiction_id)
    # The first call builds what a cold request builds (and warms the workers' caches).
    _, body, first = call(case.method, case.path, form or None, keep=True)
    latencies, wall, errors = load(case.method, case.path, form)
    row = {"case": case.name, "target": case.target, "p50": percentile(latencies, 0.5),
           "p95": percentile(latencies, 0.95), "p99": percentile(latencies, 0.99),
           "throughput": len(latencies) / wall, "sql": sql_seconds, "rows": sql_rows,
           "count": len(latencies), "errors": errors, "first": first}
    if "/tiles/" in case.path:
        row["features"], row["requests"] = tile_points(body)
    if tipg and case.tipg_path:
        row["tipg"] = measure_tipg(case)
    return row


def machine() -> dict:
    """What the figures were measured on."""
    with psycopg.connect(psql_url(DATABASE)) as connection:
        version = connection.execute("SHOW server_version").fetchone()[0]
        postgis = connection.execute("SELECT postgis_lib_version()").fetchone()[0]
        count = connection.execute("SELECT count(*) FROM service_requests").fetchone()[0]
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                     .splitlines() if line.startswith("MemTotal"))
    return {"nproc": os.cpu_count(), "memory": f"{memory_kb / 1024 / 1024:.1f} GiB",
            "cpu": next((line.split(":", 1)[1].strip() for line in
                         Path("/proc/cpuinfo").read_text().splitlines()
                         if line.startswith("model name")), platform.processor()),
            "postgresql": version, "postgis": postgis, "python": platform.python_version(),
            "requests": count}


def _tipg_cell(row: dict) -> str:
    peer = row.get("tipg")
    if not peer:
        return "–"
    if "throughput" not in peer:
        return f"tipg answered {peer['status']}"
    cell = (f"{row['throughput'] / peer['throughput']:.1f}x (tipg {peer['throughput']:.0f} "
            f"req/s, p95 {peer['p95'] * 1000:.0f} ms")
    if "features" in peer:
        cell += f", {peer['features']} features"
    return cell + ")"


def _limit_cell(row: dict) -> str:
    if "rss_peak_mb" in row:
        return (f"{row['throughput'] / row['copy_rows_per_second']:.2f}x COPY, "
                f"{row['throughput'] / row['copy_serial_rows_per_second']:.2f}x serial COPY")
    return f"{row['p50'] / row['sql']:.1f}x"


def table(rows: list[dict]) -> str:
    """The results as a Markdown table."""
    lines = ["| case | p50 ms | p95 ms | p99 ms | throughput | raw SQL ms | ratio to the limit | "
             "ratio to tipg | target | notes |", "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        if "skipped" in row:
            lines.append(f"| {row['case']} | – | – | – | – | – | – | – | {row['target']}: "
                         f"skipped, {row['skipped']} | |")
            continue
        if "rss_peak_mb" in row:
            unit = "rows/s"
            sql = (f"{row['sql'] * 1000:.0f} ({row['rows']} rows; serial "
                   f"{row['sql_serial'] * 1000:.0f})")
            notes = (f"{row['bytes'] / 1e6:.0f} MB in {row['p50']:.1f} s; worker RSS "
                     f"{row['rss_before_mb']:.0f} -> peak {row['rss_peak_mb']:.0f} MB")
        else:
            unit = "req/s"
            sql = f"{row['sql'] * 1000:.1f} ({row['rows']} rows)"
            notes = f"first call {row['first'] * 1000:.0f} ms"
            if "features" in row:
                notes += f"; {row['features']} features, {row['requests']} requests"
            if row["errors"]:
                notes += f"; {row['errors']} errors"
        lines.append(
            f"| {row['case']} | {row['p50'] * 1000:.1f} | {row['p95'] * 1000:.1f} | "
            f"{row['p99'] * 1000:.1f} | {row['throughput']:.0f} {unit} | {sql} | "
            f"{_limit_cell(row)} | {_tipg_cell(row)} | {row['target']} | {notes} |")
    return "\n".join(lines)


# Below this line bench/results.md keeps notes written by hand (earlier runs, profiles): a run
# rewrites what is above it only.
NOTES_MARKER = "<!-- Notes below are kept when make bench rewrites this file. -->"


def _kept_notes() -> str:
    text = RESULTS.read_text() if RESULTS.exists() else ""
    return f"\n{NOTES_MARKER}{text.split(NOTES_MARKER, 1)[1]}" if NOTES_MARKER in text else ""


def write_results(rows: list[dict], about: dict, load_seconds: float | None) -> None:
    """bench/results.md: the machine, the commands and the table (hand-written notes kept)."""
    notes = _kept_notes()
    previous = RESULTS.parent / "results.json"
    if load_seconds is None and previous.exists():
        # The load ran in an earlier run on this database: keep its figure.
        load_seconds = json.loads(previous.read_text()).get("load_seconds")
    loaded = (f"`demo load --requests {REQUESTS}` took {load_seconds:.0f} s"
              if load_seconds else "the database was already loaded")
    tipg = (f"tipg {about['tipg']} (`uvicorn tipg.main:app --workers {WORKERS}` on "
            f"127.0.0.1:{TIPG_PORT}, bench/.tipg) over the view `{TIPG_VIEW}`"
            if about.get("tipg") else "tipg not run")
    RESULTS.write_text(f"""# Benchmark results

Measured by `make bench` (bench/run.py) on {time.strftime('%Y-%m-%d %H:%M %Z')}.

## Machine

- {about['nproc']} CPUs ({about['cpu']}), {about['memory']} RAM, shared with other work
- PostgreSQL {about['postgresql']}, PostGIS {about['postgis']}, Python {about['python']}
- database `{DATABASE}`: {about['requests']} service requests; {loaded}
- server: `gunicorn -w {WORKERS} -b 127.0.0.1:{PORT} 'app:create_app()'`
- peer: {tipg}
- client: {CONCURRENCY} threads with keep-alive connections on loopback, each case bounded by
  {SECONDS:g} s and {MAX_REQUESTS} requests; the client shares the 2 CPUs with the server and
  PostgreSQL
- raw SQL: the same query through psycopg, rows fetched, median of {RAW_RUNS} runs; for the
  export, `COPY (the export's own statement) TO STDOUT`, best of 2, with PostgreSQL's
  default parallel settings and with `max_parallel_workers_per_gather = 0`
- export memory: VmRSS of the gunicorn workers read from /proc every 20 ms during the export
- "first call": the first request of the case, before the load (a cold tile is built then)

## Commands

```
make bench                      # all of it; BENCH_REQUESTS, BENCH_SECONDS, BENCH_CONCURRENCY
DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE} \\
  time .venv/bin/flask --app app demo load --requests {REQUESTS} --force
```

## Results

{table(rows)}

Raw JSON of this run: bench/results.json.
{notes}""")
    (RESULTS.parent / "results.json").write_text(json.dumps(
        {"machine": about, "load_seconds": load_seconds, "cases": rows}, indent=2) + "\n")


def main(select: Callable[[Case], bool] = lambda _: True) -> None:
    """Prepare, serve, measure every case, report."""
    jurisdiction_id, load_seconds = prepare_database()
    api_key = flask("keys", "create", "bench")
    step(f"starting gunicorn -w {WORKERS} on 127.0.0.1:{PORT}")
    server = start_server()
    peer, tipg_version = None, None
    rows = []
    try:
        if os.environ.get("BENCH_TIPG", "1") != "0":
            step(f"starting tipg on 127.0.0.1:{TIPG_PORT}")
            peer, tipg_version = start_tipg()
        for case in filter(select, cases()):
            step(f"case {case.name}")
            rows.append(measure(case, jurisdiction_id, api_key, server, peer is not None))
    finally:
        for process in (server, peer):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
    with psycopg.connect(psql_url(DATABASE)) as connection:
        # The POST case's requests are removed, so that every run sees the same data.
        connection.execute("""
            WITH posted AS (SELECT r.id FROM service_requests r JOIN api_keys k
                            ON k.id = r.api_key_id WHERE k.name = 'bench')
            , gone AS (DELETE FROM request_updates WHERE service_request_id IN
                       (SELECT id FROM posted))
            , reporters AS (DELETE FROM reporters WHERE service_request_id IN
                            (SELECT id FROM posted))
            DELETE FROM service_requests WHERE id IN (SELECT id FROM posted)
        """)
    write_results(rows, {**machine(), "tipg": tipg_version}, load_seconds)
    print(table(rows))


if __name__ == "__main__":
    selected = sys.argv[1:]
    main(lambda case: not selected or any(case.name.startswith(s) for s in selected))
