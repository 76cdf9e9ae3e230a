"""Exact and word search: completeness, filters, facets, snippets, ranking."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.errors import QueryError
from indexer.index import grams as grams_mod
from indexer.index import segfile
from indexer.search import Engine, evaluate
from indexer.search.highlight import snippet
from indexer.text import fold

from helpers import build_index, make_report

# ---------------------------------------------------------------- completeness

ALPHABET = "依法行政治建设执队伍管乡镇，。、（）“”《》0123 \n\u3000"


@st.composite
def corpora(draw):
    n = draw(st.integers(1, 6))
    reports = []
    for _ in range(n):
        texts = draw(st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=60),
                              min_size=1, max_size=5))  # fmt: skip
        texts = [t for t in texts if fold(t)] or ["依法"]
        reports.append(texts)
    return reports


@pytest.mark.slow
@pytest.mark.parametrize("block_chars", [None, 16], ids=["one-block", "small-blocks"])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(corpus=corpora(), data=st.data())
def test_exact_search_finds_exactly_the_passages_containing_a_substring(
    corpus, data, block_chars, monkeypatch
):
    """Every substring (1-12 chars, across former line breaks) finds exactly its passages."""
    monkeypatch.setattr(grams_mod, "BLOCK_CHARS", block_chars or grams_mod.BLOCK_CHARS)
    with tempfile.TemporaryDirectory() as tmp:
        reports = [make_report(f"r{i}.txt", texts) for i, texts in enumerate(corpus)]
        engine = Engine(build_index(Path(tmp) / "index", reports))
        all_passages = [(r.sha256[:16], p.id, p.text) for r in reports for p in r.passages]
        for _ in range(8):
            _, _, text = data.draw(st.sampled_from(all_passages))
            a = data.draw(st.integers(0, len(text) - 1))
            b = data.draw(st.integers(a + 1, min(len(text), a + 12)))
            sub = text[a:b]
            if not fold(sub):
                continue
            expected = {(rid, n) for rid, n, t in all_passages if fold(sub) in fold(t)}
            res = engine.search(f'"{sub}"', per_page=100)
            got = {(r["id"], p["id"]) for r in res["reports"] for p in r["passages"]}
            assert got == expected, sub
            assert res["total"]["passages"] == len(expected)
            assert res["total"]["reports"] == len({rid for rid, _ in expected})
        engine.close()


@pytest.mark.slow
@pytest.mark.parametrize("share", [0.0, 1.0], ids=["whole-lookups", "lookups-within"])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(corpus=corpora(), data=st.data())
def test_terms_and_ed_find_the_passages_holding_all(corpus, data, share, monkeypatch):
    """An AND finds the passages holding every term, whether a later term is looked up in
    the passages the others left or in the whole index (and its lookup kept or not)."""
    monkeypatch.setattr(grams_mod, "BLOCK_CHARS", 16)
    monkeypatch.setattr(evaluate, "WITHIN_SHARE", share)
    with tempfile.TemporaryDirectory() as tmp:
        reports = [make_report(f"r{i}.txt", texts) for i, texts in enumerate(corpus)]
        engine = Engine(build_index(Path(tmp) / "index", reports))
        all_passages = [(r.sha256[:16], p.id, p.text) for r in reports for p in r.passages]
        for _ in range(6):
            terms = []
            for _ in range(data.draw(st.integers(2, 3))):
                _, _, text = data.draw(st.sampled_from(all_passages))
                a = data.draw(st.integers(0, len(text) - 1))
                term = fold(text[a : data.draw(st.integers(a + 1, min(len(text), a + 4)))])
                if term.strip() and '"' not in term:
                    terms.append(term.replace(" ", ""))
            terms = [t for t in terms if t and t.isalnum()]
            if len(terms) < 2:
                continue
            if data.draw(st.booleans()):
                engine.search(terms[-1])  # its whole result kept before the AND
            expected = {(rid, n) for rid, n, t in all_passages if all(x in fold(t) for x in terms)}
            res = engine.search(" ".join(f'"{t}"' for t in terms), per_page=100)
            got = {(r["id"], p["id"]) for r in res["reports"] for p in r["passages"]}
            assert got == expected, terms
            engine.drop_caches()
        engine.close()


def test_phrase_broken_by_a_line_break_is_found(tmp_path):
    idx = build_index(tmp_path / "i", [make_report("a.txt", ["基本实现“一支队伍管\n执法”"])])
    assert Engine(idx).search("一支队伍管执法")["total"]["reports"] == 1


def test_width_variants_find_each_other(tmp_path):
    idx = build_index(tmp_path / "i", [make_report("a.txt", ["《规划（2021-2025 年）》，１２项"])])
    e = Engine(idx)
    for q in ["（2021-2025年）", '"(2021-2025年)"', "2021-2025 年", "12项", "，12"]:
        assert e.search(q)["total"]["passages"] == 1, q


# ---------------------------------------------------------------- boolean logic


def test_terms_must_share_a_passage(synthetic_index):
    e = Engine(synthetic_index)
    assert e.search("一支队伍管执法 谁执法谁普法")["total"]["reports"] == 0
    assert e.search("一支队伍管执法 OR 谁执法谁普法")["total"] == {"reports": 2, "passages": 3}
    assert e.search("执法 -谁执法")["total"]["passages"] == 2
    assert e.search("执法 NOT 一支队伍")["total"]["passages"] == 1
    assert e.search("(依法行政 OR 一支队伍) 能力")["total"]["passages"] == 1


def test_dropped_caches_give_the_same_answers_from_scratch(synthetic_index):
    e = Engine(synthetic_index)
    first = e.search("执法")
    del first["took_ms"]
    segs = e.view().segs
    assert any(data.grams._found for data in segs) and e.view()._texts
    e.drop_caches()
    assert not any(data.grams._found for data in segs) and not e.view()._texts
    again = e.search("执法")
    del again["took_ms"]
    assert again == first
    Engine(synthetic_index).drop_caches()  # nothing opened yet: nothing to drop


def test_one_character_query(synthetic_index):
    res = Engine(synthetic_index).search("乡")
    assert res["total"] == {"reports": 2, "passages": 2}


# ---------------------------------------------------------------- filters and facets


def test_filters_and_facets_count_reports(synthetic_index):
    e = Engine(synthetic_index)
    res = e.search("执法")
    assert res["total"] == {"reports": 2, "passages": 3}
    f = res["facets"]
    assert f["township"] == [
        {"value": "湖上乡", "county": "安溪县", "count": 1},
        {"value": "美湖镇", "county": "德化县", "count": 1},
    ]
    assert f["year"] == [{"value": 2023, "count": 2}]
    assert {e["value"]: e["count"] for e in f["section"]} == {"measures": 2, "plans": 1}
    assert f["province"] == [{"value": "福建省", "count": 2}]

    res = e.search("执法", filters={"township": ["湖上乡"]})
    assert res["total"] == {"reports": 1, "passages": 2}
    assert res["filters"] == {"township": ["湖上乡"]}
    # the filtered facet still shows the other townships; the others count within the filter
    assert [x["value"] for x in res["facets"]["township"]] == ["湖上乡", "美湖镇"]
    assert {x["value"]: x["count"] for x in res["facets"]["section"]} == {"measures": 1, "plans": 1}

    res = e.search("执法 section:plans")
    assert res["total"] == {"reports": 1, "passages": 1}
    assert res["facets"]["township"] == [{"value": "湖上乡", "county": "安溪县", "count": 1}]


def test_year_range_and_selected_value_stays_visible(synthetic_index):
    e = Engine(synthetic_index)
    assert e.search("依法行政 year:2021-2022")["total"]["reports"] == 1
    res = e.search("依法行政", filters={"year": ["2019"]})
    assert res["total"]["reports"] == 0
    assert {"value": 2019, "count": 0} in res["facets"]["year"]
    assert {"value": 2022, "count": 1} in res["facets"]["year"]


def test_bad_parameters(synthetic_index):
    e = Engine(synthetic_index)
    for kwargs, msg in [
        ({"mode": "fuzzy"}, "unknown mode 'fuzzy' (use exact or words)"),
        ({"sort": "x"}, "unknown sort 'x' (use relevance or date)"),
        ({"per_page": 0}, "per_page must be between 1 and 100"),
        ({"page": 10**6}, "page must be between 1 and 1000"),
        ({"filters": {"colour": ["x"]}}, "unknown filter 'colour'"),
        (
            {"filters": {"year": ["twenty"]}},
            "malformed year 'twenty' (use YYYY or YYYY-YYYY, e.g. 2021-2023)",
        ),
    ]:
        with pytest.raises(QueryError) as info:
            e.search("执法", **kwargs)
        assert str(info.value) == msg


# ---------------------------------------------------------------- snippets and escaping


def test_markup_in_documents_comes_back_escaped(synthetic_index):
    res = Engine(synthetic_index).search("script")
    p = res["reports"][0]["passages"][0]
    assert p["text"] == "普法<script>alert(1)</script>不足。"
    assert (
        p["snippet"] == "普法&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;不足。"
    )


def test_snippet_window_and_every_occurrence_marked():
    text = "甲" * 300 + "依法行政" + "乙" * 50 + "依法" + "丙" * 300
    s = snippet(text, ["依法行政", "依法"])
    plain = s.replace("<mark>", "").replace("</mark>", "")
    assert 80 <= len(plain.strip("…")) <= 160
    assert s.startswith("…") and s.endswith("…")
    assert s.count("<mark>") == 2
    assert "<mark>依法行政</mark>" in s


def test_snippet_marks_across_spaces_and_widths():
    assert snippet("规划（2021-2025 年）", ["(2021-2025年)"]) == "规划<mark>（2021-2025 年）</mark>"


# ---------------------------------------------------------------- ranking and paging


def test_ranking_is_stable_and_paging_partitions(tmp_path):
    reports = [make_report(f"r{i}.txt", ["依法行政"] * (1 + i % 3), year=2019 + i % 5)
               for i in range(12)]  # fmt: skip
    e = Engine(build_index(tmp_path / "i", reports))
    ids = [r["id"] for r in e.search("依法行政", per_page=100)["reports"]]
    again = [r["id"] for r in e.search("依法行政", per_page=100)["reports"]]
    assert ids == again and len(ids) == 12
    paged = []
    for page in (1, 2, 3):
        paged += [r["id"] for r in e.search("依法行政", per_page=5, page=page)["reports"]]
    assert paged == ids
    # more matching passages rank first
    counts = [len(r["passages"]) for r in e.search("依法行政", per_page=100)["reports"]]
    assert counts == sorted(counts, reverse=True)


def test_sort_by_date(synthetic_index):
    res = Engine(synthetic_index).search("法", sort="date")
    assert [r["date"] for r in res["reports"]] == ["2024-03-28", "2024-02-27", "2022-12-02"]


# ---------------------------------------------------------------- words mode


def test_words_mode_finds_terms_apart(synthetic_index):
    e = Engine(synthetic_index)
    res = e.search("依法行政 能力", mode="words")
    assert res["mode"] == "words"
    assert res["total"] == {"reports": 1, "passages": 1}
    assert "<mark>依法行政</mark>" in res["reports"][0]["passages"][0]["snippet"]
    assert e.search("一支队伍管执法", mode="words")["total"]["reports"] == 2


# ---------------------------------------------------------------- the seeds


def test_seeds_named_practice_found_in_exactly_two_townships(seed_index):
    res = Engine(seed_index).search("一支队伍管执法")
    assert sorted(r["township"] for r in res["reports"]) == ["湖上乡", "美湖镇"]
    assert res["total"] == {"reports": 2, "passages": 2}


def test_seeds_facets_and_filters(seed_index):
    e = Engine(seed_index)
    res = e.search("谁执法谁普法")
    towns = {x["value"]: x["count"] for x in res["facets"]["township"]}
    assert set(towns) == {"美湖镇", "雷高镇", "湖上乡"}
    years = {x["value"]: x["count"] for x in res["facets"]["year"]}
    assert years == {2023: 2, 2022: 1}
    res = e.search("谁执法谁普法", filters={"year": ["2022"]})
    assert [r["township"] for r in res["reports"]] == ["雷高镇"]
    res = e.search("依法行政", filters={"province": ["河南省"]})
    assert {r["township"] for r in res["reports"]} == {"周庄镇"}


def test_seeds_every_substring_of_random_passages_is_found(seed_index):
    e = Engine(seed_index)
    rng = random.Random(7)
    reports = e.reports()
    for _ in range(40):
        meta = rng.choice(reports)
        passages = e.report(meta["id"])["passages"]
        text = rng.choice(passages)["text"]
        a = rng.randrange(len(text))
        sub = text[a : a + rng.randint(1, 12)]
        if not fold(sub) or '"' in sub:
            continue
        res = e.search(f'"{sub}"', per_page=100)
        assert meta["id"] in {r["id"] for r in res["reports"]}, sub


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"mode": "a\nb"}, "unknown mode 'a b' (use exact or words)"),
        ({"sort": "x\r\ny"}, "unknown sort 'x  y' (use relevance or date)"),
        ({"filters": {"to\nwn": ["x"]}}, "unknown filter 'to wn'"),
    ],
)
def test_bad_options_are_named_on_one_line(synthetic_index, kwargs, message):
    """Regression: a line break in a mode, sort or filter name broke the one-line message."""
    with pytest.raises(QueryError) as info:
        Engine(synthetic_index).search("依法", **kwargs)
    assert info.value.user_message() == message


def test_facet_limit_lists_the_most_reports_first_and_counts_the_rest(seed_index):
    e = Engine(seed_index)
    full = e.search("依法行政")
    towns = full["facets"]["township"]
    assert len(towns) == 5 and full["facets_omitted"] == {"township": 0, "province": 0, "county": 0}
    res = e.search("依法行政", facet_limit=2)
    assert res["facets"]["township"] == towns[:2]
    assert res["facets_omitted"]["township"] == 3
    provinces = full["facets"]["province"]
    assert res["facets"]["province"] == provinces[:2]
    assert res["facets_omitted"]["province"] == len(provinces) - 2
    assert res["reports"] == full["reports"]  # only the facet lists are shorter
    # a selected value is listed with its count even below the limit
    last = towns[-1]
    res = e.search("依法行政", filters={"township": [last["value"]]}, facet_limit=1)
    assert res["facets"]["township"] == [towns[0], last]
    assert res["facets_omitted"]["township"] == 3
    with pytest.raises(QueryError, match="^facet_limit must be between 1 and 10000$"):
        e.search("依法行政", facet_limit=0)


def test_words_mode_scores_are_whooshs_bm25f(synthetic_index):
    """The numpy BM25 gives the scores Whoosh's BM25F gives over the same word field."""
    from whoosh import index as windex
    from whoosh import query as wq
    from whoosh.collectors import UnlimitedCollector
    from whoosh.scoring import BM25F
    from whoosh.searching import Searcher

    from indexer.search.evaluate import bm25

    e = Engine(synthetic_index)
    e.search("执法")  # a view
    v = e.view()
    rids = set(v.loc)
    # Whoosh's own reader of the same generation, read beside the engine's snapshot
    reader = windex.open_dir(str(synthetic_index), indexname="MAIN").reader()
    assert reader.generation() == v.generation[1]
    for words in (
        ["执法"],
        ["依法", "行政"],
        ["执法", "执法"],
        ["队伍", "不存在的词"],
        ["不存在的词"],
    ):
        mine = bm25(v, words, rids)
        searcher = Searcher(reader, weighting=BM25F(), closereader=False)
        collector = UnlimitedCollector()
        searcher.search_with_collector(wq.Or([wq.Term("words", w) for w in words]), collector)
        theirs = {v.rid_of_doc(hit.docnum): hit.score for hit in collector.results()}
        theirs = {rid: s for rid, s in theirs.items() if rid in rids}
        assert mine.keys() == theirs.keys(), words
        for rid, score in theirs.items():
            assert mine[rid] == pytest.approx(score, rel=1e-12), (words, rid)
    reader.close()


