"""The floor of `make bench`'s cases: a bare Flask app, one psycopg connection per worker,
one SQL statement per request that builds the whole JSON document in PostGIS (reads), or
inserts the report and commits (POST).

For the Open311 list the statement is the project's own (bench/list_statement.py writes it,
FLOOR_LIST_STATEMENT names the file): what the project costs above it is its request handling,
not its SQL.

It serves what the project serves for the same request (the same joins, the same property
names, hidden locations left out, block locations snapped), without the project's layers:
no ORM, no schemas, no masking of e-mail addresses in texts. What the project costs above it is
what its layers cost. Run by bench/run.py under gunicorn with the project's settings:

    FLOOR_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/open311_bench \\
        gunicorn -w 2 -b 127.0.0.1:8313 --pythonpath bench floor:app
"""

import json
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from flask import Flask, Response, request

app = Flask(__name__)
# A sync gunicorn worker serves one request at a time: one connection per worker process.
_connections: list[psycopg.Connection] = []

FEATURE = """
json_build_object(
    'type', 'Feature', 'id', r.id::text,
    'geometry', ST_AsGeoJSON(CASE s.public_location
        WHEN 'exact' THEN r.location::geometry
        WHEN 'block' THEN ST_SnapToGrid(r.location::geometry, 0.001) END, 6)::json,
    'properties', json_build_object(
        'service_request_id', r.id::text, 'jurisdiction_id', r.jurisdiction_id,
        'service_code', s.service_code, 'service_name', s.service_name,
        'agency_responsible', d.name, 'status', r.status, 'status_notes', r.status_notes,
        'description', r.description, 'district', di.code, 'vote_count', r.vote_count,
        'requested_datetime', to_char(r.requested_at AT TIME ZONE j.timezone,
                                      'YYYY-MM-DD"T"HH24:MI:SS'),
        'updated_datetime', to_char(r.updated_at AT TIME ZONE j.timezone,
                                    'YYYY-MM-DD"T"HH24:MI:SS'),
        'expected_datetime', to_char(r.deadline AT TIME ZONE j.timezone,
                                     'YYYY-MM-DD"T"HH24:MI:SS'),
        'closed_datetime', to_char(r.closed_at AT TIME ZONE j.timezone,
                                   'YYYY-MM-DD"T"HH24:MI:SS')))
"""
ITEMS_SQL = f"""
SELECT json_build_object('type', 'FeatureCollection',
                         'features', coalesce(json_agg(page.feature ORDER BY page.id), '[]'),
                         'numberReturned', count(*))::text
FROM (
    SELECT r.id, {FEATURE} AS feature
    FROM service_requests r
    JOIN services s ON s.id = r.service_id
    JOIN jurisdictions j ON j.id = r.jurisdiction_id
    LEFT JOIN departments d ON d.id = r.department_id
    LEFT JOIN districts di ON di.id = r.district_id
    WHERE r.location && ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326)::geography
      AND s.public_location <> 'hidden'
    ORDER BY r.id LIMIT %(limit)s
) AS page
"""  # noqa: S608 (module constants only)
NEARBY_SQL = """
WITH here AS (SELECT ST_SetSRID(ST_MakePoint(%(long)s, %(lat)s), 4326)::geography AS point),
rule AS (SELECT id, duplicate_radius_m, duplicate_window_days FROM services
         WHERE service_code = %(service_code)s)
SELECT coalesce(json_agg(json_build_object(
           'service_request_id', r.id::text, 'service_code', %(service_code)s,
           'status', r.status, 'requested_datetime', r.requested_at,
           'description', r.description, 'votes', r.vote_count,
           'duplicate_of', r.duplicate_of_id::text,
           'distance_m', round(ST_Distance(r.location, here.point)::numeric, 1),
           'lat', ST_Y(r.location::geometry), 'long', ST_X(r.location::geometry))
         ORDER BY r.location <-> here.point), '[]')::text
FROM service_requests r, here, rule
WHERE r.service_id = rule.id AND r.status = 'open'
  AND r.requested_at >= now() - make_interval(days => rule.duplicate_window_days)
  AND ST_DWithin(r.location, here.point, rule.duplicate_radius_m)
"""


