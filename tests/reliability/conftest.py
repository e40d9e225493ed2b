"""Apps with small rate limits, built beside the suite's own (which runs unlimited)."""

import pytest

from app import create_app
from app.extensions import db as flask_db


@pytest.fixture
def limited_app(database_url, tmp_path):
    """Build an app with rate limits on, in process memory: limited_app(RATELIMIT_...=...)."""
    built = []

    def build(**overrides):
        config = {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MEDIA_DIR": str(tmp_path),
            "PUBLIC_BASE_URL": "http://localhost",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_POST_PER_ADDRESS": "100/minute",
            "RATELIMIT_POST_PER_KEY": "100/minute",
            "RATELIMIT_EXPORTS_PER_ADDRESS": "100/minute",
        }
        application = create_app(config | overrides)
        built.append(application)
        return application

    yield build
    for application in built:
        with application.app_context():
            flask_db.engine.dispose()


def pytest_terminal_summary(terminalreporter):
    """The figures docs/reliability.md quotes: how many cases the fuzzer sent."""
    from tests.reliability import test_database_restart, test_fuzz_openapi, test_hostile_input

    if test_database_restart.FIGURES:
        terminalreporter.write_line(f"database restart: {test_database_restart.FIGURES}")

    if test_hostile_input.TRIED:
        terminalreporter.write_line(f"hostile input: {len(test_hostile_input.TRIED)} requests")
    if test_fuzz_openapi.CASES:
        operations = len(set(test_fuzz_openapi.CASES))
        terminalreporter.write_line(f"schemathesis: {len(test_fuzz_openapi.CASES)} cases over "
                                    f"{operations} operations")
