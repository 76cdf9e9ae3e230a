"""A search's time budget, counted in processor time of the searching thread.

The check is cooperative and works in any thread (no signals): term lookups
(between blocks), BM25 scoring and snippet building call :meth:`Deadline.check`.
Counting the thread's processor time — the work a search does, not the time
it waits while other requests hold the interpreter — keeps a busy server from
turning ordinary searches into timeouts, while a pathological one is still
stopped.
"""

from __future__ import annotations

import time

from ..errors import SearchTimeout


class Deadline:
    """A search's time budget: :meth:`check` raises SearchTimeout once it is spent.

    Counted in processor time of the calling thread (:func:`time.thread_time`),
    so create and check it in the thread that searches.
    """

    __slots__ = ("budget", "end")

    def __init__(self, seconds: float | None) -> None:
        self.budget = seconds
        self.end = None if seconds is None else time.thread_time() + seconds

    def check(self) -> None:
        if self.end is not None and time.thread_time() > self.end:
            raise SearchTimeout(
                f"search stopped after its time limit ({self.budget:g}s)",
                hint="use a longer phrase, fewer OR terms or a filter, then try again",
            )


#: no budget
UNLIMITED = Deadline(None)
