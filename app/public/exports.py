"""Streamed exports: rows leave a server-side cursor a partition at a time, so memory stays flat
whatever the size of the export."""

import csv
import io
from collections.abc import Iterator

from sqlalchemy import Select, func, select

from app.extensions import db
from app.public.queries import EXPORT_COLUMNS

# Rows fetched per round trip from the server-side cursor: large enough that the per-fetch
# cost vanishes, small enough that a partition stays a few hundred kilobytes.
YIELD_PER = 2000

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json; charset=utf-8",
    "ndjson": "application/x-ndjson; charset=utf-8",
}


def _partitions(statement: Select, timezone: str) -> Iterator[list]:
    # The view's session was removed when the view returned (Flask pops the app context before
    # the body is sent); db.session here is a fresh one, removed again when the stream ends.
    connection = db.session.connection()
    # to_char's TZH:TZM renders the session's zone: the jurisdiction's, as elsewhere in the API.
    connection.execute(select(func.set_config("TimeZone", timezone, True)))
    # Options on the statement, not the connection: Connection.execution_options changes the
    # session's connection in place, and later INSERTs would then be sent as server cursors.
    result = connection.execute(
        statement.execution_options(stream_results=True, yield_per=YIELD_PER)
    )
    try:
        yield from result.partitions()
    finally:
        result.close()


def csv_stream(statement: Select, timezone: str) -> Iterator[str]:
    """A header row, then one line per request."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue()
    for rows in _partitions(statement, timezone):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(rows)
        yield buffer.getvalue()


def ndjson_stream(statement: Select, timezone: str) -> Iterator[str]:
    """One JSON object per line, built by PostgreSQL."""
    for rows in _partitions(statement, timezone):
        yield "".join(f"{row[0]}\n" for row in rows)


def geojson_stream(statement: Select, timezone: str) -> Iterator[str]:
    """A FeatureCollection whose features PostgreSQL built; opened and closed around them."""
    yield '{"type":"FeatureCollection","features":[\n'
    separator = ""
    for rows in _partitions(statement, timezone):
        yield separator + ",\n".join(row[0] for row in rows)
        separator = ",\n"
    yield "\n]}\n"


STREAMS = {"csv": csv_stream, "geojson": geojson_stream, "ndjson": ndjson_stream}
