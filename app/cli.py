"""Admin commands: `open311 <command>` (or `flask --app app <command>`).

A command that fails says so in one or two lines, naming the cause and the fix (an unreachable
database with its host and the driver's reason, a database not migrated yet, a missing file);
`--debug` (`open311 --debug <command>`) shows the traceback instead.
"""

import functools
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, has_app_context
from flask.cli import FlaskGroup
from flask.helpers import get_debug_flag

from app.config import database_label
from app.extensions import db


def register_commands(app: Flask) -> None:
    """Attach the command groups to the app, each command explaining its failures."""
    app.cli.add_command(catalog_group)
    app.cli.add_command(keys_group)
    app.cli.add_command(demo_group)
    app.cli.add_command(tiles_group)
    app.cli.add_command(districts_group)
    app.cli.add_command(addresses_group)
    app.cli.add_command(media_group)
    app.cli.add_command(welcome)
    from app.workflow_cli import outbox_group, requests_group, sla_group, staff_group

    for group in (staff_group, sla_group, outbox_group, requests_group):
        app.cli.add_command(group)
    for command in app.cli.commands.values():
        _explain_failures_of(command)


def _configured_url() -> str:
    if has_app_context():
        return current_app.config["SQLALCHEMY_DATABASE_URI"]
    from app.config import build_config

    return build_config(None)["SQLALCHEMY_DATABASE_URI"]


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def explain(error: BaseException) -> str:
    """One or two lines for a failed command: what went wrong and what to do."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from app.config import SQLALCHEMY_DRIVER

    url = _configured_url()
    if not url.startswith(f"{SQLALCHEMY_DRIVER}://"):
        return (f"error: DATABASE_URL is not a PostgreSQL URL ({_first_line(error)})\n"
                "  fix: use postgresql://USER@HOST:PORT/DBNAME")
    if isinstance(error, OperationalError):
        reason = _first_line(error.orig or error)
        fix = "is PostgreSQL running? Check DATABASE_URL (or DB_NAME)"
        name = database_label(url).split(" on ")[0]
        if f'database "{name}" does not exist' in reason:
            fix = f"create it with `make db DB_NAME={name}`, or set DATABASE_URL"
        return f"error: cannot reach the database {database_label(url)}: {reason}\n  fix: {fix}"
    if isinstance(error, ProgrammingError) and "does not exist" in str(error.orig):
        return (f"error: the database {database_label(url)} is not migrated "
                f"({_first_line(error.orig or error)})\n  fix: run `open311 db upgrade`")
    if isinstance(error, OSError) and error.filename:
        return f"error: {error.filename}: {error.strerror}\n  fix: check the path"
    return (f"error: {type(error).__name__}: {_first_line(error)}\n"
            "  run the command again with --debug (open311 --debug ...) for the traceback")


def _explained(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit,
                KeyboardInterrupt):
            raise
        except Exception as error:
            if get_debug_flag():
                raise
            click.echo(explain(error), err=True)
            sys.exit(1)

    run.__explained__ = True  # type: ignore[attr-defined]
    return run


def _explain_failures_of(command: click.Command) -> None:
    """Wrap a command's callback (or a group's commands') once, whatever apps are built."""
    if isinstance(command, click.Group):
        for inner in command.commands.values():
            _explain_failures_of(inner)
    elif command.callback and not getattr(command.callback, "__explained__", False):
        command.callback = _explained(command.callback)


class Progress:
    """Steps of a long command on stderr, each line with the time since the command began."""

    def __init__(self, what: str) -> None:
        self.what, self.started = what, time.monotonic()

    def __call__(self, step: str) -> None:
        """Announce a step as it starts."""
        click.echo(f"{self.what} [{time.monotonic() - self.started:6.1f} s] {step}", err=True)

    def done(self) -> None:
        """The total time."""
        self("done")


@click.group("catalog")
def catalog_group() -> None:
    """The service catalog of a jurisdiction."""


