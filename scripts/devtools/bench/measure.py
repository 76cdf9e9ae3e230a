"""Measuring: percentiles and latency summaries, timing a call, sizes on disk, the machine."""

from __future__ import annotations

import contextlib
import math
import os
import platform
import sqlite3
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .. import ROOT


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (``p`` in 0…100), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency(values: Sequence[float]) -> dict:
    """p50, p95 and max of ``values`` (milliseconds), rounded."""

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 2)

    return {
        "n": len(values),
        "p50_ms": r(percentile(values, 50)),
        "p95_ms": r(percentile(values, 95)),
        "max_ms": r(max(values) if values else None),
    }


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    """(result, milliseconds) of calling ``fn``."""
    t0 = time.perf_counter()
    result = fn()
    return result, (time.perf_counter() - t0) * 1000


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def machine() -> dict:
    """What the numbers were measured on: cores, CPU model, memory, versions."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kb = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
    return {
        "commit": _commit(),
        "cores": os.cpu_count(),
        "cpu": model or platform.processor(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def _commit() -> str | None:
    """The checked-out commit of the code being measured (uncommitted changes not shown)."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        proc = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True)
        if proc.returncode == 0:
            return proc.stdout.decode().strip()[:12]
    return None


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: other work on the machine skews every figure."""
    with contextlib.suppress(OSError):
        return [round(x, 2) for x in os.getloadavg()]
    return None
