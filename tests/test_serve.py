"""`fazhi serve` as a process: worker processes share the port, a dead one is replaced."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from helpers import FAZHI, ROOT

PHRASE = "一支队伍管执法"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def wait_for(what: str, test, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = test()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def search(port: int) -> list[str] | None:
    url = f"http://127.0.0.1:{port}/api/search?q={quote(PHRASE)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return sorted(hit["township"] for hit in json.load(resp)["reports"])
    except OSError:
        return None


def serve(index: Path, port: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*FAZHI, "serve", "--index", str(index), "--port", str(port), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_worker_processes_share_the_port_and_a_dead_one_is_replaced(seed_index):
    port = free_port()
    proc = serve(seed_index, port, "--workers", "2", "--threads", "2")
    try:
        expected = wait_for("the first answer", lambda: search(port))
        assert expected == ["湖上乡", "美湖镇"]
        first = wait_for("two workers", lambda: (k := children(proc.pid)) and len(k) == 2 and k)
        # every worker maps the index's segment files rather than reading them into memory
        for pid in first:
            wait_for(
                f"worker {pid} to map the index",
                lambda pid=pid: ".fzs" in Path(f"/proc/{pid}/maps").read_text(),
            )
        os.kill(first[0], signal.SIGKILL)
        now = wait_for(
            "a replacement",
            lambda: (k := children(proc.pid)) and len(k) == 2 and first[0] not in k and k,
        )
        assert first[1] in now
        for _ in range(10):  # both workers answer, whichever gets the connection
            assert wait_for("an answer", lambda: search(port)) == expected
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    lines = out.splitlines()
    assert lines[0] == (
        f"fazhi: serving {seed_index} at http://127.0.0.1:{port}/ with 2 worker processes"
        "  (Ctrl+C to stop)"
    )
    assert f"fazhi: worker {first[0]} ended (signal 9); starting another" in lines
    for pid in now:  # stopped with the server
        assert not Path(f"/proc/{pid}").exists()


def test_a_taken_port_is_one_clear_error(seed_index):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = serve(seed_index, port, "--workers", "2")
        out, _ = proc.communicate(timeout=60)
    assert (proc.returncode, out) == (
        1,
        f"error: cannot listen on 127.0.0.1:{port} (Address already in use)\n",
    )
