"""Slow clients cannot stop the server: under the production command (gunicorn with
gunicorn.conf.py), an ordinary GET is answered while 50 clients hold connections with
half-sent headers (slowloris)."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.mail_servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SLOW_CLIENTS = 50
# Not a speed figure: an answer this late means the server was stuck behind the slow clients.
ANSWER_WITHIN_SECONDS = 2


@pytest.fixture
def production_server(database_url):
    """`gunicorn 'app:create_app()'` as documented, on a free port, against the test
    database."""
    port = free_port()
    env = os.environ | {"BIND": f"127.0.0.1:{port}", "DATABASE_URL": database_url,
                        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # The command is fixed here, nothing comes from input.
    process = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "app:create_app()"],  # noqa: S603
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/open311/v2/discovery.json"
    try:
        for _ in range(150):  # up to 15 s for the workers to boot
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start")
        yield port
    finally:
        # The server and its workers only: the session started for them above.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def test_an_ordinary_get_is_answered_while_50_clients_send_headers_slowly(production_server):
    port = production_server
    slow = []
    try:
        for _ in range(SLOW_CLIENTS):
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
            connection.sendall(b"GET /open311/v2/discovery.json HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            slow.append(connection)
        time.sleep(0.5)  # let the server take every slow connection up
        url = f"http://127.0.0.1:{port}/open311/v2/discovery.json"
        for _ in range(5):
            with urllib.request.urlopen(url, timeout=ANSWER_WITHIN_SECONDS) as response:
                assert response.status == 200
    finally:
        for connection in slow:
            connection.close()
