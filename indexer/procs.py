"""Process helpers shared by the indexer's workers and the server's workers."""

from __future__ import annotations

import ctypes
import os
import signal


def _prctl():
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with(parent: int) -> None:
    """In a child process: be killed when ``parent`` dies (Linux; elsewhere nothing)."""
    prctl = _prctl()
    if prctl is None:
        return
    prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)  # the parent died before the signal was armed
