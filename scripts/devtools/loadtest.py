"""Bounded load test of ``fazhi serve`` on loopback, while the index is being re-indexed.

Usage::

    .venv/bin/python scripts/loadtest.py INDEX_DIR [--requests 5000] [--concurrency 8]
        [--max-seconds 600] [--threads 8] [--workers 1] [--rate R] [--seed 1]
        [--no-reindex] [--slow-clients N] [--slow-interval S] [--serve-arg=ARG] [--json OUT]

It copies INDEX_DIR to a temporary directory (the given index is never
written), starts ``fazhi serve`` on a free port of 127.0.0.1 over the copy,
and sends ``--requests`` requests from ``--concurrency`` threads (one
keep-alive ``http.client`` connection each) — a seeded mix of exact and
words searches with filters and pages, search pages with facets, report
pages and the precedent lists their readers open, JSON API calls and
deliberately bad queries. Meanwhile, unless
``--no-reindex``, a loop runs ``fazhi index`` on the copy, adding a few
reports and then removing them again (``--prune``), commit after commit.

By default each client sends its next request as soon as the previous one is
answered (a closed loop: the server is never idle, and latency is mostly
time spent waiting behind the other clients). With ``--rate R`` requests are
due at random times, R per second on average (Poisson arrivals), and each
request's latency counts from when it was due, including any wait for a free
client: the latency users see at that load.

With ``--slow-clients N``, N connections (:mod:`devtools.slowloris`) send their
requests one header line every ``--slow-interval`` seconds and never finish,
opened again whenever the server answers 408 or closes one, for the whole
run: the other requests must still be answered.

Measuring starts once the server has answered a first search, search page
and report page and has then been idle for a second (each worker builds
the practice catalogue and the sentence index when it starts). It stops by
itself after the last request or ``--max-seconds``, whichever comes first,
stops the server and the indexer, and removes the copy. It prints the
counts by status class, latency percentiles (overall and per kind of
request), the number of commits the server went through, the memory of the
server's processes (proportional set size, summed over its workers) at the
start, its peak and at the end, and the processor time that the server, the
re-index runs and the clients used while the requests ran. Exit status 1 if
any request got a 5xx (or no answer), a good request got a 4xx, or a run of
``fazhi index`` failed; the server's log from its first error on is printed.

Only loopback is used: nothing listens on or talks to another address.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import ROOT
from .procstats import server_cpu, server_kib, used
from .slowloris import SlowClients

HOST = "127.0.0.1"
FAZHI = [
    sys.executable,
    "-c",
    "import sys; from indexer.cli import main; sys.exit(main(sys.argv[1:]))",
]
#: phrases found in township reports, common and rare, long and short
PHRASES = [
    "依法行政",
    "法治政府",
    "行政执法",
    "一支队伍管执法",
    "谁执法谁普法",
    "枫桥经验",
    "合法性审查",
    "法律顾问",
    "矛盾纠纷",
    "行政复议",
    "公共法律服务",
    "法治宣传",
    "党政主要负责人",
    "第一责任人",
    "镇",
    "法",
    "执法",
    "普法",
    "调解",
    "信访",
    "重大行政决策",
    "权力清单",
    "双随机、一公开",
    "放管服",
    "营商环境",
    "八五普法",
]
#: requests that must be refused with 400 (or 404), never 5xx
BAD = [
    ("bad query", "/api/search?q=%28依法"),
    ("bad query", "/api/search?q=" + urllib.parse.quote("法" * 600)),
    ("bad query", "/api/search?q=" + urllib.parse.quote("(" * 20 + "依法")),
    ("bad query", "/api/search?q=" + urllib.parse.quote(" ".join(["依法"] * 40))),
    ("bad query", "/api/search?q=依法&per_page=1000"),
    ("bad query", "/api/search?q=依法&page=abc"),
    ("bad query", "/api/search?q=依法&colour=red"),
    ("bad query", "/?q=" + urllib.parse.quote('"未闭合')),
    ("bad query", "/api/reports/no-such-report"),
    ("bad query", "/report/no-such-report"),
]


@dataclass
class Stats:
    by_class: Counter = field(default_factory=Counter)
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, status: int, ms: float, path: str, good: bool) -> None:
        cls = f"{status // 100}xx" if status else "no answer"
        with self.lock:
            self.by_class[cls] += 1
            self.latency[kind].append(ms)
            if (
                status >= 500
                or not status
                or (good and status >= 400)
                or (not good and status < 400)
            ):
                if len(self.unexpected) < 50:
                    self.unexpected.append(f"{status} {kind} {path[:160]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def get(conn_box: list, port: int, path: str, timeout: float) -> int:
    """GET ``path`` on a kept-alive connection (reconnecting once); the status or 0."""
    path = urllib.parse.quote(path, safe="/?&=%+")
    for attempt in range(2):
        if conn_box[0] is None:
            conn_box[0] = http.client.HTTPConnection(HOST, port, timeout=timeout)
        conn = conn_box[0]
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn_box[0] = None
            return resp.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn_box[0] = None
            if attempt:
                return 0
    return 0


def request_mix(rng: random.Random, reports: list[dict], n: int) -> list[tuple[str, str, bool]]:
    """``n`` requests (kind, path, expected to succeed), seeded."""
    towns = sorted({r["township"] for r in reports if r.get("township")})
    years = sorted({r["year"] for r in reports if r.get("year")})
    ids = [r["id"] for r in reports]
    sections = ["measures", "shortcomings", "leadership", "plans"]
    out = []
    for _ in range(n):
        q = rng.choice(PHRASES)
        r = rng.random()
        if r < 0.25:
            params = {"q": q}
            if rng.random() < 0.3:
                params["mode"] = "words"
            if rng.random() < 0.3 and years:
                params["year"] = str(rng.choice(years))
            if rng.random() < 0.2:
                params["section"] = rng.choice(sections)
            if rng.random() < 0.2:
                params["page"] = str(rng.randint(2, 4))
            out.append(("api search", "/api/search?" + urllib.parse.urlencode(params), True))
        elif r < 0.50:
            params = {"q": q}
            if rng.random() < 0.4 and towns:
                params["township"] = rng.choice(towns)
            if rng.random() < 0.3 and years:
                params["year"] = str(rng.choice(years))
            if rng.random() < 0.2:
                params["sort"] = "date"
            if rng.random() < 0.2:
                params["mode"] = "words"
            out.append(("search page", "/?" + urllib.parse.urlencode(params), True))
        elif r < 0.65:
            rid = rng.choice(ids)
            suffix = "?" + urllib.parse.urlencode({"q": q}) if rng.random() < 0.5 else ""
            out.append(("report page", f"/report/{rid}{suffix}", True))
        elif r < 0.70:  # a reader opens one passage's list of shared sentences
            rid, n = rng.choice(ids), rng.randint(1, 12)
            out.append(("precedents", f"/report/{rid}/precedents/{n}", True))
        elif r < 0.80:
            out.append(("api report", f"/api/reports/{rng.choice(ids)}", True))
        elif r < 0.85:
            page = rng.randint(1, max(1, len(ids) // 50))
            out.append(("report list", f"/reports?page={page}", True))
        elif r < 0.88:
            out.append(("home", "/", True))
        else:
            kind, path = rng.choice(BAD)
            out.append((kind, path, False))
    return out


def reindex_loop(
    index: Path, work: Path, stop: threading.Event, commits: list, failures: list, pause, log
) -> None:
    """Add three reports, then remove them again, commit after commit, until ``stop``.

    ``commits`` gets the seconds each run took, ``failures`` what a failed run said.
    """
    extra = work / "extra"
    seeds = sorted((ROOT / "corpus").glob("*.txt"))
    n = 0
    while not stop.is_set():
        extra.mkdir(exist_ok=True)
        for i in range(3):
            text = seeds[(n + i) % len(seeds)].read_text(encoding="utf-8")
            (extra / f"added_{n}_{i}.txt").write_text(f"{text}\n附：第{n}-{i}号。\n", "utf-8")
        for args in (["index", str(extra)], None):
            if args is None:
                shutil.rmtree(extra)
                extra.mkdir()
                args = ["index", str(extra), "--prune"]
            t0 = time.perf_counter()
            proc = subprocess.run(
                [*FAZHI, *args, "--index", str(index)], cwd=ROOT, capture_output=True, text=True
            )
            if proc.returncode != 0:
                failures.append(proc.stderr.strip()[-300:])
                log(f"re-index failed ({proc.returncode}): {failures[-1]}")
                stop.wait(1)
            else:
                commits.append(round(time.perf_counter() - t0, 2))
            if stop.wait(pause):
                break
        n += 1


def _quarters(marks: list) -> list:
    """About four samples, evenly spread, of a longer series."""
    if len(marks) <= 4:
        return marks
    return [marks[round(k * (len(marks) - 1) / 3)] for k in range(4)]


def _errors_logged(path: Path, keep: int = 80) -> list[str]:
    """The last ``keep`` lines of the server's log from its first error on (if any)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    first = next(
        (i for i, line in enumerate(lines) if "ERROR" in line or "Traceback" in line), None
    )
    return [] if first is None else lines[first:][-keep:]


