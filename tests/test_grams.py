"""The character-gram index of exact search, against a plain substring test."""

from __future__ import annotations

import bisect
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.index import grams, kernels
from indexer.index.grams import GramIndex, SegmentGrams
from indexer.text import fold, fold_points

# few distinct characters, so that terms recur, overlap and repeat
SMALL = "法治依政执行乡镇（,"


def build(texts: list[str], block_chars: int | None = None) -> SegmentGrams:
    points, lens = fold_points(texts)
    return SegmentGrams(points, lens, block_chars)


def naive(texts: list[str], term: str) -> list[int]:
    return [i for i, t in enumerate(texts) if term in fold(t)]


@given(
    texts=st.lists(st.text(alphabet=SMALL, max_size=30), min_size=1, max_size=12),
    terms=st.lists(st.text(alphabet=SMALL + "区", min_size=1, max_size=8), max_size=10),
    block_chars=st.sampled_from([None, 1, 7, 40]),
)
def test_passages_are_exactly_those_holding_the_term(texts, terms, block_chars):
    index = build(texts, block_chars)
    # terms cut from the texts (found) and drawn freely (mostly absent)
    cut = [t[a : a + k] for t in texts for a in range(0, len(t), 5) for k in (1, 2, 3, 6) if t]
    for term in map(fold, terms + cut):
        if term:  # the index is queried with folded terms, as search does
            assert index.passages(term).tolist() == naive(texts, term), term


def test_recent_terms_are_kept_read_only_within_a_byte_budget(monkeypatch):
    monkeypatch.setattr(grams, "TERM_CACHE_BYTES", 160)  # 40 passage numbers
    texts = ["依法行政"] * 10 + ["乡镇执法"] * 6
    index = build(texts, block_chars=9)
    first = index.passages("依法")  # 10 passages: 40 bytes
    assert index.passages("依法") is first and first.tolist() == list(range(10))
    with pytest.raises(ValueError):
        first[0] = 3  # shared between searches: nobody may change it
    zhifa = index.passages("执法")  # 24 bytes
    assert index.passages("依法") is first  # used again: now the most recent
    index.passages("行政")  # 40
    index.passages("乡镇")  # 24: 128 bytes in all
    assert index.passages("执法") is zhifa
    index.passages("法行")  # 40 more: over budget, the least recently used goes
    assert index.passages("依法") is not first and index.passages("依法").tolist() == list(
        range(10)
    )
    assert index.passages("执法") is zhifa
    # a result above a quarter of the budget is never kept
    assert index.passages("法") is not index.passages("法")
    assert index.passages("法").tolist() == list(range(16))


def test_forgetting_drops_the_kept_terms_only():
    index = build(["依法行政"] * 3 + ["乡镇执法"], block_chars=9)
    first = index.passages("依法")
    index.forget()
    again = index.passages("依法")
    assert again is not first and again.tolist() == first.tolist() == [0, 1, 2]
    assert index.passages("依法") is again  # kept again from then on


@given(
    a=st.sets(st.integers(0, 2**32 - 1), max_size=60),
    b=st.sets(st.integers(0, 2**32 - 1), max_size=60),
    near=st.sets(st.integers(0, 400), min_size=72, max_size=300),
    shift=st.one_of(st.integers(0, 3), st.integers(0, 2**32 - 1)),
)
def test_shifted_common_values_by_search_or_walk(a, b, near, shift):
    # lists of any lengths: each way of lining them up (one at least 9 times shorter than
    # the other, either way round, or alike), far apart or from a narrow range sharing
    # many values
    few = set(sorted(near)[::10])
    assert len(near) >= kernels.SEARCH_RATIO * len(few)
    cases = ((a, b), (near, few), (few, near), (near, b | near), (set(), near), (near, set()))
    for x, y in cases:
        xs = np.array(sorted(x), dtype=np.uint32)
        ys = np.array(sorted(y), dtype=np.uint32)
        ys.flags.writeable = False  # as mapped from a file
        want = [v for v in sorted(x) if v + shift in y]  # no wrap at 2**32
        assert kernels.shifted_common(xs, ys, shift).tolist() == want
        assert grams._common(xs, ys).tolist() == sorted(x & y)