@catalog_group.command("load")
@click.argument("path", type=click.Path(path_type=Path))
def catalog_load(path: Path) -> None:
    """Create or update a jurisdiction from a catalog YAML file (idempotent)."""
    from app.operations.catalog import CatalogError, load_catalog

    try:
        jurisdiction, changed = load_catalog(db.session, path)
    except CatalogError as error:
        db.session.rollback()
        click.echo(f"catalog {path} not loaded:", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    db.session.commit()
    verb = "loaded" if changed else "unchanged"
    click.echo(f"{jurisdiction.id}: {verb}")


@click.group("keys")
def keys_group() -> None:
    """Open311 api keys for apps."""


@keys_group.command("create")
@click.argument("name")
@click.option("--quota", type=click.IntRange(min=1), default=None,
              help="POSTs per hour this key may make (default: the deployment's limit)")
@click.option("--webhook-url", default=None, help="Where to send signed status-change events")
def keys_create(name: str, quota: int | None, webhook_url: str | None) -> None:
    """Print a new api_key for an app; only its hash is stored."""
    from app.operations.access import create_api_key

    key, _ = create_api_key(db.session, name, quota_per_hour=quota, webhook_url=webhook_url)
    db.session.commit()
    click.echo(key)


@click.group("demo")
def demo_group() -> None:
    """Demo data."""


@demo_group.command("load")
@click.option("--requests", "count", type=click.IntRange(min=0), default=3000,
              help="How many synthetic requests to generate")
@click.option("--seed", type=int, default=311, help="Random seed, for repeatable data")
@click.option("--force", is_flag=True,
              help="Replace the demo requests even when the demo city already has some")
@click.option("--city", type=click.Choice(["small", "large"]), default="small",
              help="small: the demo suburb; large: a city of Chicago's extent, for benchmarks")
def demo_load(count: int, seed: int, force: bool, city: str) -> None:
    """Load the demo city (catalog, boundary, districts) and synthetic requests."""
    from app.operations.demo import load_demo

    progress = Progress("demo load")
    summary = load_demo(db.session, count=count, seed=seed, force=force, city=city,
                        progress=progress)
    progress("committing")
    db.session.commit()
    progress.done()
    click.echo(summary)


@click.group("tiles")
def tiles_group() -> None:
    """Vector tiles."""


@tiles_group.command("refresh")
def tiles_refresh() -> None:
    """Recompute the low-zoom grid of the request tiles (run it every few minutes)."""
    from geo.tiles import refresh_grid

    progress = Progress("tiles refresh")
    progress("recomputing the grid")
    refresh_grid(db.session)
    db.session.commit()
    progress.done()
    click.echo("request_tile_grid refreshed")


@click.group("media")
def media_group() -> None:
    """Report photos."""


@media_group.command("import")
@click.option("--from", "media_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The directory of photo files (default: the MEDIA_DIR setting).")
def media_import(media_dir: Path | None) -> None:
    """Load the photo files an earlier version kept in MEDIA_DIR into PostgreSQL, under the
    same names (so their media_url keeps working on every host). Safe to run again."""
    from app.operations.photos import import_media_dir

    directory = media_dir or Path(current_app.config["MEDIA_DIR"])
    if not directory.is_dir():
        raise click.ClickException(f"{directory} is not a directory (set MEDIA_DIR or --from)")
    imported, skipped = import_media_dir(db.session, directory)
    click.echo(f"{imported} photos imported from {directory}, {skipped} skipped "
               "(already imported or not a photo)")


def _load_places(loader, jurisdiction_id: str | None, path: Path, what: str, **options) -> None:
    """Run a places loader for a jurisdiction; print the count, or the problems and exit 1."""
    from app.exceptions import Open311Error
    from app.lookups import resolve_jurisdiction
    from app.operations.places import PlacesError

    progress = Progress(f"{what} load")
    try:
        jurisdiction = resolve_jurisdiction(db.session, jurisdiction_id)
        progress(f"checking and loading {path}")
        count = loader(db.session, jurisdiction.id, path, **options)
    except (PlacesError, Open311Error) as error:
        db.session.rollback()
        click.echo(f"{what} {path} not loaded:", err=True)
        problems = error.problems if isinstance(error, PlacesError) else error.descriptions
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    db.session.commit()
    progress.done()
    click.echo(f"{jurisdiction.id}: {count} {what} loaded")


@click.group("districts")
def districts_group() -> None:
    """Council districts or wards."""


@districts_group.command("load")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--code-field", required=True, help="Feature property holding the district code")
@click.option("--name-field", required=True, help="Feature property holding the district name")
@click.option("--jurisdiction", "jurisdiction_id", default=None,
              help="jurisdiction_id (needed when the server hosts several)")
def districts_load(path: Path, code_field: str, name_field: str,
                   jurisdiction_id: str | None) -> None:
    """Create or update districts from a GeoJSON FeatureCollection (upsert by code)."""
    from app.operations.places import load_districts

    _load_places(load_districts, jurisdiction_id, path, "districts",
                 code_field=code_field, name_field=name_field)


@click.group("addresses")
def addresses_group() -> None:
    """The city's address points."""


@addresses_group.command("load")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--jurisdiction", "jurisdiction_id", default=None,
              help="jurisdiction_id (needed when the server hosts several)")
def addresses_load(path: Path, jurisdiction_id: str | None) -> None:
    """Create or update address points from CSV (address_id,address,lat,long[,zipcode]) or
    GeoJSON points (upsert by address_id)."""
    from app.operations.places import load_addresses

    _load_places(load_addresses, jurisdiction_id, path, "addresses")


@click.command("welcome")
@click.option("--url", default="http://127.0.0.1:5000", help="Where the server will listen")
def welcome(url: str) -> None:
    """What `make run` serves, on which database, and the commands to try next."""
    from sqlalchemy import func, select

    from app.config import DEFAULT_DB_NAME
    from app.models import Jurisdiction, ServiceRequest

    cities = ", ".join(db.session.scalars(select(Jurisdiction.name).order_by(Jurisdiction.id)))
    requests = db.session.scalar(select(func.count()).select_from(ServiceRequest))
    database = database_label(current_app.config["SQLALCHEMY_DATABASE_URI"])
    name = database.split(" on ")[0]
    # The command finds this database by itself only under its default name.
    command = ".venv/bin/open311" if name == DEFAULT_DB_NAME else \
        f"DB_NAME={name} .venv/bin/open311"
    click.echo(f"""
Serving {cities or 'no city yet'} ({requests:,} requests) on {url}/
  database: {database} (`{command}` uses it)
  in a browser: {url}/ (landing page), {url}/api/docs (interactive API docs),
                {url}/docs/ (documentation)
  next, in another shell:
    {command} keys create "my app"      # an Open311 api_key for filing requests
    {command} staff create agent@lakeshore.example.gov --role agent
    curl {url}/open311/v2/services.json
  Ctrl-C stops the server.
""")


def main() -> None:
    """Console script `open311`: the same as `flask --app app`, with failures explained."""
    from app import create_app

    try:
        FlaskGroup(create_app=create_app)(prog_name="open311")
    except Exception as error:  # failures outside a command's body: building the app, db *
        if "--debug" in sys.argv[1:] or os.environ.get("FLASK_DEBUG"):
            raise
        click.echo(explain(error), err=True)
        sys.exit(1)
