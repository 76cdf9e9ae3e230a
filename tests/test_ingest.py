"""Ingestion with worker processes that parse files and write segments."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from indexer import Engine
from indexer import index as idx
from indexer.ingest import index_paths
from indexer.ingest import run as ingest
from indexer.ingest.run import CRASHED

from helpers import CORPUS

QUERIES = ["依法行政", "一支队伍管执法", "法", "普法 -执法", "法治政府 OR 枫桥经验"]


@pytest.fixture
def corpus(tmp_path) -> Path:
    """The five seeds and, for each, a copy with one sentence of its own (ten reports)."""
    out = tmp_path / "corpus"
    out.mkdir()
    for i, seed in enumerate(sorted(CORPUS.glob("*.txt")) + sorted(CORPUS.glob("*.md"))):
        shutil.copy(seed, out / seed.name)
        text = seed.read_text(encoding="utf-8")
        (out / f"copy-{i}{seed.suffix}").write_text(
            text + f"\n\n本年度第{i}号独有句子用于区分副本。\n", encoding="utf-8"
        )
    return out


def parallel(monkeypatch, on: bool) -> None:
    monkeypatch.setattr(ingest, "PARALLEL_WRITE_MIN_FILES", 2 if on else 10**9)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


def answers(index_dir: Path) -> tuple:
    engine = Engine(index_dir)
    reports = [{k: v for k, v in m.items() if k != "path"} for m in engine.reports()]
    found = {
        q: [
            (r["id"], [p["id"] for p in r["passages"]])
            for r in engine.search(q, per_page=100)["reports"]
        ]  # fmt: skip
        for q in QUERIES
    }
    engine.close()
    return reports, found


def test_workers_index_what_one_process_does(corpus, tmp_path, monkeypatch):
    parallel(monkeypatch, False)
    one = index_paths([corpus], tmp_path / "one")
    parallel(monkeypatch, True)
    many = index_paths([corpus], tmp_path / "many")
    assert many.indexed == one.indexed and len(many.indexed) == 10
    assert many.total_reports == 10 and not many.failed
    assert answers(tmp_path / "many") == answers(tmp_path / "one")
    # two workers, one segment each, committed together
    with idx.Snapshot(tmp_path / "many", {}) as snapshot:
        assert len(snapshot.segments) == 2


def test_workers_replace_changed_files_and_keep_the_rest(corpus, tmp_path, monkeypatch):
    parallel(monkeypatch, True)
    index_dir = tmp_path / "index"
    index_paths([corpus], index_dir)
    changed = sorted(corpus.glob("copy-*"))
    for f in changed:
        f.write_text(f.read_text(encoding="utf-8") + "\n新增一句“区块链存证平台”建设。\n", "utf-8")
    summary = index_paths([corpus], index_dir)
    assert sorted(summary.indexed) == sorted(str(f) for f in changed)
    assert len(summary.unchanged) == 5 and summary.total_reports == 10
    engine = Engine(index_dir)
    assert len(engine.reports()) == 10
    hits = engine.search("区块链存证平台", per_page=100)["reports"]
    assert sorted(r["source"] for r in hits) == sorted(str(f) for f in changed)


def test_a_worker_that_dies_fails_only_the_file_it_was_reading(corpus, tmp_path, monkeypatch):
    parallel(monkeypatch, True)
    bad = corpus / "copy-2.txt"
    real = ingest._parse

    def parse(path):
        if path == str(bad):
            os._exit(3)  # a crash in a reader library: the worker process is gone
        return real(path)

    monkeypatch.setattr(ingest, "_parse", parse)
    summary = index_paths([corpus], tmp_path / "index")
    assert summary.failed == [(str(bad), CRASHED)]
    assert summary.total_reports == 9 and len(summary.indexed) == 9
    assert len(Engine(tmp_path / "index").reports()) == 9
    # what the dead worker had written is redone: nothing else is missing
    assert str(bad) not in summary.indexed
    assert not idx.leftovers(tmp_path / "index")  # nor its temporary files left


def test_a_worker_starts_a_new_segment_past_its_size(corpus, tmp_path, monkeypatch):
    parallel(monkeypatch, False)
    index_paths([corpus], tmp_path / "one")
    parallel(monkeypatch, True)
    monkeypatch.setattr(ingest, "SEGMENT_CHARS", 1)  # one report a segment
    summary = index_paths([corpus], tmp_path / "many")
    assert summary.total_reports == 10 and not summary.failed
    with idx.Snapshot(tmp_path / "many", {}) as snapshot:
        assert len(snapshot.segments) == 10
    assert answers(tmp_path / "many") == answers(tmp_path / "one")


def test_a_worker_that_dies_after_a_finished_segment_keeps_it(corpus, tmp_path, monkeypatch):
    parallel(monkeypatch, True)
    monkeypatch.setattr(ingest, "SEGMENT_CHARS", 1)
    bad = corpus / "copy-2.txt"
    real = ingest._parse

    def parse(path):
        if path == str(bad):
            os._exit(3)
        return real(path)

    monkeypatch.setattr(ingest, "_parse", parse)
    summary = index_paths([corpus], tmp_path / "index")
    # only the file it was reading fails; its earlier segments were adopted
    assert summary.failed == [(str(bad), CRASHED)]
    assert summary.total_reports == 9 and len(summary.indexed) == 9
    assert len(Engine(tmp_path / "index").reports()) == 9
    assert not idx.leftovers(tmp_path / "index")


def test_a_segment_that_cannot_be_finished_is_redone_here(corpus, tmp_path, monkeypatch):
    parallel(monkeypatch, True)

    def broken(self):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(idx.SegmentBuilder, "finish", broken)
    summary = index_paths([corpus], tmp_path / "index")
    assert not summary.failed and summary.total_reports == 10
    assert len(Engine(tmp_path / "index").reports()) == 10
    # nothing the workers wrote is left behind
    assert not idx.leftovers(tmp_path / "index")


def test_a_few_files_are_parsed_early_and_a_crash_fails_only_its_file(tmp_path, monkeypatch):
    """Fewer than eight files: parsed by one worker started before the index is read."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seeds = sorted(CORPUS.glob("*.txt"))[:3]
    for seed in seeds:
        shutil.copy(seed, corpus / seed.name)
    bad = corpus / seeds[1].name
    real = ingest._parse

    def parse(path):
        if path == str(bad):
            os._exit(3)  # kills the early worker, then the process of its own
        return real(path)

    monkeypatch.setattr(ingest, "_parse", parse)
    summary = index_paths([corpus], tmp_path / "index")
    assert summary.failed == [(str(bad), CRASHED)]
    assert summary.indexed == [str(corpus / seeds[0].name), str(corpus / seeds[2].name)]
    # unchanged files: nothing to parse, the early worker is stopped
    again = index_paths([corpus], tmp_path / "index")
    assert len(again.unchanged) == 2 and again.failed == [(str(bad), CRASHED)]


