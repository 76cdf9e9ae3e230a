"""The HTTP server under the app: waitress, with slow clients bounded and its own answers headed.

Waitress answers some requests itself, before the app sees them: a request
line or header it cannot parse (400), headers too large (431), a body too
large (413), an error of the app (500). Its pages were several lines of text
without the app's security headers; :class:`ErrorTask` makes each one line
of text with :data:`~webui.errors.SECURITY_HEADERS`.

Slow clients: waitress closes a connection only after ``channel_timeout``
seconds without a byte, so a client that sends a header byte every few
seconds (slowloris) keeps its connection, and its place among the
``connection_limit`` (100 by default), as long as it likes; with 100 such
connections per worker no one else was served. Here:

* every request must arrive whole — request line, headers and body — within
  ``client_timeout`` seconds of its first byte, else it is answered 408 and
  the connection closed; an idle connection is closed after the same time;
* a worker holds up to ``connection_limit`` connections (1,000 by default),
  watched with ``poll()`` (``select()`` stops at 1,024 descriptors), and the
  open-files limit is raised to match where the system allows;
* a request body may not exceed :data:`MAX_BODY` (the app takes GET only).

So slow clients hold at most ``client_timeout`` seconds of a place each, and
it takes ``connection_limit`` of them at once to keep others waiting.
"""

from __future__ import annotations

import math
import resource
import socket
import time

from waitress.adjustments import Adjustments
from waitress.channel import ClientDisconnected, HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask as _WaitressErrorTask
from waitress.task import ThreadedTaskDispatcher

from indexer import names

from .errors import SECURITY_HEADERS

#: connections one server process holds at most
CONNECTION_LIMIT = 1000
#: seconds a request may take to arrive, and a connection may stay idle
CLIENT_TIMEOUT = 10.0
#: bytes a request body may hold (the app answers GET only)
MAX_BODY = 1024 * 1024


#: the headers of the server's own answers (one line of text)
HEADERS = [("Content-Type", "text/plain; charset=utf-8"), *SECURITY_HEADERS.items()]


class ErrorTask(_WaitressErrorTask):
    """Waitress's own error answers as one line of text, with the security headers."""

    def execute(self) -> None:
        error = self.request.error
        detail = names.one_line(" ".join(str(error.body).split()))[:300]
        body = f"{error.code} {error.reason}: {detail}\n".encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend(HEADERS)
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class Channel(HTTPChannel):
    """A connection that remembers when the request it is reading began."""

    error_task_class = ErrorTask
    #: time.monotonic() when the first byte of the request being read arrived
    request_began: float | None = None

    def received(self, data) -> bool:
        now = time.monotonic()
        reading = self.request is not None
        result = super().received(data)
        if self.request is None:
            self.request_began = None
        elif not reading or self.request_began is None:
            self.request_began = now  # a new request began in this data
        return result

    def time_out(self) -> None:
        """Answer 408 and close: the request did not arrive in time."""
        body = b"408 Request Timeout: the request did not arrive in time\n"
        head = "".join(
            f"{k}: {v}\r\n"
            for k, v in [("Connection", "close"), ("Content-Length", str(len(body))), *HEADERS]
        )
        self.request = None
        self.request_began = None
        try:
            self.write_soon(b"HTTP/1.1 408 Request Timeout\r\n" + head.encode() + b"\r\n" + body)
            self.close_when_flushed = True
        except ClientDisconnected:
            self.will_close = True


class Server(TcpWSGIServer):
    """Waitress's TCP server with :class:`Channel` and the request deadline."""

    channel_class = Channel
    client_timeout = CLIENT_TIMEOUT

    def maintenance(self, now: float) -> None:
        """Answer 408 to requests that began ``client_timeout`` ago and are still arriving;
        close connections idle that long (waitress's own rule, ``channel_timeout``)."""
        idle = now - self.adj.channel_timeout
        late = time.monotonic() - self.client_timeout
        for channel in list(self.active_channels.values()):
            if channel.requests or channel.will_close or channel.close_when_flushed:
                continue
            began = getattr(channel, "request_began", None)
            if began is not None:
                if began < late:
                    channel.time_out()
            elif channel.last_activity < idle:
                channel.will_close = True


def raise_open_files(limit: int) -> int:
    """Raise this process's open-files limit to ``limit`` plus a margin, as far as the hard
    limit allows; the connections it can hold."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = limit + 128
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
        except (ValueError, OSError):
            pass
    return limit if soft == resource.RLIM_INFINITY else min(limit, max(soft - 128, 16))


def make_server(
    app,
    sock: socket.socket,
    *,
    threads: int,
    connection_limit: int = CONNECTION_LIMIT,
    client_timeout: float = CLIENT_TIMEOUT,
) -> Server:
    """A server for ``app`` on the listening socket ``sock``; ``server.run()`` serves."""
    adj = Adjustments(
        sockets=[sock],
        threads=threads,
        ident="fazhi",
        connection_limit=raise_open_files(connection_limit),
        channel_timeout=max(1, math.ceil(client_timeout)),
        cleanup_interval=1,
        asyncore_use_poll=True,
        max_request_body_size=MAX_BODY,
    )
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(threads)
    server = Server(
        app,
        {},
        True,
        sock,
        dispatcher=dispatcher,
        adj=adj,
        bind_socket=False,
        sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()),
    )
    server.client_timeout = client_timeout
    return server
