"""Over HTTP: ``fazhi serve`` on a free loopback port and searches timed through its JSON API.

Also the server's memory after the searches, which start once the server's
start-up builds (practice catalogue, sentence index) are done.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from .children import child_env, fazhi_command, process_memory_mb
from .engines import PER_PAGE
from .measure import latency, timed
from .queries import Query

HTTP_TIMEOUT = 60.0
SERVER_START_TIMEOUT = 120.0
#: how long the first requests may wait for the server's start-up builds (at
#: 100,000 reports they take minutes on two cores)
READY_TIMEOUT = 1800.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = HTTP_TIMEOUT) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def search_url(base: str, q: Query, per_page: int = PER_PAGE) -> str:
    params = [("q", q.text), ("per_page", str(per_page))]
    params += [(k, v) for k, values in q.filters.items() for v in values]
    return f"{base}/api/search?{urllib.parse.urlencode(params)}"


@contextlib.contextmanager
def serving(index_dir: Path) -> Iterator[tuple[str, float, int]]:
    """``fazhi serve`` on a free loopback port: yields (base URL, ms to the first answer, pid)."""
    port = free_port()
    cmd = [
        *fazhi_command(),
        "serve",
        "--index",
        str(index_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env=child_env())
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.perf_counter()
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"fazhi serve exited: {log.read().decode()[-500:]}")
            with contextlib.suppress(OSError):
                status, _ = http_get(search_url(base, Query("法", ""), per_page=1))
                if status == 200:
                    break
            if time.perf_counter() - t0 > SERVER_START_TIMEOUT:
                raise RuntimeError("fazhi serve did not answer in time")
            time.sleep(0.2)
        yield base, (time.perf_counter() - t0) * 1000, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def time_http(base: str, queries: list[Query], max_requests: int) -> tuple[list[float], int]:
    """Latencies of at most ``max_requests`` searches over HTTP, and the count of non-200s."""
    latencies, errors = [], 0
    for q in queries[:max_requests]:
        (status, _), ms = timed(lambda q=q: http_get(search_url(base, q)))
        latencies.append(ms)
        errors += status != 200
    return latencies, errors


def wait_for_analytics(base: str) -> float:
    """Milliseconds until the server's start-up builds (practice catalogue, sentence
    index) are done: the requests that need them wait for them."""
    t0 = time.perf_counter()
    http_get(f"{base}/practices", READY_TIMEOUT)
    status, body = http_get(f"{base}/api/reports", READY_TIMEOUT)
    reports = json.loads(body) if status == 200 else []
    if reports:
        rid = urllib.parse.quote(reports[0]["id"])
        http_get(f"{base}/api/reports/{rid}/precedents", READY_TIMEOUT)
    return (time.perf_counter() - t0) * 1000


def http_results(index_dir: Path, queries: list[Query], max_requests: int) -> dict:
    try:
        with serving(index_dir) as (base, first_ms, pid):
            ready_ms = wait_for_analytics(base)  # searches are timed on a settled server
            latencies, errors = time_http(base, queries, max_requests)
            memory = process_memory_mb(pid)
    except (RuntimeError, OSError) as exc:
        return {"skipped": f"server unavailable: {exc}"}
    return {
        **latency(latencies),
        "non_200": errors,
        "first_answer_ms": round(first_ms, 1),
        "analytics_ready_ms": round(ready_ms, 1),
        "server_memory_mb": memory,
    }
