#!/usr/bin/env python3
"""Benchmark fazhi on a synthetic corpus against SQLite FTS5 (trigram) and grep.

Usage::

    .venv/bin/python scripts/bench.py --reports 1000 --work bench-out \\
        [--extra-text DIR] [--queries N] [--skip-http] [--json OUT] [--profile]

Steps: generate (or reuse) a corpus with ``make_corpus.py``; build the index
with ``fazhi index`` in a child process (wall time, characters per second,
peak memory, size on disk); run a fixed, seeded query mix in-process
(``Engine.search``: matches, facets and the snippets of the first 20 reports)
and over HTTP (``fazhi serve`` on 127.0.0.1); run the same queries against an
FTS5 trigram table over the very same passages and against ``grep -rlF`` over
the text files; check that all three agree on which reports match, where they
can answer, and explain every disagreement; time adding one report to the
index while searches keep running; print a table (and ``--json``).

Known limits of the peers, applied by the cross-check:

* FTS5's trigram tokenizer cannot match fewer than 3 characters (``n/a``).
* grep reads ``.txt`` files only, sees raw lines (a phrase broken by a line
  break or by spaces is missed), cannot filter by year, province or section
  and has no "all terms in one passage" (``n/a``), and also matches titles,
  headings and signatures, which fazhi does not search as passage text.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import importlib.util
import io
import json
import math
import os
import platform
import pstats
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from indexer import Engine  # noqa: E402
from indexer.text import fold  # noqa: E402

#: page size of the search that is timed (what the UI shows)
PER_PAGE = 20
#: the report set of a query is enumerated (paged) only up to this many matches
ENUM_CAP = 3000
SECTIONS = ("measures", "leadership", "shortcomings", "plans")
#: characters a sampled phrase may consist of: no query syntax, unchanged by fold()
PHRASE_CHARS = frozenset(chr(c) for c in range(0x4E00, 0xA000)) | {"、"}
#: a page number line ("— 3 —") left in text copied out of a PDF
PAGE_NUMBER_LINE = re.compile(r"^[ \t\u3000]*[—–-]+[ \t]*\d+[ \t]*[—–-]+[ \t\u3000\r]*$", re.M)
HTTP_TIMEOUT = 60.0
SERVER_START_TIMEOUT = 120.0

#: (query, kind): the fixed part of the query mix
FIXED_QUERIES: tuple[tuple[str, str], ...] = (
    ("法", "1 char"),
    ("镇", "1 char"),
    ("执法", "2 chars"),
    ("普法", "2 chars"),
    ("依法行政", "frequent"),
    ("法治政府建设", "frequent"),
    ("行政执法", "frequent"),
    ("习近平法治思想", "frequent"),
    ("一支队伍管执法", "rare"),
    ("枫桥经验", "rare"),
    ("谁执法谁普法", "rare"),
    ("三项制度", "rare"),
    ("法律明白人", "rare"),
    ("依法行政 枫桥经验", "two terms"),
    ("区块链存证平台", "absent"),
)


def load_make_corpus() -> ModuleType:
    """``scripts/make_corpus.py`` as a module (scripts/ is not a package)."""
    name = "fazhi_make_corpus"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("make_corpus.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- small helpers


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


# ---------------------------------------------------------------- corpus


def ensure_corpus(
    corpus_dir: Path,
    n: int,
    *,
    seed: int,
    extra_text: Path | None,
    pdf_share: float,
    docx_share: float,
) -> tuple[dict, float | None]:
    """The corpus's manifest, generating it unless one with the same parameters exists.

    Returns (manifest, seconds spent generating or None when reused).
    """
    mc = load_make_corpus()
    kwargs = {
        "seed": seed,
        "extra_text": extra_text,
        "pdf_share": pdf_share,
        "docx_share": docx_share,
    }
    wanted = {"n": n, **kwargs, "extra_text": str(extra_text.resolve()) if extra_text else None}
    manifest_path = corpus_dir / mc.MANIFEST
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("params") == wanted:
            return manifest, None
    if corpus_dir.exists():
        shutil.rmtree(corpus_dir)
    manifest, ms = timed(lambda: mc.generate(n, corpus_dir, **kwargs))
    return manifest, ms / 1000


# ---------------------------------------------------------------- child processes


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


# ---------------------------------------------------------------- the index


@dataclass
class IndexedReport:
    """One indexed report as both peers see it: metadata and passage texts."""

    rid: str
    file: str  # path relative to the corpus directory
    year: int | None
    province: str | None
    passages: list[tuple[str, str]]  # (section, text)


def indexed_reports(engine: Engine, corpus_dir: Path) -> list[IndexedReport]:
    """Every report of the index with its passages, as ``Engine.report`` gives them."""
    out = []
    root = corpus_dir.resolve()
    for meta in engine.reports():
        full = engine.report(meta["id"])
        path = Path(full.get("path") or full["source"]).resolve()
        file = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        passages = [(p["section"], p["text"]) for p in full["passages"]]
        out.append(
            IndexedReport(meta["id"], file, meta.get("year"), meta.get("province"), passages)
        )
    return out


def build_index(corpus_dir: Path, index_dir: Path) -> tuple[ChildRun, dict]:
    """``fazhi index CORPUS --index DIR --rebuild --json`` in a child process."""
    run = run_child(
        [
            *fazhi_command(),
            "index",
            str(corpus_dir.resolve()),
            "--index",
            str(index_dir),
            "--rebuild",
            "--json",
        ]
    )
    try:
        summary = json.loads(run.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        summary = {}
    if not summary.get("total_reports"):
        raise RuntimeError(
            f"fazhi index failed (exit {run.returncode}): {run.stderr.strip()[-500:]}"
        )
    return run, summary


def index_stats(
    run: ChildRun | None, summary: dict, reports: list[IndexedReport], index_dir: Path
) -> dict:
    """Size figures of the index; build figures too when ``run`` built it (None: reused)."""
    chars = sum(len(t) for r in reports for _, t in r.passages)
    text_bytes = sum(len(t.encode("utf-8")) for r in reports for _, t in r.passages)
    index_bytes = dir_bytes(index_dir)
    built = {}
    if run is not None:
        built = {
            "wall_s": run.wall_s,
            "failed": len(summary.get("failed", [])),
            "chars_per_s": round(chars / run.wall_s) if run.wall_s else None,
            "peak_rss_mb_largest_process": run.max_rss_mb,
            "peak_rss_mb_process_tree": run.tree_rss_mb,
        }
    return {
        **built,
        "reused": run is None,
        "reports": summary.get("total_reports", len(reports)),
        "passages": sum(len(r.passages) for r in reports),
        "text_chars": chars,
        "index_mb": round(index_bytes / 2**20, 1),
        "text_mb": round(text_bytes / 2**20, 1),
        "index_to_text": round(index_bytes / text_bytes, 2) if text_bytes else None,
    }


# ---------------------------------------------------------------- the query mix


@dataclass
class Query:
    text: str
    kind: str
    filters: dict[str, list[str]] = field(default_factory=dict)
    #: the corpus file the phrase was taken from (it must match there)
    source: str | None = None

    @property
    def terms(self) -> list[str]:
        return [fold(t) for t in self.text.split()]

    def label(self) -> str:
        flt = " ".join(f"{k}={','.join(v)}" for k, v in self.filters.items())
        return f"{self.text} [{flt}]" if flt else self.text


def _phrase_window(text: str, rng: random.Random, length: int, tries: int = 40) -> str | None:
    """A random run of ``length`` phrase characters from ``text`` (or None)."""
    if len(text) < length:
        return None
    for _ in range(tries):
        start = rng.randrange(len(text) - length + 1)
        window = text[start : start + length]
        if all(c in PHRASE_CHARS for c in window):
            return window
    return None


def sample_phrases(
    paragraphs: dict[int, list[str]], files: list[dict], rng: random.Random, n: int
) -> list[Query]:
    """Phrases of 3–12 characters from random positions of random paragraphs."""
    out: list[Query] = []
    indices = sorted(paragraphs)
    for _ in range(n * 5):
        if len(out) >= n or not indices:
            break
        i = rng.choice(indices)
        if not paragraphs[i]:
            continue
        phrase = _phrase_window(rng.choice(paragraphs[i]), rng, rng.randint(3, 12))
        if phrase:
            out.append(Query(phrase, "sampled", source=files[i]["file"]))
    return out


def _line_breaks(raw: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each whitespace run holding a line break between two Chinese characters."""
    pos = raw.find("\n")
    while pos >= 0:
        a = pos
        while a > 0 and raw[a - 1] in " \t\r\u3000\n":
            a -= 1
        b = pos
        while b < len(raw) and raw[b] in " \t\r\u3000\n":
            b += 1
        if 0 < a and b < len(raw) and raw[a - 1] in PHRASE_CHARS and raw[b] in PHRASE_CHARS:
            yield a, b
        pos = raw.find("\n", b)


