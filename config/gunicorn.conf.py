"""Gunicorn for a deployment (docs/adr/0003-serving.md): ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Threads inside a few processes: a request waits on PostgreSQL most of its time (docs/bench.md), so threads keep a
core busy while others wait, and each process holds one database connection per thread. Everything here can be
set from the environment, as the rest of the settings.
"""

import multiprocessing
import os

bind = os.environ.get("LINLI_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("LINLI_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = "gthread"
threads = int(os.environ.get("LINLI_THREADS", 4))
# A page that takes longer is a bug to find, not a wait to allow; exports stream, imports run in the worker.
timeout = int(os.environ.get("LINLI_TIMEOUT", 30))
graceful_timeout = 30
# Recycle processes now and then, so that a slow leak in any library never grows without bound.
max_requests = 20000
max_requests_jitter = 2000
accesslog = "-"
errorlog = "-"
# Behind a reverse proxy that terminates TLS: trust its X-Forwarded-* headers only from the proxy's address.
forwarded_allow_ips = os.environ.get("LINLI_PROXY_IPS", "127.0.0.1")