# The project's list statement: {"sql", "parameters", "window", "generic_plan"}
# (bench/list_statement.py).
_PIPELINE_LOCK = threading.Lock()
LIST_STATEMENT = (json.loads(Path(os.environ["FLOOR_LIST_STATEMENT"]).read_text())
                  if os.environ.get("FLOOR_LIST_STATEMENT") else None)


# The floor of a POST: the report's one INSERT, committed (synchronous_commit as the server
# has it, so a 201 means stored), without validation, duplicate check, history or outbox.
# Its rows belong to the bench's key: bench/run.py deletes them with the project's.
POST_SQL = """
INSERT INTO service_requests (jurisdiction_id, service_id, status, detailed_status, description,
                              location, media_urls, attributes, channel, api_key_id,
                              requested_at, updated_at, vote_count)
SELECT s.jurisdiction_id, s.id, 'open', 'submitted', %(description)s,
       ST_SetSRID(ST_MakePoint(%(long)s, %(lat)s), 4326)::geography, '{}', '{}', 'api',
       (SELECT max(id) FROM api_keys WHERE name = 'bench'), now(), now(), 0
FROM services s WHERE s.service_code = %(service_code)s
ORDER BY s.id LIMIT 1
RETURNING id
"""


def connection() -> psycopg.Connection:
    """This worker's connection (psycopg prepares a statement run five times)."""
    if not _connections or _connections[0].closed:
        _connections[:] = [psycopg.connect(os.environ["FLOOR_DATABASE_URL"], autocommit=True)]
    return _connections[0]


def json_of(sql: str, parameters: dict) -> Response:
    document = connection().execute(sql, parameters).fetchone()[0]
    return Response(document, content_type="application/json")


def bad(message: str) -> Response:
    return Response(f'{{"error": "{message}"}}', status=400, content_type="application/json")


@app.get("/items")
def items() -> Response:
    try:
        west, south, east, north = (float(v) for v in request.args["bbox"].split(","))
        limit = min(int(request.args.get("limit", "10")), 10_000)
    except (KeyError, ValueError):
        return bad("bbox is four numbers; limit a whole number")
    return json_of(ITEMS_SQL, {"west": west, "south": south, "east": east, "north": north,
                               "limit": limit})


@app.get("/nearby")
def nearby() -> Response:
    try:
        lat, long = float(request.args["lat"]), float(request.args["long"])
        service_code = request.args["service_code"]
    except (KeyError, ValueError):
        return bad("lat, long and service_code are required")
    return json_of(NEARBY_SQL, {"lat": lat, "long": long, "service_code": service_code})


@app.get("/open311_list")
def open311_list() -> Response:
    if LIST_STATEMENT is None:
        return bad("FLOOR_LIST_STATEMENT is not set")
    now = datetime.now(UTC)
    parameters = {**LIST_STATEMENT["parameters"],
                  **{name: now + timedelta(seconds=seconds)
                     for name, seconds in LIST_STATEMENT["window"].items()}}
    database = connection()
    if LIST_STATEMENT.get("generic_plan"):
        # Planned once per connection, as the project plans it (app/reads/statements.py). The
        # worker's threads share the connection, and a pipeline may not be entered by two at
        # once; each statement waited for the connection anyway.
        with _PIPELINE_LOCK, database.pipeline():
            database.execute("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)")
            cursor = database.execute(LIST_STATEMENT["sql"], parameters)
            _, entries = cursor.fetchone()
    else:
        _, entries = database.execute(LIST_STATEMENT["sql"], parameters).fetchone()
    return Response(b"[" + (entries or "").encode() + b"]",
                    content_type="application/json; charset=utf-8")


@app.post("/requests.json")
def post_request() -> Response:
    try:
        lat, long = float(request.form["lat"]), float(request.form["long"])
        service_code = request.form["service_code"]
    except (KeyError, ValueError):
        return bad("lat, long and service_code are required")
    # Autocommit: the statement commits as it ends, in its one round trip.
    row = connection().execute(POST_SQL, {
        "lat": lat, "long": long, "service_code": service_code,
        "description": request.form.get("description")}).fetchone()
    if row is None:
        return bad("service_code was not found")
    return Response(f'[{{"service_request_id": "{row[0]}"}}]',
                    content_type="application/json")
