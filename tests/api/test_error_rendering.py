"""The one error renderer: generic 500s, 503 while the database is unreachable."""

import pytest
from sqlalchemy.exc import OperationalError

from app import create_app


@pytest.fixture
def failing_app(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})

    def explode():
        raise RuntimeError("secret internals: password=hunter2")

    def database_gone():
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

    app.add_url_rule("/open311/v2/explode.json", "explode", explode)
    app.add_url_rule("/api/v1/public/explode", "explode_api", explode)
    app.add_url_rule("/open311/v2/gone.xml", "gone", database_gone)
    return app


def test_unexpected_error_is_a_generic_500_in_the_open311_format(failing_app, caplog):
    response = failing_app.test_client().get("/open311/v2/explode.json")
    assert response.status_code == 500
    assert response.get_json() == [{"code": 500, "description": "Internal server error"}]
    assert "hunter2" not in response.get_data(as_text=True)
    assert "RuntimeError" in caplog.text  # the traceback is logged for the operators


def test_unexpected_error_on_the_json_api_has_its_shape(failing_app):
    response = failing_app.test_client().get("/api/v1/public/explode")
    assert response.status_code == 500
    assert response.get_json()["code"] == 500


def test_lost_database_is_503_with_retry_after(failing_app):
    response = failing_app.test_client().get("/open311/v2/gone.xml")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert b"<code>503</code>" in response.data