@given(lens=st.lists(st.integers(0, 6), max_size=20), data=st.data())
def test_the_passages_that_positions_fall_in(lens, data):
    starts = np.zeros(len(lens) + 1, dtype=np.uint32)
    np.cumsum(np.array(lens, dtype=np.uint32) + 1, out=starts[1:])  # a separator after each
    end = int(starts[-1])
    at = sorted(data.draw(st.sets(st.integers(0, end - 1)))) if end else []
    want = sorted({bisect.bisect_right(starts.tolist(), x) - 1 for x in at})
    positions = np.array(at, dtype=np.uint32)
    table = kernels.passage_table(starts)
    assert kernels.passages_of(positions, starts, table).tolist() == want
    # whatever the table says, the passages are those the positions fall in
    other = np.array(data.draw(st.lists(st.integers(0, len(lens)), min_size=1)), np.uint32)
    assert kernels.passages_of(positions, starts, other).tolist() == want


@given(
    sizes=st.lists(st.integers(0, 9), max_size=30),
    rare=st.booleans(),
    data=st.data(),
)
def test_matching_passages_counted_by_report_and_section(sizes, rare, data):
    n = sum(sizes)
    # rare matches (one in 20: counted skipping eight passages at a time) or many
    flag = st.integers(0, 19).map(lambda x: x == 0) if rare else st.booleans()
    matches = np.array(data.draw(st.lists(flag, min_size=n, max_size=n)), dtype=bool)
    sections = np.array(
        data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=np.uint8
    )
    rep_first = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    want = np.zeros((len(sizes), 5), dtype=np.int32)
    for r in range(len(sizes)):
        for p in range(rep_first[r], rep_first[r + 1]):
            want[r, sections[p]] += matches[p]
            want[r, 4] += matches[p]
    got = kernels.count_by_report_section(matches, rep_first, sections, 4)
    assert got.tolist() == want.tolist()


@given(
    rows=st.lists(st.tuples(st.booleans(), st.lists(st.integers(0, 5), min_size=4, max_size=4))),
    weights=st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.5]), min_size=3, max_size=3),
)
def test_reports_per_section_and_weighed_counts(rows, weights):
    counts = np.array([c for _, c in rows], dtype=np.int32).reshape(len(rows), 4)
    marked = np.array([m for m, _ in rows], dtype=bool)
    w = np.array(weights)
    per_section, score = kernels.section_totals(counts, marked, w)
    # the three sections' columns; the fourth (a total) is not a section
    want = [sum(1 for (m, c) in rows if m and c[s] > 0) for s in range(3)]
    assert per_section.tolist() == want
    assert score.tolist() == pytest.approx([sum(c[s] * w[s] for s in range(3)) for _, c in rows])
    with pytest.raises(ValueError, match="fit together"):
        kernels.section_totals(counts, marked[:-1] if len(rows) else np.ones(1, bool), w)


@given(size=st.integers(0, 40), data=st.data())
def test_marking_passages_in_a_mask(size, data):
    at = sorted(data.draw(st.sets(st.integers(0, max(size - 1, 0)))) if size else [])
    mask = np.zeros(size, dtype=bool)
    kernels.mark(mask, np.array(at, dtype=np.uint32))
    assert np.flatnonzero(mask).tolist() == at
    with pytest.raises(IndexError, match="beyond the mask"):
        kernels.mark(mask, np.array([size], dtype=np.uint32))
    assert np.flatnonzero(mask).tolist() == at  # nothing set when one is out of range


def test_counting_refuses_numbers_outside_the_arrays():
    """No bounds are checked in compiled code: the loop checks its own."""
    matches = np.ones(3, dtype=bool)
    with pytest.raises(ValueError, match="section number"):
        kernels.count_by_report_section(
            matches, np.array([0, 3]), np.array([0, 4, 1], dtype=np.uint8), 4
        )
    with pytest.raises(ValueError, match="outside"):
        kernels.count_by_report_section(matches, np.array([0, 4]), np.zeros(3, dtype=np.uint8), 4)


def test_the_compiled_loops_take_only_their_one_type():
    """Compiled once for uint32: any other type is refused, never compiled while searching."""
    values = np.arange(5, dtype=np.uint32)
    with pytest.raises(TypeError):
        kernels.shifted_common(values.astype(np.uint16), values, 0)
    with pytest.raises(TypeError):
        kernels.passages_of(values, values.astype(np.int64), values)
    assert len(kernels.shifted_common.signatures) == len(kernels.passages_of.signatures) == 1


