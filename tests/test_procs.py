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

