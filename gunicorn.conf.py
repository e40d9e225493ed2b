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