@given(
    texts=st.lists(st.text(alphabet=SMALL, max_size=30), min_size=1, max_size=12),
    terms=st.lists(st.text(alphabet=SMALL, min_size=1, max_size=5), min_size=1, max_size=6),
    block_chars=st.sampled_from([None, 1, 7, 40]),
    data=st.data(),
)
def test_a_lookup_within_some_passages_finds_those_of_them_that_hold_the_term(
    texts, terms, block_chars, data
):
    index = build(texts, block_chars)
    within = sorted(data.draw(st.sets(st.sampled_from(range(len(texts))))))
    for term in map(fold, terms):
        if not term:
            continue
        want = [i for i in naive(texts, term) if i in within]
        array = np.array(within, dtype=np.int64)
        assert index.passages(term, within=array).tolist() == want, term
        index.passages(term)  # now kept whole: the same from what is kept
        assert index.passages(term, within=array).tolist() == want, term
        index.forget()


@given(
    values=st.sets(st.integers(0, 500), max_size=80),
    cuts=st.sets(st.integers(0, 520), max_size=20),
)
def test_values_in_spans(values, cuts):
    xs = np.array(sorted(values), dtype=np.uint32)
    edges = sorted(cuts)
    lo, hi = np.array(edges[0::2][: len(edges) // 2]), np.array(edges[1::2])
    want = [x for x in sorted(values) if any(a <= x < b for a, b in zip(lo, hi, strict=True))]
    assert grams._in_spans(xs, lo, hi).tolist() == want


def test_every_occurrence_is_a_position():
    texts = ["法法法法", "", "依法法"]
    points, lens = fold_points(texts)
    block = GramIndex(points, lens)
    # passages start at 0, 5 and 6: one separator position after each
    assert block.positions("法法").tolist() == [0, 1, 2, 7]
    assert block.positions("法法法").tolist() == [0, 1]
    assert block.positions("依法法").tolist() == [6]
    assert block.positions("法依").tolist() == []  # never across passages
    assert block.passages("法").tolist() == [0, 2]


def test_positions_of_long_terms_whichever_way_lists_meet():
    rng = np.random.default_rng(7)
    # one character far more frequent than the others: its bigrams' lists are many times
    # longer than those of the rare ones, so lists of all proportions meet
    text = "".join(rng.choice(list("法法法法法法法法治依政执行"), 3000))
    block = GramIndex(*fold_points([text]))
    for term in ("法治", "依政执行", "法法治依", "治法法法法执法法", "法法法法法法", text[100:140]):
        found = [i for i in range(len(text)) if text.startswith(term, i)]
        assert block.positions(term).tolist() == found, term


def test_blocks_hold_whole_passages_and_number_them_for_the_segment():
    texts = ["依法行政"] * 5 + ["乡镇执法"] * 5
    index = build(texts, block_chars=9)
    assert len(index.blocks) == 5
    assert [lo for lo, _ in index.blocks] == [0, 2, 4, 6, 8]
    assert index.passages("执法").tolist() == [5, 6, 7, 8, 9]
    assert index.passages("行政").tolist() == [0, 1, 2, 3, 4]


def test_empty_segment_and_empty_passages():
    assert build([]).passages("法").tolist() == []
    index = build(["", "法", ""])
    assert index.passages("法").tolist() == [1]
    assert index.passages("").tolist() == []


def test_characters_beyond_the_basic_plane():
    texts = ["𠀀依法𠀁", "依法"]
    index = build(texts)
    assert index.passages("𠀀依").tolist() == [0]
    assert index.passages("法𠀁").tolist() == [0]
    assert index.passages("依法").tolist() == [0, 1]


def test_the_deadline_hook_runs_between_blocks():
    calls = []
    build(["依法"] * 4, block_chars=2).passages("依法", check=lambda: calls.append(1))
    assert len(calls) == 4


def test_arrays_are_as_narrow_as_their_values_allow():
    block = build(["依法行政"] * 3).blocks[0][1]
    assert block.bi_pos.dtype == np.uint32 and block.uni_pids.dtype == np.uint16
    assert {block.bi_keys.dtype, block.bi_starts.dtype, block.uni_keys.dtype} == {
        np.dtype(np.uint32)
    }
    # more than 65,536 passages: their numbers need 32 bits
    wide = build(["法治", "政府"] * 40_000).blocks[0][1]
    assert wide.uni_pids.dtype == np.uint32
    assert wide.passages("政府")[-3:].tolist() == [79_995, 79_997, 79_999]
    assert wide.passages("府")[:2].tolist() == [1, 3]


def test_a_block_is_rebuilt_from_its_arrays():
    texts = ["一支队伍管执法", "依法行政", "", "执法队伍"]
    grams = build(texts, block_chars=8)
    copy = SegmentGrams.from_blocks(
        grams.n,
        [(lo, GramIndex.from_arrays(b.n, {k: v.copy() for k, v in b.arrays().items()}))
         for lo, b in grams.blocks],
    )  # fmt: skip
    for term in ["执法", "队伍", "法", "依法行政", "管执法", "无"]:
        assert copy.passages(term).tolist() == grams.passages(term).tolist()
    with pytest.raises(ValueError, match="do not cover passages 0-3 in order"):
        SegmentGrams.from_blocks(4, grams.blocks[1:])
    with pytest.raises(ValueError, match="do not cover passages 0-4 in order"):
        SegmentGrams.from_blocks(5, grams.blocks)
    # a segment without passages (e.g. the merge of segments whose reports were all deleted)
    empty = SegmentGrams.from_blocks(0, [])
    assert empty.blocks == [] and empty.passages("执法").tolist() == []
    with pytest.raises(ValueError, match=r"lacks \['uni_pids'\]"):
        b = grams.blocks[0][1]
        GramIndex.from_arrays(b.n, {k: v for k, v in b.arrays().items() if k != "uni_pids"})


def test_the_segments_of_an_index_share_one_budget_of_kept_terms(monkeypatch):
    monkeypatch.setattr(grams, "TERM_CACHE_BYTES", 400)
    monkeypatch.setattr(grams, "TERM_CACHE_MIN", 64)
    big = build(["依法行政"] * 20 + ["乡镇执法"] * 20, block_chars=9)  # 40 passages
    small = build(["依法行政"] * 10, block_chars=9)  # 10 passages
    assert big.cache_bytes == small.cache_bytes == 400  # alone, each keeps the whole budget
    first = big.passages("依法")  # 20 passages: 80 bytes ≤ 400 / 4, kept
    assert big.passages("依法") is first
    for segment in (big, small):  # one index of both: 50 passages in all
        segment.share_cache(50)
    assert (big.cache_bytes, small.cache_bytes) == (320, 80)
    assert big.passages("依法") is first  # what fits the share stays
    assert big.passages("执法") is big.passages("执法")  # 80 bytes ≤ 320 / 4
    assert small.passages("依法") is not small.passages("依法")  # 40 bytes > 80 / 4
    tiny = build(["依法"], block_chars=9)
    tiny.share_cache(10_000)
    assert tiny.cache_bytes == 64  # the least a segment keeps
    big.share_cache(400)  # a larger index around it: what is over its share goes
    assert big.cache_bytes == 64 and big._found_bytes <= 64
    assert big.passages("依法") is not first and big.passages("依法").tolist() == first.tolist()


# ---------------------------------------------------------------- four-character lists


@contextmanager
def quads_from(least: int):
    """A context in which every bigram of at least ``least`` positions in its block is
    frequent (the block's share not considered)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(grams, "QUAD_MIN", least)
        mp.setattr(grams, "QUAD_SHARE", 2**40)
        yield


def starts_of(texts: list[str], term: str) -> list[int]:
    """Where ``term`` starts in the block's line of passages (one separator after each)."""
    out, base = [], 0
    for text in map(fold, texts):
        out += [base + i for i in range(len(text)) if text.startswith(term, i)]
        base += len(text) + 1
    return out


@given(
    texts=st.lists(st.text(alphabet=SMALL, max_size=40), min_size=1, max_size=10),
    terms=st.lists(st.text(alphabet=SMALL + "区", min_size=2, max_size=9), max_size=8),
    least=st.sampled_from([1, 2, 3, 6]),
    data=st.data(),
)
def test_terms_found_through_four_character_lists_exactly(texts, terms, least, data):
    with quads_from(least):
        block = GramIndex(*fold_points(texts))
        cut = [t[a : a + k] for t in texts for a in range(0, len(t), 3) for k in (4, 5, 7) if t]
        within = sorted(data.draw(st.sets(st.sampled_from(range(len(texts))))))
        for term in map(fold, terms + cut):
            if len(term) < 2:
                continue
            assert block.positions(term).tolist() == starts_of(texts, term), term
            want = [i for i in naive(texts, term) if i in within]
            got = block.passages(term, within=np.array(within, dtype=np.int64))
            assert got.tolist() == want, term


def test_the_four_character_lists_hold_every_pair_of_frequent_bigrams():
    texts = ["法治政府建设法治", "政府法治", "建设政府法治政府", "依法"]
    with quads_from(2):  # 法治 ×4, 政府 ×4, 治政, 建设, 府法 ×2; 依法, 府建 … once
        block = GramIndex(*fold_points(texts))
        alphabet = block.alphabet.tolist()

        def key(pair: str) -> int:
            return alphabet.index(ord(pair[0])) * block.width + alphabet.index(ord(pair[1]))

        frequent = ["法治", "治政", "政府", "建设", "府法"]
        assert block.fq_keys.tolist() == sorted(key(b) for b in frequent)
        f = len(frequent)
        listed = {}
        for i, k in enumerate(block.qd_keys.tolist()):
            a, b = block.fq_keys[k // f], block.fq_keys[k % f]
            quad = next(x for x in frequent if key(x) == a) + next(
                x for x in frequent if key(x) == b
            )
            listed[quad] = block.qd_pos[block.qd_starts[i] : block.qd_starts[i + 1]].tolist()
        # every four characters made of two frequent bigrams, nothing else
        assert listed["法治政府"] == [0, 18] and "治政府建" not in listed  # 府建: once
        assert listed == {q: starts_of(texts, q) for q in listed}
        assert set(listed) == {
            t[i : i + 4]
            for t in texts
            for i in range(len(t) - 3)
            if t[i : i + 2] in frequent and t[i + 2 : i + 4] in frequent
        }
        # a term of four characters or more is looked up through them where they exist
        assert (2, 0, 4) in {g[:3] for g in block._grams(block._codes("法治政府"))}
        quads = [g[1:3] for g in block._grams(block._codes("政府法治政府")) if g[2] == 4]
        assert quads == [(0, 4), (1, 4), (2, 4)]
        # not where one of its bigrams is rare (府建 once): that one leads the lookup
        assert [g for g in block._grams(block._codes("政府建设法治")) if g[2] == 4] == []


def test_two_frequent_bigrams_that_never_meet_make_an_absent_term():
    # 法治, 治政 and 政府 frequent, but never 法治政府
    texts = ["法治法治", "政府", "政府", "治政", "治政"]
    with quads_from(2):
        block = GramIndex(*fold_points(texts))
        assert len(block.fq_keys) == 3 and len(block.qd_keys) == 1  # 法治法治
        assert block.positions("法治法治").tolist() == [0]
        assert block.positions("法治政府").tolist() == []
        assert block.positions("法治政府法治").tolist() == []


def test_the_cover_takes_the_fewest_positions_per_character():
    # 法治政府建设 at 100,000 reports: bigram lists of 41, 14, 32, 12 and 28 thousand
    # positions in a block; 法治政府 and 政府建设 12 thousand each
    bigrams = [(41054, 0, 2), (13751, 1, 2), (32351, 2, 2), (12115, 3, 2), (27602, 4, 2)]
    quads = [(12500, 0, 4), (12300, 1, 4), (12000, 2, 4)]
    assert grams._cover(6, bigrams + quads) == [(12000, 2, 4), (12500, 0, 4)]
    # without them, every character still covered by the rarest lists
    chosen = grams._cover(6, bigrams)
    assert {c for _, o, n in chosen for c in range(o, o + n)} == set(range(6))
    assert chosen == [(12115, 3, 2), (13751, 1, 2), (27602, 4, 2), (41054, 0, 2)]
    # a rare bigram anywhere is always taken
    assert (3, 2, 2) in grams._cover(6, [*bigrams, (3, 2, 2), *quads])


def test_a_block_written_before_the_four_character_lists_is_looked_up_without_them():
    texts = ["法治政府建设", "政府法治政府", "建设"] * 3
    with quads_from(2):
        block = GramIndex(*fold_points(texts))
        assert len(block.qd_pos)
        old = {k: v for k, v in block.arrays().items() if k not in GramIndex.OPTIONAL}
        before = GramIndex.from_arrays(block.n, old)
        assert before.fq_keys.tolist() == [] and before.qd_pos.tolist() == []
        for term in ("法治政府", "法治政府建设", "政府法治政府", "府建设", "设法治"):
            assert before.positions(term).tolist() == block.positions(term).tolist()
            assert block.positions(term).tolist() == starts_of(texts, term)
    with pytest.raises(ValueError, match=r"lacks \['qd_pos'\]"):
        GramIndex.from_arrays(block.n, {k: v for k, v in block.arrays().items() if k != "qd_pos"})


def test_only_frequent_bigrams_get_four_character_lists_by_default():
    # the bigrams of a block below QUAD_MIN positions are never frequent
    block = GramIndex(*fold_points(["法治政府建设"] * 100))
    assert len(block.bi_pos) == 500 and block.fq_keys.tolist() == [] and not len(block.qd_pos)
    many = GramIndex(*fold_points(["法治政府建设"] * grams.QUAD_MIN + ["依法"]))
    assert len(many.fq_keys) == 5  # 依法 once: not frequent
    assert len(many.qd_keys) == 3  # 法治政府, 治政府建, 政府建设
    assert many.positions("法治政府建设")[:2].tolist() == [0, 7]


@given(
    texts=st.lists(st.text(alphabet=SMALL, max_size=40), min_size=1, max_size=10),
    terms=st.lists(st.text(alphabet=SMALL + "区", min_size=2, max_size=9), max_size=8),
    least=st.sampled_from([1, 2, 3, 6, 10**9]),
)
def test_the_compiled_choice_of_lists_is_the_array_one(texts, terms, least):
    with quads_from(least):
        block = GramIndex(*fold_points(texts))
        cut = [t[a : a + k] for t in texts for a in range(0, len(t), 3) for k in (2, 4, 6) if t]
        for term in map(fold, terms + cut):
            if len(term) < 2:
                continue
            codes = block._codes(term)
            by_arrays = None if codes is None else block._grams(codes)
            compiled = [tuple(g) for g in block._term_grams(term) or []]
            assert compiled == (by_arrays or []), term


def test_a_block_of_wide_arrays_is_looked_up_by_array_operations():
    texts = ["法治政府建设", "政府法治政府", "建设"] * 3
    with quads_from(2):
        block = GramIndex(*fold_points(texts))
        arrays = block.arrays()
        arrays["bi_starts"] = arrays["bi_starts"].astype(np.uint64)  # as past 2**32 positions
        wide = GramIndex.from_arrays(block.n, arrays)
        for term in ("法治政府", "法治政府建设", "政府法治政府", "府建设", "设法治", "区区"):
            assert wide.positions(term).tolist() == starts_of(texts, term)
            compiled = block._term_grams(term)
            assert wide._term_grams(term) == (compiled and [tuple(g) for g in compiled])


def test_a_block_of_more_than_65536_characters_keeps_its_wide_keys():
    """Its bigram keys need 64 bits, so do its frequent ones (cut to 32, one could stand
    for another); it is looked up by array operations, four-character lists included."""
    alphabet = [chr(0x20000 + i) for i in range(70_000)]
    # the key of the first pair is 2**32 more than that of the term's first bigram
    pair = alphabet[69_999] + alphabet[5]
    term = alphabet[8_642] + alphabet[22_709] + alphabet[7] + alphabet[9]
    texts = ["".join(alphabet), pair * 2, term * 2]
    points = np.array([ord(c) for text in texts for c in text], dtype=np.uint32)
    with quads_from(2):  # the code points as they are (folding would merge some)
        block = GramIndex(points, np.array([len(text) for text in texts]))
        assert block.width == 70_000 and block.bi_keys.dtype == block.fq_keys.dtype == np.uint64
        for t in (term, pair + pair, term + term[:2], alphabet[8_642] + alphabet[22_709]):
            line = "\0".join(texts)  # one separator after each passage, as in the block
            want = [i for i in range(len(line)) if line.startswith(t, i)]
            assert block.positions(t).tolist() == want
        assert any(chars == 4 for _, _, chars, _ in block._term_grams(term))