def wait_quiet(pid: int, limit: float = 300.0) -> float:
    """Wait until the server has been idle for a second (its start-up builds are done);
    the seconds waited. Gives up after ``limit`` seconds."""
    t0 = time.perf_counter()
    before = server_cpu(pid)
    while time.perf_counter() - t0 < limit:
        time.sleep(1.0)
        now = server_cpu(pid)
        if now - before < 0.05:
            break
        before = now
    return time.perf_counter() - t0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("index", type=Path, help="index directory to copy and serve")
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument(
        "--rate",
        type=float,
        default=None,
        help="requests per second on average, due at random times (default: none, each "
        "client sends as soon as it has its answer)",
    )
    ap.add_argument("--max-seconds", type=float, default=600.0)
    ap.add_argument("--threads", type=int, default=8, help="worker threads of the server")
    ap.add_argument("--workers", type=int, default=1, help="server processes (`serve --workers`)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60.0, help="client timeout per request")
    ap.add_argument("--no-reindex", action="store_true", help="serve a still index")
    ap.add_argument(
        "--reindex-pause",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="pause between two re-index commits (default: none)",
    )
    ap.add_argument(
        "--slow-clients",
        type=int,
        default=0,
        metavar="N",
        help="also keep N slow connections open (one header line at a time)",
    )
    ap.add_argument(
        "--slow-interval",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="seconds between two header lines of a slow connection",
    )
    ap.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="an extra argument of `fazhi serve` (repeatable), e.g. "
        "--serve-arg=--client-timeout=3600",
    )
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    opts = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    work = Path(tempfile.mkdtemp(prefix="fazhi-load-"))
    index = work / "index"
    server = None
    stop = threading.Event()
    indexer = None
    try:
        log(f"copying {opts.index} to {index}")
        shutil.copytree(opts.index, index, ignore=shutil.ignore_patterns("MAIN_WRITELOCK"))
        port = free_port()
        server_log = (work / "server.log").open("w")
        server = subprocess.Popen(
            [
                *FAZHI,
                "serve",
                "--index",
                str(index),
                "--host",
                HOST,
                "--port",
                str(port),
                "--threads",
                str(opts.threads),
                "--workers",
                str(opts.workers),
                *opts.serve_arg,
            ],
            cwd=ROOT,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        box: list = [None]
        t0 = time.perf_counter()
        while get(box, port, "/api/reports", 120) != 200:
            if server.poll() is not None or time.perf_counter() - t0 > 120:
                raise SystemExit("fazhi serve did not start; see its log above")
            time.sleep(0.3)
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        conn.request("GET", "/api/reports")
        reports = json.loads(conn.getresponse().read())
        conn.close()
        # steady state before measuring: the first view, and what the pages derive from it
        rid = reports[0]["id"] if reports else "none"
        for path in ("/api/search?q=依法行政", "/?q=依法行政", f"/report/{rid}"):
            get(box, port, path, 300)
        started = time.perf_counter() - t0
        # each worker builds the practice catalogue and the sentence index when it starts
        quiet = wait_quiet(server.pid)
        log(
            f"serving {len(reports)} reports on {HOST}:{port} (started in "
            f"{started:.1f}s, idle after {quiet:.1f}s more)"
        )
        mem_start = server_kib(server.pid)
        rng = random.Random(opts.seed)
        todo = request_mix(rng, reports, opts.requests)
        stats = Stats()
        commits: list[float] = []
        reindex_failures: list[str] = []
        if not opts.no_reindex:
            indexer = threading.Thread(
                target=reindex_loop,
                args=(index, work, stop, commits, reindex_failures, opts.reindex_pause, log),
                daemon=True,
            )
            indexer.start()
        mem_peak = [mem_start]
        mem_marks: list[tuple[int, int]] = []  # (requests sent, KiB) every 200 requests
        deadline = time.monotonic() + opts.max_seconds
        due: list[float] = []  # seconds after the start, with --rate
        if opts.rate:
            arrivals = random.Random(opts.seed + 1)
            at = 0.0
            for _ in todo:
                at += arrivals.expovariate(opts.rate)
                due.append(at)
        cursor = iter(enumerate(todo))
        cursor_lock = threading.Lock()

        def worker() -> None:
            box: list = [None]
            while time.monotonic() < deadline:
                with cursor_lock:
                    item = next(cursor, None)
                if item is None:
                    break
                i, (kind, path, good) = item
                t = time.perf_counter()
                if due:
                    t = t_load + due[i]
                    time.sleep(max(0.0, t - time.perf_counter()))
                status = get(box, port, path, opts.timeout)
                stats.record(kind, status, (time.perf_counter() - t) * 1000, path, good)
                if i % 200 == 0:
                    now = server_kib(server.pid)
                    mem_peak[0] = max(mem_peak[0], now)
                    if i:
                        mem_marks.append((i, now))
            if box[0] is not None:
                box[0].close()

        log(
            f"sending {len(todo)} requests from {opts.concurrency} threads"
            + ("" if opts.no_reindex else " while re-indexing")
        )
        slow = SlowClients(HOST, port, opts.slow_clients, opts.slow_interval)
        if opts.slow_clients:
            slow.start()
            time.sleep(min(5.0, 2 * opts.slow_interval))  # all connected, sending
            log(f"{opts.slow_clients} slow connections open: {slow.result()['open']}")
        t_load = time.perf_counter()
        cpu_server0 = server_cpu(server.pid)
        usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        own0 = resource.getrusage(resource.RUSAGE_SELF)
        threads = [threading.Thread(target=worker) for _ in range(opts.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t_load
        if opts.slow_clients:
            slow.stop()
        stop.set()
        if indexer is not None:
            indexer.join(300)
        # the server is not reaped yet: the children's usage is the re-index runs'
        usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        own1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = {
            "server": round(server_cpu(server.pid) - cpu_server0, 3),
            "reindex": used(usage1, usage0),
            # the clients of this script share the machine with the server
            "clients": used(own1, own0),
            "cores": os.cpu_count(),
        }
        mem_end = server_kib(server.pid)
        mem_peak[0] = max(mem_peak[0], mem_end)
    finally:
        stop.set()
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        server_errors = _errors_logged(work / "server.log")
        shutil.rmtree(work, ignore_errors=True)

    every = [ms for values in stats.latency.values() for ms in values]
    sent = sum(stats.by_class.values())
    result = {
        "reports": len(reports),
        "requests": sent,
        "concurrency": opts.concurrency,
        "rate": opts.rate,
        "server_threads": opts.threads,
        "reindex": not opts.no_reindex,
        "reindex_pause": opts.reindex_pause,
        "commits": len(commits),
        "reindex_failures": reindex_failures,
        "seconds": round(elapsed, 1),
        "requests_per_second": round(sent / elapsed, 1) if elapsed else 0,
        "status": dict(sorted(stats.by_class.items())),
        "latency_ms": {
            "p50": round(percentile(every, 0.5), 1),
            "p95": round(percentile(every, 0.95), 1),
            "p99": round(percentile(every, 0.99), 1),
            "max": round(max(every, default=0), 1),
        },
        "by_kind": {
            kind: {
                "n": len(v),
                "p50": round(percentile(v, 0.5), 1),
                "p95": round(percentile(v, 0.95), 1),
                "max": round(max(v), 1),
            }
            for kind, v in sorted(stats.latency.items())
        },
        "pss_mib": {
            "start": round(mem_start / 1024, 1),
            "peak": round(mem_peak[0] / 1024, 1),
            "end": round(mem_end / 1024, 1),
            "during": [[i, round(kib / 1024, 1)] for i, kib in _quarters(sorted(mem_marks))],
        },
        "cpu_seconds": cpu,
        "slow_clients": slow.result() if opts.slow_clients else None,
        "unexpected": stats.unexpected,
        "server_errors": server_errors,
    }
    print(
        f"{sent} requests in {elapsed:.1f}s ({result['requests_per_second']}/s), "
        f"{opts.concurrency} clients"
        + (f" at {opts.rate:g} requests/s due" if opts.rate else "")
        + f", {len(reports)} reports, {len(commits)} commits meanwhile"
    )
    print("status: " + ", ".join(f"{k} {v}" for k, v in result["status"].items()))
    lat = result["latency_ms"]
    print(f"latency ms: p50 {lat['p50']}, p95 {lat['p95']}, p99 {lat['p99']}, max {lat['max']}")
    for kind, row in result["by_kind"].items():
        print(
            f"  {kind:<12} n={row['n']:<5} p50 {row['p50']:>8}  p95 {row['p95']:>8}  "
            f"max {row['max']:>8}"
        )
    mem = result["pss_mib"]
    during = "".join(f"after {i} requests {mib}, " for i, mib in mem["during"])
    print(f"server PSS MiB: start {mem['start']}, {during}end {mem['end']}, peak {mem['peak']}")
    print(
        f"processor seconds while loaded: server {cpu['server']}, re-index {cpu['reindex']}, "
        f"clients {cpu['clients']} (of {elapsed * (cpu['cores'] or 1):.0f} on "
        f"{cpu['cores']} cores)"
    )
    if opts.slow_clients:
        sc = result["slow_clients"]
        print(
            f"slow connections: {sc['clients']} (a header line every {sc['interval']:g}s), open "
            f"min/median/max {sc['open']['min']}/{sc['open']['median']}/{sc['open']['max']}; "
            f"{sc['timed_out']} answered 408, {sc['closed']} closed, {sc['refused']} refused, "
            f"{sc['connections']} opened"
        )
    for line in stats.unexpected:
        print(f"unexpected: {line}")
    if server_errors:
        print("the server logged errors:")
        for line in server_errors:
            print(f"  {line}")
    for text in reindex_failures:
        print(f"re-index failed: {(text.splitlines() or [''])[-1]}")
    if opts.json:
        opts.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    failed = stats.by_class.get("5xx", 0) + stats.by_class.get("no answer", 0)
    return 1 if failed or stats.unexpected or reindex_failures else 0
