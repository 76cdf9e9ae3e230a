"""Searching while the index changes, breaks or disappears.

Searches in several threads (the engine directly and the web app) keep
answering while an indexer commits and swaps in a rebuild, and see the new
reports without a restart. When a new generation cannot be read, the engine
logs why and keeps answering from the last good one; only an app that never
had a readable index answers 503.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import subprocess
import threading
import time
import warnings
from pathlib import Path

import pytest

from indexer import index as idx
from indexer.errors import IndexStoreError
from indexer.ingest import index_paths
from indexer.ingest import run as ingest_run
from indexer.search import Engine
from webui import create_app

from helpers import FAZHI, ROOT, SEEDS, short_seeds


def add_reports(corpus: Path, start: int, n: int) -> None:
    """``n`` short new reports, each holding 依法行政."""
    for i in range(start, start + n):
        text = SEEDS[i % len(SEEDS)].read_text(encoding="utf-8")[: 300 + 20 * i]
        (corpus / f"new_{i:02d}.txt").write_text(
            f"{text}\n附：坚持依法行政，第{i}号。\n", encoding="utf-8"
        )


@pytest.fixture
def corpus(tmp_path) -> Path:
    return short_seeds(tmp_path / "corpus")


@pytest.mark.slow
def test_searches_in_threads_while_an_indexer_commits(corpus, tmp_path):
    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    engine = Engine(ix)
    client_app = create_app({"INDEX_DIR": str(ix), "TESTING": True})
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: dict[str, list[int]] = {}

    def engine_loop(name: str) -> None:
        counts = seen.setdefault(name, [])
        while not stop.is_set():
            try:
                counts.append(engine.search("依法行政", per_page=5)["total"]["reports"])
                engine.report(engine.reports()[0]["id"])
                stop.wait(0.005)  # leave the indexer some CPU
            except BaseException as exc:  # noqa: BLE001 - the test reports it
                errors.append(exc)
                return

    def web_loop(name: str) -> None:
        client = client_app.test_client()
        counts = seen.setdefault(name, [])
        while not stop.is_set():
            res = client.get("/api/search?q=依法行政&per_page=5")
            if res.status_code != 200:
                errors.append(AssertionError(f"{res.status_code}: {res.get_data(as_text=True)}"))
                return
            counts.append(res.get_json()["total"]["reports"])
            if client.get("/?q=依法行政").status_code != 200:
                errors.append(AssertionError("search page failed"))
                return
            stop.wait(0.005)

    loops = {"engine0": engine_loop, "engine1": engine_loop, "web0": web_loop, "web1": web_loop}
    names = list(loops)
    threads = [threading.Thread(target=loop, args=(name,)) for name, loop in loops.items()]
    for t in threads:
        t.start()
    try:
        # four commits adding reports, one of them a rebuild swapped in
        for step in range(4):
            add_reports(corpus, 2 * step, 2)
            args = ["index", str(corpus), "--index", str(ix)] + (["--rebuild"] if step == 2 else [])
            proc = subprocess.run([*FAZHI, *args], cwd=ROOT, capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr
            time.sleep(0.2)  # let the threads search this generation
        # every thread sees the last generation (however slow the machine)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not errors:
            if all(len(seen.get(n, [])) and seen[n][-1] == 13 for n in names):
                break
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not errors, errors
    assert engine.search("依法行政")["total"]["reports"] == 13
    for name, counts in seen.items():
        assert counts, name
        assert counts == sorted(counts), f"{name}: result counts went backwards"
        assert counts[0] >= 5 and counts[-1] == 13, (name, counts[0], counts[-1])


# ---------------------------------------------------------------- a broken new generation


def _break_next_generation(ix: Path) -> None:
    """A newer TOC that cannot be read, as a half-copied index would leave."""
    gen = max(int(p.name.split("_")[2].split(".")[0]) for p in ix.glob("_MAIN_*.toc"))
    (ix / f"_MAIN_{gen + 1}.toc").write_bytes(b"\x04\x08")


def test_engine_keeps_its_last_good_view_when_the_new_one_is_unreadable(corpus, tmp_path, caplog):
    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    engine = Engine(ix)
    assert engine.search("依法行政")["total"]["reports"] == 5
    _break_next_generation(ix)
    with caplog.at_level(logging.ERROR, logger="indexer.search"):
        for _ in range(3):
            assert engine.search("依法行政")["total"]["reports"] == 5
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1  # logged once per broken generation, not per request
    assert errors[0].startswith(
        f"cannot open the new index generation, still answering from the previous one: "
        f"index at {ix} is corrupt or unreadable ("
    )
    assert engine.last_error and "rebuild it from the corpus" in engine.last_error
    # a fresh engine has nothing to fall back on
    with pytest.raises(IndexStoreError, match="is corrupt or unreadable"):
        Engine(ix).search("依法行政")
    # the repair is picked up without a restart
    add_reports(corpus, 0, 1)
    index_paths([corpus], ix, rebuild=True)
    assert engine.search("依法行政")["total"]["reports"] == 6
    assert engine.last_error is None


def test_engine_answers_from_open_files_when_the_index_is_deleted(corpus, tmp_path):
    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    engine = Engine(ix)
    rid = engine.reports()[0]["id"]
    engine.search("依法行政")
    shutil.rmtree(ix)
    assert engine.search("依法行政")["total"]["reports"] == 5
    assert engine.report(rid)["passages"]  # stored text read from the open files


def test_web_app_keeps_answering_from_the_old_index_and_503_without_any(corpus, tmp_path, caplog):
    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    client = create_app({"INDEX_DIR": str(ix), "TESTING": True}).test_client()
    assert client.get("/api/search?q=依法行政").get_json()["total"]["reports"] == 5
    _break_next_generation(ix)
    with caplog.at_level(logging.ERROR, logger="indexer.search"):
        res = client.get("/api/search?q=依法行政")
        assert res.status_code == 200 and res.get_json()["total"]["reports"] == 5
        assert client.get("/?q=依法行政").status_code == 200
    assert any("still answering from the previous one" in r.getMessage() for r in caplog.records)
    # an app that never had a readable index: 503 with the one-line reason
    fresh = create_app({"INDEX_DIR": str(ix), "TESTING": True}).test_client()
    res = fresh.get("/api/search?q=依法行政")
    assert res.status_code == 503
    message = res.get_json()["error"]
    assert message.startswith(f"index at {ix} is corrupt or unreadable (")
    assert message.endswith("(rebuild it from the corpus with `fazhi index --rebuild`)")
    res = fresh.get("/?q=依法行政")
    assert res.status_code == 503 and "索引暂不可用" in res.get_data(as_text=True)
    # `fazhi check` names the broken file; a rebuild repairs it for both apps
    assert idx.verify(ix).corrupt
    index_paths([corpus], ix, rebuild=True)
    assert fresh.get("/api/search?q=依法行政").status_code == 200
    assert client.get("/api/search?q=依法行政").status_code == 200


# ---------------------------------------------------------------- a segment removed while opening


def test_a_segment_removed_while_opening_leaves_no_file_open(corpus, tmp_path, monkeypatch):
    """A commit can remove a segment between reading the TOC and opening it. The readers
    already opened must be closed then: Whoosh's own reader() retried and left them to the
    garbage collector, whose warning about their open files failed a later test."""
    monkeypatch.setattr(ingest_run, "PARALLEL_WRITE_MIN_FILES", 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    segments = sorted(ix.glob("MAIN_*.seg"), key=lambda p: p.stat().st_mtime_ns)
    assert len(segments) == 2
    segments[-1].unlink()  # as a merging commit removes it
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(IndexStoreError, match="is corrupt or unreadable"):
            idx.Snapshot(ix, {})
        with pytest.raises(IndexStoreError, match="is corrupt or unreadable"):
            Engine(ix).search("依法行政")
        gc.collect()
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []
    assert not [fd for fd in os.listdir("/proc/self/fd") if _opened_in(fd, ix)]


def _opened_in(fd: str, folder: Path) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{fd}").startswith(str(folder))
    except OSError:
        return False


def test_a_view_that_becomes_garbage_closes_its_files_first(corpus, tmp_path):
    """A replaced view is freed by the cyclic collector; its snapshot must be closed
    before the collector finalizes Whoosh's open files (else they warn, at random)."""
    from indexer.search.view import View

    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    view = View(ix, {})
    view.reports.get("no such report")  # the report mapping points back at the view
    snapshot = view.snapshot
    del view
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    assert snapshot._reader is None  # closed when the view went, though still referenced
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    for _ in range(5):  # views dropped without a reference kept: no file left to warn
        View(ix, {}).reports.get("x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_the_segments_of_a_view_share_the_budget_of_kept_terms(corpus, tmp_path):
    from indexer.index import grams
    from indexer.search.view import View

    ix = tmp_path / "ix"
    index_paths([corpus], ix)
    extra = tmp_path / "extra"
    short_seeds(extra, chars=3000)
    index_paths([extra], ix)  # a second segment
    view = View(ix, {})
    shares = [data.grams.cache_bytes for data in view.segs]
    assert len(shares) >= 2 and all(s >= grams.TERM_CACHE_MIN for s in shares)
    assert grams.TERM_CACHE_BYTES - len(shares) <= sum(shares) <= grams.TERM_CACHE_BYTES
    view.close()
