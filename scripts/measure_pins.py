"""Time the nearby check and the radius/bbox queries on a scratch database of N requests.

    .venv/bin/python scripts/measure_pins.py 200000

Creates open311_measure_pins, migrates it, loads the test catalog, inserts N requests spread
over the test city and two years, prints EXPLAIN ANALYZE execution times and the p50/p95 of
the nearby check over 200 random pins, then drops the database.
"""

import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
NAME = "open311_measure_pins"
ROOT = Path(__file__).resolve().parents[1]


def explain_ms(session, statement) -> float:
    """Execution time of one statement as EXPLAIN ANALYZE reports it."""
    compiled = statement.compile(dialect=postgresql.psycopg.dialect(),
                                 compile_kwargs={"render_postcompile": True})
    (plan,) = session.connection().exec_driver_sql(
        f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}", compiled.params).scalar_one()
    return plan["Execution Time"]


def main(rows: int) -> None:
    """Build, measure, drop."""
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.models import Service
    from app.open311.params import Paging, list_query
    from app.operations.public_form import refresh_public_forms
    from app.reads.filters import Circle, RequestFilters
    from app.operations.catalog import load_catalog
    from app.operations.duplicates import nearby_open_query

    admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{NAME}"'))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"{SERVER}/{NAME}"})
    try:
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            jurisdiction, _ = load_catalog(db.session, ROOT / "tests/fixtures/catalog.yaml")
            pothole = db.session.scalar(sa.select(Service).where(
                Service.service_code == "POTHOLE"))
            started = time.monotonic()
            db.session.execute(sa.text("""
                INSERT INTO service_requests (jurisdiction_id, service_id, status,
                    detailed_status, media_urls, attributes, channel, vote_count,
                    requested_at, updated_at, location)
                SELECT s.jurisdiction_id, s.id,
                    CASE WHEN random() < 0.8 THEN 'closed' ELSE 'open' END, 'submitted',
                    '{}', '{}', 'api', 0, now() - random() * interval '730 days', now(),
                    ST_SetSRID(ST_MakePoint(-87.74 + random() * 0.08,
                                            42.01 + random() * 0.07), 4326)::geography
                FROM generate_series(1, :rows), services s WHERE s.id = :service_id
            """), {"rows": rows, "service_id": pothole.id})
            refresh_public_forms(db.session)
            db.session.commit()
            db.session.execute(sa.text("ANALYZE service_requests"))
            print(f"inserted {rows} requests in {time.monotonic() - started:.1f} s")
            now = datetime.now(UTC)
            radius = RequestFilters(circle=Circle(42.04, -87.7, 500))
            bbox = RequestFilters(bbox=(-87.705, 42.035, -87.695, 42.045))
            print(f"radius 500 m, EXPLAIN ANALYZE: "
                  f"{explain_ms(db.session, list_query(jurisdiction, radius, Paging())):.2f} ms")
            print(f"bbox ~800x1100 m, EXPLAIN ANALYZE: "
                  f"{explain_ms(db.session, list_query(jurisdiction, bbox, Paging())):.2f} ms")
            print(f"nearby 40 m, EXPLAIN ANALYZE: "
                  f"{explain_ms(db.session, nearby_open_query(pothole, 42.04, -87.7, now)):.2f}"
                  " ms")
            generator = random.Random(311)
            timings = []
            for _ in range(200):
                lat, long = 42.01 + generator.random() * 0.07, -87.74 + generator.random() * 0.08
                started = time.perf_counter()
                db.session.execute(nearby_open_query(pothole, lat, long, now)).all()
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            print(f"nearby_open_query over 200 pins (round trip from Python): "
                  f"p50 {statistics.median(timings):.2f} ms, p95 {timings[189]:.2f} ms")
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
