"""The engines compared, and timing (or profiling) a list of queries on one of them.

fazhi in process (``Engine.search``), an SQLite FTS5 trigram table over the
very same passages, and ``grep -rlF`` over the text files.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from indexer import Engine
from indexer.text import fold

from .inputs import IndexedReport
from .measure import timed
from .queries import Query

#: page size of the search that is timed (what the UI shows)
PER_PAGE = 20
#: the report set of a query is enumerated (paged) only up to this many matches
ENUM_CAP = 3000

# ---------------------------------------------------------------- fazhi


def fazhi_search(engine: Engine, q: Query, page: int = 1, per_page: int = PER_PAGE) -> dict:
    return engine.search(q.text, filters=q.filters, page=page, per_page=per_page)


def fazhi_report_set(engine: Engine, q: Query, files_of: dict[str, str]) -> tuple[int, set | None]:
    """(number of matching reports, their files — or None beyond ENUM_CAP)."""
    first = fazhi_search(engine, q, per_page=100)
    total = first["total"]["reports"]
    if total > ENUM_CAP:
        return total, None
    found = {files_of[r["id"]] for r in first["reports"]}
    page = 2
    while len(found) < total:
        more = fazhi_search(engine, q, page, 100)["reports"]
        if not more:
            break
        found |= {files_of[r["id"]] for r in more}
        page += 1
    return total, found


def time_queries(
    run: Callable[[Query], object],
    queries: list[Query],
    rounds: int,
    can_answer: Callable[[Query], bool] = lambda q: True,
    *,
    before: Callable[[], None] | None = None,
    warm: bool = False,
) -> list[list[float] | None]:
    """Milliseconds of each round, per query (None for a query the engine cannot answer).

    ``before`` is called, untimed, before each timed query: the cold figures
    empty the engine's caches with it. ``warm``: one untimed pass over the
    mix first, so that every timed query has been asked before.
    """
    per_query: list[list[float] | None] = [[] if can_answer(q) else None for q in queries]
    if warm:
        for q, times in zip(queries, per_query, strict=True):
            if times is not None:
                run(q)
    for _ in range(rounds):
        for q, times in zip(queries, per_query, strict=True):
            if times is not None:
                if before is not None:
                    before()
                times.append(timed(lambda q=q: run(q))[1])
    return per_query


# ---------------------------------------------------------------- profile


def profile_queries(engine: Engine, queries: list[Query], top: int = 25) -> str:
    """cProfile of one pass over the query mix, top functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for q in queries:
        fazhi_search(engine, q)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# ---------------------------------------------------------------- SQLite FTS5


class NoFts5:
    """Stands in for :class:`Fts5` with ``--skip-fts5``: answers no query."""

    class _Db:
        def close(self) -> None:
            pass

    db = _Db()

    @staticmethod
    def can_answer(q) -> bool:
        return False

    def search(self, q):  # never called: can_answer is False
        raise AssertionError("FTS5 was skipped")

    report_files = search


class Fts5:
    """An FTS5 trigram table over the same passages (folded), with report metadata."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        self.db = sqlite3.connect(str(path), check_same_thread=False)

    def build(self, reports: list[IndexedReport]) -> None:
        db = self.db
        db.executescript(
            "DROP TABLE IF EXISTS passages; DROP TABLE IF EXISTS reports;"
            "CREATE VIRTUAL TABLE passages USING fts5("
            " text, rid UNINDEXED, section UNINDEXED, tokenize = 'trigram case_sensitive 1');"
            "CREATE TABLE reports (rid TEXT PRIMARY KEY, file TEXT, year INTEGER, province TEXT);"
        )
        with db:
            db.executemany(
                "INSERT INTO reports VALUES (?, ?, ?, ?)",
                [(r.rid, r.file, r.year, r.province) for r in reports],
            )
            db.executemany(
                "INSERT INTO passages (text, rid, section) VALUES (?, ?, ?)",
                [(fold(text), r.rid, sec) for r in reports for sec, text in r.passages],
            )
        db.execute("INSERT INTO passages(passages) VALUES ('optimize')")
        db.commit()

    @staticmethod
    def can_answer(q: Query) -> bool:
        return all(len(t) >= 3 for t in q.terms)

    @staticmethod
    def _where(q: Query) -> tuple[str, list]:
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in q.terms)
        sql, args = ["passages MATCH ?"], [match]
        for year in q.filters.get("year", []):
            sql.append("reports.year = ?")
            args.append(int(year))
        for province in q.filters.get("province", []):
            sql.append("reports.province = ?")
            args.append(province)
        for section in q.filters.get("section", []):
            sql.append("passages.section = ?")
            args.append(section)
        return " AND ".join(sql), args

    _FROM = "FROM passages JOIN reports ON reports.rid = passages.rid"

    def search(self, q: Query) -> tuple[int, list[str]]:
        """Count of matching reports and 20 snippets (best first), as fazhi's page shows."""
        where, args = self._where(q)
        (count,) = self.db.execute(
            f"SELECT count(DISTINCT passages.rid) {self._FROM} WHERE {where}", args
        ).fetchone()
        rows = self.db.execute(
            f"SELECT snippet(passages, 0, '<mark>', '</mark>', '…', 24) {self._FROM} "
            f"WHERE {where} ORDER BY rank LIMIT {PER_PAGE}",
            args,
        ).fetchall()
        return count, [r[0] for r in rows]

    def size_mb(self) -> float:
        (pages,) = self.db.execute("PRAGMA page_count").fetchone()
        (size,) = self.db.execute("PRAGMA page_size").fetchone()
        return round(pages * size / 2**20, 1)

    def report_files(self, q: Query) -> set[str]:
        where, args = self._where(q)
        rows = self.db.execute(f"SELECT DISTINCT reports.file {self._FROM} WHERE {where}", args)
        return {r[0] for r in rows}


# ---------------------------------------------------------------- grep


def grep_can_answer(q: Query) -> bool:
    return not q.filters and len(q.terms) == 1


def grep_files(corpus_dir: Path, q: Query) -> set[str]:
    """Text files under ``corpus_dir`` holding the phrase on one line (``grep -rlF``)."""
    proc = subprocess.run(
        ["grep", "-rlF", "--include=*.txt", "-e", q.text, "."],
        cwd=corpus_dir,
        capture_output=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"grep failed: {proc.stderr.decode(errors='replace')}")
    return {
        line[2:] if line.startswith("./") else line
        for line in proc.stdout.decode("utf-8").splitlines()
    }
