from pathlib import Path

import pytest
import sqlalchemy as sa

from app.models import Jurisdiction, Service, ServiceAttribute
from app.operations.catalog import CatalogError, load_catalog
from tests.conftest import FIXTURES


def test_catalog_loads_services_with_attributes(db_session, services):
    pothole = services["POTHOLE"]
    assert pothole.sla_days == 5 and pothole.sla_calendar == "business"
    assert [a.code for a in pothole.attributes] == ["SIZE", "DEPTH"]
    assert pothole.department.code == "PW"


def test_loading_the_same_catalog_twice_changes_nothing(db_session, jurisdiction):
    before = db_session.scalar(sa.select(sa.func.count()).select_from(ServiceAttribute))
    _, changed = load_catalog(db_session, FIXTURES / "catalog.yaml")
    after = db_session.scalar(sa.select(sa.func.count()).select_from(ServiceAttribute))
    assert changed is False
    assert before == after


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    return path


def test_bad_catalog_names_the_field_and_loads_nothing(db_session, tmp_path):
    path = _write(tmp_path, """
jurisdiction: {id: bad.example.gov, name: Bad, timezone: America/Chicago}
services:
  - {service_code: A, service_name: A, sla: {days: 40}}
""")
    with pytest.raises(CatalogError) as caught:
        load_catalog(db_session, path)
    assert "services[0].sla.explanation" in str(caught.value)
    assert db_session.get(Jurisdiction, "bad.example.gov") is None


def test_unknown_timezone_is_refused(db_session, tmp_path):
    path = _write(tmp_path, """
jurisdiction: {id: x.example.gov, name: X, timezone: Mars/Olympus}
services: [{service_code: A, service_name: A}]
""")
    with pytest.raises(CatalogError, match=r"jurisdiction.timezone: unknown timezone"):
        load_catalog(db_session, path)


def test_service_with_unknown_department_is_refused(db_session, tmp_path):
    path = _write(tmp_path, """
jurisdiction: {id: x.example.gov, name: X, timezone: UTC}
services: [{service_code: A, service_name: A, department: NOPE}]
""")
    with pytest.raises(CatalogError, match=r"services\[0\]: department 'NOPE'"):
        load_catalog(db_session, path)


def test_list_attribute_without_values_is_refused(db_session, tmp_path):
    path = _write(tmp_path, """
jurisdiction: {id: x.example.gov, name: X, timezone: UTC}
services:
  - service_code: A
    service_name: A
    attributes: [{code: K, description: K, datatype: singlevaluelist, order: 1}]
""")
    with pytest.raises(CatalogError, match=r"services\[0\].attributes\[0\].values"):
        load_catalog(db_session, path)


def test_misspelled_key_is_refused(db_session, tmp_path):
    path = _write(tmp_path, """
jurisdiction: {id: x.example.gov, name: X, timezone: UTC}
services: [{service_code: A, service_name: A, sla: {dayz: 3}}]
""")
    with pytest.raises(CatalogError, match=r"services\[0\].sla.dayz: Unknown field"):
        load_catalog(db_session, path)


def test_service_dropped_from_catalog_is_deactivated_not_deleted(db_session, jurisdiction,
                                                                 tmp_path):
    text = (FIXTURES / "catalog.yaml").read_text()
    trimmed = text[: text.index("  - service_code: MAYOR")]
    path = tmp_path / "catalog.yaml"
    path.write_text(trimmed.replace("boundary: boundary.geojson", ""))
    load_catalog(db_session, path)
    mayor = db_session.scalar(sa.select(Service).where(Service.service_code == "MAYOR"))
    assert mayor is not None and mayor.active is False


def test_boundary_must_be_a_polygon(db_session, tmp_path):
    (tmp_path / "b.geojson").write_text('{"type": "Point", "coordinates": [0, 0]}')
    path = _write(tmp_path, """
jurisdiction: {id: x.example.gov, name: X, timezone: UTC, boundary: b.geojson}
services: [{service_code: A, service_name: A}]
""")
    with pytest.raises(CatalogError, match=r"jurisdiction\.boundary: must be a Polygon"):
        load_catalog(db_session, path)
