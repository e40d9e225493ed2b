"""Export throughput against PostgreSQL's own COPY of the same rows, and peak memory.

Usage: DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/DB python scripts/bench_exports.py
on a database that holds a jurisdiction with requests (e.g. after `flask demo load`).
"""

import os
import resource
import sys
import time

from sqlalchemy.dialects import postgresql

from app import create_app
from app.extensions import db
from app.lookups import resolve_jurisdiction
from app.reads.filters import RequestFilters
from app.reads.requests import export_query


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def copy_rows_per_second(connection, sql: str) -> tuple[int, float]:
    """Rows and rows/s of COPY (sql) TO STDOUT, read to the end."""
    started = time.perf_counter()
    rows = 0
    with connection.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT") as copy:
        for _ in copy.rows():
            rows += 1
    return rows, rows / (time.perf_counter() - started)


def main() -> None:
    """Print rows/s of COPY and of each export, and the process's peak RSS."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"]})
    client = app.test_client()
    with app.app_context():
        jurisdiction = resolve_jurisdiction(db.session, None)
        statement = export_query(jurisdiction, RequestFilters(), "csv")
        sql = str(statement.compile(dialect=postgresql.dialect(),
                                    compile_kwargs={"literal_binds": True}))
        raw = db.engine.raw_connection()
        raw.driver_connection.execute(f"SET TimeZone = '{jurisdiction.timezone}'")
        rows, copy_rate = copy_rows_per_second(raw.driver_connection, sql)
        raw.close()
    print(f"COPY of the export query: {rows} rows, {copy_rate:,.0f} rows/s")
    print(f"peak RSS before exports: {_maxrss_mb():.0f} MB")
    for export_format in ("csv", "ndjson", "geojson"):
        started = time.perf_counter()
        response = client.get(f"/api/v1/public/requests.{export_format}", buffered=False)
        size = sum(len(chunk) for chunk in response.response)
        response.close()
        rate = rows / (time.perf_counter() - started)
        print(f"{export_format}: {size / 1e6:.0f} MB, {rate:,.0f} rows/s "
              f"({rate / copy_rate:.0%} of COPY), peak RSS {_maxrss_mb():.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
