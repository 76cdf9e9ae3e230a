"""The server's memory helpers: malloc arenas limited, free pages handed back (glibc)."""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap

import pytest

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")

#: eight threads allocate at once; then the process reports how many arenas malloc has
ARENAS = """
import ctypes, sys, tempfile, threading
from indexer.procs import limit_malloc_arenas
if sys.argv[1] == "limited":
    assert limit_malloc_arenas(2)
start = threading.Barrier(8)
def work():
    start.wait()
    for _ in range(50):
        blobs = [bytearray(4096) for _ in range(200)]  # buffers over pymalloc's size: malloc
        del blobs
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
with tempfile.NamedTemporaryFile() as out:
    f = ctypes.c_void_p(libc.fopen(out.name.encode(), b"w"))
    libc.malloc_info(0, f)
    libc.fclose(f)
    print(open(out.name).read().count("<heap nr="))
"""

#: 200 MB in 2 KB blocks, every 64th kept (the free pages lie between them); then trimmed
TRIM = """
import re
from indexer.procs import release_free_memory
def anon_mb():
    status = open("/proc/self/status").read()
    return int(re.search(r"RssAnon:\\s+(\\d+)", status).group(1)) / 1024
base = anon_mb()
blocks = [bytearray(2048) for _ in range(100_000)]
kept = blocks[::64]
del blocks
held = anon_mb()
released = release_free_memory()
print(base, held, anon_mb(), released, len(kept))
"""


def _run(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@glibc
def test_threads_share_at_most_the_arenas_allowed():
    assert int(_run(ARENAS, "limited")) <= 2
    # without the limit the same threads take arenas of their own
    assert int(_run(ARENAS, "default")) > 2


@glibc
def test_free_pages_between_live_blocks_go_back_to_the_system():
    base, held, after, released, _ = _run(TRIM).split()
    base, held, after = float(base), float(held), float(after)
    assert held - base > 150  # freed, but still resident: what the trim is for
    assert released == "True"
    assert after - base < 40



def test_after_requests_memory_is_trimmed_now_and_then(monkeypatch):
    from indexer import procs

    trims = []
    monkeypatch.setattr(procs, "release_free_memory", lambda: trims.append(1) or True)
    monkeypatch.setattr(procs, "_trimmed", {"at": float("-inf")})
    now = [1000.0]
    clock = lambda: now[0]  # noqa: E731
    assert procs.release_now_and_then(30, clock) and len(trims) == 1
    now[0] += 29.9
    assert not procs.release_now_and_then(30, clock) and len(trims) == 1
    now[0] += 0.1
    assert procs.release_now_and_then(30, clock) and len(trims) == 2
    # while one thread trims, another does not wait for it, nor trims too
    procs._trimming.acquire()
    try:
        now[0] += 60
        assert not procs.release_now_and_then(30, clock) and len(trims) == 2
    finally:
        procs._trimming.release()
    assert procs.release_now_and_then(30, clock) and len(trims) == 3


def test_a_server_trims_after_its_requests(seed_index, monkeypatch):
    from webui import ext, serving

    monkeypatch.setattr(ext, "prepare_analytics", lambda app: None)  # no builds here
    calls = []
    monkeypatch.setattr(serving, "release_now_and_then", lambda: calls.append(1))
    apps = []
    monkeypatch.setattr(
        serving.httpserver, "make_server", lambda app, *a, **k: apps.append(app) or _Idle()
    )
    serving._run_app(seed_index, None, serving.Options())
    assert apps[0].test_client().get("/").status_code == 200
    assert calls == [1]


class _Idle:
    def run(self) -> None:
        pass
