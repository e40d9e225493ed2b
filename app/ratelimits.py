"""Rate limits, applied centrally to endpoints by name so that view modules carry no limiter code.

Every POST is limited per client address and per credential (an Open311 api_key, whose
`quota_per_hour` overrides the default, or a staff bearer token); public exports are limited per
address, since one export can read the whole table. Limits are strings in the notation of the
`limits` library ("60/minute", several joined by ";"); an empty string switches one off.
Counters are fixed windows kept by `limits`' storage: in Redis when REDIS_URL is set (shared by
every gunicorn worker and host), else in process memory; while Redis fails, each process counts
in its own memory and asks Redis again after STORAGE_RETRY_SECONDS.

Only the limited views are wrapped: every other request runs no limiter code at all. A limited
response carries X-RateLimit-Limit/-Remaining/-Reset of its binding limit; over a limit, the
answer is a 429 rendered by app.errors in the surface's own format, with Retry-After.
"""

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any

from flask import Flask, current_app, make_response, request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string

from app.exceptions import TooManyRequests
from app.extensions import db
from app.operations.access import find_api_key
from app.security import hash_secret
from app.staff.auth import bearer_token
from app.web_addresses import client_address

log = logging.getLogger(__name__)

# Endpoints whose POST files something; every other POST is limited per address only.
CREDENTIAL_POSTS = ("open311.ServiceRequests",)
EXPORTS = ("public.RequestExports",)
ERROR_MESSAGE = "Too many requests: the rate limit was reached; retry after Retry-After seconds"
# While Redis fails, each process counts in its own memory for this long before asking again.
STORAGE_RETRY_SECONDS = 5.0
# A Redis that stops answering must not hold the requests it only counts.
REDIS_TIMEOUT_SECONDS = 0.5


def _credential() -> str | None:
    """The api_key (form or query) or the staff bearer token of this request, as a digest:
    only the digest reaches the counter store (a clear key in Redis would be a leaked key)."""
    api_key = request.values.get("api_key")
    if api_key:
        return "key:" + hash_secret(api_key)
    token = bearer_token()
    return "staff:" + hash_secret(token) if token is not None else None


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


@lru_cache(maxsize=128)
def _parsed(text: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(text)) if text.strip() else ()


@dataclass(frozen=True)
class Rule:
    """One limit of a view: the requests it counts (`methods`, None for all), its limits text,
    and whose counter a request goes to (None: the rule does not apply to this request)."""

    name: str
    limits: Callable[[], str]
    counted_as: Callable[[], str | None]
    methods: frozenset[str] | None = None


PER_ADDRESS = Rule("address", _config_limit("RATELIMIT_POST_PER_ADDRESS"), client_address,
                   frozenset({"POST"}))
PER_CREDENTIAL = Rule("credential", _per_credential_limit, _credential, frozenset({"POST"}))
EXPORTS_PER_ADDRESS = Rule("export", _config_limit("RATELIMIT_EXPORTS_PER_ADDRESS"),
                           client_address)


@dataclass
class Window:
    """One limit's counter after this request's hit."""

    item: RateLimitItem
    key: str
    count: int
    storage: Storage  # where it was counted: Redis, or this process's memory while Redis fails

    @property
    def remaining(self) -> int:
        return max(0, self.item.amount - self.count)

    @property
    def breached(self) -> bool:
        return self.count > self.item.amount


