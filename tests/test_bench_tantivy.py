"""The tantivy peer of the benchmark finds exactly the reports fazhi finds.

The same 30-report corpus as ``test_bench.py``, indexed by fazhi, then by
tantivy in both variants from the passages fazhi read.
"""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest

from devtools import bench
from devtools.bench import tantivy_peer
from devtools.bench.engines import fazhi_report_set
from devtools.bench.tantivy_peer import VARIANTS, Tantivy


@pytest.fixture(scope="module")
def files_of(bench_indexed) -> dict[str, str]:
    return {r.rid: r.file for r in bench_indexed}


@pytest.fixture(scope="module", params=VARIANTS)
def peer(request, bench_indexed, tmp_path_factory):
    peer = Tantivy(tmp_path_factory.mktemp("tantivy") / request.param, request.param)
    peer.build(bench_indexed)
    yield peer
    peer.close()


def fazhi_files(engine, q, files_of) -> tuple[int, set[str]]:
    total, found = fazhi_report_set(engine, q, files_of)
    assert found is not None  # 30 reports: always enumerated
    return total, found


def assert_agrees(peer, engine, q, files_of) -> set[str]:
    total, found = fazhi_files(engine, q, files_of)
    assert peer.report_files(q) == found, q.label()
    assert peer.search(q)[0] == total, q.label()
    return found


# ---------------------------------------------------------------- agreement


def test_every_query_it_can_answer_finds_fazhis_reports(peer, bench_corpus, bench_engine, files_of):
    queries = bench.build_query_mix(*bench_corpus, 40, seed=7)
    answered = [q for q in queries if peer.can_answer(q)]
    for q in answered:
        assert_agrees(peer, bench_engine, q, files_of)
    one_char = [q for q in queries if q.kind.startswith("1 char")]
    assert one_char and len(answered) == len(queries) - (peer.variant == "bigrams") * len(one_char)


def test_filters_are_applied(peer, bench_engine, bench_indexed, files_of):
    def found(**filters) -> set[str]:
        values = {key: [str(v) for v in vs] for key, vs in filters.items()}
        return assert_agrees(peer, bench_engine, bench.Query("依法行政", "", values), files_of)

    years = sorted({r.year for r in bench_indexed if r.year is not None})
    assert len(years) >= 2
    unfiltered = found()
    one = found(year=years[:1])
    assert one and one < unfiltered
    assert one < found(year=years[:2]) <= unfiltered  # values of one filter: either
    province = next(r.province for r in bench_indexed if r.year == years[0] and r.province)
    assert found(year=years[:1], province=[province]) <= one  # filters: all
    assert found(section=["plans"]) < unfiltered


def test_punctuation_is_a_character_like_any_other(peer, bench_engine, files_of):
    with_mark = assert_agrees(peer, bench_engine, bench.Query("谁执法、谁普法", "rare"), files_of)
    without = assert_agrees(peer, bench_engine, bench.Query("谁执法谁普法", "rare"), files_of)
    assert with_mark and without
    assert with_mark - without  # reports that only write it with 、


def test_a_phrase_matches_across_a_space_of_the_passage(
    peer, bench_engine, bench_indexed, files_of
):
    """fold() removes whitespace: "LED 显示屏" in a passage is found by led显示屏."""
    spaced = {r.file for r in bench_indexed for _, text in r.passages if "LED 显示屏" in text}
    assert spaced
    assert assert_agrees(peer, bench_engine, bench.Query("LED显示屏", "spaced"), files_of) >= spaced
    assert (
        assert_agrees(peer, bench_engine, bench.Query("LED 显示屏", "two terms"), files_of)
        >= spaced
    )


def test_repeated_characters_in_a_phrase(peer, bench_engine, files_of):
    assert assert_agrees(peer, bench_engine, bench.Query("谁执法谁普法", "rare"), files_of)
    assert not assert_agrees(peer, bench_engine, bench.Query("法法法", "absent"), files_of)


# ---------------------------------------------------------------- what each variant can answer


def test_bigrams_refuse_one_character_terms():
    chars, grams = Tantivy(None, "chars"), Tantivy(None, "bigrams")
    assert (chars.name, grams.name) == ("tantivy", "tantivy-bigrams")
    for text in ("法", "依法行政 法"):
        assert chars.can_answer(bench.Query(text, ""))
        assert not grams.can_answer(bench.Query(text, ""))
    for text in ("执法", "依法行政 枫桥经验"):
        assert grams.can_answer(bench.Query(text, "", {"year": ["2023"]}))
    assert not chars.can_answer(bench.Query("执法", "", {"county": ["某县"]}))


def test_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="bigrams"):
        Tantivy(None, "trigrams")


