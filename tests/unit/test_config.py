"""Database settings as a newcomer and a hosting platform write them."""

import pytest

from app.config import Config, build_config, database_label, normalize_database_url


@pytest.mark.parametrize("url", ["postgres://u:p@db.example:6543/city",
                                 "postgresql://u:p@db.example:6543/city",
                                 "postgresql+psycopg://u:p@db.example:6543/city"])
def test_postgres_urls_are_read_with_the_psycopg_driver(url):
    assert normalize_database_url(url) == "postgresql+psycopg://u:p@db.example:6543/city"


def test_other_urls_are_left_for_sqlalchemy_to_judge():
    assert normalize_database_url("mysql://x@y/z") == "mysql://x@y/z"


def test_a_postgres_url_from_the_environment_reaches_the_app(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/elsewhere")
    assert build_config(None)["SQLALCHEMY_DATABASE_URI"] == \
        "postgresql+psycopg://postgres@127.0.0.1:5432/elsewhere"


def test_without_database_url_the_command_uses_the_database_make_run_made(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DB_NAME", raising=False)
    assert Config().SQLALCHEMY_DATABASE_URI.endswith("@127.0.0.1:5432/open311")
    monkeypatch.setenv("DB_NAME", "open311_mine")
    assert Config().SQLALCHEMY_DATABASE_URI.endswith("@127.0.0.1:5432/open311_mine")


def test_database_label_names_the_database_and_host_without_the_password():
    label = database_label("postgresql+psycopg://u:secret@db.example:6543/city")
    assert label == "city on db.example:6543"
