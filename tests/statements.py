"""What a request sends to PostgreSQL: the statements, counted from the engine's events."""

from sqlalchemy import event


def statements_of(db_session, client, url: str) -> list[str]:
    """The SQL statements a GET of `url` runs (it must answer 200)."""
    statements: list[str] = []

    def record(*args):
        statements.append(args[2])

    engine = db_session.get_bind().engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
        assert response.status_code == 200, response.data
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements
