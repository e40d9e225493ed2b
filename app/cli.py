"""Admin commands: `flask --app app <command>`, or `open311 <command>`."""

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup

from app.extensions import db


def register_commands(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(catalog_group)
    app.cli.add_command(keys_group)
    app.cli.add_command(demo_group)
    app.cli.add_command(tiles_group)
    app.cli.add_command(districts_group)
    app.cli.add_command(addresses_group)
    from app.workflow_cli import outbox_group, requests_group, sla_group, staff_group

    for group in (staff_group, sla_group, outbox_group, requests_group):
        app.cli.add_command(group)


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

    summary = load_demo(db.session, count=count, seed=seed, force=force, city=city)
    db.session.commit()
    click.echo(summary)


@click.group("tiles")
def tiles_group() -> None:
    """Vector tiles."""


@tiles_group.command("refresh")
def tiles_refresh() -> None:
    """Recompute the low-zoom grid of the request tiles (run it every few minutes)."""
    from geo.tiles import refresh_grid

    refresh_grid(db.session)
    db.session.commit()
    click.echo("request_tile_grid refreshed")


def _load_places(loader, jurisdiction_id: str | None, path: Path, what: str, **options) -> None:
    """Run a places loader for a jurisdiction; print the count, or the problems and exit 1."""
    from app.exceptions import Open311Error
    from app.lookups import resolve_jurisdiction
    from app.operations.places import PlacesError

    try:
        jurisdiction = resolve_jurisdiction(db.session, jurisdiction_id)
        count = loader(db.session, jurisdiction.id, path, **options)
    except (PlacesError, Open311Error) as error:
        db.session.rollback()
        click.echo(f"{what} {path} not loaded:", err=True)
        problems = error.problems if isinstance(error, PlacesError) else error.descriptions
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    db.session.commit()
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


def main() -> None:
    """Console script `open311`: the same as `flask --app app`."""
    from app import create_app

    FlaskGroup(create_app=create_app)(prog_name="open311")
