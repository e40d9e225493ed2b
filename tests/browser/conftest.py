"""The public pages in a real browser: Debian's chromium driven by Playwright, against the app
served on a loopback port over its own database with the demo city loaded."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db as flask_db
from tests.conftest import SERVER_URL, _test_database_name

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
DEMO_REQUESTS = 1500


@pytest.fixture(scope="session")
def web_app(tmp_path_factory):
    """The app over a database of its own (the demo city committed there would otherwise
    show in every other test), migrated and loaded with the demo city."""
    name = f"{_test_database_name()[:55]}_web"
    admin = sa.create_engine(f"{SERVER_URL}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"{SERVER_URL}/{name}",
        "MEDIA_DIR": str(tmp_path_factory.mktemp("web-media")),
        "RATELIMIT_ENABLED": False,
        "SMTP_URL": "smtp://127.0.0.1:9",  # the outbox is only written; nothing is sent here
    })
    from flask_migrate import upgrade

    from app.operations.demo import load_demo

    with application.app_context():
        upgrade()
        load_demo(flask_db.session, count=DEMO_REQUESTS, seed=311)
        flask_db.session.commit()
        flask_db.session.remove()
    yield application
    with application.app_context():
        flask_db.engine.dispose()


@pytest.fixture(scope="session")
def base_url(web_app) -> Iterator[str]:
    """The app on a free loopback port, served by a thread of this test run."""
    server = make_server("127.0.0.1", 0, web_app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    web_app.config["PUBLIC_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium (Playwright never downloads a browser here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Watched:
    """A page and what it did that a test must refuse: third-party requests, console errors."""

    page: object
    third_party: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    responses: list[tuple[str, int]] = field(default_factory=list)

    def assert_clean(self) -> None:
        """No third-party request and no console error happened."""
        assert self.third_party == []
        assert self.console_errors == []


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    """Each page test runs on a phone and on a desktop."""
    return request.param


def open_page(browser, viewport: str, **context_options) -> Watched:
    """A new page whose every request is checked: any host but the loopback is refused."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], **context_options)
    page = context.new_page()
    watched = Watched(page=page)

    def route(route_request):
        host = urlsplit(route_request.request.url).hostname
        if route_request.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route_request.continue_()
        else:
            watched.third_party.append(route_request.request.url)
            route_request.abort()

    page.route("**/*", route)
    page.on("console", lambda message: message.type == "error"
            and watched.console_errors.append(message.text))
    page.on("pageerror", lambda error: watched.console_errors.append(str(error)))
    page.on("response", lambda response: watched.responses.append((response.url,
                                                                   response.status)))
    return watched


@pytest.fixture
def watched_page(browser, viewport) -> Iterator[Watched]:
    """A watched page at the test's viewport."""
    watched = open_page(browser, viewport)
    yield watched
    watched.page.context.close()


def serious_axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
