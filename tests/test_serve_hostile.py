"""`fazhi serve` against hostile clients: the server's own answers, slow clients, many clients.

Waitress answers a malformed request, headers too large or a body too large
itself, before the app: those pages were several lines of text without the
security headers. And beyond 100 connections per worker that send their
headers slowly (slowloris) no one else was served. Now every answer carries
the headers and is one line, a request must arrive within
``--client-timeout`` (else 408), and a worker holds ``--connection-limit``
(1,000) connections.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import urllib.request

import pytest
from test_serve import free_port, serve, wait_for

from webui import SECURITY_HEADERS

from devtools.slowloris import SlowClients
from helpers import ROOT


@pytest.fixture
def server(seed_index):
    """`fazhi serve` on a free port with a client timeout of 2 s; yields the port."""
    port = free_port()
    proc = serve(seed_index, port, "--client-timeout", "2")
    try:
        wait_for("the server", lambda: answer(port, b"GET /api/reports HTTP/1.0\r\n\r\n"))
        yield port
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def answer(port: int, raw: bytes, timeout: float = 60.0) -> tuple[str, dict, bytes] | None:
    """Send ``raw``; the status line, headers and body the server answers (None: no server)."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except ConnectionRefusedError:
        return None
    data = b""
    with sock:
        # sent while the answer is read: the server may answer (and close) before all of it
        sender = threading.Thread(target=_send, args=(sock, raw))
        sender.start()
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass  # the server closed with some of a too-large request unread
        sender.join()
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    return status, dict(line.split(": ", 1) for line in lines), body


def _send(sock: socket.socket, raw: bytes) -> None:
    try:
        sock.sendall(raw)
    except OSError:
        pass


@pytest.mark.parametrize(
    ("raw", "status", "body"),
    [
        (b"GARBAGE\r\n\r\n", "400 Bad Request", b"400 Bad Request: Start line is invalid\n"),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n",
            "431 Request Header Fields Too Large",
            b"431 Request Header Fields Too Large: exceeds max_header of 262144\n",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n",
            "413 Request Entity Too Large",
            b"413 Request Entity Too Large: exceeds max_body of 1048576\n",
        ),
    ],
    ids=["bad-request-line", "headers-too-large", "body-too-large"],
)
def test_the_servers_own_answers_are_one_line_with_the_security_headers(server, raw, status, body):
    got_status, headers, got_body = answer(server, raw)
    assert got_status.split(" ", 1)[1] == status
    assert got_body == body
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value


def test_a_request_that_does_not_arrive_in_time_is_answered_408(server):
    status, headers, body = answer(server, b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n")
    assert status == "HTTP/1.1 408 Request Timeout"
    assert body == b"408 Request Timeout: the request did not arrive in time\n"
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value


def test_others_are_served_while_300_slow_connections_are_open(server):
    slow = SlowClients("127.0.0.1", server, 300, interval=0.5).start()
    try:
        wait_for("300 slow connections", lambda: slow.samples and slow.samples[-1] == 300)
        wait_for("the server to time one out", lambda: slow.timed_out > 0)
        for _ in range(20):
            with urllib.request.urlopen(
                f"http://127.0.0.1:{server}/api/search?q=%E4%BE%9D%E6%B3%95", timeout=60
            ) as resp:
                assert resp.status == 200 and json.load(resp)["total"]["reports"] == 5
    finally:
        slow.stop()
    assert slow.refused == 0 and slow.result()["open"]["min"] >= 290


@pytest.mark.slow
def test_the_load_test_keeps_slow_connections_open_and_serves_the_rest(seed_index, tmp_path):
    out = tmp_path / "load.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "loadtest.py"), str(seed_index),
         "--requests", "100", "--concurrency", "4", "--rate", "25", "--no-reindex",
         "--slow-clients", "300", "--slow-interval", "1", "--serve-arg=--client-timeout=2",
         "--max-seconds", "120", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["requests"] == 100 and result["unexpected"] == []
    assert "5xx" not in result["status"] and "no answer" not in result["status"]
    slow = result["slow_clients"]
    assert slow["clients"] == 300 and slow["timed_out"] > 0 and slow["refused"] == 0
    assert "slow connections: 300 (a header line every 1s), open min/median/max " in proc.stdout
