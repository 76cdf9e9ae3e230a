"""The benchmark tools on a small corpus: generator, ground truth and cross-check.

No timings are asserted here; ``scripts/bench.py`` measures, these tests check
that what it measures is right.
"""

from __future__ import annotations

import re

import pytest

from devtools import bench
from devtools import corpus as make_corpus
from helpers import BENCH_CORPUS_ARGS, BENCH_REPORTS

N = BENCH_REPORTS
CORPUS_ARGS = BENCH_CORPUS_ARGS
META_FIELDS = ("township", "county", "province", "year")
MIN_MATCH = 0.9


# ---------------------------------------------------------------- the generator


def test_make_corpus_is_deterministic(bench_corpus, tmp_path):
    corpus_dir, _ = bench_corpus
    again = tmp_path / "again"
    make_corpus.generate(N, again, **CORPUS_ARGS)
    names = sorted(p.name for p in corpus_dir.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    for name in names:
        assert (again / name).read_bytes() == (corpus_dir / name).read_bytes(), name


def test_corpus_has_the_requested_shape(bench_corpus):
    corpus_dir, manifest = bench_corpus
    files = manifest["files"]
    assert len(files) == N
    assert sorted(f["kind"] for f in files).count("docx") == 1
    assert {f["kind"] for f in files} == {"txt", "docx"}
    for f in files:
        assert (corpus_dir / f["file"]).is_file()
        assert make_corpus.MIN_CHARS <= f["chars"] <= make_corpus.MAX_CHARS, f
        assert f["year"] in make_corpus.YEARS
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", f["date"])
        assert f["township"].endswith(("镇", "乡", "街道"))
        assert int(f["date"][:4]) in (f["year"], f["year"] + 1)


def test_text_files_name_their_township_and_county(bench_corpus):
    corpus_dir, manifest = bench_corpus
    for f in manifest["files"]:
        if f["kind"] == "txt":
            text = (corpus_dir / f["file"]).read_bytes().decode("utf-8-sig")
            assert f["township"] in text, f["file"]
            assert f["county"] in text, f["file"]


def test_chinese_dates():
    assert make_corpus.chinese_date(2024, 2, 27) == "二〇二四年二月二十七日"
    assert make_corpus.chinese_date(2020, 10, 10) == "二〇二〇年十月十日"


def test_seed_names_do_not_leak_into_the_pool():
    pool = make_corpus.load_seed_pool()
    seeds = [name for name, _ in make_corpus.SEED_NAMES]
    for section, paragraphs in pool.paragraphs.items():
        for sentence in (s for p in paragraphs for s in p):
            assert not any(name in sentence for name in seeds), (section, sentence)
    assert all(pool.paragraphs[s] for s in ("measures", "shortcomings", "plans", "leadership"))


# ---------------------------------------------------------------- ingestion vs ground truth


def test_generated_reports_ingest_with_their_metadata(bench_corpus, bench_indexed, bench_engine):
    _, manifest = bench_corpus
    by_file = {r.file: r.rid for r in bench_indexed}
    assert set(by_file) == {f["file"] for f in manifest["files"]}
    misses: dict[str, list] = {name: [] for name in META_FIELDS}
    for f in manifest["files"]:
        meta = bench_engine.report(by_file[f["file"]])
        for name in META_FIELDS:
            if meta.get(name) != f[name]:
                misses[name].append((f["file"], f[name], meta.get(name)))
    for name, wrong in misses.items():
        assert len(wrong) <= (1 - MIN_MATCH) * N, (
            f"{name}: {len(wrong)} of {N} wrong, e.g. {wrong[:3]}"
        )


# ---------------------------------------------------------------- the cross-check


def test_peers_refuse_what_they_cannot_answer():
    Query = bench.Query
    assert not bench.Fts5.can_answer(Query("执法", ""))
    assert not bench.Fts5.can_answer(Query("依法行政 法", ""))
    assert bench.Fts5.can_answer(Query("依法行政", "", {"year": ["2023"]}))
    assert not bench.grep_can_answer(Query("依法行政", "", {"year": ["2023"]}))
    assert not bench.grep_can_answer(Query("依法行政 枫桥经验", ""))
    assert bench.grep_can_answer(Query("法", ""))


def test_query_mix_is_seeded_and_complete(bench_corpus):
    corpus_dir, manifest = bench_corpus
    mix = bench.build_query_mix(corpus_dir, manifest, 40, seed=7)
    again = bench.build_query_mix(corpus_dir, manifest, 40, seed=7)
    assert [q.label() for q in mix] == [q.label() for q in again]
    assert len(mix) <= 40
    kinds = {q.kind.replace(" +filter", "") for q in mix}
    assert {"1 char", "2 chars", "frequent", "rare", "sampled", "line-broken"} <= kinds
    assert any(q.filters for q in mix)
    for q in mix:
        if q.kind.startswith("line-broken"):
            raw = (corpus_dir / q.source).read_bytes().decode("utf-8-sig")
            assert q.text not in raw, q.text


@pytest.fixture(scope="module")
def checks(bench_corpus, bench_engine, bench_indexed):
    corpus_dir, manifest = bench_corpus
    queries = bench.build_query_mix(corpus_dir, manifest, 40, seed=7)
    fts = bench.Fts5()
    fts.build(bench_indexed)
    yield bench.cross_check(bench_engine, fts, corpus_dir, manifest, bench_indexed, queries)
    fts.db.close()


def test_fazhi_fts5_and_grep_agree(checks):
    unexplained = [d for c in checks for d in c.disagreements if not d.explained]
    assert not unexplained, unexplained[:5]
    answered = [c for c in checks if c.fts5 is not None]
    assert answered and all(c.fts5 == c.fazhi for c in answered)
    assert any(c.grep is not None for c in checks)
    assert all(c.fts5 is None for c in checks if c.kind in ("1 char", "2 chars"))


def test_grep_misses_are_the_documented_ones(checks):
    reasons = {d.reason for c in checks for d in c.disagreements if d.peer == "grep"}
    assert any("line break" in r for r in reasons)
    assert any(".txt" in r for r in reasons)  # the Word document
    broken = [c for c in checks if c.kind == "line-broken"]
    assert broken and all(c.fazhi >= 1 for c in broken)


def test_cross_check_catches_a_peer_that_disagrees(bench_corpus, bench_engine, bench_indexed):
    corpus_dir, manifest = bench_corpus
    q = bench.Query("依法行政", "frequent")
    fts = bench.Fts5()
    fts.build(bench_indexed[1:])  # one report missing from the peer
    [check] = bench.cross_check(bench_engine, fts, corpus_dir, manifest, bench_indexed, [q])
    fts.db.close()
    assert [d.file for d in check.disagreements if d.peer == "fts5"] == [bench_indexed[0].file]
    assert not any(d.explained for d in check.disagreements if d.peer == "fts5")


# ---------------------------------------------------------------- command lines


@pytest.mark.parametrize("module", [make_corpus, bench], ids=["make_corpus", "bench"])
def test_help(module, capsys):
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_make_corpus_refuses_bad_shares(tmp_path, capsys):
    assert make_corpus.main(["3", str(tmp_path / "c"), "--pdf-share", "1.5"]) == 2
    assert "pdf share" in capsys.readouterr().err