def test_passages_per_report_can_be_capped_and_the_rest_counted(synthetic_index):
    with Engine(synthetic_index) as engine:
        whole = engine.search("法")
        capped = engine.search("法", passages=1)
    assert [r["id"] for r in capped["reports"]] == [r["id"] for r in whole["reports"]]
    assert capped["total"] == whole["total"] and capped["facets"] == whole["facets"]
    assert any(len(r["passages"]) > 1 for r in whole["reports"])
    for full, cut in zip(whole["reports"], capped["reports"], strict=True):
        assert cut["passages"] == full["passages"][:1]
        assert cut["passages_left"] == len(full["passages"]) - 1
        assert "passages_left" not in full  # the API lists them all, as documented


def test_a_facet_column_ranks_alike_in_threads_that_first_use_it_together():
    """The first call builds the column's order; calls racing it must wait or see it whole."""
    import sys
    import threading

    import numpy as np

    from indexer.search.view import Column as _Column

    towns = [(f"镇{i:05d}", f"县{i % 7}") for i in range(20_000)]
    selected = np.ones(len(towns), dtype=bool)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(10):
            column = _Column(towns)
            results, errors = [], []

            def rank(column=column, results=results, errors=errors):
                try:
                    results.append(column.ranked(selected, 10, ["镇19999"]))
                except Exception as exc:  # noqa: BLE001 - the test reports it
                    errors.append(exc)

            threads = [threading.Thread(target=rank) for _ in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert errors == []
            assert all(r == results[0] for r in results)
            listed, omitted = results[0]
            assert [v for v, _ in listed][:2] == [("镇00000", "县0"), ("镇00001", "县1")]
            assert towns[-1] in [v for v, _ in listed] and omitted == len(towns) - 11
    finally:
        sys.setswitchinterval(old)


def test_outlines_are_read_from_the_mapped_segment_file_when_asked_for(tmp_path):
    reports = [
        make_report(f"r{i}.txt", [("measures", f"第{i}项措施。"), ("plans", "明年计划。")])
        for i in range(3)
    ]
    index_dir = build_index(tmp_path / "ix", reports)
    with Engine(index_dir) as engine:
        view = engine.view()
        kept = view.segs[0].outlines
        assert isinstance(kept, segfile.MappedOutlines) and len(kept) == 3
        for r in reports:
            rid = r.sha256[:16]
            sections = engine.report(rid)["sections"]
            assert [s["key"] for s in sections] == ["measures", "plans"]
            assert [s["heading"] for s in sections] == [s.heading for s in r.sections]
        assert view.outlines.get("no such report", "") == ""


#: facet values: enough of them that often only a few of those found are listed
NAMES = [f"{a}{b}" for a in "甲乙丙丁戊己" for b in "子丑寅卯辰巳"]


@given(
    values=st.lists(st.sampled_from(NAMES) | st.none(), min_size=30, max_size=120),
    data=st.data(),
    limit=st.one_of(st.none(), st.integers(0, 4), st.integers(0, 12)),
)
def test_a_facet_ranks_most_first_then_by_name_and_keeps_the_chosen(values, data, limit):
    """Ranked facet values against counting by hand: the first ``limit`` by count, then
    by name, plus the chosen values wherever they rank; the rest counted as omitted."""
    import numpy as np

    from indexer.search.view import Column as _Column

    # mostly selected, so that many values are found and few of them listed
    mostly = st.integers(0, 4).map(bool)
    n = len(values)
    selected = np.array(data.draw(st.lists(mostly, min_size=n, max_size=n)), dtype=bool)
    chosen = data.draw(st.lists(st.sampled_from([*NAMES, "无"]), max_size=3))
    tally: dict[str, int] = {}
    for value, on in zip(values, selected.tolist(), strict=True):
        if on and value is not None:
            tally[value] = tally.get(value, 0) + 1
    order = sorted(tally, key=lambda v: (-tally[v], v))
    shown = order if limit is None else [
        v for i, v in enumerate(order) if i < limit or v in chosen
    ]  # fmt: skip
    ranked, omitted = _Column(values).ranked(selected, limit, chosen)
    assert ranked == [(v, tally[v]) for v in shown]
    assert omitted == len(order) - len(shown)


@given(
    firsts=st.lists(st.integers(0, 5), min_size=20, max_size=200),
    data=st.data(),
    page=st.integers(1, 3),
    per_page=st.integers(1, 6),
)
def test_a_page_of_results_is_that_of_the_whole_order(firsts, data, page, per_page):
    """Sorting only the hits that can reach the page gives the page of the full sort."""
    import numpy as np

    from indexer.search.results import _page

    n = len(firsts)
    second = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    keys = (np.arange(n)[::-1].copy(), second, np.array(firsts))  # the last key first
    mostly = st.integers(0, 4).map(bool)  # most reports are hits: few of them on the page
    hits = np.flatnonzero(data.draw(st.lists(mostly, min_size=n, max_size=n)))
    start = (page - 1) * per_page
    whole = hits[np.lexsort(tuple(k[hits] for k in keys))] if len(hits) else hits
    assert _page(hits, keys, start, start + per_page).tolist() == whole[start:][:per_page].tolist()
