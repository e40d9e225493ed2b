"""The database the migrations build is exactly what the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db
from migrations import env_options as options


def test_migrations_match_the_models(db_session):
    context = MigrationContext.configure(
        db_session.connection(), opts={"include_object": options.include_object}
    )
    differences = compare_metadata(context, db.metadata)
    assert differences == [], "models and migrations differ: add a migration"
