"""gunicorn settings for production: `gunicorn 'app:create_app()'` reads this file."""

import ctypes
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
# Threads, not one request per process: a client that sends its headers slowly holds a thread
# while they trickle in, and with sync workers a handful of such clients (slowloris) stopped
# the server. workers x threads connections may be slow at once before ordinary requests
# wait; in front of the internet, a buffering proxy (nginx) is still the full answer
# (docs/reliability.md). Database connections are pooled per process and taken only by
# requests that reach a view, so threads do not multiply them.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
# A worker takes no more connections than it has threads: one whose threads are all held by
# slow clients stops accepting and leaves new connections to the other workers (with the
# default of 1000 it kept accepting and queued ordinary requests behind the slow ones).
worker_connections = threads
timeout = 60
# Exports stream for minutes; workers must not be killed for it.
graceful_timeout = 30
# No keep-alive: a kept-alive idle connection would hold one of those places (a proxy in
# front keeps its own connections to clients).
keepalive = 0
accesslog = "-"
# The app is imported once, before the workers fork: they boot in a fraction of the time and
# share its memory. create_app opens no database connection, so none is shared across forks.
preload_app = True
# The path only (%(U)s), never the query string: some Open311 clients send their api_key in
# the URL, and filters can carry personal search terms.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


# glibc's malloc gives each allocation above a threshold its own fresh mapping and returns it
# to the system when freed; the threshold adapts, but not for a worker whose large buffers
# come and go with each request. A 1000-request Open311 list is several such buffers of
# ~600 kB (the text psycopg receives and decodes, the body, its copy for gunicorn), and their
# page faults took a third of a worker's CPU on that page (make bench, issue 12). Fixed
# thresholds keep buffers up to MMAP_THRESHOLD in the heap, and keep up to TRIM_THRESHOLD
# of freed heap for the next request rather than handing it back.
MMAP_THRESHOLD = 4 * 1024 * 1024
TRIM_THRESHOLD = 32 * 1024 * 1024
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # <malloc.h>


def keep_large_buffers_in_the_heap() -> bool:
    """Set glibc's malloc thresholds in this process (the master, before the workers fork and
    inherit them); False where the C library has no mallopt (musl)."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


keep_large_buffers_in_the_heap()


def when_ready(server) -> None:
    """Say so when rate-limit counters would stay in each worker's memory: every worker (and
    every host) would then count alone, and allow N times the limit."""
    limited = os.environ.get("RATELIMIT_ENABLED", "true").lower() != "false"
    storage = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL")
    if limited and (not storage or storage.startswith("memory://")):
        server.log.warning("rate-limit counters are in process memory: set REDIS_URL "
                           "(docs/operations.md)")
