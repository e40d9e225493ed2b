"""Configuration read from the environment, so one image serves every city."""

import os
from pathlib import Path

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/open311"


class Config:
    """Settings for a deployment; every value can be overridden by an environment variable."""

    def __init__(self) -> None:
        env = os.environ
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL", DEFAULT_DATABASE_URL)
        # hide_parameters: a logged database error must not carry the values (personal data).
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
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
        self.SMTP_URL = env.get("SMTP_URL", "smtp://127.0.0.1:25")
        self.MAIL_FROM = env.get("MAIL_FROM", "311@localhost")
        self.REDIS_URL = env.get("REDIS_URL", "")
        self.SECRET_KEY = env.get("SECRET_KEY", "dev-only-not-secret")
        # Rate limits (app/ratelimits.py): flask-limiter strings, "" switches one off. Counters
        # go to Redis when REDIS_URL is set, so that every worker and host shares them.
        self.RATELIMIT_ENABLED = env.get("RATELIMIT_ENABLED", "true").lower() != "false"
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI",
                                             self.REDIS_URL or "memory://")
        self.RATELIMIT_KEY_PREFIX = env.get("RATELIMIT_KEY_PREFIX", "open311")
        self.RATELIMIT_POST_PER_ADDRESS = env.get("RATELIMIT_POST_PER_ADDRESS", "60/minute")
        self.RATELIMIT_POST_PER_KEY = env.get("RATELIMIT_POST_PER_KEY", "1000/hour")
        self.RATELIMIT_EXPORTS_PER_ADDRESS = env.get("RATELIMIT_EXPORTS_PER_ADDRESS",
                                                     "30/minute")
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
    config = {k: v for k, v in vars(Config()).items() if k.isupper()}
    if overrides:
        config.update(overrides)
    return config
