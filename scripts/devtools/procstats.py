"""Memory and processor time of a process and its children, read from ``/proc`` (Linux).

The load test measures the server (and its worker processes) with these.
"""

from __future__ import annotations

import os
from pathlib import Path


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system processor time of a live process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        return [int(k) for k in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def used(after, before) -> float:
    """Processor seconds between two ``resource.getrusage`` readings (to the millisecond:
    a short run's clients use well under a tenth of a second)."""
    return round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 3)


def server_cpu(pid: int) -> float:
    """Processor seconds used so far by the server and its live worker processes."""
    return _cpu_seconds(pid) + sum(_cpu_seconds(k) for k in _children(pid))


def server_kib(pid: int) -> int:
    """Proportional set size of the server and its worker processes (KiB).

    PSS splits each shared page (the memory-mapped index, pages inherited
    from the parent) among the processes that map it, so the sum is the
    memory the server holds, however many processes it runs.
    """
    return _pss_kib(pid) + sum(_pss_kib(k) for k in _children(pid))
