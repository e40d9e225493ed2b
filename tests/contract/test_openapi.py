"""openapi.yaml is generated from the code (`make openapi`) and must not drift from it."""

from pathlib import Path

import yaml

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.yaml"


def test_openapi_yaml_is_in_sync_with_the_code(app):
    with app.app_context():
        generated = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    committed = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    assert committed == generated, "openapi.yaml is stale: run `make openapi` and commit it"


def test_openapi_document_is_valid_openapi_3(app):
    from openapi_spec_validator import validate

    validate(yaml.safe_load(OPENAPI.read_text(encoding="utf-8")))