def line_broken_phrases(
    corpus_dir: Path,
    paragraphs: dict[int, list[str]],
    files: list[dict],
    rng: random.Random,
    n: int,
) -> list[Query]:
    """Phrases that line breaks cut in two everywhere in a text file, not in the paragraph written.

    The paragraphs are the generator's ground truth, so a break between a
    heading and its text, or at a page number, is never taken; grep cannot
    find the phrase in its own file.
    """
    out: list[Query] = []
    order = sorted(paragraphs)
    rng.shuffle(order)
    for i in order:
        if len(out) >= n:
            break
        if files[i]["kind"] != "txt":
            continue
        raw = (corpus_dir / files[i]["file"]).read_bytes().decode("utf-8-sig")
        folded_paragraphs = [fold(p) for p in paragraphs[i]]
        breaks = list(_line_breaks(raw))
        rng.shuffle(breaks)
        for a, b in breaks[:20]:
            left, right = rng.randint(1, 6), rng.randint(1, 6)
            phrase = raw[max(0, a - left) : a] + raw[b : b + right]
            if not all(c in PHRASE_CHARS for c in phrase) or len(phrase) < 3 or phrase in raw:
                continue
            if any(phrase in p for p in folded_paragraphs):
                out.append(Query(phrase, "line-broken", source=files[i]["file"]))
                break
    return out


