import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.models import Address, District
from app.operations.places import PlacesError, load_addresses, load_districts
from geo.addresses import normalize_address

DEMO = Path(__file__).resolve().parents[2] / "demo"
SQUARE = [[[-87.73, 42.02], [-87.70, 42.02], [-87.70, 42.05], [-87.73, 42.05], [-87.73, 42.02]]]


def _feature(properties: dict, geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _write_json(tmp_path: Path, document: dict, name: str = "places.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def _collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def _count(db_session, model, jurisdiction) -> int:
    return db_session.scalar(
        sa.select(sa.func.count()).select_from(model)
        .where(model.jurisdiction_id == jurisdiction.id)
    )


def test_demo_districts_load_every_feature(db_session, jurisdiction):
    expected = len(json.loads((DEMO / "districts.geojson").read_text())["features"])
    loaded = load_districts(db_session, jurisdiction.id, DEMO / "districts.geojson",
                            "ward", "ward_name")
    assert loaded == expected
    assert _count(db_session, District, jurisdiction) == expected


def test_reloading_districts_updates_names_in_place(db_session, jurisdiction, tmp_path):
    polygon = {"type": "Polygon", "coordinates": SQUARE}
    first = _write_json(tmp_path, _collection(_feature({"c": "1", "n": "Ward One"}, polygon)))
    load_districts(db_session, jurisdiction.id, first, "c", "n")
    renamed = _write_json(tmp_path, _collection(_feature({"c": "1", "n": "First Ward"}, polygon)),
                          "renamed.geojson")
    load_districts(db_session, jurisdiction.id, renamed, "c", "n")
    names = db_session.scalars(
        sa.select(District.name).where(District.jurisdiction_id == jurisdiction.id)
    ).all()
    assert names == ["First Ward"]


def test_district_without_the_code_property_is_named_in_the_error(db_session, jurisdiction,
                                                                   tmp_path):
    polygon = {"type": "Polygon", "coordinates": SQUARE}
    path = _write_json(tmp_path, _collection(_feature({"c": "1", "n": "A"}, polygon),
                                             _feature({"n": "B"}, polygon)))
    with pytest.raises(PlacesError, match=r"feature 1: property 'c' is missing"):
        load_districts(db_session, jurisdiction.id, path, "c", "n")


def test_bad_districts_file_loads_nothing(db_session, jurisdiction, tmp_path):
    polygon = {"type": "Polygon", "coordinates": SQUARE}
    path = _write_json(tmp_path, _collection(_feature({"c": "1", "n": "A"}, polygon),
                                             _feature({"n": "B"}, polygon)))
    with pytest.raises(PlacesError):
        load_districts(db_session, jurisdiction.id, path, "c", "n")
    assert _count(db_session, District, jurisdiction) == 0


def test_district_with_a_point_geometry_is_refused(db_session, jurisdiction, tmp_path):
    point = {"type": "Point", "coordinates": [-87.7, 42.04]}
    path = _write_json(tmp_path, _collection(_feature({"c": "1", "n": "A"}, point)))
    with pytest.raises(PlacesError, match=r"feature 0: geometry must be a Polygon"):
        load_districts(db_session, jurisdiction.id, path, "c", "n")


def test_self_intersecting_district_is_refused(db_session, jurisdiction, tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[-87.73, 42.02], [-87.70, 42.05],
                                                  [-87.70, 42.02], [-87.73, 42.05],
                                                  [-87.73, 42.02]]]}
    path = _write_json(tmp_path, _collection(_feature({"c": "1", "n": "A"}, bowtie)))
    with pytest.raises(PlacesError, match=r"feature 0: geometry is not a valid polygon"):
        load_districts(db_session, jurisdiction.id, path, "c", "n")


def test_districts_file_that_is_not_a_feature_collection_is_refused(db_session, jurisdiction,
                                                                     tmp_path):
    path = _write_json(tmp_path, {"type": "Polygon", "coordinates": SQUARE})
    with pytest.raises(PlacesError, match=r"must be a GeoJSON FeatureCollection"):
        load_districts(db_session, jurisdiction.id, path, "c", "n")


def test_repeated_district_code_is_refused(db_session, jurisdiction, tmp_path):
    polygon = {"type": "Polygon", "coordinates": SQUARE}
    path = _write_json(tmp_path, _collection(_feature({"c": "1", "n": "A"}, polygon),
                                             _feature({"c": "1", "n": "B"}, polygon)))
    with pytest.raises(PlacesError, match=r"feature 1: c '1' is repeated"):
        load_districts(db_session, jurisdiction.id, path, "c", "n")


def test_demo_addresses_csv_loads_every_row(db_session, jurisdiction):
    rows = (DEMO / "addresses.csv").read_text().strip().splitlines()
    loaded = load_addresses(db_session, jurisdiction.id, DEMO / "addresses.csv")
    assert loaded == len(rows) - 1
    assert _count(db_session, Address, jurisdiction) == len(rows) - 1


