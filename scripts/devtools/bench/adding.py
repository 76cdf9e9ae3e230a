"""Adding one report to the built index (``fazhi index NEWFILE``) while searches keep running."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from indexer import Engine

from ..corpus import generate
from .children import fazhi_command, run_child
from .engines import fazhi_search
from .measure import latency, timed
from .queries import Query


class BackgroundSearches:
    """Runs the query mix in a thread, recording latencies and errors, until stopped."""

    def __init__(self, engine: Engine, queries: list[Query]) -> None:
        self.engine = engine
        self.queries = queries
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> BackgroundSearches:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _loop(self) -> None:
        i = 0
        while not self._done.is_set():
            q = self.queries[i % len(self.queries)]
            try:
                self.latencies.append(timed(lambda q=q: fazhi_search(self.engine, q))[1])
            except Exception as exc:  # noqa: BLE001 - any failure during a commit is the finding
                self.errors.append(f"{type(exc).__name__}: {exc}")
            i += 1


def add_one_report(
    work: Path,
    index_dir: Path,
    engine: Engine,
    queries: list[Query],
    *,
    seed: int,
    extra_text: Path | None,
) -> dict:
    """Time ``fazhi index NEWFILE`` on the built index while searches keep running.

    The report is removed again afterwards (``fazhi index DIR --prune`` once
    its file is gone), so the index keeps matching the corpus.
    """
    before = len(engine.reports())
    new_dir = work / "added"
    if new_dir.exists():
        shutil.rmtree(new_dir)
    manifest = generate(
        1, new_dir, seed=seed + 7919, extra_text=extra_text, pdf_share=0, docx_share=0
    )
    new_file = new_dir / manifest["files"][0]["file"]
    township = manifest["files"][0]["township"]
    fazhi = [*fazhi_command(), "index", "--index", str(index_dir), "--json"]
    with BackgroundSearches(engine, queries) as searches:
        added = run_child([*fazhi, str(new_file)])
    after = len(engine.reports())
    found = fazhi_search(engine, Query("法治", "", {"township": [township]}))["total"]["reports"]
    new_file.unlink()
    removed = run_child([*fazhi, "--prune", str(new_dir)])
    return {
        "wall_s": added.wall_s,
        "exit_code": added.returncode,
        "reports_before": before,
        "reports_after": after,
        "new_report_found": found >= 1,
        "searches_during": len(searches.latencies),
        "search_errors": searches.errors[:5],
        "search_latency_during": latency(searches.latencies),
        "remove_wall_s": removed.wall_s,
        "reports_after_removal": len(engine.reports()),
    }
