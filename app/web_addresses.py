"""Where links point and who is asking: the public base URL of every link, the trusted Host
list, and the client address that per-client limits count (behind PROXY_COUNT reverse
proxies, the one the nearest proxy received from).

Links in emails, feeds and documents come from PUBLIC_BASE_URL. Where it is unset, a link
falls back to the request's own root, so the Host header must be one the city trusts: Flask
answers 400 for any other (TRUSTED_HOSTS). Only a development server (debug mode) without a
configured list accepts any host.
"""

from collections.abc import Callable
from urllib.parse import quote_plus, urlencode, urlsplit

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

# Always trusted: they only ever reach this machine (health checks, `make run`, the bench).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def public_base_url() -> str:
    """PUBLIC_BASE_URL, or this request's root (its Host already checked), without a
    trailing slash."""
    return current_app.config["PUBLIC_BASE_URL"] or request.url_root.rstrip("/")


def page_link(path: str, parameter: str) -> Callable[[object], str]:
    """Links to another page of this request's answer: `path` under the public base URL, with
    this request's query and `parameter` (the offset, the cursor) set to the value given. The
    query's other parameters, repeats and order kept, are encoded once for every link made;
    the page's parameter comes last."""
    kept = urlencode([(name, value) for name, value in request.args.items(multi=True)
                      if name != parameter])
    start = f"{public_base_url()}{path}?{kept}{'&' if kept else ''}{quote_plus(parameter)}="
    return lambda value: start + quote_plus(str(value))


def client_address() -> str:
    """The address per-client limits count: the peer, or behind PROXY_COUNT proxies the
    address the nearest one received from (trust_proxies)."""
    return request.remote_addr or "unknown"


def register_web_addresses(app: Flask) -> None:
    """The hosts this app answers for, and the proxies it trusts for the client's address."""
    register_trusted_hosts(app)
    trust_proxies(app)


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT reverse proxies, take the client's address and scheme from the
    X-Forwarded-For and X-Forwarded-Proto they set (werkzeug's ProxyFix): each proxy appends
    the address it received from, so the last PROXY_COUNT entries are the proxies' own word
    and anything before them is whatever the client sent. Without proxies the headers are
    the client's own and are not read."""
    hops = app.config["PROXY_COUNT"]
    if hops < 0:
        raise ValueError(f"PROXY_COUNT must be 0 or more, not {hops}")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


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