def test_without_tantivy_the_module_imports_and_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "tantivy", None)  # import tantivy now fails
    spec = importlib.util.find_spec("devtools.bench.tantivy_peer")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.tantivy is None
    with pytest.raises(RuntimeError, match=r"pip install .*tantivy.*--skip-tantivy"):
        module.Tantivy(None)


# ---------------------------------------------------------------- a peer that disagrees


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_peer_missing_a_report_disagrees(variant, bench_engine, bench_indexed, files_of):
    q = bench.Query("依法行政", "frequent")
    total, found = fazhi_files(bench_engine, q, files_of)
    missing = next(r for r in bench_indexed if r.file in found)
    partial = Tantivy(None, variant)  # in RAM
    partial.build([r for r in bench_indexed if r is not missing])
    assert found - partial.report_files(q) == {missing.file}
    assert partial.search(q)[0] == total - 1
    assert partial.size_mb() == 0.0
    partial.close()


# ---------------------------------------------------------------- timing helpers, snippets


def test_drop_caches_keeps_the_results(peer):
    queries = [bench.Query(t, "") for t in ("执法", "依法行政 枫桥经验", "法律明白人")]
    queries.append(bench.Query("法治政府建设", "", {"section": ["measures", "plans"]}))
    before = [peer.search(q) for q in queries]
    peer.drop_caches()
    assert [peer.search(q) for q in queries] == before
    assert peer.size_mb() > 0


MARK = re.compile(r"<b>(.*?)</b>")


@pytest.mark.parametrize("text", ["执法", "法律明白人", "一支队伍管执法"])
def test_snippets_mark_the_query_in_the_best_passages(peer, text):
    count, snippets = peer.search(bench.Query(text, ""))
    assert count and 1 <= len(snippets) <= 20
    for snippet in snippets:
        marked = MARK.findall(snippet)
        assert marked, snippet
        assert all(m in text for m in marked), snippet
    frequent = peer.search(bench.Query("执法", ""))[1]
    assert len(frequent) == 20


def test_reports_are_counted_a_range_at_a_time_beyond_the_bucket_limit(
    peer, bench_engine, files_of, monkeypatch
):
    queries = [bench.Query(t, "") for t in ("执法", "依法行政 枫桥经验")]
    queries.append(bench.Query("法治政府建设", "", {"year": ["2023"]}))
    whole = [(peer.search(q)[0], peer.report_files(q)) for q in queries]
    monkeypatch.setattr(tantivy_peer, "AGG_REPORTS", 7)  # 30 reports: 5 ranges
    assert [(peer.search(q)[0], peer.report_files(q)) for q in queries] == whole
    for q in queries:
        assert_agrees(peer, bench_engine, q, files_of)


def test_the_cross_check_counts_each_peer_and_names_its_disagreements(
    bench_corpus, bench_engine, bench_indexed, tmp_path
):
    corpus_dir, manifest = bench_corpus
    queries = bench.build_query_mix(corpus_dir, manifest, 20, seed=7)
    whole = Tantivy(tmp_path / "whole", "chars")
    whole.build(bench_indexed)
    short = Tantivy(tmp_path / "short", "bigrams")
    short.build(bench_indexed[1:])
    fts = bench.NoFts5()
    checks = bench.cross_check(
        bench_engine, fts, corpus_dir, manifest, bench_indexed, queries, [whole, short]
    )
    whole.close()
    short.close()
    summary = bench.summarize_checks(checks)
    assert summary["peers"]["tantivy"] == {"answered": len(queries), "agreed": len(queries)}
    answered = [c for c in checks if c.peers["tantivy-bigrams"] is not None]
    assert summary["peers"]["tantivy-bigrams"]["answered"] == len(answered) < len(queries)
    missed = {d.file for c in checks for d in c.disagreements if d.peer == "tantivy-bigrams"}
    assert missed == {bench_indexed[0].file}
    assert {d["peer"] for d in summary["unexplained"]} == {"tantivy-bigrams"}


def test_cold_timing_empties_the_caches_before_each_timed_query_and_warm_asks_first():
    calls: list[str] = []
    queries = [bench.Query("依法行政", "frequent"), bench.Query("法", "1 char")]

    def run(q):
        calls.append(q.text)

    def cold():
        calls.append("drop")

    timed = bench.time_queries(run, queries, 2, lambda q: len(q.text) > 1, before=cold)
    assert calls == ["drop", "依法行政"] * 2 and timed[1] is None and len(timed[0]) == 2
    calls.clear()
    timed = bench.time_queries(run, queries, 2, warm=True)
    assert calls == ["依法行政", "法"] * 3 and [len(t) for t in timed] == [2, 2]
