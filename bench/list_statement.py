"""The project's own statement of GET /open311/v2/requests.json with no parameter (the last 90
days, newest first, 1000 requests), compiled for psycopg, for the floor of the open311_list
case (bench/floor.py): the floor runs exactly what the project runs, without the project's
layers around it. Written by bench/run.py before it starts the floor:

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/open311_bench \\
        .venv/bin/python bench/list_statement.py > bench/out/open311_list-statement.json

It prints {"sql", "parameters", "window", "generic_plan"}: the 90-day window's bounds are given
as seconds from the moment the statement runs, so the floor asks for the same window as the
project does, and plans the statement as the project does.
"""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app
from app.extensions import db
from app.lookups import resolve_city
from app.open311 import params
from app.reads.projection import city_zone


def list_statement() -> dict:
    """What ServiceRequests.get runs for a GET requests.json with no parameter."""
    app = create_app()
    with app.test_request_context("/open311/v2/requests.json"):
        now = datetime.now(UTC)
        jurisdiction = resolve_city(db.session, None)
        filters, paging = params.request_filters(db.session, jurisdiction, {})
        window_page = params.window_page(jurisdiction, filters, paging, "json")
        if window_page is None:
            raise SystemExit("the default page is no longer the window page built once")
        statement, window_parameters = window_page
        sql, fixed = statement.driver_sql(db.engine.dialect)
        parameters = {**fixed, **window_parameters, **city_zone(jurisdiction.timezone)}
    window = {name: round((value - now).total_seconds()) for name, value in parameters.items()
              if isinstance(value, datetime)}
    # The view plans the window page once per connection (views.ServiceRequests.get).
    return {"sql": sql, "window": window, "generic_plan": True,
            "parameters": {k: v for k, v in parameters.items() if k not in window}}


if __name__ == "__main__":
    print(json.dumps(list_statement(), indent=1))
