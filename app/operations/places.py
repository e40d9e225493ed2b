"""Places the city already knows: council districts and address points, loaded from files.

Both loaders check the whole file first and write nothing when any feature is wrong, then
upsert by code / address_id, so that reloading a corrected file is safe.
"""

import csv
import io
import json
from pathlib import Path
from typing import Any

from shapely.geometry import MultiPolygon, shape
from sqlalchemy import text

from app.db import DbSession
from geo.addresses import normalize_address
from geo.points import InvalidPoint, parse_lat_long

ADDRESS_COLUMNS = ("address_id", "address", "lat", "long")
MAX_PROBLEMS = 20  # enough to fix a file; a million wrong rows would drown the message


class PlacesError(ValueError):
    """A districts or addresses file that cannot be loaded; `problems` name feature and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlacesError([f"{path}: file does not exist"]) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PlacesError([f"{path}: not GeoJSON ({error})"]) from None


def _features(path: Path, document: Any) -> list[dict]:
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise PlacesError([f"{path}: must be a GeoJSON FeatureCollection"])
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise PlacesError([f"{path}: the FeatureCollection has no features"])
    return features


def _district_row(feature: Any, label: str, code_field: str, name_field: str,
                  problems: list[str]) -> dict | None:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    properties = properties if isinstance(properties, dict) else {}
    before = len(problems)
    values = {}
    for field in (code_field, name_field):
        value = properties.get(field)
        if value is None or str(value).strip() == "":
            problems.append(f"{label}: property {field!r} is missing")
        else:
            values[field] = str(value).strip()
    code = values.get(code_field)
    if code is not None and len(code) > 64:
        problems.append(f"{label}: property {code_field!r} is longer than 64 characters")
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    area = None
    try:
        area = shape(geometry) if geometry else None
    except Exception as error:  # shapely raises several types for malformed input
        problems.append(f"{label}: geometry is not valid GeoJSON ({error})")
    if geometry is None:
        problems.append(f"{label}: geometry is missing")
    elif area is not None and area.geom_type not in ("Polygon", "MultiPolygon"):
        problems.append(f"{label}: geometry must be a Polygon or MultiPolygon, "
                        f"not {area.geom_type}")
    elif area is not None and not area.is_valid:
        problems.append(f"{label}: geometry is not a valid polygon (self-intersecting?)")
    if len(problems) > before or area is None:
        return None
    multi = area if area.geom_type == "MultiPolygon" else MultiPolygon([area])
    return {"code": code, "name": values[name_field], "wkb": multi.wkb}


def load_districts(session: DbSession, jurisdiction_id: str, path: Path, code_field: str,
                   name_field: str) -> int:
    """Create or update the jurisdiction's districts from a GeoJSON FeatureCollection."""
    features = _features(path, _read_json(path))
    problems: list[str] = []
    rows: dict[str, dict] = {}
    for index, feature in enumerate(features):
        label = f"feature {index}"
        row = _district_row(feature, label, code_field, name_field, problems)
        if row is None:
            continue
        if row["code"] in rows:
            problems.append(f"{label}: {code_field} {row['code']!r} is repeated")
        rows[row["code"]] = row
    if problems:
        raise PlacesError(problems[:MAX_PROBLEMS])
    for row in rows.values():
        session.execute(
            text("""
                INSERT INTO districts (jurisdiction_id, code, name, geom)
                VALUES (:jurisdiction_id, :code, :name, ST_GeomFromWKB(:wkb, 4326))
                ON CONFLICT (jurisdiction_id, code)
                DO UPDATE SET name = excluded.name, geom = excluded.geom
            """),
            {"jurisdiction_id": jurisdiction_id, **row},
        )
    session.flush()
    return len(rows)


