"""Commands of the 311 workflow: staff accounts, SLA events, outbox delivery, expiry."""

import sys
import time
from datetime import UTC, datetime

import click
from flask import current_app

from app.exceptions import Open311Error
from app.extensions import db
from app.workflow import STAFF_ROLES


def _fail(error: Open311Error) -> None:
    db.session.rollback()
    click.echo("; ".join(error.descriptions), err=True)
    sys.exit(1)


@click.group("staff")
def staff_group() -> None:
    """Staff accounts and their bearer tokens."""


@staff_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(STAFF_ROLES), required=True)
@click.option("--department", "department_code", default=None, help="Department code")
@click.option("--jurisdiction", "jurisdiction_id", default=None,
              help="Jurisdiction of the department, when several are served")
def staff_create(email: str, role: str, department_code: str | None,
                 jurisdiction_id: str | None) -> None:
    """Print a new bearer token for EMAIL (only its hash is stored; an old one stops working)."""
    from app.operations.staff import create_staff

    try:
        token, _ = create_staff(db.session, email, role, department_code, jurisdiction_id)
    except Open311Error as error:
        _fail(error)
    db.session.commit()
    click.echo(token)


@staff_group.command("revoke")
@click.argument("email")
def staff_revoke(email: str) -> None:
    """Revoke EMAIL's token: its calls get 401 from now on."""
    from app.operations.staff import revoke_staff

    try:
        revoke_staff(db.session, email)
    except Open311Error as error:
        _fail(error)
    db.session.commit()
    click.echo(f"{email}: revoked")


@click.group("sla")
def sla_group() -> None:
    """SLA events."""


def run_sla_check() -> dict[str, int]:
    """Write due SLA warning and overdue events, committed."""
    from app.operations.sla_events import check_sla

    counts = check_sla(db.session, datetime.now(UTC))
    db.session.commit()
    return counts


@sla_group.command("check")
def sla_check() -> None:
    """Queue a warning at 75 % of a request's SLA and a notice when it is overdue (once each)."""
    counts = run_sla_check()
    click.echo(f"warnings: {counts['warned']}, overdue: {counts['overdue']}")


def prune_counters() -> None:
    """Drop the abuse-limit counters of past days (the worker runs this each round)."""
    from app.usage_limits import prune

    prune(db.session)
    db.session.commit()


@click.group("outbox")
def outbox_group() -> None:
    """Delivery of emails and webhooks."""


@outbox_group.command("work")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit")
@click.option("--sla/--no-sla", default=True, help="Run `sla check` before each round")
@click.option("--idle", type=float, default=5.0, help="Seconds to wait when nothing is due")
def outbox_work(once: bool, sla: bool, idle: float) -> None:
    """Deliver due outbox events over SMTP_URL and webhooks, retrying with backoff."""
    from app.delivery import Transport, deliver_due

    config = current_app.config
    if not config["PUBLIC_BASE_URL"]:
        # Links in emails are built from it, never from a request's Host header.
        click.echo("PUBLIC_BASE_URL is not set: emails would carry links without a host. Set "
                   "it to the server's public address, e.g. https://311.example.gov", err=True)
        sys.exit(1)
    transport = Transport(config["SMTP_URL"], config["MAIL_FROM"], config["PUBLIC_BASE_URL"],
                          config["SECRET_KEY"])
    while True:
        if sla:
            run_sla_check()
        tried = deliver_due(db.session, transport)
        prune_counters()
        if once:
            click.echo(f"tried: {tried}")
            return
        time.sleep(idle)


@click.group("requests")
def requests_group() -> None:
    """Service requests."""


@requests_group.command("expire")
def requests_expire() -> None:
    """Cancel, as ADMIN_EXPIRED, open requests older than their service's expire_after_days."""
    from app.operations.closures import expire_requests

    closed = expire_requests(db.session, datetime.now(UTC))
    db.session.commit()
    click.echo(f"expired: {len(closed)}")
