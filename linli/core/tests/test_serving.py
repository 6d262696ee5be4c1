"""A deployment's web server (docs/adr/0003-serving.md): gunicorn with the project's configuration boots the WSGI
application and serves a page and a static asset — a real process on a real port, not a test client."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, deadline: float) -> tuple[int, bytes]:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 — our own local server
                return response.status, response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_gunicorn_serves_linli_with_the_projects_configuration(tmp_path):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}", "LINLI_BIND": f"127.0.0.1:{port}",
           "LINLI_WORKERS": "1", "LINLI_THREADS": "2"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen([str(gunicorn), "-c", "config/gunicorn.conf.py", "config.wsgi"], cwd=ROOT, env=env,  # noqa: S603
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        status, body = _get(f"http://127.0.0.1:{port}/accounts/login/", deadline)
        assert status == 200 and b"csrfmiddlewaretoken" in body and b'lang="zh-hans"' in body
        status, body = _get(f"http://127.0.0.1:{port}/static/vendor/htmx.org/dist/htmx.min.js", deadline)
        assert status == 200 and b"htmx" in body  # served by WhiteNoise from the same process, no CDN
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert "Booting worker" in output and "Traceback" not in output
