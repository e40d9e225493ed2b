"""Configuration read from the environment, so one image serves every city."""

import os
from collections.abc import Mapping
from pathlib import Path

# `make run` creates and migrates DB_NAME (default open311) on the local server; the `open311`
# command defaults to the same database, so that what a newcomer runs next finds it.
DEFAULT_DB_NAME = "open311"
LOCAL_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
SQLALCHEMY_DRIVER = "postgresql+psycopg"
CHECKOUT = Path(__file__).resolve().parents[1]


def default_database_url(env: Mapping[str, str]) -> str:
    """The database of `make run`: DB_NAME on the local server."""
    return f"{LOCAL_SERVER}/{env.get('DB_NAME') or DEFAULT_DB_NAME}"


def normalize_database_url(url: str) -> str:
    """postgres:// and postgresql:// (what hosting platforms and libpq write) as the SQLAlchemy
    form with the psycopg 3 driver; any other URL is left for SQLAlchemy to judge."""
    scheme, separator, rest = url.partition("://")
    if separator and scheme.lower() in ("postgres", "postgresql"):
        return f"{SQLALCHEMY_DRIVER}://{rest}"
    return url


def database_label(url: str) -> str:
    """`name on host:port` of a database URL, without its password."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # an unparsable URL is reported as such by explain()
        return repr(url.rsplit("@", maxsplit=1)[-1])
    return f"{parsed.database} on {parsed.host or 'localhost'}:{parsed.port or 5432}"


class Config:
    """Settings for a deployment; every value can be overridden by an environment variable."""

    def __init__(self) -> None:
        env = os.environ
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL") or default_database_url(env)
        # hide_parameters: a logged database error must not carry the values (personal data).
        # No pool_pre_ping, which costs every request a round trip: only connections that sat
        # idle are pinged (app/replicas.py, ping_when_idle).
        self.SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}
        # Streaming replicas for the public reads (app/replicas.py), comma-separated.
        self.DATABASE_REPLICA_URL = env.get("DATABASE_REPLICA_URL", "")
        self.DATABASE_REPLICA_MAX_LAG = float(env.get("DATABASE_REPLICA_MAX_LAG", "30"))
        self.DATABASE_REPLICA_CHECK_SECONDS = float(
            env.get("DATABASE_REPLICA_CHECK_SECONDS", "1"))
        self.DATABASE_READ_YOUR_WRITES_SECONDS = int(
            env.get("DATABASE_READ_YOUR_WRITES_SECONDS", "60"))
        self.DATABASE_CONNECT_TIMEOUT = int(env.get("DATABASE_CONNECT_TIMEOUT", "5"))
        # Behind PgBouncer in transaction mode: no server-side prepared statements.
        self.DATABASE_PGBOUNCER = env.get("DATABASE_PGBOUNCER", "").lower() in {
            "1", "true", "yes", "on"}
        self.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL", "")
        # Host names the server answers for, comma-separated, besides PUBLIC_BASE_URL's host
        # and loopback; any other Host header is 400 (app/web_addresses.py).
        self.TRUSTED_HOSTS = env.get("TRUSTED_HOSTS", "")
        # media_url values a report may carry: http(s) URLs on these hosts only (comma-
        # separated); empty means this server's own media (PUBLIC_BASE_URL's host).
        self.MEDIA_URL_HOSTS = env.get("MEDIA_URL_HOSTS", "")
        self.MEDIA_DIR = env.get("MEDIA_DIR", str(Path.cwd() / "media"))
        # Each photo of a report; the whole body is bounded by MAX_CONTENT_LENGTH.
        self.MEDIA_MAX_BYTES = int(env.get("MEDIA_MAX_BYTES", str(5 * 1024 * 1024)))
        self.MAX_CONTENT_LENGTH = int(env.get("MAX_CONTENT_LENGTH", str(10 * 1024 * 1024)))
        # The MkDocs site `make docs` builds, served at /docs/ and linked from the landing page.
        self.DOCS_DIR = env.get("DOCS_DIR", str(CHECKOUT / "var" / "docs-site"))
        self.SMTP_URL = env.get("SMTP_URL", "smtp://127.0.0.1:25")
        self.MAIL_FROM = env.get("MAIL_FROM", "311@localhost")
        self.REDIS_URL = env.get("REDIS_URL", "")
        self.SECRET_KEY = env.get("SECRET_KEY", "dev-only-not-secret")
        # Rate limits (app/ratelimits.py): strings of the `limits` library, "" switches one
        # off. Counters go to Redis when REDIS_URL is set, so that every worker and host
        # shares them.
        self.RATELIMIT_ENABLED = env.get("RATELIMIT_ENABLED", "true").lower() != "false"
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI",
                                             self.REDIS_URL or "memory://")
        self.RATELIMIT_KEY_PREFIX = env.get("RATELIMIT_KEY_PREFIX", "open311")
        self.RATELIMIT_POST_PER_ADDRESS = env.get("RATELIMIT_POST_PER_ADDRESS", "60/minute")
        self.RATELIMIT_POST_PER_KEY = env.get("RATELIMIT_POST_PER_KEY", "1000/hour")
        self.RATELIMIT_EXPORTS_PER_ADDRESS = env.get("RATELIMIT_EXPORTS_PER_ADDRESS",
                                                     "30/minute")
        # Reverse proxies in front of the app (nginx, a load balancer), each appending the
        # address it received from to X-Forwarded-For and setting X-Forwarded-Proto: per-client
        # limits count the address the nearest of them saw (app/web_addresses.py). 0 (no proxy)
        # reads neither header, since a client could write them itself.
        self.PROXY_COUNT = int(env.get("PROXY_COUNT", "0"))
        # Abuse limits per UTC day (app/usage_limits.py; counters in PostgreSQL, shared by
        # every worker and host; 0 switches one off). Listed in docs/reliability.md.
        self.SUBSCRIPTIONS_PER_CLIENT_PER_DAY = int(
            env.get("SUBSCRIPTIONS_PER_CLIENT_PER_DAY", "20"))
        self.SUBSCRIPTION_EMAILS_PER_RECIPIENT_PER_DAY = int(
            env.get("SUBSCRIPTION_EMAILS_PER_RECIPIENT_PER_DAY", "5"))
        self.VOTES_PER_CLIENT_PER_REQUEST_PER_DAY = int(
            env.get("VOTES_PER_CLIENT_PER_REQUEST_PER_DAY", "5"))
        # Deepest nesting of arrays and objects a JSON body may have (app/input_guard.py).
        self.MAX_JSON_DEPTH = int(env.get("MAX_JSON_DEPTH", "20"))
        # Public API: seconds browsers and proxies may reuse a GET; statistics rows with fewer
        # judged requests than this are flagged low_sample.
        self.PUBLIC_CACHE_MAX_AGE = int(env.get("PUBLIC_CACHE_MAX_AGE", "60"))
        self.STATS_MIN_SAMPLE = int(env.get("STATS_MIN_SAMPLE", "30"))
        # Web pages: a MapLibre style URL for the base map ("" draws the city's own boundary
        # and districts, so the pages need no outside host), and where the data dictionary is.
        self.BASEMAP_STYLE_URL = env.get("BASEMAP_STYLE_URL", "")
        self.DATA_DICTIONARY_URL = env.get("DATA_DICTIONARY_URL", "")
        # Open311 discovery document
        self.OPEN311_CONTACT = env.get("OPEN311_CONTACT", "311 service desk")
        self.OPEN311_KEY_SERVICE = env.get("OPEN311_KEY_SERVICE", "Ask the city's 311 office")
        self.OPEN311_ENDPOINT_TYPE = env.get("OPEN311_ENDPOINT_TYPE", "production")

        # flask-smorest / OpenAPI
        self.API_TITLE = "Open311 server"
        self.API_VERSION = "1.0.0"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.OPENAPI_SWAGGER_UI_PATH = None
        self.JSON_SORT_KEYS = False


def build_config(overrides: dict | None) -> dict:
    """Merge environment settings with explicit overrides (tests pass these)."""
    from app.replicas import engine_options

    config = {k: v for k, v in vars(Config()).items() if k.isupper()}
    if overrides:
        config.update(overrides)
    config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(config["SQLALCHEMY_DATABASE_URI"])
    config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(config)
    return config
