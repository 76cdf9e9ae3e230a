"""Child processes: how to run ``fazhi``, and a run to completion with its time and memory."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .. import ROOT


def fazhi_command() -> list[str]:
    """How to run the ``fazhi`` CLI: the installed script, else the module with this Python."""
    script = Path(sys.executable).with_name("fazhi")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from indexer.cli import cli; sys.exit(cli())"]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


@dataclass
class ChildRun:
    returncode: int
    wall_s: float
    #: peak resident set of the largest single process (the child or a worker it waited for)
    max_rss_mb: float
    #: peak of the summed resident sets of the child and all its descendants (sampled)
    tree_rss_mb: float
    stdout: str
    stderr: str


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _tree_rss_kb(pid: int) -> int:
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    total = 0
    for p in _descendants(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * page_kb
    return total


def run_child(cmd: list[str], *, cwd: Path | None = None, sample_every: float = 0.2) -> ChildRun:
    """Run ``cmd`` to completion, measuring wall time and peak memory."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, env=child_env())
        tree_peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            tree_peak = max(tree_peak, _tree_rss_kb(proc.pid))
            time.sleep(sample_every)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildRun(
            returncode=proc.returncode,
            wall_s=round(wall, 3),
            max_rss_mb=round(usage.ru_maxrss / 1024, 1),
            tree_rss_mb=round(max(tree_peak, usage.ru_maxrss) / 1024, 1),
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def process_memory_mb(pid: int) -> dict:
    """Resident memory of a process (MiB): in all, anonymous, and mapped from files."""
    fields = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, value = line.split(":", 1)
            fields[name] = int(value.split()[0])
    return {
        "rss": round(fields.get("Rss", 0) / 1024, 1),
        "anonymous": round(fields.get("Anonymous", 0) / 1024, 1),
        "file": round((fields.get("Rss", 0) - fields.get("Anonymous", 0)) / 1024, 1),
    }