def _random_filters(truth: dict, rng: random.Random, *, section: bool = True) -> dict:
    """Year, province and/or section filters that the report ``truth`` (a manifest entry) passes."""
    choice = rng.choice(
        ("year", "province", "section", "year+section") if section else ("year", "province")
    )
    out: dict[str, list[str]] = {}
    if "year" in choice:
        out["year"] = [str(truth["year"])]
    if choice == "province":
        out["province"] = [truth["province"]]
    if "section" in choice:
        out["section"] = [rng.choice(SECTIONS)]
    return out


def build_query_mix(corpus_dir: Path, manifest: dict, n: int, seed: int) -> list[Query]:
    """The fixed queries, phrases sampled from the reports, and filtered variants: ``n`` in all.

    Depends only on the corpus and the seed. A sampled phrase is filtered by
    the year or province of its own report, so that report must still match.
    """
    rng = random.Random(f"{seed}:queries")
    files = manifest["files"]
    by_file = {f["file"]: f for f in files}
    queries = [Query(text, kind) for text, kind in FIXED_QUERIES][:n]
    filtered = min(len(queries), max(0, (n - len(queries)) // 4))
    for q in rng.sample(queries, filtered):
        flt = _random_filters(rng.choice(files), rng)
        queries.append(Query(q.text, q.kind + " +filter", flt))
    rest = max(0, n - len(queries))
    picked = rng.sample(range(len(files)), min(len(files), max(1, rest) * 2))
    paragraphs = load_make_corpus().paragraphs_of(manifest["params"], picked)
    broken = line_broken_phrases(corpus_dir, paragraphs, files, rng, rest // 3)
    sampled = sample_phrases(paragraphs, files, rng, rest - len(broken))
    for q in rng.sample(sampled, len(sampled) // 5):
        q.filters = _random_filters(by_file[q.source], rng, section=False)
        q.kind += " +filter"
    return queries + broken + sampled


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
) -> list[list[float] | None]:
    """Milliseconds of each round, per query (None for a query the engine cannot answer)."""
    per_query: list[list[float] | None] = [[] if can_answer(q) else None for q in queries]
    for _ in range(rounds):
        for q, times in zip(queries, per_query, strict=True):
            if times is not None:
                times.append(timed(lambda q=q: run(q))[1])
    return per_query


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


# ---------------------------------------------------------------- cross-check


@dataclass
class Disagreement:
    peer: str  # "fts5", "grep", or "source" (the report a phrase was taken from)
    file: str  # corpus file, or "*" when only the counts could be compared
    found_by: str  # "fazhi", "peer" or "neither"
    reason: str
    explained: bool


@dataclass
class QueryCheck:
    query: str
    kind: str
    fazhi: int
    fts5: int | None = None  # None: cannot answer
    grep: int | None = None
    disagreements: list[Disagreement] = field(default_factory=list)

    def agrees_with(self, peer: str) -> bool:
        return not any(d.peer == peer for d in self.disagreements)


class Explainer:
    """Why grep and fazhi see a report differently, checked against the files and passages."""

    def __init__(self, corpus_dir: Path, manifest: dict, reports: list[IndexedReport]) -> None:
        self.corpus_dir = corpus_dir
        self.kind = {f["file"]: f["kind"] for f in manifest["files"]}
        self.passages = {r.file: [fold(t) for _, t in r.passages] for r in reports}

    def raw(self, file: str) -> str:
        return (self.corpus_dir / file).read_bytes().decode("utf-8-sig", errors="replace")

    def fazhi_only(self, term: str, file: str) -> tuple[str, bool]:
        if self.kind.get(file, Path(file).suffix[1:]) != "txt":
            return "not a .txt file: grep reads text files only", True
        raw = self.raw(file)
        if term not in raw and term in fold(PAGE_NUMBER_LINE.sub("", raw)):
            return "phrase broken by a line break, a page number or spaces in the file", True
        return "unexplained: fazhi matches, the file does not hold the phrase", False

    def grep_only(self, term: str, file: str) -> tuple[str, bool]:
        if not any(term in p for p in self.passages.get(file, [])):
            return "only outside passage text (title, heading, signature or across passages)", True
        return "unexplained: a passage holds the phrase, fazhi does not match it", False


class CrossChecker:
    """Compares fazhi with FTS5 and grep query by query and explains every difference."""

    def __init__(
        self,
        engine: Engine,
        fts: Fts5,
        corpus_dir: Path,
        manifest: dict,
        reports: list[IndexedReport],
    ) -> None:
        self.engine = engine
        self.fts = fts
        self.corpus_dir = corpus_dir
        self.files_of = {r.rid: r.file for r in reports}
        self.explain = Explainer(corpus_dir, manifest, reports)

    def check(self, q: Query) -> QueryCheck:
        total, fazhi = fazhi_report_set(self.engine, q, self.files_of)
        check = QueryCheck(q.label(), q.kind, total)
        fts_files = self._fts5(q, check, fazhi) if self.fts.can_answer(q) else None
        if q.source is not None and fazhi is not None and q.source not in fazhi:
            reason = (
                "unexplained: fazhi misses the phrase in the report it was taken from "
                "(or read that report's year or province wrongly)"
            )
            check.disagreements.append(Disagreement("source", q.source, "neither", reason, False))
        if grep_can_answer(q):
            self._grep(q, check, fazhi if fazhi is not None else fts_files)
        return check

    def _fts5(self, q: Query, check: QueryCheck, fazhi: set[str] | None) -> set[str]:
        found = self.fts.report_files(q)
        check.fts5 = len(found)
        if fazhi is None:  # too many matches to enumerate: compare counts
            if check.fazhi != len(found):
                reason = f"unexplained: counts differ ({check.fazhi} vs {len(found)})"
                check.disagreements.append(Disagreement("fts5", "*", "neither", reason, False))
            return found
        for f in sorted(fazhi ^ found):
            by = "fazhi" if f in fazhi else "peer"
            reason = "unexplained: both read the same passages"
            check.disagreements.append(Disagreement("fts5", f, by, reason, False))
        return found

    def _grep(self, q: Query, check: QueryCheck, ours: set[str] | None) -> None:
        grepped = grep_files(self.corpus_dir, q)
        check.grep = len(grepped)
        add = check.disagreements.append
        if ours is None:
            if check.fazhi != len(grepped):
                reason = f"not checked: too many matches to enumerate ({check.fazhi})"
                add(Disagreement("grep", "*", "neither", reason, True))
            return
        term = q.terms[0]
        for f in sorted(ours - grepped):
            add(Disagreement("grep", f, "fazhi", *self.explain.fazhi_only(term, f)))
        for f in sorted(grepped - ours):
            add(Disagreement("grep", f, "peer", *self.explain.grep_only(term, f)))


def cross_check(
    engine: Engine,
    fts: Fts5,
    corpus_dir: Path,
    manifest: dict,
    reports: list[IndexedReport],
    queries: list[Query],
) -> list[QueryCheck]:
    """Compare fazhi, FTS5 and grep on every query; see :class:`CrossChecker`."""
    checker = CrossChecker(engine, fts, corpus_dir, manifest, reports)
    return [checker.check(q) for q in queries]


def summarize_checks(checks: list[QueryCheck]) -> dict:
    explained: dict[str, int] = {}
    unexplained = []
    for c in checks:
        for d in c.disagreements:
            if d.explained:
                key = f"{d.peer}: {d.reason}"
                explained[key] = explained.get(key, 0) + 1
            else:
                unexplained.append({"query": c.query, **asdict(d)})
    return {
        "queries": len(checks),
        "fts5_answered": sum(c.fts5 is not None for c in checks),
        "fts5_agreed": sum(c.fts5 is not None and c.agrees_with("fts5") for c in checks),
        "grep_answered": sum(c.grep is not None for c in checks),
        "grep_identical": sum(c.grep is not None and c.agrees_with("grep") for c in checks),
        "explained": explained,
        "unexplained": unexplained,
    }


# ---------------------------------------------------------------- HTTP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def search_url(base: str, q: Query, per_page: int = PER_PAGE) -> str:
    params = [("q", q.text), ("per_page", str(per_page))]
    params += [(k, v) for k, values in q.filters.items() for v in values]
    return f"{base}/api/search?{urllib.parse.urlencode(params)}"


@contextlib.contextmanager
def serving(index_dir: Path) -> Iterator[tuple[str, float, int]]:
    """``fazhi serve`` on a free loopback port: yields (base URL, ms to the first answer, pid)."""
    port = free_port()
    cmd = [
        *fazhi_command(),
        "serve",
        "--index",
        str(index_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env=child_env())
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.perf_counter()
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"fazhi serve exited: {log.read().decode()[-500:]}")
            with contextlib.suppress(OSError):
                status, _ = http_get(search_url(base, Query("法", ""), per_page=1))
                if status == 200:
                    break
            if time.perf_counter() - t0 > SERVER_START_TIMEOUT:
                raise RuntimeError("fazhi serve did not answer in time")
            time.sleep(0.2)
        yield base, (time.perf_counter() - t0) * 1000, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def time_http(base: str, queries: list[Query], max_requests: int) -> tuple[list[float], int]:
    """Latencies of at most ``max_requests`` searches over HTTP, and the count of non-200s."""
    latencies, errors = [], 0
    for q in queries[:max_requests]:
        (status, _), ms = timed(lambda q=q: http_get(search_url(base, q)))
        latencies.append(ms)
        errors += status != 200
    return latencies, errors


# ---------------------------------------------------------------- adding a report


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
    manifest = load_make_corpus().generate(
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


# ---------------------------------------------------------------- the run


@dataclass
class Options:
    reports: int
    work: Path
    seed: int = 0
    extra_text: Path | None = None
    pdf_share: float = 0.02
    docx_share: float = 0.03
    queries: int = 60
    rounds: int = 3
    skip_http: bool = False
    skip_fts5: bool = False
    http_requests: int = 200
    reuse_index: bool = False
    profile: bool = False
    json_out: Path | None = None

    def to_json(self) -> dict:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}


def run(opts: Options, log: Callable[[str], None]) -> dict:
    """Every step of the benchmark; returns the results (see :func:`format_results`)."""
    work = opts.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    corpus_dir, index_dir = work / "corpus", work / "index"
    results: dict = {"machine": machine(), "options": opts.to_json()}
    results["load_average"] = {"start": load_average()}

    log(f"corpus: {opts.reports} reports in {corpus_dir}")
    manifest, gen_s = ensure_corpus(
        corpus_dir,
        opts.reports,
        seed=opts.seed,
        extra_text=opts.extra_text,
        pdf_share=opts.pdf_share,
        docx_share=opts.docx_share,
    )
    results["corpus"] = corpus_json(corpus_dir, manifest, gen_s)
    reuse = opts.reuse_index and gen_s is None  # a new corpus always gets a new index
    engine, reports, results["index"] = index_step(corpus_dir, index_dir, reuse, log)
    queries = build_query_mix(corpus_dir, manifest, opts.queries, opts.seed)

    if opts.skip_fts5:
        fts: Fts5 | NoFts5 = NoFts5()
        results["fts5"] = {"skipped": "--skip-fts5"}
    else:
        log("fts5: building the trigram table …")
        fts = Fts5(work / "fts5.sqlite3")
        _, build_ms = timed(lambda: fts.build(reports))
        results["fts5"] = {"build_s": round(build_ms / 1000, 2), "db_mb": fts.size_mb()}

    log(f"timing {len(queries)} queries × {opts.rounds} rounds …")
    timings = {
        "fazhi_in_process": time_queries(lambda q: fazhi_search(engine, q), queries, opts.rounds),
        "fts5": time_queries(fts.search, queries, opts.rounds, fts.can_answer),
        "grep": time_queries(lambda q: grep_files(corpus_dir, q), queries, 1, grep_can_answer),
    }
    results["latency"] = {name: latency(_flat(t)) for name, t in timings.items()}
    if opts.skip_http:
        results["latency"]["fazhi_http"] = {"skipped": "--skip-http"}
    else:
        log("http: `fazhi serve` on 127.0.0.1 …")
        results["latency"]["fazhi_http"] = http_results(index_dir, queries, opts.http_requests)

    log("cross-check …")
    checks = cross_check(engine, fts, corpus_dir, manifest, reports, queries)
    results["cross_check"] = summarize_checks(checks)
    results["queries"] = query_rows(queries, checks, timings)

    log("analytics views (matrix, practices, precedents) …")
    results["analytics"] = time_analytics(engine, queries)

    log("adding one report while searching …")
    results["add_one"] = add_one_report(
        work, index_dir, engine, queries, seed=opts.seed, extra_text=opts.extra_text
    )
    if opts.profile:
        results["profile"] = profile_queries(engine, queries)
    fts.db.close()
    engine.close()
    results["load_average"]["end"] = load_average()
    return results


# ---------------------------------------------------------------- analytics views


def time_analytics(engine: Engine, queries: list[Query], n_reports: int = 50) -> dict:
    """Latency of the analytics views and the one-off cost of what they build per index generation.

    The practice catalogue and the sentence index are built once (timed
    alone); then each query's matrix and practice facet, with the match cache
    off so every call searches, and the precedents of ``n_reports`` reports
    spread over the index (first view of each).
    """
    from indexer.analytics import Analytics

    an = Analytics(engine)
    catalogue, build_catalogue_ms = timed(an.practices)
    index, build_sentences_ms = timed(an.sentence_index)
    an.MATCH_CACHE = 0  # time every view with its own search
    matrix = [timed(lambda q=q: an.matrix(q.text, q.filters))[1] for q in queries]
    facet = [timed(lambda q=q: an.practice_facet(q.text, q.filters))[1] for q in queries]
    ids = [m["id"] for m in engine.reports()]
    step = max(1, len(ids) // n_reports)
    precedents = [timed(lambda rid=rid: an.precedents(rid))[1] for rid in ids[::step][:n_reports]]
    return {
        "catalogue_build_ms": round(build_catalogue_ms),
        "practices": len(catalogue),
        "sentence_index_build_ms": round(build_sentences_ms),
        "distinct_sentences": len(index),
        "matrix": latency(matrix),
        "practice_facet": latency(facet),
        "precedents": latency(precedents),
    }


def index_step(corpus_dir: Path, index_dir: Path, reuse: bool, log: Callable[[str], None]):
    """Build (or reuse) the index; return the engine, the indexed reports and the index figures."""
    build = None
    if reuse and (index_dir / "fazhi.json").exists():
        log("index: reused")
    else:
        log("index: building with `fazhi index` …")
        build = build_index(corpus_dir, index_dir)
    engine = Engine(index_dir)
    _, open_ms = timed(engine.reports)
    reports = indexed_reports(engine, corpus_dir)
    stats = index_stats(*(build or (None, {})), reports, index_dir)
    stats["engine_open_ms"] = round(open_ms, 1)
    return engine, reports, stats


def _flat(timings: list[list[float] | None]) -> list[float]:
    return [ms for per_query in timings if per_query for ms in per_query]


def corpus_json(corpus_dir: Path, manifest: dict, gen_s: float | None) -> dict:
    kinds: dict[str, int] = {}
    for f in manifest["files"]:
        kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
    return {
        "reports": len(manifest["files"]),
        "kinds": kinds,
        "chars": sum(f["chars"] for f in manifest["files"]),
        "mb_on_disk": round(dir_bytes(corpus_dir) / 2**20, 1),
        "generated_s": None if gen_s is None else round(gen_s, 2),
        "reused": gen_s is None,
    }


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


def wait_for_analytics(base: str) -> float:
    """Milliseconds until the server's start-up builds (practice catalogue, sentence
    index) are done: the requests that need them wait for them."""
    t0 = time.perf_counter()
    http_get(f"{base}/practices")
    status, body = http_get(f"{base}/api/reports")
    reports = json.loads(body) if status == 200 else []
    if reports:
        http_get(f"{base}/api/reports/{urllib.parse.quote(reports[0]['id'])}/precedents")
    return (time.perf_counter() - t0) * 1000


def _ready(http: dict) -> str:
    ms = http.get("analytics_ready_ms")
    return "" if ms is None else f"  (after the start-up builds: {ms / 1000:.1f} s)"


def http_results(index_dir: Path, queries: list[Query], max_requests: int) -> dict:
    try:
        with serving(index_dir) as (base, first_ms, pid):
            ready_ms = wait_for_analytics(base)  # searches are timed on a settled server
            latencies, errors = time_http(base, queries, max_requests)
            memory = process_memory_mb(pid)
    except (RuntimeError, OSError) as exc:
        return {"skipped": f"server unavailable: {exc}"}
    return {
        **latency(latencies),
        "non_200": errors,
        "first_answer_ms": round(first_ms, 1),
        "analytics_ready_ms": round(ready_ms, 1),
        "server_memory_mb": memory,
    }


def query_rows(queries: list[Query], checks: list[QueryCheck], timings: dict) -> list[dict]:
    """One row per query: matching reports per engine and median milliseconds."""

    def median(name: str, i: int) -> float | None:
        per_query = timings[name][i]
        return round(percentile(per_query, 50), 2) if per_query else None

    return [
        {
            "query": q.label(),
            "kind": q.kind,
            "fazhi": c.fazhi,
            "fts5": c.fts5,
            "grep": c.grep,
            "fazhi_ms": median("fazhi_in_process", i),
            "fts5_ms": median("fts5", i),
            "grep_ms": median("grep", i),
            "unexplained": sum(not d.explained for d in c.disagreements),
        }
        for i, (q, c) in enumerate(zip(queries, checks, strict=True))
    ]


# ---------------------------------------------------------------- output


def _fmt(x: object) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:,.1f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def _lat(d: dict) -> str:
    if "skipped" in d:
        return f"skipped ({d['skipped']})"
    p50, p95, top = (_fmt(d[k]) for k in ("p50_ms", "p95_ms", "max_ms"))
    return f"p50 {p50} ms  p95 {p95} ms  max {top} ms  (n={d['n']})"


def format_results(r: dict) -> str:
    """The results as the table printed at the end of a run."""
    m, c, ix, lat = r["machine"], r["corpus"], r["index"], r["latency"]
    made = " (reused)" if c["reused"] else f", generated in {c['generated_s']} s"
    lines = [
        "",
        f"machine      {m['cores']} cores, {m['cpu']}, {m['memory_gib']} GiB RAM; "
        f"Python {m['python']}, SQLite {m['sqlite']}; code {m['commit']}",
        f"load         {r['load_average']['start']} at start, {r['load_average']['end']} at end "
        "(1/5/15 min)",
        f"corpus       {c['reports']:,} reports {c['kinds']}, {c['chars']:,} chars, "
        f"{c['mb_on_disk']} MB{made}",
        *_index_lines(ix, r["fts5"]),
        f"fazhi        {_lat(lat['fazhi_in_process'])}  in-process: matches, facets, 20 snippets",
        f"fazhi http   {_lat(lat['fazhi_http'])}{_ready(lat['fazhi_http'])}",
        *_server_memory_line(lat["fazhi_http"]),
        f"fts5         {_lat(lat['fts5'])}  count of reports, 20 snippets",
        f"grep -rlF    {_lat(lat['grep'])}",
        *_check_lines(r["cross_check"]),
        _add_one_line(r["add_one"]),
        "",
        _query_table(r["queries"]),
    ]
    if "profile" in r:
        lines += ["", r["profile"]]
    return "\n".join(lines)


def _index_lines(ix: dict, fts: dict) -> list[str]:
    opened = f"open         first Engine call {ix['engine_open_ms']} ms"
    disk = (
        f"disk         index {ix['index_mb']} MB for {ix['text_mb']} MB of passage text "
        f"(×{ix['index_to_text']}); "
        + (
            "FTS5 skipped"
            if "skipped" in fts
            else f"FTS5 {fts['db_mb']} MB, built in {fts['build_s']} s"
        )
    )
    if ix.get("reused"):
        return [
            f"index        reused (not rebuilt): {ix['text_chars']:,} chars in "
            f"{ix['passages']:,} passages",
            disk,
            opened,
        ]
    return [
        f"index        {ix['wall_s']} s wall, {_fmt(ix['chars_per_s'])} chars/s over "
        f"{ix['text_chars']:,} chars in {ix['passages']:,} passages; {ix['failed']} failed",
        f"memory       peak RSS {ix['peak_rss_mb_largest_process']} MB (largest process), "
        f"{ix['peak_rss_mb_process_tree']} MB (process tree)",
        disk,
        opened,
    ]


def _server_memory_line(http: dict) -> list[str]:
    mem = http.get("server_memory_mb")
    if not mem:
        return []
    return [
        f"serving      RSS {mem['rss']} MB after the HTTP searches: {mem['anonymous']} MB "
        f"anonymous, {mem['file']} MB mapped from files (the index's gram files, libraries)"
    ]


def _check_lines(x: dict) -> list[str]:
    lines = [
        f"cross-check  {x['queries']} queries; FTS5 answered {x['fts5_answered']}, agreed on "
        f"{x['fts5_agreed']}; grep answered {x['grep_answered']}, identical on "
        f"{x['grep_identical']}; unexplained disagreements: {len(x['unexplained'])}"
    ]
    for reason, n in sorted(x["explained"].items()):
        lines.append(f"             explained: {reason} ({n})")
    for d in x["unexplained"][:20]:
        lines.append(
            f"             UNEXPLAINED {d['peer']} {d['query']} {d['file']}: {d['reason']}"
        )
    return lines


def _add_one_line(a: dict) -> str:
    return (
        f"add one      {a['wall_s']} s (exit {a['exit_code']}), reports {a['reports_before']} → "
        f"{a['reports_after']}, new report found: {a['new_report_found']}; during it "
        f"{a['searches_during']} searches, {len(a['search_errors'])} errors, "
        f"{_lat(a['search_latency_during'])}; removed again in {a['remove_wall_s']} s"
    )


def _query_table(rows: list[dict]) -> str:
    cols = ("fazhi", "fts5", "grep", "fazhi_ms", "fts5_ms", "grep_ms")
    head = f"{'query':<32} {'kind':<17}" + "".join(f"{c:>9}" for c in cols)
    out = [head, "-" * len(head)]
    for row in rows:
        q = row["query"] if len(row["query"]) <= 22 else row["query"][:21] + "…"
        cells = "".join(f"{_fmt(row[c]):>9}" for c in cols)
        out.append(f"{q:<{32 - _wide(q)}} {row['kind']:<17}{cells}")
    return "\n".join(out)


def _wide(s: str) -> int:
    """Columns taken beyond one per character (CJK characters are two wide)."""
    return sum(1 for ch in s if ord(ch) >= 0x2E80)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bench.py",
        description="Generate (or reuse) a synthetic corpus, index it with `fazhi index`, and "
        "time a seeded query mix in-process, over HTTP, against SQLite FTS5 (trigram) and "
        "grep; cross-check their answers; time adding one report while searching. Exits 1 "
        "when an engine disagrees with fazhi for a reason the cross-check cannot explain.",
    )
    add = p.add_argument
    add("--reports", type=int, default=1000, help="corpus size (default: 1000)")
    add(
        "--work",
        type=Path,
        default=Path("bench-out"),
        help="directory for corpus, index and FTS5 table; a corpus made with the same "
        "options is reused (default: bench-out)",
    )
    add("--seed", type=int, default=0, help="seed of the corpus and the query mix (default: 0)")
    add(
        "--extra-text",
        type=Path,
        default=None,
        metavar="DIR",
        help="passed to make_corpus.py: text files whose sentences widen the vocabulary",
    )
    add("--pdf-share", type=float, default=0.02, help="share of PDFs (default: 0.02)")
    add("--docx-share", type=float, default=0.03, help="share of .docx files (default: 0.03)")
    add("--queries", type=int, default=60, help="size of the query mix (default: 60)")
    add(
        "--rounds",
        type=int,
        default=3,
        help="timed passes over the mix, in-process and on FTS5 (default: 3)",
    )
    add("--skip-http", action="store_true", help="do not start `fazhi serve`")
    add(
        "--skip-fts5",
        action="store_true",
        help="do not build or query the FTS5 table (it takes long on a large corpus)",
    )
    add(
        "--http-requests",
        type=int,
        default=200,
        help="at most this many searches over HTTP (default: 200)",
    )
    add(
        "--reuse-index",
        action="store_true",
        help="keep the index in WORK/index instead of rebuilding it",
    )
    add(
        "--profile",
        action="store_true",
        help="print the top 25 functions by cumulative time of one pass over the mix",
    )
    add(
        "--json",
        dest="json_out",
        type=Path,
        default=None,
        metavar="OUT",
        help="also write the results as JSON to OUT",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    opts = Options(**vars(args))
    try:
        results = run(opts, lambda msg: print(f"· {msg}", file=sys.stderr, flush=True))
    except (RuntimeError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(format_results(results))
    if opts.json_out:
        text = json.dumps(results, ensure_ascii=False, indent=1)
        opts.json_out.write_text(text + "\n", encoding="utf-8")
    return 1 if results["cross_check"]["unexplained"] else 0


if __name__ == "__main__":
    sys.exit(main())
