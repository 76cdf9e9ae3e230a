"""Analytics: township × year matrix, trend, practice catalogue, precedent wording.

Unit tests of :mod:`indexer.analytics`, then the seeds, the CLI commands and
the web pages and API (Flask test client). The browser tests are in
``test_analytics_browser.py``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import logging
import random
import re
import subprocess
import threading
import types
from collections import Counter, defaultdict
from html import unescape

import flask
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import analytics as an
from indexer import index as idx
from indexer import wording
from indexer.analytics import (
    Analytics,
    CorpusReport,
    SentenceIndex,
    build_matrix,
    collect_practices,
    copystore,
    csv_cell,
    in_scope,
    is_generic,
    load_lexicon,
    matrix_csv,
    parse_lexicon,
    quoted_phrases,
    report_quotes,
    sentence_key,
    sentence_keys,
    shingles,
    similarity,
    split_sentences,
    to_csv,
    trend,
)
from indexer.analytics import review as an_review
from indexer.analytics import service as an_service
from indexer.analytics.copies import all_copies, report_copy
from indexer.cli import cli
from indexer.errors import SearchTimeout
from indexer.search import Engine
from indexer.search.query import Filters
from indexer.text import fold
from webui import create_app

from helpers import build_index, make_report, sentence_pool, web_app

# ---------------------------------------------------------------- fixtures

#: shared by 甲镇 (2022, issued first) and 乙镇 (2023): the same wording, each with its own name
SHARED = "{town}坚持把矛盾纠纷排查化解作为基层治理的重要抓手，建立周排查月研判工作机制。"
#: in every report: boilerplate
BOILER = "全面建设职能科学、权责法定、执法严明、公开公正、智能高效、廉洁诚信、人民满意的法治政府。"
#: 甲镇's sentence, and 丙乡's copy of it with three characters changed
NEAR_A = "聘请专职法律顾问全程参与重大合同审查和信访案件化解工作，全年审查合同四十八份。"
NEAR_C = "聘请专职法律顾问全程参与重大合同审核和信访案件调处工作，全年审查合同四十八份。"
UNRELATED = "开展宪法宣传周活动，在集镇广场设置咨询台，发放宣传资料三千余份。"
HOSTILE = "推行<script>alert(1)</script>“网格员+法律明白人”联调机制化解纠纷一百余件。"


@pytest.fixture
def copied_index(tmp_path):
    """Four reports: a shared sentence, a near copy, an unrelated one, boilerplate in all."""
    return build_index(
        tmp_path / "copied",
        [
            make_report(
                "jia.txt",
                [BOILER, SHARED.format(town="甲镇"), NEAR_A + HOSTILE],
                township="甲镇",
                county="东县",
                year=2022,
                date="2022-12-20",
            ),
            make_report(
                "yi.txt",
                [BOILER + SHARED.format(town="乙镇"), ("plans", HOSTILE)],
                township="乙镇",
                county="西县",
                year=2023,
                date="2024-02-01",
            ),
            make_report(
                "bing.txt",
                [BOILER, NEAR_C],
                township="丙乡",
                county="南县",
                year=2023,
                date=None,
            ),
            make_report(
                "ding.txt",
                [BOILER, UNRELATED],
                township="丁镇",
                county="北县",
                year=2023,
                date="2024-03-01",
            ),
        ],
    )


@pytest.fixture
def seed_analytics(seed_index):
    engine = Engine(seed_index)
    a = Analytics(engine)
    yield a
    assert a.wait_idle(60)
    engine.close()


@pytest.fixture
def copied(copied_index):
    engine = Engine(copied_index)
    a = Analytics(engine)
    yield a
    assert a.wait_idle(60)
    engine.close()


class Gate:
    """Stands in for a function of :mod:`indexer.analytics` that a build calls: counts
    the calls, holds each one until ``opened`` is set, raises ``fail`` once if given."""

    def __init__(self, func) -> None:
        self.func = func
        self.calls = 0
        self.entered = threading.Event()
        self.opened = threading.Event()
        self.fail: BaseException | None = None
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self._lock:
            self.calls += 1
            fail, self.fail = self.fail, None
        self.entered.set()
        if not self.opened.wait(60):
            raise RuntimeError("gate never opened")
        if fail is not None:
            raise fail
        return self.func(*args, **kwargs)


@pytest.fixture
def gate(monkeypatch):
    """``gate(name)`` puts a :class:`Gate` in place of ``<name>`` as the analytics
    service calls it (``indexer.analytics.service.<name>``)."""
    gates: list[Gate] = []

    def install(name: str) -> Gate:
        g = Gate(getattr(an_service, name))
        monkeypatch.setattr(an_service, name, g)
        gates.append(g)
        return g

    yield install
    for g in gates:
        g.opened.set()


def rid_of(a: Analytics, township: str) -> str:
    return next(m["id"] for m in a.engine.reports() if m["township"] == township)


def run(runner, *args):
    return runner.invoke(cli, [str(x) for x in args], catch_exceptions=False)


# ---------------------------------------------------------------- matrix and trend (units)


def meta(rid, township, county, year, province="福建省"):
    return {"id": rid, "township": township, "county": county, "province": province, "year": year}


def test_matrix_counts_passages_per_township_and_year():
    reports = [
        meta("a", "甲镇", "东县", 2022),
        meta("b", "甲镇", "东县", 2023),
        meta("c", "乙镇", "西县", 2023),
        meta("d", "丙乡", "南县", 2021),
        meta("e", None, "北县", None),
    ]
    m = build_matrix({"b": [1, 4], "c": [2], "e": [3]}, reports, Filters())
    assert m["years"] == [2021, 2022, 2023, None]
    rows = {(r["township"], r["county"]): r for r in m["rows"]}
    assert rows[("甲镇", "东县")]["counts"] == [0, 0, 2, 0]
    assert rows[("乙镇", "西县")]["counts"] == [0, 0, 1, 0]
    assert rows[(None, "北县")]["counts"] == [0, 0, 0, 1]
    assert m["total"] == {"townships": 2, "reports": 3, "passages": 4}
    cov = {c["year"]: c for c in m["coverage"]}
    assert cov[2023] == {"year": 2023, "townships": 2, "indexed": 2, "share": 1.0}
    assert cov[2022] == {"year": 2022, "townships": 0, "indexed": 1, "share": 0.0}
    tr = {t["year"]: t for t in m["trend"]}
    assert tr[2023] == {"year": 2023, "reports": 2, "matching": 2, "share": 1.0}
    assert tr[2021]["share"] == 0.0


def test_matrix_scope_follows_the_place_and_year_filters():
    reports = [meta("a", "甲镇", "东县", 2022), meta("b", "乙镇", "西县", 2022, "广东省")]
    flt = Filters()
    flt.add("province", "福建省")
    m = build_matrix({"a": [1]}, reports, flt)
    assert m["coverage"] == [{"year": 2022, "townships": 1, "indexed": 1, "share": 1.0}]
    assert m["trend"] == [{"year": 2022, "reports": 1, "matching": 1, "share": 1.0}]


def plain_matrix(matches: dict, reports: list[dict], flt: Filters) -> dict:
    """The matrix computed the plain way, one report at a time (what the arrays must give)."""
    cells: dict = {}
    scope_reports, scope_towns = Counter(), defaultdict(set)
    for m in reports:
        place = (m.get("township"), m.get("county"), m.get("province"))
        if m.get("year") is not None and in_scope(m, flt):
            scope_reports[m["year"]] += 1
            if m.get("township"):
                scope_towns[m["year"]].add(place)
        if matches.get(m["id"]):
            cell = cells.setdefault((place, m.get("year")), [0, 0])
            cell[0] += len(matches[m["id"]])
            cell[1] += 1
    years = sorted(set(scope_reports) | {y for _, y in cells if y is not None})
    years += [None] if any(y is None for _, y in cells) else []
    rows = []
    for place in {p for p, _ in cells}:
        mine = {y: c for (p, y), c in cells.items() if p == place}
        dated = [y for y in mine if y is not None]
        rows.append(
            {
                "township": place[0],
                "county": place[1],
                "province": place[2],
                "counts": [mine[y][0] if y in mine else 0 for y in years],
                "passages": sum(c[0] for c in mine.values()),
                "reports": sum(c[1] for c in mine.values()),
                "first_year": min(dated) if dated else None,
            }
        )
    rows.sort(
        key=lambda r: (
            9999 if r["first_year"] is None else r["first_year"],
            -r["passages"],
            r["province"] or "",
            r["county"] or "",
            r["township"] or "",
        )
    )
    towns = Counter(y for p, y in cells if y is not None and p[0])
    matching = Counter()
    for (_, y), c in cells.items():
        if y is not None:
            matching[y] += c[1]
    indexed = {y: len(t) for y, t in scope_towns.items()}
    return {
        "years": years,
        "rows": rows,
        "coverage": [
            {
                "year": y,
                "townships": towns[y],
                "indexed": indexed.get(y, 0),
                "share": round(towns[y] / indexed[y], 4) if indexed.get(y) else 0.0,
            }
            for y in years
            if y is not None
        ],
        "total": {
            "townships": sum(1 for r in rows if r["township"]),
            "reports": sum(r["reports"] for r in rows),
            "passages": sum(r["passages"] for r in rows),
        },
        "trend": trend(dict(matching), dict(scope_reports)),
    }


@pytest.mark.parametrize("seed", range(40))
def test_matrix_from_arrays_is_the_plain_per_report_count(seed):
    rnd = random.Random(seed)
    towns = [("甲镇", "东县"), ("乙镇", "东县"), ("甲镇", "西县"), (None, "北县"), ("丙乡", None)]
    reports = []
    for i in range(rnd.randint(0, 40)):
        town, county = rnd.choice(towns)
        year = rnd.choice([2019, 2021, 2022, 2023, None])
        reports.append(meta(f"r{i}", town, county, year, rnd.choice(["福建省", "广东省", None])))
    matches = {
        m["id"]: sorted(rnd.sample(range(30), rnd.randint(1, 4)))
        for m in reports
        if rnd.random() < 0.5
    }
    flt = Filters()
    if seed % 3 == 1:
        flt.add("province", "福建省")
    if seed % 4 == 2:
        flt.add("year", "2021-2022")
    assert build_matrix(matches, reports, flt) == plain_matrix(matches, reports, flt)


def test_matrix_scope_is_kept_apart_for_each_level_and_kind(seed_analytics):
    everything = seed_analytics.trend("法治")["trend"]
    assert sum(t["reports"] for t in everything) == 5
    none = seed_analytics.trend("法治", {"kind": ["work_plan"]})["trend"]
    assert sum(t["reports"] for t in none) == 0
    assert seed_analytics.trend("法治")["trend"] == everything
    county = seed_analytics.matrix("法治", {"level": ["county"]})
    assert county["coverage"] == [] and county["rows"] == []
    assert seed_analytics.matrix("法治")["total"]["reports"] == 5


def test_trend_is_matching_over_indexed_reports():
    assert trend({2023: 1}, {2022: 4, 2023: 3}) == [
        {"year": 2022, "reports": 4, "matching": 0, "share": 0.0},
        {"year": 2023, "reports": 3, "matching": 1, "share": 0.3333},
    ]


# ---------------------------------------------------------------- CSV


def test_csv_cells_never_start_a_formula():
    for raw in ("=1+2", "+1", "-1", "@SUM(A1)", "\t=x", "\r=x"):
        assert csv_cell(raw) == "'" + raw
    assert csv_cell("美湖镇") == "美湖镇"
    assert csv_cell(3) == 3
    assert csv_cell(None) == ""
    text = to_csv([['=HYPERLINK("http://x")', 1], ['a,b"c', "-2"]])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [['\'=HYPERLINK("http://x")', "1"], ['a,b"c', "'-2"]]


def test_matrix_csv_has_a_row_per_township_and_the_coverage_lines():
    reports = [meta("a", "=cmd|' /C calc'!A0镇", "@县", 2023), meta("b", "乙镇", "西县", 2023)]
    text = matrix_csv(build_matrix({"a": [1, 2]}, reports, Filters()))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["省份", "区县", "乡镇（街道）", "2023年度", "合计"]
    assert rows[1] == ["福建省", "'@县", "'=cmd|' /C calc'!A0镇", "2", "2"]
    assert ["", "", "提及的乡镇数", "1"] in rows
    assert ["", "", "已收录乡镇数", "2"] in rows
    assert ["", "", "覆盖率", "50.0%"] in rows


# ---------------------------------------------------------------- practices (units)


def test_the_lexicon_has_the_domain_practices_with_their_variants():
    lex = {p.name: p for p in load_lexicon()}
    for name in ("一支队伍管执法", "法律明白人", "枫桥经验", "最多跑一次", "放管服", "三项制度"):
        assert name in lex
    assert "谁执法、谁普法" in lex["谁执法谁普法"].variants
    assert "双随机一公开" in lex["双随机、一公开"].variants
    assert all(p.source == "lexicon" for p in lex.values())
    assert lex["谁执法谁普法"].query.startswith('"谁执法谁普法" OR "谁执法、谁普法"')


def test_parse_lexicon_skips_comments_duplicates_and_quotes():
    lex = parse_lexicon('# c\n甲乙丙 | 甲、乙丙  # note\n\n甲乙丙\n丁戊己 | 丁"戊己\n')
    assert [(p.name, p.variants) for p in lex] == [
        ("甲乙丙", ("甲乙丙", "甲、乙丙")),
        ("丁戊己", ("丁戊己",)),
    ]


@pytest.mark.parametrize("phrase", ["四个意识", "两个维护", "四个自信", "十四五", "两个确立"])
def test_numbered_slogans_and_plan_periods_are_generic(phrase):
    assert is_generic(phrase)


@pytest.mark.parametrize(
    "phrase", ["一支队伍管执法", "三项制度", "双随机、一公开", "最多跑一次", "枫桥经验"]
)
def test_practices_are_not_generic(phrase):
    assert not is_generic(phrase)


def test_quoted_phrases_keep_names_of_practices_only():
    text = (
        "推行“一支队伍管执法”和“双随机、一公开”，落实“谁执法 谁普法”，"
        "学习《关于“八五”普法规划的通知》与“12.4”宪法日，"
        "“法”字当头，“这是一个特别长的引号里面有超过十二个汉字的内容”。"
    )
    assert quoted_phrases(text) == ["一支队伍管执法", "双随机、一公开", "谁执法谁普法"]


def test_collect_practices_merges_spellings_and_needs_two_reports():
    lexicon = parse_lexicon("谁执法谁普法 | 谁执法、谁普法\n")
    texts = [
        ("r1", ["落实“谁执法，谁普法”责任制，推广“院坝说法”。", "“四个意识”"]),
        ("r2", ["开展“院坝说法”活动。“四个意识”", "“三官一律”"]),
        ("r3", ["“四个意识”"]),
    ]
    practices = {p.name: p for p in collect_practices(lexicon, texts)}
    assert practices["谁执法谁普法"].variants == (
        "谁执法谁普法",
        "谁执法、谁普法",
        "谁执法，谁普法",
    )
    assert practices["院坝说法"].source == "quoted"
    assert "三官一律" not in practices  # quoted in one report only
    assert "四个意识" not in practices  # a numbered slogan


# ---------------------------------------------------------------- precedents (units)


def test_sentences_split_on_end_punctuation_and_line_breaks():
    text = " 第一句话。第二句话！第三句？第四；\n第五"
    assert split_sentences(text) == ["第一句话。", "第二句话！", "第三句？", "第四；", "", "第五"]
    # the normal forms line up with the sentences as written
    assert sentence_keys(text + "（6）", ("第四",)) == [
        "第一句话",
        "第二句话",
        "第三句",
        "〇",
        "",
        "第五#",
    ]


def test_sentence_key_ignores_width_punctuation_own_names_and_numbers():
    names = an.place_names({"township": "美湖镇", "county": "德化县", "city": "泉州市"})
    assert names == ("德化县", "泉州市", "美湖镇", "美湖")
    a = sentence_key("美湖镇2023年开展（法治）培训12次，覆盖德化县全部村居。", names)
    b = sentence_key("〇 2022 年开展(法治)培训 8 次,覆盖〇全部村居", ())
    assert a == b == "〇#年开展法治培训#次覆盖〇全部村居"


def test_near_identical_is_most_shingles_of_the_larger_sentence():
    a, c = shingles(sentence_key(NEAR_A)), shingles(sentence_key(NEAR_C))
    assert similarity(a, a) == 1.0
    assert similarity(a, c) >= an.NEAR_SIMILARITY
    assert similarity(a, shingles(sentence_key(UNRELATED))) < 0.2
    # a short sentence inside a long one is not near-identical to it
    long = shingles(sentence_key(NEAR_A + UNRELATED))
    assert similarity(a, long) < an.NEAR_SIMILARITY


def corpus_of(texts_by_report: list[list[str]]) -> list[CorpusReport]:
    return [
        CorpusReport(
            {"id": f"r{i}", "source": f"r{i}.txt", "year": 2020 + i % 3, "date": None},
            tuple(range(1, len(texts) + 1)),
            tuple(texts),
        )
        for i, texts in enumerate(texts_by_report)
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_the_prefix_index_finds_every_near_identical_pair(seed):
    """Prefix filtering loses nothing: compare with checking every pair."""
    rng = random.Random(seed)
    alphabet = "法治政府建设依法行政执法普法乡镇村"
    base = ["".join(rng.choice(alphabet) for _ in range(rng.randint(12, 40))) for _ in range(6)]
    sentences = []
    for _ in range(30):
        s = list(rng.choice(base))
        for _ in range(rng.randint(0, 4)):
            s[rng.randrange(len(s))] = rng.choice(alphabet)
        sentences.append("".join(s))
    corpus = corpus_of([[s + "。"] for s in sentences])
    index = SentenceIndex(corpus)
    keys = index.keys
    for kid, key in enumerate(keys):
        found = {c for c, _ in index.near(kid)}
        brute = {
            c
            for c, other in enumerate(keys)
            if c != kid and similarity(shingles(key), shingles(other)) >= an.NEAR_SIMILARITY
        }
        assert found == brute


def _answers(index: SentenceIndex, limit: int = 3) -> dict:
    return {rid: index.precedents(rid, limit) for rid in index.position}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_an_updated_sentence_index_answers_as_one_built_anew(seed):
    rng = random.Random(seed)
    pool = sentence_pool(rng, 60)
    current = set(rng.sample(range(60), 40))
    index = SentenceIndex([pool[i] for i in sorted(current)])
    for step in range(5):
        before = _answers(index)
        big = step == 3  # one step changes too much for an update
        k = 12 if big else rng.randint(0, 4)
        gone = set(rng.sample(sorted(current), min(k, len(current))))
        new = set(rng.sample(sorted(set(range(60)) - current), rng.randint(0, 4)))
        current = (current - gone) | new
        corpus = [pool[i] for i in sorted(current)]
        updated = SentenceIndex(corpus, previous=index)
        if big:
            assert not updated.updated
        elif step == 0:  # later ones may find too many keys left empty, and build anew
            assert updated.updated
        assert _answers(updated) == _answers(SentenceIndex(corpus))
        assert _answers(index) == before  # the earlier index still answers as it did
        index = updated


@pytest.mark.parametrize("seed", range(6))
def test_the_copy_figures_of_all_reports_are_each_reports_own(seed):
    index = SentenceIndex(sentence_pool(random.Random(seed), 60))
    every = all_copies(index)
    assert every == {rid: report_copy(index, rid) for rid in index.position}
    assert any(c["source"] for c in every.values())
    hidden = sorted(index.position)[:5]
    assert all_copies(index, hidden) == {
        rid: report_copy(index, rid, hidden) for rid in index.position if rid not in hidden
    }


@pytest.mark.parametrize("seed", range(3))
def test_the_copy_figures_take_each_keys_family_as_the_precedents_do(seed):
    from indexer.analytics.copies import _kin

    index = SentenceIndex(sentence_pool(random.Random(seed), 60))
    kept: dict = {}
    near = 0
    for kid in range(len(index.keys)):
        family, total, _ = index._family(kid, 0)
        members, count = _kin(index, kid, kept)
        assert members.tolist()[0] == kid
        assert sorted(members.tolist()) == sorted(c for c, _ in family) and count == total
        assert _kin(index, kid, kept) is kept[kid]
        near += len(family) > 1
    assert near  # the pools hold near-identical wording


def _plain_report_counts(index: SentenceIndex, rid: str, hide: set[int]) -> tuple[list, int]:
    """Per passage with a shared sentence, how many other reports share one; and in all."""
    rep = index.position[rid]
    r = index.corpus[rep]
    per_passage, everyone = [], set()
    for text in r.texts:
        others, listed, seen = set(), False, set()
        for key, _ in index._sentences(text, index.names[rep]):
            if key in seen:
                continue
            seen.add(key)
            family, total, _ = index._family(index.key_id[key], 0)
            total -= sum(1 for h in hide if any(h in index.reps[c] for c, _ in family))
            if total <= 1:
                continue
            listed = True
            if total < index.boilerplate_reports:
                for c, _ in family:
                    others.update(index.reps[c])
        if listed:
            others -= hide | {rep}
            per_passage.append(len(others))
            everyone |= others
    return per_passage, len(everyone)


@pytest.mark.parametrize("seed", range(4))
def test_precedents_count_the_other_reports_as_a_plain_count_does(seed):
    index = SentenceIndex(sentence_pool(random.Random(seed), 60))
    hidden = sorted(index.position)[:3] if seed % 2 else []
    hide = {index.position[h] for h in hidden}
    for rid in index.position:
        if rid in hidden:
            continue
        found = index.precedents(rid, 3, hidden)
        passages, total = _plain_report_counts(index, rid, hide)
        assert [p["reports"] for p in found["passages"]] == passages
        assert found["total"]["reports"] == total


def test_copy_figures_of_reports_without_a_sentence_to_compare():
    short = [
        CorpusReport({"id": f"r{i}", "source": f"r{i}.txt"}, (1,), ("短句。",)) for i in range(2)
    ]
    index = SentenceIndex(short)
    assert len(index) == 0
    assert all_copies(index) == {rid: report_copy(index, rid) for rid in ("r0", "r1")}
    assert all_copies(index)["r0"]["sentences"] == 0


@pytest.mark.parametrize("seed", range(3))
def test_frequent_wording_counts_its_reports_on_a_mask_as_in_a_set(seed):
    pool = sentence_pool(random.Random(seed), 60)
    masked = SentenceIndex(pool)
    masked.MARK_FROM = 0  # every family of more than one key counted on a mask
    plain = SentenceIndex(pool)
    assert _answers(masked, 5) == _answers(plain, 5)
    assert all_copies(masked) == all_copies(plain)


def test_an_update_reads_only_the_added_reports():
    pool = sentence_pool(random.Random(7), 30)
    index = SentenceIndex(pool[:25])
    read: list[str] = []

    class Counted(tuple):
        def __iter__(self):
            read.append(self.rid)
            return super().__iter__()

    def counted(r: CorpusReport) -> CorpusReport:
        texts = Counted(r.texts)
        texts.rid = r.meta["id"]
        return CorpusReport(r.meta, r.ids, texts)

    corpus = [counted(r) for r in pool[1:25] + pool[26:28]]  # one removed, two added
    updated = SentenceIndex(corpus, previous=index)
    assert updated.updated and sorted(read) == ["r026", "r027"]
    assert _answers(updated) == _answers(SentenceIndex(pool[1:25] + pool[26:28]))


def _tables(index: SentenceIndex) -> tuple:
    return index.keys, [list(r) for r in index.reps], [list(x) for x in index.locs]


def test_the_sentences_stored_with_the_segments_give_the_index_the_texts_give(tmp_path):
    pool = sentence_pool(random.Random(11), 40)

    practices = ["一支队伍管执法", "院坝说法", "双随机、一公开", "四个意识"]

    def report(r: CorpusReport, texts: tuple[str, ...] | None = None):
        m = r.meta
        i = int(m["id"][1:])
        quoted = f"推行“{practices[i % 4]}”，学习《“{practices[(i + 1) % 4]}”通知》。"
        return make_report(m["source"], [*(texts or r.texts), quoted], township=m["township"],
                           year=m["year"], date=m["date"])  # fmt: skip

    first = [report(r) for r in pool[:25]]
    ix = build_index(tmp_path / "ix", first)
    gone, replaced = first[0].sha256[:16], first[1].sha256[:16]
    with idx.write_session(ix) as w:  # a second segment: one report gone, one replaced
        w.delete_report(gone)
        changed = report(pool[1], (*pool[1].texts, pool[30].texts[0]))
        w.add_report(changed, replaced, str(ix / changed.source))  # same id, new wording
        for r in pool[25:]:
            rep = report(r)
            w.add_report(rep, rep.sha256[:16], str(ix / rep.source))
    engine = Engine(ix)
    try:
        analytics = Analytics(engine)
        corpus, view = analytics._corpus_view()
        assert len(view.segs) == 2 and gone not in view.loc
        assert [rids.count(replaced) for _, rids, _ in view.wording()] == [1, 1]
        stored = SentenceIndex(corpus, stored=view.wording())
        plain = SentenceIndex(corpus)
        assert stored.from_stored and not plain.from_stored
        assert len(plain.keys) > 20
        assert _tables(stored) == _tables(plain)
        assert _answers(stored) == _answers(plain)
        assert all_copies(stored) == all_copies(plain)
        # what the stored sentences cannot serve is read from the texts
        old_files = [(None, rids, alive) for _, rids, alive in view.wording()]
        assert not SentenceIndex(corpus, stored=old_files).from_stored
        assert not SentenceIndex(corpus, stored=view.wording()[1:]).from_stored
        assert not SentenceIndex(corpus, stored=view.wording(), min_chars=8).from_stored
        w0, *rest = view.wording()[0]
        other_form = [(dataclasses.replace(w0, form=w0.form + 1), *rest), *view.wording()[1:]]
        assert not SentenceIndex(corpus, stored=other_form).from_stored
        # and the server builds from them, and takes the quoted phrases from them too
        assert analytics.sentence_index().from_stored
        quotes = analytics._report_quotes(corpus, view)
        assert quotes == [(r.meta["id"], report_quotes(r.texts)) for r in corpus]
        assert sum(len(q) for _, q in quotes) > 10
        older = Analytics(engine)  # an index whose files kept none: read from the texts
        older_view = types.SimpleNamespace(wording=lambda: old_files)
        assert older._report_quotes(corpus, older_view) == quotes
    finally:
        engine.close()


# ---------------------------------------------------------------- precedents (index)


def sentence_of(data: dict, needle: str) -> dict:
    for p in data["passages"]:
        for s in p["sentences"]:
            if needle in s["text"]:
                return s
    raise AssertionError(f"no sentence with {needle!r}")


def test_a_shared_sentence_links_both_reports_earliest_is_precedent(copied):
    jia, yi = rid_of(copied, "甲镇"), rid_of(copied, "乙镇")
    early = sentence_of(copied.precedents(jia), "周排查月研判")
    assert early["count"] == 1 and early["precedent"] == "self" and not early["boilerplate"]
    (m,) = early["matches"]
    assert (m["id"], m["township"], m["kind"], m["precedent"]) == (yi, "乙镇", "same", False)
    assert m["text"] == SHARED.format(town="乙镇")  # the other report's own wording

    late = sentence_of(copied.precedents(yi), "周排查月研判")
    assert late["precedent"] == "other"
    (m,) = late["matches"]
    assert (m["id"], m["date"], m["precedent"], m["passage"]) == (jia, "2022-12-20", True, 2)


def test_a_near_identical_sentence_is_found_and_an_unrelated_one_is_not(copied):
    jia, bing, ding = (rid_of(copied, t) for t in ("甲镇", "丙乡", "丁镇"))
    s = sentence_of(copied.precedents(bing), "专职法律顾问")
    (m,) = s["matches"]
    assert m["id"] == jia and m["kind"] == "near"
    assert an.NEAR_SIMILARITY <= m["similarity"] < 1
    # 甲镇 (2022-12-20) was before 丙乡 (no date: end of 2023)
    assert m["precedent"] and s["precedent"] == "other"
    data = copied.precedents(ding)
    assert all("宪法宣传周" not in s["text"] for p in data["passages"] for s in p["sentences"])


def test_a_sentence_in_every_report_is_boilerplate(copied):
    for township in ("甲镇", "乙镇", "丙乡", "丁镇"):
        data = copied.precedents(rid_of(copied, township))
        s = sentence_of(data, "职能科学")
        assert s["boilerplate"] and s["count"] == 3 and s["matches"] == []
        assert s["share"] == 1.0
        assert data["rules"]["boilerplate_reports"] == 3
    # boilerplate does not count as shared wording
    data = copied.precedents(rid_of(copied, "丁镇"))
    assert data["total"] == {"sentences": 0, "boilerplate": 1, "reports": 0}
    passage = data["passages"][0]
    assert passage["reports"] == 0 and passage["boilerplate"] == 1


def test_precedents_of_one_passage_or_without_matches_agree_with_the_whole(copied):
    for township in ("甲镇", "乙镇", "丙乡", "丁镇"):
        rid = rid_of(copied, township)
        whole = copied.precedents(rid)
        assert whole["passages"], township
        counts = copied.precedents(rid, matches=False)
        assert counts["total"] == whole["total"] and counts["rules"] == whole["rules"]
        for full, bare in zip(whole["passages"], counts["passages"], strict=True):
            stripped = [dict(s, matches=[]) for s in full["sentences"]]
            assert bare == dict(full, sentences=stripped)
            one = copied.precedents(rid, passage=full["passage"])
            assert one["passages"] == [full]
        assert copied.precedents(rid, passage=999)["passages"] == []
    # the earliest report's own flag survives without the matches
    jia = rid_of(copied, "甲镇")
    assert sentence_of(copied.precedents(jia, matches=False), "周排查月研判")["precedent"] == "self"


def test_precedents_of_an_unknown_report_is_none(copied):
    assert copied.precedents("nope") is None


def test_precedents_are_cached_per_generation(copied, copied_index, gate):
    first = copied.sentence_index()
    assert copied.sentence_index() is first and not copied.stale("sentences")
    # the rebuild is held until checked: on a loaded machine it could otherwise end
    # between the two calls below
    held = gate("SentenceIndex")
    build_index(copied_index, [make_report("wu.txt", [UNRELATED], township="戊镇", county="中县")])
    # served at once from the earlier generation while rebuilt in the background
    assert copied.sentence_index() is first and copied.stale("sentences")
    held.opened.set()
    assert copied.wait_idle(60)
    assert copied.sentence_index() is not first and not copied.stale("sentences")
    data = copied.precedents(rid_of(copied, "丁镇"))
    assert sentence_of(data, "宪法宣传周")["matches"][0]["township"] == "戊镇"
    assert copied.build_info("sentences")["builds"] == 2


# ---------------------------------------------------------------- served stale while rebuilt

#: a report whose source sorts first: every other report's bit moves up by one
GENG = make_report(
    "aaa.txt", ["成立“法律明白人”调解队伍，化解纠纷二十件。"], township="庚镇", county="中县"
)


def practice(entries: list[dict], name: str) -> dict:
    return next(e for e in entries if e["name"] == name)


def test_after_a_commit_the_earlier_catalogue_is_served_while_rebuilt(copied, copied_index, gate):
    before = copied.practices()
    assert practice(before, "法律明白人")["reports"] == 2  # 甲镇 and 乙镇
    yi = {"township": ["乙镇"]}
    facet = copied.practice_facet("法律明白人", yi)
    assert [(p["name"], p["reports"]) for p in facet] == [("法律明白人", 1)]
    held = gate("collect_practices")
    build_index(copied_index, [GENG])

    assert copied.practices() == before and copied.stale("practices")
    # the stale masks meet the query's reports through the stale bit map, so 乙镇
    # (another bit since 庚镇 came first) still counts, and 庚镇 (no bit yet) does not
    assert copied.practice_facet("法律明白人", yi) == facet
    assert copied.practice_facet("法律明白人", {"township": ["庚镇"]}) == []
    assert held.entered.wait(60)
    assert copied.build_info("practices")["building"]

    held.opened.set()
    assert copied.wait_idle(60)
    assert not copied.stale("practices") and held.calls == 1
    assert practice(copied.practices(), "法律明白人")["reports"] == 3
    assert copied.practice_facet("法律明白人", yi) == facet
    geng = copied.practice_facet("法律明白人", {"township": ["庚镇"]})
    assert [(p["name"], p["reports"]) for p in geng] == [("法律明白人", 1)]


def test_one_background_build_for_concurrent_callers(copied, copied_index, gate):
    before = copied.practices()
    held = gate("collect_practices")
    build_index(copied_index, [GENG])
    results: list = []

    def call():
        results.append((copied.practices(), copied.practice_facet("法律明白人")))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)  # none waited for the build
    assert len(results) == 8 and all(r[0] == before for r in results)
    assert held.entered.wait(60)
    held.opened.set()
    assert copied.wait_idle(60)
    copied.practices()
    copied.practice_facet("法律明白人")
    assert held.calls == 1 and copied.build_info("practices")["builds"] == 2


def test_the_first_build_is_waited_for_once(copied, gate):
    held = gate("collect_practices")
    results: list = []
    threads = [
        threading.Thread(target=lambda: results.append(copied.practices())) for _ in range(4)
    ]
    for t in threads:
        t.start()
    assert held.entered.wait(60)
    assert not results  # nothing to serve before the first build
    held.opened.set()
    for t in threads:
        t.join(60)
    assert len(results) == 4 and all(r == results[0] for r in results) and results[0]
    assert held.calls == 1 and not copied.stale("practices")


def test_prepare_builds_in_the_background_once_and_requests_wait_for_that_build(copied, gate):
    practices, sentences = gate("collect_practices"), gate("SentenceIndex")
    copied.prepare()
    assert practices.entered.wait(60) and sentences.entered.wait(60)
    copied.prepare()  # under way: not started again
    assert copied.build_info("practices")["building"] and copied.build_info("sentences")["building"]
    results: list = []
    waiting = threading.Thread(target=lambda: results.append(copied.practices()))
    waiting.start()
    waiting.join(0.3)
    assert waiting.is_alive() and not results  # waits for the build under way
    practices.opened.set()
    sentences.opened.set()
    waiting.join(60)
    assert copied.wait_idle(60) and results and results[0]
    assert (practices.calls, sentences.calls) == (1, 1)
    copied.prepare()  # built: nothing to do
    assert copied.wait_idle(60) and (practices.calls, sentences.calls) == (1, 1)
    assert copied.precedents(rid_of(copied, "甲镇"))["passages"] and sentences.calls == 1


def test_after_a_commit_the_rebuilds_read_only_the_added_reports(copied, copied_index, monkeypatch):
    copied.practices()
    jia = rid_of(copied, "甲镇")
    copied.precedents(jia)
    read: list[int] = []
    real = an_service.report_quotes
    monkeypatch.setattr(an_service, "report_quotes", lambda texts: read.append(1) or real(texts))
    quoted = "推行“网格员+法律明白人”联调机制化解纠纷。"
    build_index(copied_index, [make_report("wu.txt", [quoted, SHARED.format(town="戊镇")],
                                           township="戊镇", county="中县")])  # fmt: skip
    copied.practices()  # the earlier catalogue, while the new one is built
    copied.precedents(jia)
    assert copied.wait_idle(60)
    assert read == []  # the others' quotes were kept, the new one's stored with its segment
    assert copied.sentence_index().updated
    fresh = Analytics(Engine(copied_index))
    assert copied.practices() == fresh.practices()
    assert copied.precedents(jia) == fresh.precedents(jia)
    wu = rid_of(copied, "戊镇")
    assert sentence_of(copied.precedents(jia), "周排查月研判")["count"] == 2
    assert copied.precedents(wu) == fresh.precedents(wu)
    fresh.engine.close()


def test_copy_figures_are_kept_for_their_generation_and_read_back(copied_index, monkeypatch):
    with Engine(copied_index) as engine:
        figures = Analytics(engine).copies()
    assert (copied_index / copystore.FILE).is_file()
    assert any(f["source"] for f in figures.values())
    with Engine(copied_index) as engine:  # a restart on the same generation: read back
        again = Analytics(engine)
        assert again.copies() == figures
        assert again.build_info("sentences")["builds"] == 0  # nothing computed
        jia = rid_of(again, "甲镇")
        assert again.copy(jia) == figures[jia]
    build_index(copied_index, [make_report("wu.txt", [UNRELATED], township="戊镇", county="中县")])
    with Engine(copied_index) as engine:  # another generation: computed, then kept
        later = Analytics(engine)
        fresh = later.copies()
        assert len(fresh) == len(figures) + 1 and later.build_info("sentences")["builds"] == 1
    with Engine(copied_index) as engine:
        assert Analytics(engine).copies() == fresh
    # a damaged file, or figures kept under other rules, are computed again
    (copied_index / copystore.FILE).write_bytes(b"not gzip")
    with Engine(copied_index) as engine:
        damaged = Analytics(engine)
        assert damaged.copies() == fresh and damaged.build_info("sentences")["builds"] == 1
    share = an.copies.COPY_SHARE
    monkeypatch.setattr(an.copies, "COPY_SHARE", 0.9)
    with Engine(copied_index) as engine:
        other_rules = Analytics(engine)
        other_rules.copies()
        assert other_rules.build_info("sentences")["builds"] == 1
    monkeypatch.setattr(an.copies, "COPY_SHARE", share)
    # a folder that takes no file: the figures are still given
    monkeypatch.setattr(copystore.os, "replace", lambda *a: (_ for _ in ()).throw(PermissionError))
    (copied_index / copystore.FILE).unlink()
    with Engine(copied_index) as engine:
        assert Analytics(engine).copies() == fresh
    assert not (copied_index / copystore.FILE).exists()
    assert not [p for p in copied_index.iterdir() if p.name.endswith(".tmp")]


def test_the_practice_catalogue_is_kept_for_its_generation_and_read_back(copied_index):
    with Engine(copied_index) as engine:
        first = Analytics(engine)
        practices, facet = first.practices(), first.practice_facet("法律明白人")
    assert (copied_index / copystore.CATALOGUE_FILE).is_file()
    with Engine(copied_index) as engine:  # a restart: read back, no search made
        search = engine.matching_reports
        engine.matching_reports = None
        again = Analytics(engine)
        assert again.practices() == practices
        engine.matching_reports = search  # the facet searches for its own query
        assert again.practice_facet("法律明白人") == facet
    with Engine(copied_index) as engine:  # another lexicon: built again
        other = Analytics(engine, lexicon=an.parse_lexicon("院坝说法 | 院坝说法"))
        assert [p["name"] for p in other.practices()] != [p["name"] for p in practices]
    build_index(copied_index, [make_report("wu.txt", [UNRELATED], township="戊镇", county="中县")])
    with Engine(copied_index) as engine:  # another generation: built again, then kept
        later = Analytics(engine).practices()
        assert later != practices  # 戊镇 holds 宪法宣传周 too: not the old generation's
        engine.matching_reports = None
        assert Analytics(engine).practices() == later


def test_on_a_large_index_the_copy_figures_come_from_one_child_process(
    copied_index, monkeypatch, caplog
):
    with Engine(copied_index) as engine:
        expected = Analytics(engine, copies_child_from=None).copies()
    (copied_index / copystore.FILE).unlink()
    runs = []
    real_run = copystore.subprocess.run
    monkeypatch.setattr(
        copystore.subprocess, "run", lambda *a, **k: runs.append(a) or real_run(*a, **k)
    )
    monkeypatch.setattr(an_review, "all_copies", None)  # this process computes none
    with Engine(copied_index) as one, Engine(copied_index) as two:
        workers = [Analytics(one, copies_child_from=0), Analytics(two, copies_child_from=0)]
        found = [None, None]
        threads = [
            threading.Thread(target=lambda i=i: found.__setitem__(i, workers[i].copies()))
            for i in range(2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert found == [expected, expected]
    assert len(runs) == 1  # the second worker waited for the first one's child
    # a child that fails: computed in this process, and said in the log
    monkeypatch.undo()
    (copied_index / copystore.FILE).unlink()
    failed = subprocess.CompletedProcess([], 1, "", "Traceback …\nMemoryError")
    monkeypatch.setattr(copystore.subprocess, "run", lambda *a, **k: failed)
    with Engine(copied_index) as engine:
        assert Analytics(engine, copies_child_from=0).copies() == expected
    assert "in a child process failed (exit 1: Traceback … | MemoryError)" in caplog.text


def test_after_a_commit_the_earlier_sentence_index_is_served_while_rebuilt(
    copied, copied_index, gate
):
    ding = rid_of(copied, "丁镇")
    before = copied.precedents(ding)
    held = gate("SentenceIndex")
    build_index(copied_index, [make_report("wu.txt", [UNRELATED], township="戊镇", county="中县")])
    assert copied.precedents(ding) == before and copied.stale("sentences")
    held.opened.set()
    assert copied.wait_idle(60)
    after = copied.precedents(ding)
    assert sentence_of(after, "宪法宣传周")["matches"][0]["township"] == "戊镇"
    assert held.calls == 1


def test_precedents_of_a_new_report_wait_for_an_index_that_knows_it(copied, copied_index, gate):
    ding = rid_of(copied, "丁镇")
    before = copied.precedents(ding)
    held = gate("SentenceIndex")
    build_index(
        copied_index,
        [make_report("wu.txt", [UNRELATED], township="戊镇", county="中县", date="2024-05-01")],
    )
    wu = rid_of(copied, "戊镇")
    results: list = []
    waiting = threading.Thread(target=lambda: results.append(copied.precedents(wu)))
    waiting.start()
    assert held.entered.wait(60)
    assert waiting.is_alive()  # the stale index does not know 戊镇: it waits for one that does
    assert copied.precedents(ding) == before  # while reports it knows are answered at once
    held.opened.set()
    waiting.join(60)
    (data,) = results
    s = sentence_of(data, "宪法宣传周")
    assert s["precedent"] == "other" and s["count"] == 1
    assert [(m["id"], m["precedent"]) for m in s["matches"]] == [(ding, True)]
    assert held.calls == 1 and not copied.stale("sentences")
    assert data == copied.precedents(wu)


def test_a_stale_sentence_index_leaves_out_removed_reports(copied, copied_index, gate):
    jia, yi = rid_of(copied, "甲镇"), rid_of(copied, "乙镇")
    assert sentence_of(copied.precedents(yi), "周排查月研判")["matches"][0]["id"] == jia
    held = gate("SentenceIndex")
    with idx.write_session(copied_index) as w:
        w.delete_report(jia)
    stale = copied.precedents(yi)
    assert copied.stale("sentences")
    ids = {m["id"] for p in stale["passages"] for s in p["sentences"] for m in s["matches"]}
    assert jia not in ids
    assert stale["total"]["reports"] == 0 and stale["rules"]["reports_indexed"] == 3
    held.opened.set()
    assert copied.wait_idle(60)
    assert not copied.stale("sentences")
    assert copied.precedents(yi) == stale  # what the rebuilt index says too


def test_a_failed_background_build_keeps_the_earlier_one_and_is_retried(
    copied, copied_index, gate, caplog
):
    before = copied.practices()
    held = gate("collect_practices")
    held.fail = SearchTimeout("search stopped after 5.0 s")
    held.opened.set()
    build_index(copied_index, [GENG])
    with caplog.at_level(logging.ERROR, logger="indexer.analytics"):
        assert copied.practices() == before
        assert copied.wait_idle(60)
    info = copied.build_info("practices")
    assert info["stale"] and info["error"] == "search stopped after 5.0 s"
    (record,) = [r for r in caplog.records if r.name == "indexer.analytics"]
    assert "rebuilding the practices failed" in record.getMessage()
    assert "search stopped after 5.0 s" in record.getMessage()

    assert copied.practices() == before  # still served; this call starts another build
    assert copied.wait_idle(60)
    info = copied.build_info("practices")
    assert not info["stale"] and info["error"] is None and held.calls == 2
    assert practice(copied.practices(), "法律明白人")["reports"] == 3


# ---------------------------------------------------------------- the seeds


def test_seed_matrix_for_yi_zhi_dui_wu(seed_analytics):
    m = seed_analytics.matrix("一支队伍管执法")
    cells = {
        (r["township"], y): n
        for r in m["rows"]
        for y, n in zip(m["years"], r["counts"], strict=True)
        if n
    }
    assert cells == {("美湖镇", 2023): 1, ("湖上乡", 2023): 1}
    assert {(r["township"], r["county"]) for r in m["rows"]} == {
        ("美湖镇", "德化县"),
        ("湖上乡", "安溪县"),
    }
    assert m["coverage"] == [
        {"year": 2022, "townships": 0, "indexed": 2, "share": 0.0},
        {"year": 2023, "townships": 2, "indexed": 3, "share": 0.6667},
    ]


def test_seed_trend_normalises_by_reports_per_year(seed_analytics):
    # 谁执法谁普法: 雷高镇 (2022) and 美湖镇, 湖上乡 (2023); 2022 has 2 reports, 2023 has 3
    t = seed_analytics.trend("谁执法谁普法")["trend"]
    assert t == [
        {"year": 2022, "reports": 2, "matching": 1, "share": 0.5},
        {"year": 2023, "reports": 3, "matching": 2, "share": 0.6667},
    ]


def test_seed_practice_catalogue(seed_analytics):
    entries = {e["name"]: e for e in seed_analytics.practices()}
    e = entries["谁执法谁普法"]
    # 美湖镇, 雷高镇, 湖上乡 write 谁执法谁普法; 新乡镇 writes 谁执法、谁普法
    assert (e["townships"], e["reports"], e["first_year"]) == (4, 4, 2022)
    towns = {r["township"] for r in seed_analytics.matrix(e["query"])["rows"]}
    assert towns == {"美湖镇", "雷高镇", "湖上乡", "新乡镇"}
    assert entries["一支队伍管执法"]["townships"] == 2
    assert entries["枫桥经验"]["first_year"] == 2023
    assert not any(is_generic(name) for name in entries)
    assert "四个意识" not in entries  # quoted in three seeds, but a slogan


def test_seed_catalogue_sorts(seed_analytics):
    by_name = [e["name"] for e in seed_analytics.practices("name")]
    assert by_name == sorted(by_name, key=an.practice_key)
    years = [e["first_year"] for e in seed_analytics.practices("first_year")]
    assert years == sorted(years)
    reports = [e["reports"] for e in seed_analytics.practices("reports")]
    assert reports == sorted(reports, reverse=True)


def test_seed_practice_facet_counts_matching_reports(seed_analytics):
    facet = {p["name"]: p["reports"] for p in seed_analytics.practice_facet("一支队伍管执法")}
    # 美湖镇 and 湖上乡 both also write 谁执法谁普法
    assert facet["谁执法谁普法"] == 2
    assert facet["一支队伍管执法"] == 2


def test_matching_reports_are_the_reports_match_finds(seed_analytics):
    engine = seed_analytics.engine
    for q, filters, mode in [("一支队伍管执法", {}, "exact"), ("执法", {"year": ["2023"]}, "exact"),
                             ("依法 行政", {}, "words"), ("法", {"section": ["plans"]}, "exact"),
                             ("不存在的提法", {}, "exact")]:  # fmt: skip
        found = engine.matching_reports(q, filters=filters, mode=mode)
        assert sorted(found) == sorted(engine.match(q, filters=filters, mode=mode)), q
        assert len(found) == len(set(found))
    assert engine.matching_reports("执法")  # the seeds do write it


# ---------------------------------------------------------------- CLI


def test_cli_matrix_table_json_and_csv(runner, seed_index):
    res = run(runner, "matrix", "一支队伍管执法", "--index", seed_index)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0] == "'一支队伍管执法': 2 townships, 2 reports, 2 passages (exact)"
    assert any(line.startswith("美湖镇（德化县，福建省）") for line in lines)
    assert any(line.startswith("湖上乡（安溪县，福建省）") for line in lines)
    assert any(line.startswith("覆盖 提及/已收录") and "2/3" in line for line in lines)

    res = run(runner, "matrix", "一支队伍管执法", "--index", seed_index, "--json", "--year", "2023")
    out = json.loads(res.stdout)
    assert out["filters"] == {"year": ["2023"]} and out["years"] == [2023]
    assert [r["counts"] for r in out["rows"]] == [[1], [1]]

    res = run(runner, "matrix", "依法行政", "--index", seed_index, "--csv", "--province", "福建省")
    assert res.stdout.startswith("\ufeff省份,区县,乡镇（街道）,2023年度,合计")


def test_cli_matrix_errors(runner, seed_index, tmp_path):
    res = run(runner, "matrix", "(依法", "--index", seed_index)
    assert res.exit_code == 2
    assert res.stderr == "error: unbalanced parentheses: '(' is not closed\n"
    res = run(runner, "matrix", "依法", "--csv", "--json", "--index", seed_index)
    assert res.exit_code == 2 and json.loads(res.stdout) == {
        "error": "give --csv or --json, not both"
    }
    res = run(runner, "matrix", "依法", "--section", "bogus", "--index", seed_index)
    assert res.exit_code == 2 and res.stderr.startswith("error: unknown section 'bogus'")
    res = run(runner, "matrix", "依法", "--index", tmp_path / "none")
    assert res.exit_code == 1 and len(res.stderr.splitlines()) == 1


def test_cli_practices(runner, seed_index):
    res = run(runner, "practices", "--index", seed_index, "--json")
    assert res.exit_code == 0
    entries = {e["name"]: e for e in json.loads(res.stdout)}
    assert entries["谁执法谁普法"]["townships"] == 4
    res = run(runner, "practices", "--index", seed_index, "--sort", "name")
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["乡镇", "报告", "最早", "做法"]
    assert any(line.split()[:4] == ["4", "4", "2022", "谁执法谁普法"] for line in lines)
    assert lines[-1] == f"{len(entries)} practices"
    res = runner.invoke(cli, ["practices", "--sort", "bogus", "--index", str(seed_index)])
    assert res.exit_code == 2


def test_cli_precedents(runner, copied_index, copied):
    yi = rid_of(copied, "乙镇")
    res = run(runner, "precedents", yi, "--index", copied_index)
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "[套话]" in out and "in 3 other reports (100% of all)" in out
    line = next(x for x in out.splitlines() if "★" in x)
    assert "2022-12-20" in line and "甲镇（东县）" in line and line.endswith("precedent")
    assert out.splitlines()[-1] == "2 sentences share wording with 1 other reports; 1 boilerplate"
    res = run(runner, "precedents", yi, "--index", copied_index, "--json", "--limit", "1")
    assert json.loads(res.stdout) == copied.precedents(yi, 1)


def test_cli_precedents_of_an_unknown_report_fails_in_one_line(runner, copied_index):
    res = run(runner, "precedents", "0000", "--index", copied_index)
    assert res.exit_code == 1
    assert res.stderr == "error: no report with id '0000' (list the ids with `fazhi reports`)\n"
    res = run(runner, "precedents", "0000", "--index", copied_index, "--json")
    assert res.exit_code == 1 and "error" in json.loads(res.stdout)


# ---------------------------------------------------------------- web


@pytest.fixture
def app(copied_index):
    with web_app(copied_index) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def seed_client(seed_index):
    with web_app(seed_index) as app:
        yield app.test_client()


@pytest.fixture
def exceptions(app):
    seen: list[BaseException] = []

    def record(sender, exception, **extra):
        seen.append(exception)

    flask.got_request_exception.connect(record, app)
    yield seen
    flask.got_request_exception.disconnect(record, app)


def test_api_matrix_is_what_the_cli_prints(seed_client, seed_index, runner):
    api = seed_client.get("/api/matrix?q=一支队伍管执法&year=2023&section=measures")
    assert api.status_code == 200 and api.mimetype == "application/json"
    res = run(runner, "matrix", "一支队伍管执法", "--year", "2023", "--section", "measures",
              "--json", "--index", seed_index)  # fmt: skip
    assert api.json == json.loads(res.stdout)
    assert (
        api.json["trend"]
        == seed_client.get("/api/trend?q=一支队伍管执法&year=2023&section=measures").json["trend"]
    )


@pytest.mark.parametrize("path", ["/api/matrix?format=csv&", "/api/matrix.csv?"])
def test_api_matrix_csv(seed_client, path):
    r = seed_client.get(path + "q=一支队伍管执法")
    assert r.status_code == 200
    assert r.mimetype == "text/csv" and r.headers["Content-Type"].endswith("charset=utf-8")
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0] == ["省份", "区县", "乡镇（街道）", "2022年度", "2023年度", "合计"]
    assert sorted(rows[1:3]) == [["福建省", "安溪县", "湖上乡", "0", "1", "1"],
                                 ["福建省", "德化县", "美湖镇", "0", "1", "1"]]  # fmt: skip


def test_api_matrix_csv_neutralises_formulas(tmp_path):
    ix = build_index(
        tmp_path / "ix",
        [
            make_report(
                "x.txt", ["推行一支队伍管执法。"], township="=2+5镇", county="+县", province="@省"
            )
        ],
    )
    client = create_app({"INDEX_DIR": str(ix), "TESTING": True}).test_client()
    rows = list(
        csv.reader(io.StringIO(client.get("/api/matrix.csv?q=执法").data.decode("utf-8-sig")))
    )
    assert rows[1] == ["'@省", "'+县", "'=2+5镇", "1", "1"]


@pytest.mark.parametrize(
    "url, message",
    [
        ("/api/matrix?q=一&page=2", "unknown parameter 'page'"),
        ("/api/matrix?q=一&per_page=2", "unknown parameter 'per_page'"),
        ("/api/matrix?q=一&format=pdf", "unknown format 'pdf' (use json, csv or xlsx)"),
        ("/api/matrix?q=一&format=csv&format=json", "parameter 'format' given more than once"),
        ("/api/matrix?q=(", "unbalanced parentheses"),
        ("/api/matrix?q=", "empty query"),
        ("/api/matrix?q=一&year=20x", "malformed year '20x'"),
        ("/api/matrix?q=一&mode=fuzzy", "unknown mode 'fuzzy'"),
        ("/api/matrix.csv?q=一&format=csv", "unknown parameter 'format'"),
        ("/api/trend?q=一&sort=size", "unknown sort 'size'"),
        ("/api/practices?sort=size", "unknown sort 'size'"),
        ("/api/practices?page=2", "unknown parameter 'page'"),
        ("/api/practices?q=一&sort=name", "sort applies to the catalogue only"),
        ("/api/practices?q=一&limit=0", "limit must be between 1 and 1000"),
        ("/api/practices?q=一&limit=x", "limit must be a whole number"),
        ("/api/reports/abc/precedents?limit=-1", "limit must be a whole number"),
        ("/api/reports/abc/precedents?x=1", "unknown parameter 'x'"),
    ],
)
def test_api_bad_parameters_are_400_with_one_line(client, exceptions, url, message):
    r = client.get(url)
    assert r.status_code == 400, r.data
    assert r.json["error"].startswith(message) and "\n" not in r.json["error"]
    assert exceptions == []


def test_api_precedents(client, copied):
    jia = rid_of(copied, "甲镇")
    r = client.get(f"/api/reports/{jia}/precedents")
    assert r.status_code == 200 and r.json == copied.precedents(jia)
    assert client.get(f"/api/reports/{jia}/precedents?limit=1").json["passages"]
    r = client.get("/api/reports/nope/precedents")
    assert r.status_code == 404 and r.json == {"error": "no report with id 'nope'"}


def test_api_practices_catalogue_and_facet(seed_client):
    catalogue = seed_client.get("/api/practices?sort=first_year").json
    assert [e["first_year"] for e in catalogue] == sorted(e["first_year"] for e in catalogue)
    facet = seed_client.get("/api/practices?q=一支队伍管执法&township=美湖镇").json
    assert facet["query"] == "一支队伍管执法" and facet["filters"] == {"township": ["美湖镇"]}
    names = {p["name"]: p["reports"] for p in facet["practices"]}
    assert names["谁执法谁普法"] == 1 and names["法律明白人"] == 1


def test_api_search_is_unchanged_by_the_practice_facet(seed_client, seed_index, runner):
    api = seed_client.get("/api/search?q=依法行政").json
    cli_out = json.loads(run(runner, "search", "依法行政", "--json", "--index", seed_index).stdout)
    api.pop("took_ms"), cli_out.pop("took_ms")
    assert api == cli_out and "practices" not in api


def test_openapi_describes_the_analytics_endpoints(client):
    spec = client.get("/api/openapi.json").json
    for path in ("/api/matrix", "/api/matrix.csv", "/api/trend", "/api/practices",
                 "/api/reports/{id}/precedents"):  # fmt: skip
        assert "get" in spec["paths"][path], path
    for name in ("Matrix", "Trend", "Practice", "Precedents"):
        assert name in spec["components"]["schemas"]


def cell_links(body: str) -> list[str]:
    return [unescape(u) for u in re.findall(r'<td class="num has-hits"><a href="([^"]+)"', body)]


def test_matrix_page_links_each_cell_to_its_results(seed_client):
    r = seed_client.get("/matrix?q=一支队伍管执法")
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "美湖镇" in body and "湖上乡" in body and "2/3" in body
    links = cell_links(body)
    assert len(links) == 2
    for link in links:
        page = seed_client.get(link).get_data(as_text=True)
        assert re.search(r'class="count-reports">1<', page), link
    assert '<svg class="trend-chart"' in body
    assert "/api/matrix.csv?q=" in body


def test_matrix_page_without_query_and_with_a_bad_one(seed_client):
    assert seed_client.get("/matrix").status_code == 200
    r = seed_client.get("/matrix?q=(依法")
    assert r.status_code == 400 and "unbalanced parentheses" in r.get_data(as_text=True)
    r = seed_client.get("/matrix?q=依法&year=abc")
    assert r.status_code == 400 and "malformed year" in r.get_data(as_text=True)


def test_practices_page_sorts_on_the_server_and_links_to_the_search(seed_client):
    body = seed_client.get("/practices?sort=name").get_data(as_text=True)
    assert '<span class="sort-current" aria-current="true">名称</span>' in body
    names = re.findall(r'class="practice-name" href="([^"]+)">([^<]+)<', body)
    assert [n for _, n in names] == sorted((n for _, n in names), key=an.practice_key)
    href = dict((n, u) for u, n in names)["谁执法谁普法"].replace("&amp;", "&")
    page = seed_client.get(href).get_data(as_text=True)
    assert re.search(r'class="count-reports">4<', page)
    assert seed_client.get("/practices?sort=bogus").status_code == 400


def test_search_page_shows_the_trend_chart_and_the_practices(seed_client):
    body = seed_client.get("/?q=谁执法谁普法").get_data(as_text=True)
    svg = body[body.index('<svg class="trend-chart"') : body.index("</svg>")]
    assert "年度" in svg and "报告占比" in svg
    bars = re.findall(
        r'<a class="trend-bar[^"]*" href="([^"]+)" data-year="(\d+)">\s*<title>([^<]+)<', svg
    )
    assert [(y, t) for _, y, t in bars] == [
        ("2022", "2022年度：已收录 2 份报告，其中 1 份提及（50.0%）"),
        ("2023", "2023年度：已收录 3 份报告，其中 2 份提及（66.7%）"),
    ]
    href = bars[0][0].replace("&amp;", "&")
    assert "year=2022" in href
    assert re.search(r'class="count-reports">1<', seed_client.get(href).get_data(as_text=True))
    assert 'id="facet-practices-title"' in body and "法律明白人" in body
    assert 'class="matrix-link" href="/matrix?q=' in body


def test_search_page_without_results_has_no_chart(seed_client):
    body = seed_client.get("/?q=不存在的提法xyz").get_data(as_text=True)
    assert "trend-chart" not in body and "facet-practices" not in body


def test_report_page_counts_precedents_and_links_their_lists(client, copied):
    yi = rid_of(copied, "乙镇")
    body = client.get(f"/report/{yi}").get_data(as_text=True)
    assert '<details class="precedents">' in body
    assert "相同表述见于其他 <strong>1</strong> 份报告" in body and "套话 1 句" in body
    # the sentences themselves are fetched when a list is opened
    assert f'data-fragment="/report/{yi}/precedents/1"' in body
    assert f'<a href="/report/{yi}/precedents#p1">列出这 2 句及其出处</a>' in body
    assert "最早（先例）" not in body
    assert "<script>alert" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_precedent_list_of_a_passage_is_escaped_html(client, copied):
    yi, jia = rid_of(copied, "乙镇"), rid_of(copied, "甲镇")
    r = client.get(f"/report/{yi}/precedents/1")
    assert r.status_code == 200 and r.mimetype == "text/html"
    body = r.get_data(as_text=True)
    assert body.lstrip().startswith('<ol class="precedent-list">')
    assert "最早（先例）" in body and "套话" in body and "甲镇" in body
    assert f'href="/report/{jia}?p=2#p2"' in body
    hostile = client.get(f"/report/{jia}/precedents/3").get_data(as_text=True)
    assert "<script>alert" not in hostile and "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile
    none = client.get(f"/report/{yi}/precedents/99")
    assert none.status_code == 200 and "第 99 段没有与其他报告相同的表述" in none.get_data(
        as_text=True
    )
    for url in ("/report/nope/precedents/1", "/report/nope/precedents"):
        r = client.get(url)
        assert r.status_code == 404 and "没有编号为“nope”的报告" in r.get_data(as_text=True)
    assert client.get(f"/report/{yi}/precedents/x").status_code == 404


def test_precedents_page_lists_every_passage_with_its_sources(client, copied):
    jia, yi = rid_of(copied, "甲镇"), rid_of(copied, "乙镇")
    r = client.get(f"/report/{jia}/precedents")
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "相同表述：" in body and "甲镇" in body and f'href="/report/{jia}"' in body
    data = copied.precedents(jia)
    for p in data["passages"]:
        assert f'<section class="precedent-passage" id="p{p["passage"]}">' in body
        assert f'href="/report/{jia}?p={p["passage"]}#p{p["passage"]}"' in body
    total = data["total"]
    assert f"本报告有 <strong>{total['sentences']}</strong> 句与其他 " in body
    assert f'href="/report/{yi}?p=1#p1"' in body and "本报告最早" in body
    assert "<script>alert" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_analytics_pages_escape_hostile_metadata(tmp_path):
    ix = build_index(
        tmp_path / "ix",
        [
            make_report(
                f"{i}.txt",
                ["推行“<b>一支队伍</b>管执法”。" + BOILER],
                township="<i>镇",
                county="<script>县",
            )
            for i in range(2)
        ],
    )
    client = create_app({"INDEX_DIR": str(ix), "TESTING": True}).test_client()
    for url in ("/matrix?q=执法", "/practices", "/?q=执法"):
        body = client.get(url).get_data(as_text=True)
        assert "<script>县" not in body and "<i>镇" not in body and "<b>一支" not in body, url


@given(
    st.text(
        alphabet=st.sampled_from(
            "法治ＡＢａｚ０９Az09 \u3000（）(),，、。！？；!?;\n\r_\u200b\ufeff\t行爲為⽅⻅於｡"
        ),
        max_size=30,
    )
)
def test_sentence_key_is_fold_without_punctuation(text):
    sentences = split_sentences(text)
    for s in sentences:
        assert sentence_key(s) == wording._DIGITS_RE.sub("#", re.sub(r"[\W_]+", "", fold(s)))
    assert sentence_keys(text) == [sentence_key(s) for s in sentences]


def test_precedents_list_the_earliest_reports_and_count_all():
    sentence = "坚持每季度召开一次法治政府建设专题会议研究部署重点任务。"
    dates = ["2024-03-01", "2023-01-05", "2024-01-10", "2022-12-01", "2024-02-02", "2023-06-30"]
    corpus = [
        CorpusReport(
            {"id": f"r{i}", "source": f"r{i}.txt", "year": int(d[:4]) - 1, "date": d},
            (1, 2),
            ("短的第一段。", sentence + sentence),  # twice in one passage
        )
        for i, d in enumerate(dates)
    ]
    index = SentenceIndex(corpus, boilerplate_min=99, boilerplate_share=1.0)
    data = index.precedents("r2", limit=2)  # issued 2024-01-10: three are earlier
    (passage,) = data["passages"]
    (s,) = passage["sentences"]  # the repeated sentence is listed once
    assert s["count"] == 5 and s["precedent"] == "other"
    assert [(m["id"], m["precedent"]) for m in s["matches"]] == [("r3", True), ("r1", False)]
    assert index.precedents("r3", limit=10)["passages"][0]["sentences"][0]["precedent"] == "self"


def test_search_page_does_without_the_facet_when_its_search_fails(seed_client, monkeypatch):
    from indexer.errors import FazhiError

    def stopped(*args, **kwargs):
        raise FazhiError("search stopped after 1.0 s")

    monkeypatch.setattr(Analytics, "practice_facet", stopped)
    r = seed_client.get("/?q=谁执法谁普法")
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert 'class="count-reports">3<' in body and "trend-chart" in body
    assert "facet-practices" not in body


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=st.text(alphabet=st.sampled_from(list("执法普镇()“”\"-: ORyear<>&'\x00\u3000")), max_size=40),
    extra=st.sampled_from(["", "year", "section", "mode", "format", "sort", "limit", "page"]),
    value=st.text(max_size=12),
)
def test_analytics_input_never_reaches_the_500_handler(client, exceptions, q, extra, value):
    args = {"q": q}
    if extra:
        args[extra] = value
    rid = client.application.extensions["fazhi"].reports()[0]["id"]
    urls = ("/matrix", "/practices", "/api/matrix", "/api/matrix.csv", "/api/trend",
            "/api/practices", f"/api/reports/{rid}/precedents")  # fmt: skip
    for url in urls:
        r = client.get(url, query_string=args)
        assert r.status_code in (200, 400), (url, args, r.status_code)
        if r.status_code == 400 and url.startswith("/api/"):
            assert "\n" not in r.json["error"]
    assert exceptions == []


def test_background_rebuilds_are_spaced_by_their_duration(copied_index, monkeypatch):
    """With ``rebuild_spacing``, a commit soon after a build is served stale until
    that many times the build's duration has passed (the clock is driven here)."""
    now = [1000.0]
    monkeypatch.setattr(an_service, "_now", lambda: now[0])
    engine = Engine(copied_index)
    a = Analytics(engine, rebuild_spacing=4.0)
    first = a.sentence_index()
    took = a._slots["sentences"].took
    assert took > 0
    build_index(copied_index, [GENG])
    now[0] += 3.9 * took  # too soon: served stale, nothing started
    assert a.sentence_index() is first and a.stale("sentences")
    assert not a.build_info("sentences")["building"]
    now[0] += 0.2 * took  # now due: one background build
    assert a.sentence_index() is first
    assert a.wait_idle(60)
    assert a.sentence_index() is not first and not a.stale("sentences")
    engine.close()