def _write_csv(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "addresses.csv"
    path.write_text(content)
    return path


def test_address_is_stored_normalised_at_its_point(db_session, jurisdiction, tmp_path):
    path = _write_csv(tmp_path, "address_id,address,lat,long,zipcode\n"
                                "A1,123 N. Main St.,42.041,-87.701,60201\n")
    load_addresses(db_session, jurisdiction.id, path)
    stored = db_session.execute(
        sa.select(Address.normalized, Address.zipcode, sa.text("ST_Y(location::geometry)"),
                  sa.text("ST_X(location::geometry)"))
        .where(Address.jurisdiction_id == jurisdiction.id, Address.address_id == "A1")
    ).one()
    assert tuple(stored) == (normalize_address("123 N. Main St."), "60201", 42.041, -87.701)


def test_reloading_addresses_updates_by_address_id(db_session, jurisdiction, tmp_path):
    load_addresses(db_session, jurisdiction.id,
                   _write_csv(tmp_path, "address_id,address,lat,long\nA1,1 Elm St,42.04,-87.70\n"))
    load_addresses(db_session, jurisdiction.id,
                   _write_csv(tmp_path, "address_id,address,lat,long\nA1,2 Elm St,42.04,-87.70\n"))
    addresses = db_session.scalars(
        sa.select(Address.address).where(Address.jurisdiction_id == jurisdiction.id)
    ).all()
    assert addresses == ["2 Elm St"]


def test_csv_without_a_required_column_names_it(db_session, jurisdiction, tmp_path):
    path = _write_csv(tmp_path, "address_id,address,lat\nA1,1 Elm St,42.04\n")
    with pytest.raises(PlacesError, match=r"missing column\(s\) long"):
        load_addresses(db_session, jurisdiction.id, path)


def test_csv_row_with_a_bad_latitude_names_its_line(db_session, jurisdiction, tmp_path):
    path = _write_csv(tmp_path, "address_id,address,lat,long\n"
                                "A1,1 Elm St,42.04,-87.70\nA2,2 Elm St,north,-87.70\n")
    with pytest.raises(PlacesError, match=r"line 3: lat must be a number"):
        load_addresses(db_session, jurisdiction.id, path)


def test_bad_addresses_file_loads_nothing(db_session, jurisdiction, tmp_path):
    path = _write_csv(tmp_path, "address_id,address,lat,long\n"
                                "A1,1 Elm St,42.04,-87.70\nA2,,42.04,-87.70\n")
    with pytest.raises(PlacesError, match=r"line 3: address is missing"):
        load_addresses(db_session, jurisdiction.id, path)
    assert _count(db_session, Address, jurisdiction) == 0


def test_geojson_address_points_load(db_session, jurisdiction, tmp_path):
    path = _write_json(tmp_path, _collection(
        _feature({"address_id": "G1", "address": "5 Oak Ave", "zipcode": "60202"},
                 {"type": "Point", "coordinates": [-87.71, 42.03]}),
    ))
    load_addresses(db_session, jurisdiction.id, path)
    assert db_session.scalar(
        sa.select(Address.address).where(Address.jurisdiction_id == jurisdiction.id,
                                         Address.address_id == "G1")
    ) == "5 Oak Ave"


def test_geojson_address_that_is_not_a_point_is_refused(db_session, jurisdiction, tmp_path):
    path = _write_json(tmp_path, _collection(
        _feature({"address_id": "G1", "address": "5 Oak Ave"},
                 {"type": "Polygon", "coordinates": SQUARE}),
    ))
    with pytest.raises(PlacesError, match=r"feature 0: geometry must be a Point"):
        load_addresses(db_session, jurisdiction.id, path)


def test_missing_addresses_file_is_named(db_session, jurisdiction, tmp_path):
    with pytest.raises(PlacesError, match=r"nowhere.csv: file does not exist"):
        load_addresses(db_session, jurisdiction.id, tmp_path / "nowhere.csv")


def test_districts_load_command_reports_the_count(app, db_session, jurisdiction):
    result = app.test_cli_runner().invoke(args=[
        "districts", "load", str(DEMO / "districts.geojson"),
        "--code-field", "ward", "--name-field", "ward_name",
    ])
    assert result.exit_code == 0
    assert f"{jurisdiction.id}: 8 districts loaded" in result.output


def test_addresses_load_command_names_the_problem_and_fails(app, db_session, jurisdiction,
                                                             tmp_path):
    path = _write_csv(tmp_path, "address_id,address,lat,long\nA1,1 Elm St,91,-87.70\n")
    result = app.test_cli_runner().invoke(args=["addresses", "load", str(path)])
    assert result.exit_code == 1
    assert "line 2: lat must be between -90 and 90" in result.output
