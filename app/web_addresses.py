"""Where links point and who is asking: the public base URL of every link, the trusted Host
list, and the client address that per-client limits count.

Links in emails, feeds and documents come from PUBLIC_BASE_URL. Where it is unset, a link
falls back to the request's own root, so the Host header must be one the city trusts: Flask
answers 400 for any other (TRUSTED_HOSTS). Only a development server (debug mode) without a
configured list accepts any host.
"""

from urllib.parse import urlsplit

from flask import Flask, current_app, request

# Always trusted: they only ever reach this machine (health checks, `make run`, the bench).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def public_base_url() -> str:
    """PUBLIC_BASE_URL, or this request's root (its Host already checked), without a
    trailing slash."""
    return current_app.config["PUBLIC_BASE_URL"] or request.url_root.rstrip("/")


def client_address() -> str:
    """The address per-client limits count (the peer; behind a proxy, see
    docs/reliability.md)."""
    return request.remote_addr or "unknown"


def trusted_hosts(configured: str, public_base_url: str) -> list[str]:
    """The hosts to accept: the configured ones (comma-separated), PUBLIC_BASE_URL's host and
    the loopback names."""
    hosts = [host.strip() for host in configured.split(",") if host.strip()]
    public_host = urlsplit(public_base_url).hostname
    if public_host:
        hosts.append(public_host)
    return list(dict.fromkeys([*hosts, *LOOPBACK_HOSTS]))


def register_trusted_hosts(app: Flask) -> None:
    """Set Flask's TRUSTED_HOSTS from the configuration, unless this is a development server
    with neither a list nor PUBLIC_BASE_URL."""
    if isinstance(app.config.get("TRUSTED_HOSTS"), list):
        return  # a test or an embedding app gave the list itself
    configured = app.config.get("TRUSTED_HOSTS") or ""
    if app.debug and not configured and not app.config["PUBLIC_BASE_URL"]:
        app.config["TRUSTED_HOSTS"] = None
        return
    app.config["TRUSTED_HOSTS"] = trusted_hosts(configured, app.config["PUBLIC_BASE_URL"])