class Counters:
    """Fixed-window counters in the configured store, or in this process's memory while that
    store fails."""

    def __init__(self, storage_uri: str, prefix: str) -> None:
        self.prefix = prefix
        self._local: MemoryStorage | None = None
        self.shared: Storage | None = None
        if not storage_uri.startswith("memory://"):
            options: dict[str, Any] = {}
            if storage_uri.startswith(("redis", "valkey")):
                options = {"socket_timeout": REDIS_TIMEOUT_SECONDS,
                           "socket_connect_timeout": REDIS_TIMEOUT_SECONDS}
            shared = storage_from_string(storage_uri, wrap_exceptions=True, **options)
            if not isinstance(shared, Storage):
                raise ValueError(f"RATELIMIT_STORAGE_URI {storage_uri!r} names an asyncio "
                                 "store; this server counts with a synchronous one")
            self.shared = shared
        self.shared_down_until = 0.0

    @property
    def local(self) -> MemoryStorage:
        # Made when first needed: a MemoryStorage starts a timer thread.
        if self._local is None:
            self._local = MemoryStorage()
        return self._local

    def _storage(self) -> Storage:
        if self.shared is not None and time.monotonic() >= self.shared_down_until:
            return self.shared
        return self.local

    def hit(self, items: Iterable[RateLimitItem], *identifiers: str) -> list[Window]:
        """Count this request in every window of `items`."""
        storage = self._storage()
        try:
            return self._hit(storage, items, identifiers)
        except StorageError as error:  # only the shared store raises it (wrap_exceptions)
            # Counted alone per process meanwhile: limits per process, not per cluster.
            log.warning("rate-limit store unreachable (%s); counting in process memory for "
                        "%.0f s", error, STORAGE_RETRY_SECONDS)
            self.shared_down_until = time.monotonic() + STORAGE_RETRY_SECONDS
            return self._hit(self.local, items, identifiers)

    def _hit(self, storage: Storage, items: Iterable[RateLimitItem],
             identifiers: tuple[str, ...]) -> list[Window]:
        windows = []
        for item in items:
            key = item.key_for(self.prefix, *identifiers)
            windows.append(Window(item, key, storage.incr(key, item.get_expiry()), storage))
        return windows

    def reset_at(self, window: Window) -> float:
        """When `window` ends (epoch seconds): one more read of the store, so only the
        binding window's is asked."""
        try:
            return window.storage.get_expiry(window.key)
        except StorageError:
            # The store failed after counting: the window's full length is a safe hint.
            return time.time() + window.item.get_expiry()


def _binding(windows: list[Window]) -> Window:
    """The window whose figures the client should see: of those breached, the one ending
    last (retrying sooner would be refused); otherwise the one with the fewest left."""
    breached = [w for w in windows if w.breached]
    if breached:
        return max(breached, key=lambda w: w.item.get_expiry())
    return min(windows, key=lambda w: (w.remaining, w.item.get_expiry()))


def _limited(view: Callable[..., Any], rules: tuple[Rule, ...], endpoint: str,
             counters: Counters) -> Callable[..., Any]:
    @wraps(view)
    def counted(*args: Any, **kwargs: Any) -> Any:
        windows: list[Window] = []
        for rule in rules:
            if rule.methods is not None and request.method not in rule.methods:
                continue
            items = _parsed(rule.limits())
            counted_as = rule.counted_as() if items else None
            if counted_as is not None:
                windows += counters.hit(items, rule.name, endpoint, counted_as)
        if not windows:
            return view(*args, **kwargs)
        binding = _binding(windows)
        reset_at = counters.reset_at(binding)
        headers = {"X-RateLimit-Limit": str(binding.item.amount),
                   "X-RateLimit-Remaining": str(binding.remaining),
                   "X-RateLimit-Reset": str(int(reset_at) + 1)}
        if binding.breached:
            log.info("rate limit %s reached at %s", binding.item, endpoint)
            retry_after = max(0, int(reset_at - time.time()) + 1)
            raise TooManyRequests(ERROR_MESSAGE,
                                  headers={**headers, "Retry-After": str(retry_after)})
        response = make_response(view(*args, **kwargs))
        response.headers.extend(headers)
        return response

    return counted


def _rules_of(endpoint: str, methods: Iterable[str]) -> tuple[Rule, ...]:
    if endpoint in EXPORTS:
        return (EXPORTS_PER_ADDRESS,)
    if "POST" not in methods:
        return ()
    if endpoint in CREDENTIAL_POSTS or endpoint.startswith("staff."):
        return (PER_ADDRESS, PER_CREDENTIAL)
    return (PER_ADDRESS,)


def init_ratelimits(app: Flask) -> Counters | None:
    """Wrap the limited endpoints' views (after the blueprints are registered)."""
    if not app.config["RATELIMIT_ENABLED"]:
        return None
    counters = Counters(app.config["RATELIMIT_STORAGE_URI"], app.config["RATELIMIT_KEY_PREFIX"])
    methods_of: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():  # one endpoint may have several rules
        methods_of.setdefault(rule.endpoint, set()).update(rule.methods or ())
    for endpoint, methods in methods_of.items():
        rules = _rules_of(endpoint, methods)
        if rules:
            app.view_functions[endpoint] = _limited(app.view_functions[endpoint], rules,
                                                    endpoint, counters)
    return counters
