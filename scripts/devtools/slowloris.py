"""Slow clients for the load test: connections that send a request one header at a time.

Each of ``n`` connections sends a request line, then one more header line
every ``interval`` seconds and never ends its headers (the "slowloris"
attack): a server that waits for each request as long as bytes keep coming
gives each its place among its connections for good. When the server answers
(``408 Request Timeout``) or closes the connection, it is opened again at
once, so about ``n`` slow connections stay open for the whole run.
:meth:`SlowClients.result` says how many were open (sampled every second),
how many the server timed out or closed, and how many could not connect.

Only loopback is used.
"""

from __future__ import annotations

import socket
import threading
import time
from statistics import median


class SlowClients:
    """``n`` slow connections to ``host:port``, kept open from :meth:`start` to :meth:`stop`."""

    def __init__(self, host: str, port: int, n: int, interval: float = 2.0) -> None:
        self.host, self.port, self.n, self.interval = host, port, n, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.opened = self.timed_out = self.closed = self.refused = 0
        self.samples: list[int] = []

    def start(self) -> SlowClients:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _connect(self, i: int) -> socket.socket | None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=2)
            sock.sendall(f"GET /?q=slow{i} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n".encode())
        except OSError:
            self.refused += 1
            return None
        sock.setblocking(False)
        self.opened += 1
        return sock

    def _alive(self, sock: socket.socket, line: int) -> bool:
        """Send one more header line; False when the server answered or closed."""
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            data = None
        except OSError:
            data = b""
        if data is not None:
            if data.startswith(b"HTTP/1.1 408"):
                self.timed_out += 1
            else:
                self.closed += 1
            return False
        try:
            sock.send(f"X-Slow-{line}: 1\r\n".encode())
        except OSError:
            self.closed += 1
            return False
        return True

    def _run(self) -> None:
        socks: list[socket.socket | None] = [self._connect(i) for i in range(self.n)]
        lines = [0] * self.n
        next_sample = time.monotonic()
        step = self.interval / max(self.n, 1)
        i = 0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_sample:
                self.samples.append(sum(s is not None for s in socks))
                next_sample = now + 1.0
            sock = socks[i]
            lines[i] += 1
            if sock is None or not self._alive(sock, lines[i]):
                if sock is not None:
                    sock.close()
                socks[i] = self._connect(i)
            i = (i + 1) % self.n
            self._stop.wait(step)  # each connection sends a line every ``interval`` seconds
        for sock in socks:
            if sock is not None:
                sock.close()

    def result(self) -> dict:
        s = self.samples or [0]
        return {
            "clients": self.n,
            "interval": self.interval,
            "open": {"min": min(s), "median": median(s), "max": max(s)},
            "connections": self.opened,
            "timed_out": self.timed_out,
            "closed": self.closed,
            "refused": self.refused,
        }
