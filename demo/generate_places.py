"""Regenerate the demo city's places: boundary.geojson, districts.geojson and addresses.csv.

The demo city is fictional but laid out like a Chicago-area suburb (the same area as the test
fixtures): a lake shore on the east, a street grid numbered 800 to the mile from a centre
point. Run `python demo/generate_places.py` after changing this file; the outputs are committed.
"""

import csv
import json
from itertools import pairwise
from pathlib import Path

from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping

HERE = Path(__file__).parent
# Lake Michigan's shore runs roughly north-south on the east; the west edge follows a canal
# with a jog, and the south-west corner is cut by a cemetery that belongs to the neighbour.
BOUNDARY = Polygon([
    (-87.7350, 42.0150), (-87.7050, 42.0150), (-87.7050, 42.0190), (-87.6780, 42.0190),
    (-87.6720, 42.0230), (-87.6690, 42.0320), (-87.6705, 42.0410), (-87.6660, 42.0500),
    (-87.6680, 42.0600), (-87.6650, 42.0700), (-87.6720, 42.0760), (-87.7010, 42.0760),
    (-87.7140, 42.0720), (-87.7280, 42.0720), (-87.7280, 42.0560), (-87.7380, 42.0500),
    (-87.7380, 42.0300), (-87.7300, 42.0250), (-87.7350, 42.0150),
])
# Council districts: the boundary cut by ward lines (two columns, four rows, uneven like real
# wards drawn to balance population).
COLUMN_SPLIT = -87.7000
ROW_SPLITS = (42.0290, 42.0420, 42.0570)
CENTRE_LONG, CENTRE_LAT = -87.7000, 42.0450  # house numbering origin
METRES_PER_DEGREE_LAT = 111_320.0
METRES_PER_DEGREE_LONG = 82_730.0  # at 42° N
BLOCK_M = 201.2  # an eighth of a mile
ADDRESS_SPACING_M = 50.0
# Address points stay this far inside the boundary, so that jittered demo requests do too.
INSIDE_MARGIN_DEG = 0.0004
ZIPCODES = ((42.0330, "60202"), (42.0560, "60201"), (90.0, "60203"))
EAST_WEST_STREETS = [
    "Howard St", "Brummel St", "Mulford St", "Oakton St", "Cleveland St", "Main St",
    "Lee St", "Greenleaf St", "Dempster St", "Hamilton St", "Davis St", "Church St",
    "Emerson St", "Foster St", "Simpson St", "Noyes St", "Colfax St", "Lincoln St",
    "Isabella St", "Central St", "Park Pl", "Grant St", "Thayer St", "Harrison St",
    "Lawndale Ave", "Girard Ave", "Hartzell St", "Livingston St", "Chancellor St",
]
NORTH_SOUTH_AVENUES = [
    "Sheridan Rd", "Forest Ave", "Hinman Ave", "Judson Ave", "Chicago Ave", "Sherman Ave",
    "Ashland Ave", "Ridge Ave", "Wesley Ave", "Asbury Ave", "Dodge Ave", "Darrow Ave",
    "Dewey Ave", "Florence Ave", "Grey Ave", "Hartrey Ave", "Pioneer Rd", "Crawford Ave",
    "Central Park Ave", "McCormick Blvd", "Bennett Ave", "Kedzie Ave",
]


def districts() -> list[dict]:
    """Eight wards: the boundary cut by the ward lines."""
    min_long, min_lat, max_long, max_lat = BOUNDARY.bounds
    rows = (min_lat - 0.01, *ROW_SPLITS, max_lat + 0.01)
    columns = ((min_long - 0.01, COLUMN_SPLIT), (COLUMN_SPLIT, max_long + 0.01))
    features = []
    number = 0
    for south, north in pairwise(rows):
        for west, east in columns:
            number += 1
            area = BOUNDARY.intersection(box(west, south, east, north))
            polygons = list(area.geoms) if hasattr(area, "geoms") else [area]
            features.append({
                "type": "Feature",
                "properties": {"ward": str(number), "ward_name": f"Ward {number}"},
                "geometry": mapping(MultiPolygon([p for p in polygons if p.area > 0])),
            })
    return features


def _house_number(offset_m: float) -> int:
    # The Chicago grid: 800 house numbers to the mile; even numbers on this side.
    return max(1, round(abs(offset_m) / 1609.34 * 800)) // 2 * 2 + 2


def addresses() -> list[dict]:
    """Address points every 50 m along the street grid, inside the boundary."""
    inner = BOUNDARY.buffer(-INSIDE_MARGIN_DEG)
    min_long, min_lat, max_long, max_lat = BOUNDARY.bounds
    rows: list[dict] = []
    lat_step = BLOCK_M * 2 / METRES_PER_DEGREE_LAT
    long_step = BLOCK_M * 2 / METRES_PER_DEGREE_LONG
    spacing_lat = ADDRESS_SPACING_M / METRES_PER_DEGREE_LAT
    spacing_long = ADDRESS_SPACING_M / METRES_PER_DEGREE_LONG
    for index, name in enumerate(EAST_WEST_STREETS):
        lat = min_lat + lat_step * (index + 0.5)
        line = LineString([(min_long, lat), (max_long, lat)])
        long = min_long
        while long <= max_long:
            point = Point(long, lat)
            if inner.covers(point) and line.distance(point) < 1e-9:
                offset = (long - CENTRE_LONG) * METRES_PER_DEGREE_LONG
                side = "W" if offset < 0 else "E"
                rows.append(_row(f"{_house_number(offset)} {side} {name}", lat, long))
            long += spacing_long
    for index, name in enumerate(NORTH_SOUTH_AVENUES):
        long = max_long - long_step * (index + 0.5)
        lat = min_lat
        while lat <= max_lat:
            if inner.covers(Point(long, lat)):
                offset = (lat - CENTRE_LAT) * METRES_PER_DEGREE_LAT
                side = "S" if offset < 0 else "N"
                rows.append(_row(f"{_house_number(offset) + 1} {side} {name}", lat, long))
            lat += spacing_lat
    for number, row in enumerate(rows, start=1):
        row["address_id"] = f"ADDR-{number:05d}"
    return rows


def _row(address: str, lat: float, long: float) -> dict:
    zipcode = next(code for limit, code in ZIPCODES if lat < limit)
    return {"address": address, "lat": round(lat, 6), "long": round(long, 6), "zipcode": zipcode}


def main() -> None:
    """Write the three files beside this script."""
    assert BOUNDARY.is_valid
    boundary = {"type": "Feature", "properties": {"name": "City of Lakeshore"},
                "geometry": mapping(BOUNDARY)}
    (HERE / "boundary.geojson").write_text(json.dumps(boundary) + "\n")
    collection = {"type": "FeatureCollection", "features": districts()}
    (HERE / "districts.geojson").write_text(json.dumps(collection) + "\n")
    with (HERE / "addresses.csv").open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["address_id", "address", "lat", "long",
                                                 "zipcode"])
        writer.writeheader()
        writer.writerows(addresses())


if __name__ == "__main__":
    main()
