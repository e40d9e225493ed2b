"""The Spanish catalog: complete, its compiled .mo in step with the .po, and the catalog
file's service translations validated and loaded."""

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.models import Service
from app.operations.catalog import load_catalog
from schemas.catalog import ServiceSchema

WEB = Path(__file__).resolve().parents[2] / "app" / "web"
SPANISH = WEB / "translations" / "es" / "LC_MESSAGES"
DEMO = Path(__file__).resolve().parents[2] / "demo" / "catalog.yaml"


def _spanish():
    with open(SPANISH / "messages.po", "rb") as po:
        return read_po(po, locale="es")


def test_every_page_string_has_a_spanish_translation():
    methods = [("**.py", "python"), ("templates/**.html", "jinja2")]
    used = {message[2] if isinstance(message[2], str) else message[2][0]
            for message in extract_from_dir(str(WEB), methods)}
    catalog = _spanish()
    translated = {m.id for m in catalog if m.id and m.string}
    assert used - translated == set()


def test_committed_mo_is_the_compiled_po():
    # `pybabel compile -d app/web/translations` after editing the .po; a fresh clone then
    # needs no build step.
    compiled = io.BytesIO()
    write_mo(compiled, _spanish())
    assert (SPANISH / "messages.mo").read_bytes() == compiled.getvalue()


def test_catalog_service_translations_are_loaded(db_session):
    jurisdiction, _ = load_catalog(db_session, DEMO)
    pothole = next(s for s in jurisdiction.services if s.service_code == "POTHOLE")
    assert isinstance(pothole, Service)
    assert pothole.translations["es"]["service_name"] == "Bache en la calle"
    assert pothole.translations["es"]["attributes"]["SIZE"]["values"]["L"] == (
        "Más grande que un neumático")


@pytest.mark.parametrize("translations", [
    {"spanish": {"service_name": "x"}},
    {"es": {"service_name": ""}},
    {"es": {"name": "Bache"}},
    {"es": {"attributes": {"NOPE": {"description": "x"}}}},
    {"es": {"attributes": {"SIZE": {"values": {"XL": "x"}}}}},
])
def test_bad_service_translations_are_refused(translations):
    size = {"code": "SIZE", "description": "How large?", "datatype": "singlevaluelist",
            "order": 1, "values": [{"key": "S", "name": "Small"}]}
    errors = ServiceSchema().validate({"service_code": "POTHOLE", "service_name": "Pothole",
                                       "attributes": [size], "translations": translations})
    assert "translations" in errors
