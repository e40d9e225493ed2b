"""A load run: sustained mixed traffic against gunicorn on loopback, bounded in time and count.

GETs (Open311 lists and single requests, the service list), POSTs (each with its own
Idempotency-Key), public queries, OGC items and vector tiles, from LOAD_CONCURRENCY threads
for LOAD_SECONDS (default 120) or LOAD_MAX_REQUESTS, whichever comes first. Rate limits stay on
(raised so one loopback address does not trip them: their cost is part of the run).

Prints throughput and latency per kind, then checks that every acknowledged POST is stored.
Exits 1 on any error (a status >= 400, a refused connection) or a lost POST.

    .venv/bin/python bench/load.py          # LOAD_SECONDS=10 for a short run
"""

import http.client
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from urllib.parse import urlencode

import psycopg
from common import LAT, LOAD_RATE_LIMITS, LONG, ROOT, downtown_tile, flask_command, sqlalchemy_url

SERVER = os.environ.get("LOAD_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("LOAD_DATABASE", "open311_load")
DEMO_REQUESTS = int(os.environ.get("LOAD_DEMO_REQUESTS", "20000"))
PORT = int(os.environ.get("LOAD_PORT", "8312"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "2"))
CONCURRENCY = int(os.environ.get("LOAD_CONCURRENCY", "4"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "120"))
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "200000"))
BBOX = "-87.6900,42.0400,-87.6760,42.0540"


def tile(z: int) -> str:
    """The XYZ tile holding downtown at zoom z."""
    x, y = downtown_tile(z)
    return f"/tiles/requests/{z}/{x}/{y}.mvt"


def env(database: str) -> dict[str, str]:
    """The app's environment for the load database."""
    return {**os.environ, "DATABASE_URL": sqlalchemy_url(f"{SERVER}/{database}"),
            **LOAD_RATE_LIMITS, "WEB_CONCURRENCY": str(WORKERS)}


def flask(*arguments: str) -> str:
    """Run an app command against the load database; its output."""
    return flask_command(env(DATABASE), *arguments)


def prepare() -> tuple[str, str]:
    """Create, migrate and fill the load database; (jurisdiction_id, a fresh api key)."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                             (DATABASE,)).fetchone():
            admin.execute(f'CREATE DATABASE "{DATABASE}"')
    flask("db", "upgrade")
    summary = flask("demo", "load", "--requests", str(DEMO_REQUESTS))
    return summary.split(":", 1)[0], flask("keys", "create", f"load run {uuid.uuid4().hex}")


def call(connection: http.client.HTTPConnection, method: str, path: str,
         form: dict | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    """One request on a keep-alive connection: (status, body)."""
    body = urlencode(form) if form else None
    sent = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
    connection.request(method, path, body=body, headers=sent | (headers or {}))
    response = connection.getresponse()
    return response.status, response.read()


def traffic(jurisdiction_id: str, api_key: str):
    """The mix: (weight, kind, a function returning (method, path, form, headers))."""
    post_form = {"api_key": api_key, "jurisdiction_id": jurisdiction_id,
                 "service_code": "POTHOLE", "attribute[SIZE]": "M", "description": "load run"}

    def post():
        point = {"lat": f"{LAT + random.uniform(-0.01, 0.01):.6f}",
                 "long": f"{LONG + random.uniform(-0.01, 0.01):.6f}"}
        return ("POST", "/open311/v2/requests.json", post_form | point,
                {"Idempotency-Key": uuid.uuid4().hex})

    near = f"lat={LAT}&long={LONG}&radius=500"
    return [
        (3, "open311 list", lambda: ("GET", f"/open311/v2/requests.json?{near}", None, None)),
        (2, "open311 one", lambda: ("GET", f"/open311/v2/requests/"
                                    f"{random.randint(1, DEMO_REQUESTS)}.json", None, None)),
        (1, "open311 services", lambda: ("GET", "/open311/v2/services.xml", None, None)),
        (2, "open311 post", post),
        (2, "public query", lambda: ("GET", f"/api/v1/public/requests?bbox={BBOX}", None, None)),
        (1, "ogc items", lambda: ("GET", f"/ogc/collections/requests/items?bbox={BBOX}&limit=50",
                                  None, None)),
        (3, "tiles", lambda: ("GET", tile(random.choice((12, 13, 14, 15))), None, None)),
    ]


def run(jurisdiction_id: str, api_key: str) -> tuple[dict, dict, set[str], float]:
    """Drive the mix; (latencies per kind, errors per kind, acknowledged ids, wall seconds)."""
    mix = traffic(jurisdiction_id, api_key)
    weights = [weight for weight, _, _ in mix]
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    acknowledged: set[str] = set()
    lock = threading.Lock()
    sent = [0]
    stop_at = time.monotonic() + SECONDS

    def worker(seed: int) -> None:
        chooser = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        while time.monotonic() < stop_at:
            with lock:
                if sent[0] >= MAX_REQUESTS:
                    return
                sent[0] += 1
            _, kind, make = chooser.choices(mix, weights)[0]
            method, path, form, headers = make()
            started = time.perf_counter()
            try:
                status, body = call(connection, method, path, form, headers)
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
                status, body = 0, repr(error).encode()
            elapsed = time.perf_counter() - started
            with lock:
                latencies[kind].append(elapsed)
                if status >= 400 or status == 0:
                    errors[kind].append(f"{status} {path[:60]} {body[:120]!r}")
                elif method == "POST":
                    acknowledged.add(body.split(b'"service_request_id": "')[1].split(b'"')[0]
                                     .decode())

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS + 120)
    return latencies, errors, acknowledged, time.monotonic() - started


def main() -> int:
    """Prepare, serve, load, report; 1 on any error or lost POST."""
    jurisdiction_id, api_key = prepare()
    server = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{PORT}",
         "--access-logfile", "/dev/null", "--log-level", "warning", "app:create_app()"],
        cwd=ROOT, env=env(DATABASE))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if call(http.client.HTTPConnection("127.0.0.1", PORT, timeout=5), "GET",
                        "/open311/v2/services.json")[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not answer within 30 s") from None
                time.sleep(0.3)
        latencies, errors, acknowledged, wall = run(jurisdiction_id, api_key)
    finally:
        server.terminate()
        server.wait(30)
    with psycopg.connect(f"{SERVER}/{DATABASE}") as connection:
        stored = {str(row[0]) for row in connection.execute(
            "SELECT r.id FROM service_requests r JOIN api_keys k ON k.id = r.api_key_id "
            "WHERE k.key_hash = encode(sha256(%s::bytea), 'hex')", (api_key,))}
    total = sum(len(v) for v in latencies.values())
    print(f"load run: {total} requests in {wall:.1f} s = {total / wall:.1f} req/s, "
          f"{CONCURRENCY} clients, {WORKERS} gunicorn workers")
    print(f"{'kind':18} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
    for kind in sorted(latencies):
        values = sorted(latencies[kind])
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(f"{kind:18} {len(values):7} {statistics.median(values) * 1000:8.1f} "
              f"{p95 * 1000:8.1f} {len(errors[kind]):7}")
    lost = acknowledged - stored
    print(f"POSTs acknowledged: {len(acknowledged)}, stored: {len(acknowledged & stored)}, "
          f"lost: {len(lost)}")
    for kind, problems in errors.items():
        for problem in problems[:5]:
            print(f"error {kind}: {problem}")
    return 1 if lost or any(errors.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