def test_adding_and_pruning_again_and_again_keeps_the_index_whole(tmp_path):
    """Small segments whose reports were all pruned get merged into a segment
    without passages; its gram file must be written all the same.

    Whoosh merges the five smallest segments once they hold fewer than 55
    documents: with a base of 20 reports (40 documents) those are five
    segments of pruned reports only.
    """
    ix = tmp_path / "index"
    base = tmp_path / "base"
    base.mkdir()
    seed = sorted(CORPUS.glob("*.txt"))[0].read_text(encoding="utf-8")
    for i in range(20):
        (base / f"b{i}.txt").write_text(f"{seed[:600]}\n附：{i}。\n", encoding="utf-8")
    index_paths([base], ix)
    extra = tmp_path / "extra"
    extra.mkdir()
    for n in range(6):
        for i in range(3):
            (extra / f"x{n}{i}.txt").write_text(f"{seed}\n附：{n}-{i}。\n", encoding="utf-8")
        assert len(index_paths([extra], ix).indexed) == 3
        for path in extra.iterdir():
            path.unlink()
        summary = index_paths([extra], ix, prune=True)
        assert (len(summary.pruned), summary.total_reports) == (3, 20)
    engine = Engine(ix)
    assert len(engine.reports()) == 20
    assert engine.search("依法行政")["total"]["reports"] >= 1


def test_adding_one_report_reads_only_what_it_asks_about(corpus, tmp_path, monkeypatch):
    """A session looks up the files it is given (by content id and by file name);
    it walks every report only to prune. Counts, replacements and duplicates are
    as when it read them all."""
    from indexer.index.known import KnownReports

    index_dir = tmp_path / "index"
    assert index_paths([corpus], index_dir).total_reports == 10
    walked = []
    real_items = KnownReports.items

    def items(self):
        walked.append(1)
        return real_items(self)

    monkeypatch.setattr(KnownReports, "items", items)
    new = tmp_path / "new"
    new.mkdir()
    seed = sorted(CORPUS.glob("*.txt"))[0]
    (new / "a.txt").write_text(seed.read_text("utf-8") + "\n新的一句。\n", "utf-8")
    summary = index_paths([new], index_dir)
    assert (len(summary.indexed), summary.total_reports, walked) == (1, 11, [])
    # the same content under another name is a duplicate; the same file is unchanged
    shutil.copy(new / "a.txt", new / "b.txt")
    summary = index_paths([new], index_dir)
    assert summary.unchanged == [str(new / "a.txt")]
    assert summary.duplicates == [(str(new / "b.txt"), str(new / "a.txt"))]
    (new / "b.txt").unlink()
    # a changed file replaces its old report
    (new / "a.txt").write_text(seed.read_text("utf-8") + "\n改过的一句。\n", "utf-8")
    summary = index_paths([new], index_dir)
    assert (summary.indexed, summary.total_reports, walked) == ([str(new / "a.txt")], 11, [])
    engine = Engine(index_dir)
    assert engine.search("改过的一句")["total"]["reports"] == 1
    assert engine.search("新的一句")["total"]["reports"] == 0
    engine.close()
    # pruning walks them all
    (new / "a.txt").unlink()
    summary = index_paths([new], index_dir, prune=True)
    assert (summary.pruned, summary.total_reports, walked) == ([str(new / "a.txt")], 10, [1])


def test_known_reports_bookkeeping_within_a_session(tmp_path):
    from indexer.index.known import KnownReports, source_key

    known = KnownReports()
    assert len(known) == 0 and known.get("x") is None and known.rid_of_source("a") is None
    known.add("r1", {"source": "a", "path": "/a"})
    known.add("r2", {"source": os.fsdecode(b"\xb7\xa8.txt"), "path": "/b"})
    assert len(known) == 2 and "r1" in known and known.rid_of_source("a") == "r1"
    known.pop("r1")
    assert len(known) == 1 and "r1" not in known and known.rid_of_source("a") is None
    assert [rid for rid, _ in known.items()] == ["r2"]
    # any name makes one short key
    assert {len(source_key(s)) for s in (os.fsdecode(b"\xb7\xa8.txt"), "a" * 5000)} == {32}
