"""The demo city, committed in a database of its own and served on a free loopback port, for
the tests that drive it as a newcomer would: the documentation's examples and GDAL."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db as flask_db


@dataclass
class DemoCity:
    """A live server over the demo city, and the paths it was asked for."""

    app: Flask
    database_url: str
    url: str
    paths: list[str] = field(default_factory=list)

    def count(self, path: str) -> int:
        """How many requests the server has had for exactly this path."""
        return sum(seen == path for seen in self.paths)


class PathRecorder:
    """WSGI middleware noting every path asked for, to count what a client such as
    ogr2ogr requested."""

    def __init__(self, wsgi_app, paths: list[str]) -> None:
        self.wsgi_app, self.paths = wsgi_app, paths

    def __call__(self, environ, start_response):
        self.paths.append(environ.get("PATH_INFO", ""))
        return self.wsgi_app(environ, start_response)


@pytest.fixture(scope="session")
def demo_city(database_url: str, tmp_path_factory) -> Iterator[DemoCity]:
    """A migrated database holding `demo load`'s city, served by a threaded live server."""
    from flask_migrate import upgrade

    from app.operations.demo import load_demo

    server_url, test_database = database_url.rsplit("/", 1)
    name = f"{test_database}_demo"[:63]
    admin = sa.create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = f"{server_url}/{name}"
    application = create_app({
        "SQLALCHEMY_DATABASE_URI": url,
        "MEDIA_DIR": str(tmp_path_factory.mktemp("demo-media")),
        # The examples file many reports from one address, as a newcomer trying them would.
        "RATELIMIT_ENABLED": False,
    })
    with application.app_context():
        upgrade()
        load_demo(flask_db.session)
        flask_db.session.commit()
        flask_db.session.remove()
    city = DemoCity(application, url, "")
    application.wsgi_app = PathRecorder(application.wsgi_app, city.paths)  # type: ignore[method-assign]
    server = make_server("127.0.0.1", 0, application, threaded=True)
    city.url = f"http://127.0.0.1:{server.server_port}"
    application.config["PUBLIC_BASE_URL"] = city.url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield city
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        with application.app_context():
            flask_db.engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