def _address_row(values: dict, label: str, problems: list[str]) -> tuple | None:
    before = len(problems)
    cleaned = {}
    for name in ("address_id", "address"):
        value = str(values.get(name) or "").strip()
        if not value:
            problems.append(f"{label}: {name} is missing")
        cleaned[name] = value
    if len(cleaned["address_id"]) > 100:
        problems.append(f"{label}: address_id is longer than 100 characters")
    zipcode = str(values.get("zipcode") or "").strip() or None
    if zipcode is not None and len(zipcode) > 16:
        problems.append(f"{label}: zipcode is longer than 16 characters")
    point = None
    try:
        point = parse_lat_long(values.get("lat"), values.get("long"))  # type: ignore[arg-type]
    except InvalidPoint as error:
        problems.append(f"{label}: {error}")
    if len(problems) > before or point is None:
        return None
    return (cleaned["address_id"], cleaned["address"], normalize_address(cleaned["address"]),
            zipcode, f"SRID=4326;POINT({point.x!r} {point.y!r})")


def _address_values_from_csv(path: Path, problems: list[str]) -> list[tuple[str, dict]]:
    try:
        content = path.read_text(encoding="utf-8-sig")  # spreadsheets often add a BOM
    except UnicodeDecodeError as error:
        raise PlacesError([f"{path}: not UTF-8 text ({error})"]) from None
    reader = csv.DictReader(io.StringIO(content))
    missing = [c for c in ADDRESS_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise PlacesError([f"{path}: missing column(s) {', '.join(missing)}; expected "
                           f"{','.join(ADDRESS_COLUMNS)}[,zipcode]"])
    # Line numbers as a spreadsheet shows them: the header is line 1.
    return [(f"line {number}", values) for number, values in enumerate(reader, start=2)]


def _address_values_from_geojson(path: Path, problems: list[str]) -> list[tuple[str, dict]]:
    found = []
    for index, feature in enumerate(_features(path, _read_json(path))):
        label = f"feature {index}"
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        properties = feature.get("properties") if isinstance(feature, dict) else None
        properties = properties if isinstance(properties, dict) else {}
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if (not isinstance(geometry, dict) or geometry.get("type") != "Point"
                or not isinstance(coordinates, list) or len(coordinates) < 2):
            problems.append(f"{label}: geometry must be a Point")
            continue
        found.append((label, {**properties, "long": coordinates[0], "lat": coordinates[1]}))
    return found


def load_addresses(session: DbSession, jurisdiction_id: str, path: Path) -> int:
    """Create or update the jurisdiction's address points from a CSV or GeoJSON file."""
    if not path.exists():
        raise PlacesError([f"{path}: file does not exist"])
    problems: list[str] = []
    if path.suffix.lower() in (".geojson", ".json"):
        sources = _address_values_from_geojson(path, problems)
    else:
        sources = _address_values_from_csv(path, problems)
    rows: dict[str, tuple] = {}
    for label, values in sources:
        row = _address_row(values, label, problems)
        if row is None:
            continue
        if row[0] in rows:
            problems.append(f"{label}: address_id {row[0]!r} is repeated")
        rows[row[0]] = row
    if not sources and not problems:
        problems.append(f"{path}: no addresses in the file")
    if problems:
        raise PlacesError(problems[:MAX_PROBLEMS])
    _copy_addresses(session, jurisdiction_id, list(rows.values()))
    return len(rows)


def _copy_addresses(session: DbSession, jurisdiction_id: str, rows: list[tuple]) -> None:
    """COPY into a scratch table, then one upsert: a city's 500,000 points in seconds."""
    session.flush()
    session.execute(text("DROP TABLE IF EXISTS address_load"))
    session.execute(text("""
        CREATE TEMP TABLE address_load (
            address_id text, address text, normalized text, zipcode text, location text
        ) ON COMMIT DROP
    """))
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(
        "COPY address_load (address_id, address, normalized, zipcode, location) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)
    session.execute(
        text("""
            INSERT INTO addresses (jurisdiction_id, address_id, address, normalized, zipcode,
                                   location)
            SELECT :jurisdiction_id, address_id, address, normalized, zipcode,
                   location::geography
            FROM address_load
            ON CONFLICT (jurisdiction_id, address_id) DO UPDATE
            SET address = excluded.address, normalized = excluded.normalized,
                zipcode = excluded.zipcode, location = excluded.location
        """),
        {"jurisdiction_id": jurisdiction_id},
    )
    session.execute(text("DROP TABLE address_load"))
