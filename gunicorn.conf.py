"""Production settings for gunicorn (read automatically from the working directory).

Threads in a few processes: pages spend much of their time waiting on PostgreSQL, and a
process per core keeps the GIL from serialising the rest. Keep-alive outlasts a person's pause
between pages, so a browser (or the proxy in front) never reuses a connection the server has
just closed — a reset connection is an error the applicant sees.
Every value can be overridden on the command line or with GUNICORN_* environment variables
below.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 75))
timeout = 60  # an upload of the largest allowed file on a slow link, not a long job
graceful_timeout = 30
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = 5000
max_requests_jitter = 500
