"""gunicorn settings for production: `gunicorn 'app:create_app()'` reads this file."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
timeout = 60
# Exports stream for minutes; workers must not be killed for it.
graceful_timeout = 30
accesslog = "-"
# The path only (%(U)s), never the query string: some Open311 clients send their api_key in
# the URL, and filters can carry personal search terms.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def when_ready(server) -> None:
    """Say so when rate-limit counters would stay in each worker's memory: every worker (and
    every host) would then count alone, and allow N times the limit."""
    limited = os.environ.get("RATELIMIT_ENABLED", "true").lower() != "false"
    storage = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL")
    if limited and (not storage or storage.startswith("memory://")):
        server.log.warning("rate-limit counters are in process memory: set REDIS_URL "
                           "(docs/operations.md)")
