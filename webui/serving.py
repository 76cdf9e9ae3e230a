"""``fazhi serve``: waitress in one process, or in several that share one socket.

One Python process runs one request's Python code at a time, so on a machine
with several cores a single server process leaves all but one idle while
requests queue. With ``workers > 1`` the parent binds the socket, loads the
word segmenter (so that workers start without loading it again), and forks
that many worker processes, each with its own app and index view; the
kernel hands each connection to one of them. The index's large arrays are
memory-mapped files (:mod:`indexer.index.segfile`), so the workers share their
pages. The parent only supervises: a worker that dies is replaced (unless
workers keep dying, then it stops), SIGTERM or Ctrl+C stops them all. Each
process serves with :mod:`.httpserver` (a connection limit, a deadline for
slow clients, the security headers on the server's own answers). Its
request threads share two malloc arenas (:func:`indexer.procs.limit_malloc_arenas`),
so that each thread does not keep the memory of the largest request it served,
and what requests freed goes back to the system now and then
(:func:`indexer.procs.release_now_and_then`, after a request).
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from indexer.procs import limit_malloc_arenas, release_now_and_then

from . import httpserver

#: a worker that dies is replaced, unless this many died within ``RESTART_WINDOW`` seconds
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0


class ServeError(RuntimeError):
    """The server cannot start or cannot keep its workers alive."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; ServeError naming the address if it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from exc
    sock.set_inheritable(True)
    return sock


class _Stopped(Exception):
    """SIGTERM or SIGINT reached the supervisor."""


@dataclass(frozen=True)
class Options:
    """How each server process serves (see :mod:`.httpserver`)."""

    threads: int = 8
    #: the app's config beyond INDEX_DIR (BASE_URL)
    config: dict = field(default_factory=dict)
    connection_limit: int = httpserver.CONNECTION_LIMIT
    client_timeout: float = httpserver.CLIENT_TIMEOUT


def _run_app(index_dir: Path, sock: socket.socket, options: Options, ready=None) -> None:
    import logging

    from . import create_app
    from .ext import prepare_analytics, warm_up

    app = create_app({"INDEX_DIR": str(index_dir), **options.config})
    app.teardown_request(lambda _exc: release_now_and_then())
    warm_up(app)
    prepare_analytics(app)
    server = httpserver.make_server(
        app,
        sock,
        threads=options.threads,
        connection_limit=options.connection_limit,
        client_timeout=options.client_timeout,
    )
    if ready is not None:
        ready()
    logging.basicConfig()  # waitress logs its warnings (connection limit reached) to stderr
    server.run()


def serve(
    index_dir: Path,
    host: str,
    port: int,
    *,
    workers: int,
    echo: Callable[[str], None],
    options: Options | None = None,
) -> None:
    """Serve until stopped; returns after SIGTERM/Ctrl+C, raises ServeError on failure."""
    options = options or Options()
    limit_malloc_arenas()  # before any thread starts; workers inherit it
    sock = bind(host, port)
    where = f"http://{host}:{port}/"
    if workers <= 1:
        try:
            _run_app(
                index_dir, sock, options,
                lambda: echo(f"fazhi: serving {index_dir} at {where}  (Ctrl+C to stop)"),
            )  # fmt: skip
        finally:
            sock.close()
        return
    from indexer.text import segment

    segment("依法行政")  # load jieba's dictionary once, before forking
    echo(f"fazhi: serving {index_dir} at {where} with {workers} worker processes  (Ctrl+C to stop)")
    _Supervisor(index_dir, sock, options, workers, echo).run()


class _Supervisor:
    def __init__(self, index_dir, sock, options, workers, echo) -> None:
        self.index_dir, self.sock, self.options, self.workers = index_dir, sock, options, workers
        self.echo = echo
        self.children: set[int] = set()
        self.deaths: deque[float] = deque()

    def _fork(self) -> None:
        parent = os.getpid()
        pid = os.fork()
        if pid:
            self.children.add(pid)
            return
        code = 0
        try:
            from indexer.procs import die_with

            die_with(parent)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            _run_app(self.index_dir, self.sock, self.options)
        except KeyboardInterrupt:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported, then the parent decides
            self.echo(f"fazhi: worker {os.getpid()} failed: {type(exc).__name__}: {exc}")
            code = 1
        finally:
            os._exit(code)

    def _stop(self, signum, _frame) -> None:
        raise _Stopped  # interrupts waitpid (which a handler that returns would not)

    def run(self) -> None:
        old = {s: signal.signal(s, self._stop) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            for _ in range(self.workers):
                self._fork()
            while True:
                try:
                    pid, status = os.waitpid(-1, 0)
                except ChildProcessError:
                    break
                self.children.discard(pid)
                self._replace(pid, status)
        except _Stopped:
            pass
        finally:
            for s, handler in old.items():
                signal.signal(s, handler)
            self._terminate()
            self.sock.close()

    def _replace(self, pid: int, status: int) -> None:
        how = (
            f"signal {os.WTERMSIG(status)}"
            if os.WIFSIGNALED(status)
            else f"exit status {os.waitstatus_to_exitcode(status)}"
        )
        now = time.monotonic()
        self.deaths.append(now)
        while self.deaths and now - self.deaths[0] > RESTART_WINDOW:
            self.deaths.popleft()
        if len(self.deaths) > MAX_RESTARTS:
            raise ServeError(
                f"worker processes keep dying ({len(self.deaths)} within "
                f"{RESTART_WINDOW:g}s, the last {pid} by {how}); stopping"
            )
        self.echo(f"fazhi: worker {pid} ended ({how}); starting another")
        self._fork()

    def _terminate(self) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                self.children.discard(pid)
        deadline = time.monotonic() + 10
        while self.children and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                self.children.discard(pid)
            else:
                time.sleep(0.05)
        for pid in self.children:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        self.children.clear()
