"""Rate limits, applied centrally to endpoints by name so that view modules carry no limiter code.

Every POST is limited per client address and per credential (an Open311 api_key, whose
`quota_per_hour` overrides the default, or a staff bearer token); public exports are limited per
address, since one export can read the whole table. Limits are flask-limiter strings in the
config ("60/minute", several joined by ";"); an empty string switches one off. Counters live in
Redis when REDIS_URL is set (shared by every gunicorn worker and host), else in process memory;
while Redis is unreachable each process counts in its own memory.
A 429 is rendered by app.errors in the surface's own format; flask-limiter adds Retry-After and
the X-RateLimit-Limit/-Remaining/-Reset headers to every limited response.
"""

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from app.extensions import db
from app.operations.access import find_api_key
from app.security import hash_secret

# Endpoints whose POST files something; every other POST is limited per address only.
CREDENTIAL_POSTS = ("open311.ServiceRequests",)
EXPORTS = ("public.RequestExports",)
# The methods the POST limits count; the request filter skips the check for every other one.
LIMITED_WRITES = ["POST"]
ERROR_MESSAGE = "Too many requests: the rate limit was reached; retry after Retry-After seconds"


def _credential() -> str | None:
    """The api_key (form or query) or the staff bearer token of this request."""
    api_key = request.values.get("api_key")
    if api_key:
        return "key:" + hash_secret(api_key)
    authorization = request.headers.get("Authorization", "")
    if authorization.lower().startswith("bearer ") and authorization[7:].strip():
        return "staff:" + hash_secret(authorization[7:].strip())
    return None


def _credential_key() -> str:
    # Only the digest reaches the counter store: a clear key in Redis would be a leaked key.
    return _credential() or "anonymous"


def _per_credential_limit() -> str:
    """The api key's own quota_per_hour when it has one, else the configured default."""
    default = current_app.config["RATELIMIT_POST_PER_KEY"]
    api_key = request.values.get("api_key")
    if not api_key:
        return default
    live = find_api_key(db.session, api_key)
    quota = live.quota_per_hour if live else None
    return f"{quota}/hour" if quota else default


def _config_limit(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def init_ratelimits(app: Flask) -> Limiter | None:
    """Attach a limiter to `app` and decorate the limited endpoints (after blueprints)."""
    if not app.config["RATELIMIT_ENABLED"]:
        return None
    limiter = Limiter(
        get_remote_address,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
        headers_enabled=True,
        strategy="fixed-window",
        # Redis down must not fail the requests it only counts: each process counts in its
        # own memory meanwhile (limits per process, not per cluster) and goes back to Redis
        # when it answers again; errors beyond that are logged and the request passes.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    limiter.init_app(app)
    limited: set[tuple[str, str]] = set()
    # Every other request skips the limiter's check at once: its check of an unlimited
    # request cost a sixth of the nearby check's instructions (2.11 M a request, 1.77 M
    # without; callgrind, issue 12).
    limiter.request_filter(lambda: (request.endpoint, request.method) not in limited)
    per_address = limiter.limit(_config_limit("RATELIMIT_POST_PER_ADDRESS"),
                                methods=LIMITED_WRITES, error_message=ERROR_MESSAGE)
    per_credential = limiter.limit(_per_credential_limit, key_func=_credential_key,
                                   methods=LIMITED_WRITES, error_message=ERROR_MESSAGE,
                                   exempt_when=lambda: _credential() is None)
    exports = limiter.limit(_config_limit("RATELIMIT_EXPORTS_PER_ADDRESS"),
                            error_message=ERROR_MESSAGE)
    for rule in app.url_map.iter_rules():
        view: Any = app.view_functions[rule.endpoint]
        if getattr(view, "_rate_limited", False):
            continue  # one endpoint, several rules (e.g. with and without a format)
        if rule.endpoint in EXPORTS:
            view = exports(view)
            limited.update((rule.endpoint, method) for method in rule.methods or ())
        elif "POST" in (rule.methods or ()):
            view = per_address(view)
            limited.update((rule.endpoint, method) for method in LIMITED_WRITES)
            if rule.endpoint in CREDENTIAL_POSTS or rule.endpoint.startswith("staff."):
                view = per_credential(view)
        else:
            continue
        view._rate_limited = True
        app.view_functions[rule.endpoint] = view
    return limiter
